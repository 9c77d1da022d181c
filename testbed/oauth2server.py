"""A tiny OAuth2 authorization server on 127.0.0.1, for tests: token introspection and refresh.

`/introspect` (RFC 7662) is what Dovecot's oauth2 passdb asks (`introspection_mode = post`):
it POSTs `token=<access token>` and reads `{"active": true, "username": ...}` for a token that
was granted, `{"active": false}` for any other (expired, revoked, never issued), the way a real
authorization server answers. `/token` (RFC 6749 section 6) takes a refresh-token grant from a
registered client and issues a new access token, and a new refresh token, as Microsoft's
endpoint does. Tokens can be granted and revoked while the server runs, so a test can let a
token "expire" under a running client. Standard library only (http.server).
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class AuthorizationServer:
    """Start with `start()`; `grant(token, user)` makes a token valid, `revoke(token)` ends it."""

    def __init__(self, port: int = 0):
        self._tokens: dict[str, str] = {}  # access token -> user
        self._refresh: dict[str, str] = {}  # refresh token -> user
        self._clients: dict[str, str] = {}  # client id -> secret
        self._lock = threading.Lock()
        self.asked: list[str] = []  # the access tokens asked about, in order
        self.issued: list[str] = []  # the access tokens issued by /token, in order
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def grant(self, token: str, user: str) -> None:
        with self._lock:
            self._tokens[token] = user

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def user_of(self, token: str) -> str | None:
        with self._lock:
            self.asked.append(token)
            return self._tokens.get(token)

    def register_client(self, client_id: str, secret: str) -> None:
        with self._lock:
            self._clients[client_id] = secret

    def refresh_token_for(self, user: str) -> str:
        """A refresh token for `user`, as the consent step would have given the operator."""
        token = f"rt-{secrets.token_urlsafe(16)}"
        with self._lock:
            self._refresh[token] = user
        return token

    def _token_answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self._clients.get(form.get("client_id", "")) != form.get("client_secret") or not form.get("client_id"):
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed."}
            if form.get("grant_type") != "refresh_token":
                return 400, {"error": "unsupported_grant_type"}
            user = self._refresh.pop(form.get("refresh_token", ""), None)
            if user is None:
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            access, rotated = f"at-{secrets.token_urlsafe(24)}", f"rt-{secrets.token_urlsafe(16)}"
            self._tokens[access] = user
            self._refresh[rotated] = user
            self.issued.append(access)
        answer = {"access_token": access, "token_type": "Bearer", "expires_in": 3599, "refresh_token": rotated}
        return 200, answer | ({"scope": form["scope"]} if "scope" in form else {})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fields = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
                form = {key: values[0] for key, values in fields.items()}
                if self.path == "/token":
                    status, answer = owner._token_answer(form)
                elif self.path == "/introspect":
                    user = owner.user_of(form["token"]) if form.get("token") else None
                    status, answer = 200, ({"active": True, "username": user} if user else {"active": False})
                else:
                    status, answer = 404, {"error": "not_found"}
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        return Handler

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth2-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
