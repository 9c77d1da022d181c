"""Real servers on loopback for the demo, the tests and the benchmarks.

`dovecot.Dovecot` runs Debian's Dovecot with a generated config in a temp dir
(no systemd, no root needed, though root works); `smtpsink.SmtpSink` is an
aiosmtpd server that records every message it accepts, and can be told to fail
in the ways real servers fail, or to demand AUTH XOAUTH2;
`oauth2server.AuthorizationServer` issues and introspects the OAuth2 tokens that
both check (Dovecot through its oauth2 passdb). `hostile.hostile_messages` makes
synthetic mail that stresses each cost of parsing. Nothing here is used by the
daemon itself.

A top-level package of the repo, not part of inboxd: the wheel does not hold it (it
imports aiosmtpd, a development extra). The tests find it from the repo root (pytest's
rootdir), the scripts and benchmarks put the repo root on sys.path, and child processes
(`python -m testbed.smtpsink`) run with the repo root as their working directory.
"""
