"""`inboxd console`: load the mailbox, check the token, serve the application (the only uvicorn importer)."""

from __future__ import annotations

import logging

import uvicorn

from inboxd.compose import App, open_store
from inboxd.console.auth import load_token
from inboxd.console.web import build

log = logging.getLogger("inboxd.console")


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(app: App, listen: str) -> None:
    """Serve until SIGINT/SIGTERM. ConfigError (token) and StoreError come out before anything listens."""
    token = load_token(app.config)
    store = open_store(app.config)
    host, port = split_listen(listen)
    if host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("the console listens on %s: put it behind a TLS proxy, the token crosses the network", host)
    web = build(app, store, token)
    log.info("console on http://%s:%d/", host, port, extra={"event": "console_started"})
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)
    finally:
        store.close()
