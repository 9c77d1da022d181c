"""The SMTP edge: the only module importing smtplib.

`send` sorts every failure into the three outcomes the state machine needs:
SendTemporary (nothing was delivered: try later), SendPermanent (refused: do not
retry) and SendUnknown (the connection broke after the message data went out:
it may have been delivered, so it must not be sent again blindly). To tell the
last two apart the DATA phase is driven by hand: the message counts as "maybe
sent" only once the server has said 354 and the first byte of data is on the wire.
Logs in with a password (AUTH PLAIN/LOGIN) or an OAuth2 access token (AUTH XOAUTH2,
see inboxd.oauth).

Internationalised addresses (RFC 6530: 张三@例子.测试, josé@example.com) and message IDs go
out with SMTPUTF8 (RFC 6531, headers in UTF-8 as RFC 6532 allows) when the server offers it.
Without it, an address whose local part is ASCII is sent to the IDNA form of its domain;
any other is a permanent failure that says why: nothing was handed over, and retrying
the same server cannot help.
"""

from __future__ import annotations

import base64
import quopri
import smtplib
import socket
import ssl
from dataclasses import replace
from email.utils import formataddr, formatdate
from types import TracebackType

from inboxd.config import SmtpConfig
from inboxd.credentials import Login
from inboxd.errors import SendPermanent, SendTemporary, SendUnknown, SmtpUnavailable, TokenError
from inboxd.mailbox import tls_context
from inboxd.oauth import xoauth2_response
from inboxd.values import OutgoingMail

_NET_ERRORS = (OSError, socket.timeout, ssl.SSLError, smtplib.SMTPException)


_ENCODED_WORD_BYTES = 39  # UTF-8 bytes per RFC 2047 word: "=?utf-8?b?" + 52 base64 chars + "?=" = 64 chars
_LINE = 78  # RFC 5322 2.1.1: lines SHOULD be at most 78 characters


def _encoded_words(value: str) -> list[str]:
    """`value` as RFC 2047 base64 words, cut between characters, each short enough for a folded line."""
    words: list[str] = []
    chunk = bytearray()
    for char in value:
        encoded = char.encode("utf-8", "replace")
        if len(chunk) + len(encoded) > _ENCODED_WORD_BYTES:
            words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=")
            chunk.clear()
        chunk += encoded
    if chunk or not words:
        words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=")
    return words


def _fold(name: str, words: list[str]) -> str:
    """`Name: w1 w2 ...` folded before a word wherever the line would pass 78 characters."""
    lines: list[str] = []
    line = f"{name}:"
    for word in words:
        if len(line) + 1 + len(word) > _LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines)


def _text_header(name: str, value: str) -> str:
    """An unstructured header (Subject): plain when it is printable ASCII, else encoded words."""
    value = " ".join(value.split())  # no CR or LF can reach the header block
    plain = value.isascii() and value.isprintable() and "=?" not in value
    words = value.split(" ") if plain else _encoded_words(value)
    if plain and any(len(w) > _LINE - len(name) - 2 for w in words):
        words = _encoded_words(value)  # a word too long to fold
    return _fold(name, words)


def _body(text: str) -> tuple[str, bytes]:
    """The Content-Transfer-Encoding and CRLF-ended body, as `EmailMessage.set_content` would choose."""
    lines = text.splitlines()
    if text.isascii() and all(len(line) <= _LINE for line in lines):
        return "7bit", "".join(f"{line}\r\n" for line in lines).encode("ascii")
    raw = "\n".join(lines).encode("utf-8", "replace") + b"\n"
    qp = quopri.encodestring(raw)
    # RFC 2045 6.8: text is base64-encoded in its canonical form, with CRLF line ends.
    b64 = base64.b64encode(raw.replace(b"\n", b"\r\n"))
    if len(qp) <= len(b64) * 1.1:  # mostly ASCII (English): readable in the raw mail
        return "quoted-printable", qp.replace(b"\n", b"\r\n")
    folded = b"\r\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    return "base64", folded + b"\r\n"


def build_message(mail: OutgoingMail, from_address: str, from_name: str, ticket: str | None) -> bytes:
    """The acknowledgement as the bytes of an RFC 5322 message with CRLF line ends.

    Written out directly rather than through `email.message.EmailMessage`: building every
    acknowledgement with its header registry cost more than a millisecond, a quarter of
    the main process's time per mail in a burst. The headers are all ours (a fixed set,
    ASCII except the display name and the subject, which are encoded), so the output is
    what the stdlib would write; tests read it back with the stdlib parser.
    """
    for value in (from_address, mail.to, mail.message_id, mail.in_reply_to or "", *mail.references, ticket or ""):
        if "\r" in value or "\n" in value:
            raise ValueError(f"a line break in a header value: {value[:40]!r}")
    display = " ".join(from_name.split())
    if display.isascii() and from_address.isascii():  # formataddr refuses a non-ASCII address
        sender = f"From: {formataddr((display, from_address))}"
    else:
        sender = _fold("From", [*_encoded_words(display), f"<{from_address}>"])
    headers = [
        sender,
        f"To: {mail.to}",
        _text_header("Subject", mail.subject),
        f"Date: {formatdate(localtime=False, usegmt=True)}",
        f"Message-ID: {mail.message_id}",
    ]
    if mail.in_reply_to:
        headers.append(f"In-Reply-To: {mail.in_reply_to}")
    if mail.references:
        headers.append(_fold("References", list(mail.references)))
    # RFC 3834: mark ourselves as an automatic response so that other robots stay quiet,
    # and ask Exchange/Outlook not to send their own automatic replies back.
    headers.append("Auto-Submitted: auto-replied")
    headers.append("X-Auto-Response-Suppress: All")
    if ticket:
        headers.append(f"X-Inboxd-Ticket: {ticket}")
    encoding, body = _body(mail.body)
    headers += [
        'Content-Type: text/plain; charset="utf-8"',
        f"Content-Transfer-Encoding: {encoding}",
        "MIME-Version: 1.0",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode("utf-8") + body


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


def _international(mail: OutgoingMail, sender: str) -> bool:
    """Whether an address or a message ID of this acknowledgement is not ASCII (RFC 6532)."""
    return not (
        mail.to.isascii()
        and sender.isascii()
        and (mail.in_reply_to or "").isascii()
        and all(ref.isascii() for ref in mail.references)
    )


def _idna_address(address: str) -> str:
    """`address` with its domain in IDNA A-labels, for a server without SMTPUTF8; else SendPermanent."""
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise SendPermanent(f"the SMTP server does not offer SMTPUTF8 (RFC 6531), which the address {address} needs")
    reason = "the SMTP server does not offer SMTPUTF8 (RFC 6531) and the domain of"
    try:
        # The stdlib codec is IDNA 2003, whose mapping can turn a name into another one
        # (straße -> strasse): the A-labels are used only if they read back as the same domain.
        a_labels = domain.encode("idna").decode("ascii")
        same = a_labels.encode("ascii").decode("idna") == domain.lower()
    except UnicodeError as exc:
        raise SendPermanent(f"{reason} {address} has no IDNA form: {exc}") from exc
    if not same:
        raise SendPermanent(f"{reason} {address} has no IDNA form that names the same domain ({a_labels})")
    return f"{local}@{a_labels}"


def _envelope(smtp: smtplib.SMTP, sender: str, mail: OutgoingMail) -> tuple[str, OutgoingMail, list[str]]:
    """The sender, the acknowledgement and the MAIL FROM options for an international one on this server."""
    if smtp.has_extn("smtputf8"):
        # As smtplib's send_message does: the UTF-8 header makes the content 8-bit (RFC 6532 3.5).
        return sender, mail, ["SMTPUTF8", "BODY=8BITMIME"] if smtp.has_extn("8bitmime") else ["SMTPUTF8"]
    # Without SMTPUTF8 every command and header must be ASCII: the addresses in IDNA, and the
    # customer's non-ASCII message IDs left out of In-Reply-To/References (threading hints only).
    in_reply_to = mail.in_reply_to if mail.in_reply_to and mail.in_reply_to.isascii() else None
    references = tuple(ref for ref in mail.references if ref.isascii())
    ascii_mail = replace(mail, to=_idna_address(mail.to), in_reply_to=in_reply_to, references=references)
    return _idna_address(sender), ascii_mail, []


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
        international = _international(mail, cfg.from_address)
        sender, outgoing = cfg.from_address, mail
        options: list[str] = []
        data = b"" if international else build_message(mail, sender, cfg.from_name, ticket)
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            smtp = self._smtp
            if international:  # on every connection: what the server offers decides the form
                sender, outgoing, options = _envelope(smtp, cfg.from_address, mail)
                data = build_message(outgoing, sender, cfg.from_name, ticket)
            try:
                code, reply = smtp.mail(sender, options)
                if code != 250:
                    smtp.rset()
                    raise _refusal("MAIL FROM", code, reply)
                code, reply = smtp.rcpt(outgoing.to)
                if code not in (250, 251):
                    smtp.rset()
                    raise _refusal(f"RCPT TO <{outgoing.to}>", code, reply)
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
