"""The console's web application: pages, forms and the security around them (the only Starlette importer).

Security, since an exchange's operators are a phishing target too:
- every page but the login form and the static files needs the operators' token: a session
  (a cookie signed with a key derived from the token, HttpOnly, SameSite=Strict) made by the
  login form, or `Authorization: Bearer <token>` for scripts;
- every POST from a session carries the session's CSRF token (a bearer request has no
  ambient authority and needs none);
- Content-Security-Policy allows scripts, styles and images from the console itself only
  (no inline script or style), and no framing; the pages are never cached;
- templates autoescape: a subject `<script>…` is shown as text; the plots escape their labels;
- no page shows a secret: customer secrets never reach the store, and the token is never
  put in a page, a cookie or a log;
- every operator action (login, correct, train, promote, roll back, resolve, retry) goes to
  the audit log (`console_audit`) with who and when.

Store access happens on the event loop (async endpoints), one request at a time; work that
may wait on a server (IMAP, for a quarantine retry) runs in a thread with its own store.

- `app`: `build`, the application (routes, static files, sessions, security headers);
- `context`: the console's state and what every page needs of a request (who, CSRF, the frame);
- one module per page group: `login`, `decisions` (and tickets), `training` (the model),
  `queues`, `overview` (dashboard, rules, templates, audit).
"""

from inboxd.console.web.app import build

__all__ = ["build"]
