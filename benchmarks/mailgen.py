"""A realistic burst of support mail, generated deterministically, for the throughput benchmark.

Mails are 2–20 KB (log-uniform), written the way the common clients write them:
Gmail (multipart/alternative, quoted-printable), Outlook (HTML with Office styles),
QQ Mail / Foxmail (GBK or GB18030, base64), NetEase (UTF-8 base64), iPhone (plain
text); most carry quoted history (earlier acknowledgements and mails) to reach their
size, some a screenshot or PDF attachment, a few are auto-replies or bounces. The
customer texts come from the measurement sets in benchmarks/data (never the
training examples), each sender is distinct (a burst is many customers).
"""

from __future__ import annotations

import base64
import csv
import quopri
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
# A few measurement texts are out-of-office notices; as a subject they make an automatic
# reply (correctly not answered), so they are not used as customers' requests here.
_AUTOMATIC = re.compile(r"^(automatic reply|out of (the )?office|自动回复|自動回覆)", re.I)


def _texts() -> tuple[list[str], list[str]]:
    zh, en = [], []
    for name in ("heldout_zh", "blind_zh", "heldout_en", "blind_en", "offtopic"):
        path = DATA / f"{name}.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                text = row["text"].strip()
                if _AUTOMATIC.match(text):
                    continue
                (zh if any("\u4e00" <= c <= "\u9fff" for c in text) else en).append(text)
    return zh, en


def _wrap(data: str, width: int = 76) -> str:
    return "\r\n".join(data[i : i + width] for i in range(0, len(data), width))


def _b64(data: bytes) -> str:
    return _wrap(base64.b64encode(data).decode())


def _qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode().replace("\n", "\r\n")


class MailGenerator:
    def __init__(self, seed: int = 7):
        self.random = random.Random(seed)
        self.zh, self.en = _texts()
        if not self.zh or not self.en:
            raise RuntimeError(f"benchmark texts missing under {DATA}")
        self.start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    def _history(self, chinese: bool, target: int) -> str:
        """Quoted earlier messages until the mail reaches about `target` characters."""
        r = self.random
        parts: list[str] = []
        size = 0
        while size < target:
            body = r.choice(self.zh if chinese else self.en)
            when = self.start - timedelta(hours=r.randint(1, 400))
            if chinese:
                header = f"在 {when:%Y年%m月%d日 %H:%M}，客服 <support@exchange.test> 写道："
            else:
                header = f"On {format_datetime(when)}, Support <support@exchange.test> wrote:"
            ack = (
                f"Thank you for contacting us. We have opened ticket INB-{r.randint(1, 999999):06d}.\n"
                f"Transaction hash: 0x{r.getrandbits(256):064x}\nAmount: {r.randint(1, 9000)} USDT (TRC20)\n"
                "We will never ask for your password, seed phrase or private key.\n"
            )
            block = "\n".join("> " + line for line in (body + "\n\n" + ack).splitlines())
            parts.append(f"{header}\n{block}")
            size += len(block)
        return "\n\n".join(parts)

    def mail(self, index: int) -> bytes:
        """Mail number `index`: its size on the wire between 2 and 20 KB (log-uniform)."""
        r = self.random
        target = int(2000 * (10 ** r.uniform(0, 1)))
        chinese = r.random() < 0.45
        text = r.choice(self.zh if chinese else self.en)
        if r.random() < 0.5:
            text += (
                f"\n\nTXID: {r.getrandbits(256):064x}"
                if r.random() < 0.5
                else f"\n\n订单号：{r.randint(10**17, 10**18)}"
            )
        sender = f"customer{index}@{'qq.com' if chinese else 'gmail.example'}"
        when = self.start + timedelta(seconds=index)
        subject = text.splitlines()[0][:60]
        message_id = f"<bench-{index}-{r.getrandbits(48):012x}@{sender.split('@')[1]}>"
        head = (
            f"From: {'客户' if chinese else 'Customer'} {index} <{sender}>\r\nTo: support@exchange.test\r\n"
            f"Date: {format_datetime(when)}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        )
        kind = r.random()
        if kind < 0.02:  # an out-of-office reply
            return (
                f"From: away{index}@corp.example\r\nTo: support@exchange.test\r\n"
                f"Subject: Automatic reply: {subject}\r\nDate: {format_datetime(when)}\r\n"
                f"Message-ID: {message_id}\r\nAuto-Submitted: auto-replied\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\nI am out of the office until Monday.\r\n"
            ).encode()
        history = self._history(chinese, target)
        # Shorten the quoted history until the encoded mail fits the target size.
        for keep in (1.0, 0.6, 0.35, 0.2, 0.1, 0.0):
            body = f"{text}\n\n{history[: int(len(history) * keep)]}"
            raw = self._encode(head, subject, body, chinese, kind)
            if len(raw) <= target * 1.15:
                break
        return raw

    def _encode(self, head: str, subject: str, body: str, chinese: bool, kind: float) -> bytes:
        r = self.random
        subject_header = f"Subject: =?UTF-8?B?{base64.b64encode(subject.encode()).decode()}?=\r\n"
        if chinese and kind < 0.45:  # QQ Mail / Foxmail: GBK or GB18030, base64
            charset = r.choice(["gbk", "gb18030", "gb2312"])
            encoded = body.encode("gbk" if charset == "gbk" else "gb18030", "replace")
            words = base64.b64encode(subject.encode("gb18030")).decode()
            return (
                head + f"Subject: =?{charset}?B?{words}?=\r\n"
                f'Content-Type: text/plain; charset="{charset}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                + _b64(encoded)
                + "\r\n"
            ).encode()
        if kind < 0.55:  # Outlook: HTML only
            paragraphs = "".join(f"<p class=MsoNormal>{line or '&nbsp;'}</p>" for line in body.splitlines())
            style = '<style>p.MsoNormal{margin:0;font-family:"Calibri"}</style>'
            html = f"<html><head>{style}</head><body>{paragraphs}</body></html>"
            return (
                head + subject_header + 'Content-Type: text/html; charset="utf-8"\r\n'
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + _qp(html) + "\r\n"
            ).encode()
        if kind < 0.75:  # Gmail: multipart/alternative, quoted-printable, sometimes a screenshot
            boundary = f"0000000000{r.getrandbits(64):016x}"
            html = '<div dir="ltr">' + body.replace("\n", "<br>") + "</div>"
            inner = (
                f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
                f'--{boundary}\r\nContent-Type: text/plain; charset="UTF-8"\r\n'
                f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp(body)}\r\n"
                f'--{boundary}\r\nContent-Type: text/html; charset="UTF-8"\r\n'
                f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp(html)}\r\n--{boundary}--\r\n"
            )
            if r.random() < 0.3:
                outer = f"mixed{r.getrandbits(40):010x}"
                picture = _b64(r.randbytes(r.randint(1000, 4000)))
                return (
                    head + subject_header + f'Content-Type: multipart/mixed; boundary="{outer}"\r\n\r\n'
                    f"--{outer}\r\n{inner}--{outer}\r\n"
                    'Content-Type: image/png; name="screenshot.png"\r\n'
                    'Content-Disposition: attachment; filename="screenshot.png"\r\n'
                    f"Content-Transfer-Encoding: base64\r\n\r\n{picture}\r\n--{outer}--\r\n"
                ).encode()
            return (head + subject_header + inner).encode()
        if kind < 0.85:  # NetEase: UTF-8 base64
            return (
                head + subject_header + "Content-Type: text/plain; charset=UTF-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(body.encode()) + "\r\n"
            ).encode()
        return (
            head + subject_header + "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n"
        ).encode()

    def mails(self, n: int) -> Iterator[bytes]:
        for index in range(n):
            yield self.mail(index)


def wants_ack(raw: bytes) -> bool:
    """Whether a generated mail is a customer's (acknowledged) rather than an automatic reply."""
    return b"\r\nAuto-Submitted: auto-replied\r\n" not in raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise ValueError("no Message-ID")
