"""A mailbox as the operator console sees it after real work: the tests of the console build one.

The tiny classifier (tests/tiny_classifier.py, trains in well under a second) in a folder of
its own, so corrections and candidates never touch the repo's classifiers/; the session's
Dovecot with a fresh user holding the sample mails plus hostile ones (a subject that is
markup, a seed phrase); an SMTP sink that drops the first DATA, so one acknowledgement's
fate is unknown; one real poll. The console's token is in a file named by [console] token_file.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from inboxd.assets import load_assets
from inboxd.classifier import save_model, settings_of
from inboxd.classifier.training import train
from inboxd.compose import load_app, open_store, poll_once
from testbed.dovecot import Dovecot, free_port
from testbed.mx import stamp
from testbed.smtpsink import SmtpSink
from tests.conftest import FIXTURES, write_config
from tests.tiny_classifier import make_tiny_classifiers

TOKEN = "console-test-token-9f2c1e7ab3d4"
XSS_SUBJECT = "<script>alert(1)</script> deposit <img src=x onerror=alert(2)> missing"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"
# Users of their own on the session's Dovecot (conftest's run from 0; these from 300).
_users = itertools.count(300)


def _mail(sender: str, name: str, subject: str, body: str, n: int) -> bytes:
    return (
        f"From: {name} <{sender}>\r\nTo: support@exchange.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <console-{n}@example.com>\r\nDate: Mon, 07 Dec 2026 07:0{n}:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


HOSTILE = (
    _mail(
        "mallory@example.com",
        '"<img src=x onerror=alert(3)>"',
        XSS_SUBJECT,
        "I deposited 100 USDT <script>alert(4)</script> yesterday and it has not arrived.",
        1,
    ),
    _mail(
        "victim@example.com",
        "Victim",
        "Please help, my account",
        f"I cannot log in to my account. My seed phrase is {SEED}. Please restore it.",
        2,
    ),
)


@dataclass
class Site:
    root: Path
    config_path: Path
    classifiers: Path
    model_path: Path
    user: str
    sink: SmtpSink

    def store(self):  # type: ignore[no-untyped-def]
        return open_store(load_app(self.config_path, with_model=False).config)


def make_site(root: Path, dovecot: Dovecot, *, keep_text_days: float = 30) -> Site:
    classifiers = make_tiny_classifiers(root / "classifiers")
    model_path = root / "var" / "model.npz"
    assets = load_assets(classifiers)
    save_model(train(assets, settings_of(assets)), model_path)
    sink = SmtpSink(root / "sink", free_port())
    sink.start()
    sink.mode.drop_after_data = 1  # the first acknowledgement's fate is unknown
    user = f"user{next(_users)}@exchange.test"
    cfg = root / "cfg"
    cfg.mkdir(parents=True)
    (cfg / "console-token").write_text(TOKEN + "\n")
    config_path = write_config(
        cfg,
        model_path=model_path,
        imap_port=dovecot.port,
        imap_user=user,
        smtp_port=sink.port,
        sections={
            "classifier": {"dir": str(classifiers), "model_path": str(model_path)},
            "console": {"token_file": "console-token", "keep_text_days": keep_text_days},
        },
    )
    raws = [stamp(p.read_bytes()) for p in sorted(FIXTURES.glob("*.eml"))] + [stamp(m) for m in HOSTILE]
    dovecot.append_many(raws, user=user)
    app = load_app(config_path)
    store = open_store(app.config)
    try:
        poll_once(app, store)
    finally:
        store.close()
    return Site(root, config_path, classifiers, model_path, user, sink)
