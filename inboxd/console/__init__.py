"""The operator console (`inboxd console`): a web application over the store and `classifiers/`.

Operators see every decision with what the model read and why, correct it (the correction
goes to `classifiers/examples/corrections.csv`), train a candidate model in the background,
compare it with the live one, promote it or roll back, and work the queues a human acts on
(quarantine, acknowledgements of unknown fate, escalations, security incidents).

- `auth`: the operators' token, sessions' key, CSRF tokens, operator names (no web library);
- `corrections`: appending a correction to the examples;
- `lifecycle`: the live model, the candidate (trained in a thread), promote and roll back;
- `plots`: the dashboard's inline SVG;
- `web` (a package): the Starlette application (its only importer), a module per page group, and
  the security headers; `serve`: uvicorn (its only importer).

Every query is in `inboxd.store.console`; every operator action is in its audit log.
"""
