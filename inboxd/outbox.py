"""The SMTP edge: the only module importing smtplib.

`send` sorts every failure into the three outcomes the state machine needs:
SendTemporary (nothing was delivered: try later), SendPermanent (refused: do not
retry) and SendUnknown (the connection broke after the message data went out:
it may have been delivered, so it must not be sent again blindly). To tell the
last two apart the DATA phase is driven by hand: the message counts as "maybe
sent" only once the server has said 354 and the first byte of data is on the wire.
Logs in with a password (AUTH PLAIN/LOGIN) or an OAuth2 access token (AUTH XOAUTH2,
see inboxd.oauth).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate
from types import TracebackType

from inboxd.config import SmtpConfig
from inboxd.credentials import Login
from inboxd.errors import SendPermanent, SendTemporary, SendUnknown, SmtpUnavailable, TokenError
from inboxd.mailbox import tls_context
from inboxd.models import OutgoingMail
from inboxd.oauth import xoauth2_response

_NET_ERRORS = (OSError, socket.timeout, ssl.SSLError, smtplib.SMTPException)


def build_message(mail: OutgoingMail, from_address: str, from_name: str, ticket: str | None) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((from_name, from_address))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        message["References"] = " ".join(mail.references)
    # RFC 3834: mark ourselves as an automatic response so that other robots stay quiet,
    # and ask Exchange/Outlook not to send their own automatic replies back.
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    if ticket:
        message["X-Inboxd-Ticket"] = ticket
    message.set_content(mail.body, charset="utf-8")
    return message


def _dot_stuff(data: bytes) -> bytes:
    """RFC 5321 4.5.2: CRLF line ends, a leading '.' doubled, then the end marker."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    body = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)
    return body + b"\r\n.\r\n"


def _refusal(stage: str, code: int, reply: bytes) -> Exception:
    text = f"{stage} refused: {code} {reply.decode('utf-8', 'replace')}"
    return SendPermanent(text) if 500 <= code < 600 else SendTemporary(text)


def _authenticate(smtp: smtplib.SMTP, login: Login) -> None:
    if login.tokens is None:
        smtp.login(login.username, login.password)
        return
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if "XOAUTH2" not in offered:
        raise smtplib.SMTPException(
            f"the server does not offer AUTH XOAUTH2 (it offers: {' '.join(offered) or 'no AUTH'})"
        )

    def attempt(token: str) -> None:
        response = xoauth2_response(login.username, token)

        # smtplib calls this without a challenge for the initial response (RFC 4954), then with
        # each 334 challenge; XOAUTH2's only challenge is the error report, answered empty.
        def answer(challenge: bytes | None = None) -> str:
            return response if challenge is None else ""

        smtp.auth("XOAUTH2", answer, initial_response_ok=True)

    login.tokens.authenticate(attempt, (smtplib.SMTPAuthenticationError,))


class SmtpOutbox:
    """Sends acknowledgements over one reused SMTP connection. Use as a context manager."""

    def __init__(self, config: SmtpConfig, login: Login | None):
        self._config = config
        self._login = login
        self._smtp: smtplib.SMTP | None = None
        self.sent = 0

    def __enter__(self) -> SmtpOutbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        cfg = self._config
        context = tls_context(cfg.tls_verify, str(cfg.ca_file) if cfg.ca_file else None)
        try:
            smtp: smtplib.SMTP
            if cfg.security == "tls":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        except _NET_ERRORS as exc:
            raise SmtpUnavailable(f"cannot connect to SMTP {cfg.host}:{cfg.port}: {exc}") from exc
        try:
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self._login is not None:
                _authenticate(smtp, self._login)
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            mechanism = self._login.mechanism if self._login else "password"
            raise SmtpUnavailable(f"SMTP login as {cfg.username} ({mechanism}) refused: {exc.smtp_code}") from exc
        except _NET_ERRORS as exc:
            smtp.close()
            raise SmtpUnavailable(f"cannot connect to SMTP {cfg.host}:{cfg.port}: {exc}") from exc
        except TokenError as exc:
            smtp.close()
            raise SmtpUnavailable(f"SMTP login as {cfg.username}: no access token: {exc}") from exc
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except _NET_ERRORS:
                smtp.close()

    def send(self, mail: OutgoingMail, ticket: str | None = None) -> None:
        cfg = self._config
        data = build_message(mail, cfg.from_address, cfg.from_name, ticket).as_bytes()
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            smtp = self._smtp
            try:
                code, reply = smtp.mail(cfg.from_address)
                if code != 250:
                    smtp.rset()
                    raise _refusal("MAIL FROM", code, reply)
                code, reply = smtp.rcpt(mail.to)
                if code not in (250, 251):
                    smtp.rset()
                    raise _refusal(f"RCPT TO <{mail.to}>", code, reply)
                smtp.putcmd("data")
                code, reply = smtp.getreply()
                if code != 354:
                    smtp.rset()
                    raise _refusal("DATA", code, reply)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                # Nothing of the message went out: reconnect once (an idle connection may
                # have been closed by the server), then give up for this tick.
                self._smtp = None
                if attempt == 2:
                    raise SmtpUnavailable(f"SMTP connection lost before the message was sent: {exc}") from exc
                continue
            try:
                smtp.send(_dot_stuff(data))
                code, reply = smtp.getreply()
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._smtp = None
                raise SendUnknown(f"SMTP connection lost after the message data was sent: {exc}") from exc
            if code != 250:
                raise _refusal("message data", code, reply)
            self.sent += 1
            return
