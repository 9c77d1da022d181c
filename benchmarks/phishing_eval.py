"""Phishing reports, spam and unsolicited mail: precision and recall, measured.

    PYTHONPATH=. .venv/bin/python benchmarks/phishing_eval.py [--no-model]

1. Phishing reports (`inboxd.phishing.assess`, with `[trust] official_domains =
   ["exchange.example"]`) on each labelled set under benchmarks/data/phishing/
   (`own/`: written by the developer; `independent/`: by a writer who saw none of the code):
   precision and recall, by language and by forward format.
2. Spam headers (`inboxd.spam.header_verdict`, trust_headers on) on the own phishing set's
   mails given each server verdict header, spam and clean: precision and recall.
3. Unsolicited (`inboxd.spam.is_unsolicited`, the classifier trained now from
   classifiers/, `[spam] unsolicited_confidence` as in the default config):
   - customers skipped, which must be none: the support requests (every category but
     `other`) of the held-out and blind sets, and the 182 labelled support mails of the
     extraction corpus;
   - the independent off-topic set (`benchmarks/data/independent/offtopic_everyday.csv`):
     how many of the 20 commercial pitches (hand-labelled, `phishing/offtopic_unsolicited.csv`)
     are skipped, and what else is (everything there is `other`: never a customer request).
   Measured only; nothing here is trained on.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

from inboxd.acknowledge import Policy, mail_facts
from inboxd.assets import load_assets
from inboxd.config import SpamConfig
from inboxd.parse import parse_message
from inboxd.phishing import assess
from inboxd.redact import redact_mail
from inboxd.spam import SpamSettings, header_verdict, is_unsolicited
from inboxd.values import ParsedEmail

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
OFFICIAL = ("exchange.example", "exchange-pay.example")  # the independent set names both
SPAM_HEADERS = [
    ("X-Spam-Flag: YES", True),
    ("X-Spam-Status: Yes, score=8.2 required=5.0", True),
    ("X-MS-Exchange-Organization-SCL: 5", True),
    ("X-Forefront-Antispam-Report: CIP:192.0.2.1;SCL:9;SFV:SPM;", True),
    ("X-Spam-Flag: NO", False),
    ("X-Spam-Status: No, score=0.4 required=5.0", False),
    ("X-MS-Exchange-Organization-SCL: 1", False),
    ("X-MS-Exchange-Organization-SCL: -1", False),
    ("X-Forefront-Antispam-Report: CIP:192.0.2.1;SCL:1;SFV:NSPM;", False),
]


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def _pr(tp: int, fp: int, fn: int) -> str:
    return f"precision {_ratio(tp, tp + fp)} ({tp}/{tp + fp})  recall {_ratio(tp, tp + fn)} ({tp}/{tp + fn})"


def phishing_sets() -> None:
    rules = load_assets(ROOT / "classifiers").phishing
    for folder in sorted((DATA / "phishing").iterdir()):
        labels = folder / "labels.csv"
        if not labels.is_file():
            continue
        counts: Counter[tuple[str, str]] = Counter()
        wrong: list[str] = []
        started = time.perf_counter()
        rows = list(csv.DictReader(labels.open(encoding="utf-8")))
        for row in rows:
            mail = parse_message((folder / row["file"]).read_bytes())
            got = assess(mail, rules, OFFICIAL).report
            want = row["phishing_report"].strip() == "1"
            outcome = "tp" if got and want else "fp" if got else "fn" if want else "tn"
            for key in ("all", f"language={row['language']}", f"format={row['format']}"):
                counts[(key, outcome)] += 1
            if outcome in ("fp", "fn"):
                wrong.append(f"    {outcome} {row['file']} ({row['language']}, {row['format']})")
        ms = (time.perf_counter() - started) * 1000 / max(1, len(rows))
        print(f"\nphishing reports, {folder.name}/ ({len(rows)} mails, {ms:.2f} ms a mail with parsing)")
        for key in sorted({k for k, _ in counts}, key=lambda k: (k != "all", k)):
            tp, fp, fn = (counts[(key, o)] for o in ("tp", "fp", "fn"))
            print(f"  {key:<18} {_pr(tp, fp, fn)}")
        print("\n".join(wrong))


def spam_headers() -> None:
    folder = DATA / "phishing" / "own"
    settings = SpamSettings(trust_headers=True)
    tp = fp = fn = 0
    for path in sorted(folder.glob("*.eml")):
        raw = path.read_bytes()
        for header, spam in SPAM_HEADERS:
            got = header_verdict(parse_message(header.encode() + b"\n" + raw).headers, settings) is not None
            tp, fp, fn = tp + (got and spam), fp + (got and not spam), fn + (spam and not got)
    print(f"\nspam headers (trusted server), {len(SPAM_HEADERS)} verdicts x the own set's mails: {_pr(tp, fp, fn)}")


def _mail(text: str) -> ParsedEmail:
    body = text.replace("\r\n", "\n")
    head = "From: c@mail.example\nTo: support@exchange.example\nSubject: \nContent-Type: text/plain; charset=utf-8\n"
    raw = f"{head}\n{body}"
    return parse_message(raw.encode("utf-8"))


def _customers() -> Iterator[tuple[str, ParsedEmail]]:
    for name in ("heldout_en", "heldout_zh", "blind_en", "blind_zh"):
        for row in csv.DictReader((DATA / f"{name}.csv").open(encoding="utf-8")):
            if row["category"] != "other":
                yield name, _mail(row["text"])
    for path in sorted((DATA / "extraction" / "mails").glob("*.eml")):
        yield "extraction", parse_message(path.read_bytes())


def unsolicited() -> None:
    from inboxd.classifier.training import train_classifier  # noqa: PLC0415 - only with the model
    from inboxd.triage import classifier_text  # noqa: PLC0415

    assets = load_assets(ROOT / "classifiers")
    started = time.perf_counter()
    classifier = train_classifier(assets)
    print(f"\nunsolicited (model trained in {time.perf_counter() - started:.0f} s)")
    threshold = SpamConfig().unsolicited_confidence
    settings = SpamSettings(unsolicited_confidence=threshold)
    policy = Policy(frozenset(), "exchange.example", "en", UTC, {}, {}, "", 24)

    def skipped(mails: list[ParsedEmail]) -> list[bool]:
        redacted = [redact_mail(m)[0] for m in mails]
        found = classifier.classify([classifier_text(m) for m in redacted])
        return [
            is_unsolicited(m, c, mail_facts(m, policy), settings, False) for m, c in zip(redacted, found, strict=True)
        ]

    customers = list(_customers())
    flags = skipped([m for _, m in customers])
    per: Counter[str] = Counter(source for source, _ in customers)
    lost = Counter(source for (source, _), flag in zip(customers, flags, strict=True) if flag)
    print(f"  threshold {threshold}: customers skipped {sum(lost.values())} of {len(customers)}")
    for source in per:
        print(f"    {source:<11} {lost[source]} of {per[source]}")
    for (source, mail), flag in zip(customers, flags, strict=True):
        if flag:
            print(f"    SKIPPED CUSTOMER ({source}): {mail.text[:100]!r}")
    rows = list(csv.DictReader((DATA / "independent" / "offtopic_everyday.csv").open(encoding="utf-8")))
    pitches = {int(r["row"]) for r in csv.DictReader((DATA / "phishing" / "offtopic_unsolicited.csv").open())}
    flags = skipped([_mail(r["text"]) for r in rows])
    tp = sum(1 for i, f in enumerate(flags) if f and i in pitches)
    fp = [i for i, f in enumerate(flags) if f and i not in pitches]
    found = _pr(tp, len(fp), len(pitches) - tp)
    print(f"  off-topic set ({len(rows)} mails, {len(pitches)} commercial pitches): {found}")
    print(f"    skipped that are not pitches (off-topic, never customers): {len(fp)}")
    for i in fp:
        print(f"      row {i}: {rows[i]['text'][:90]!r}")
    seo = parse_message((ROOT / "tests" / "fixtures" / "eml" / "offtopic_seo.eml").read_bytes())
    print(f"  the sample mailbox's SEO pitch skipped: {skipped([seo])[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-model", action="store_true", help="skip the unsolicited figures (they train a model)")
    args = parser.parse_args()
    phishing_sets()
    spam_headers()
    if not args.no_model:
        unsolicited()


if __name__ == "__main__":
    main()
