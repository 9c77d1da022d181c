"""The fault-injection suite behind `benchmarks/faults.py`.

- `mailgen`: a mailbox of several hundred distinct, realistic mails from the repo's samples;
- `world`: one run's real servers (a private Dovecot, an SMTP sink, a TCP proxy), its config,
  and `inboxd run` as a child process that can be killed and restarted;
- `verify`: the invariants, counted from the SMTP sink's own log and Dovecot's own state;
- `scenarios`: the faults, each a function that runs once and returns its figures.
"""
