#!/usr/bin/env python3
"""Precision and recall of inboxd's extractors on the labelled support mails.

    .venv/bin/python benchmarks/extraction.py [--data benchmarks/data/extraction] [--show-errors]

Each mail goes through the product's own path — `parse_message` → `redact_mail` →
`decide.mail_facts` (subject + new text, the repo's classifiers/extraction.toml rules) —
and is compared with `labels.jsonl` (conventions in the data folder's README.md):

- tx ids by value (hex case-insensitive); chain accuracy over the matched ones;
- order ids, amounts (value + asset; network accuracy over the matched ones),
  addresses (value + validity);
- secrets: recall by the labelled text span (a found secret of any kind must cover it),
  precision of the found spans, and a leak check: no labelled secret may be left in the
  redacted subject, text or new text.

Prints a table and compares it with the targets of issue 4 (≥ 0.98 precision and recall
for tx ids and addresses, 1.00 recall for secrets, no leak); exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inboxd.acknowledge import Policy, mail_facts  # noqa: E402
from inboxd.assets import load_assets  # noqa: E402
from inboxd.parse import parse_message  # noqa: E402
from inboxd.redact import redact_mail  # noqa: E402
from inboxd.values import Facts, ParsedEmail  # noqa: E402

TARGETS = {  # kind -> (precision floor, recall floor)
    "tx_ids": (0.98, 0.98),
    "addresses": (0.98, 0.98),
    "secrets": (0.0, 1.00),
}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def compare(self, name: str, expected: Iterable[str], got: Iterable[str]) -> set[str]:
        want, have = set(expected), set(got)
        self.tp += len(want & have)
        for value in sorted(want - have):
            self.fn += 1
            self.errors.append(f"{name}: missed {value}")
        for value in sorted(have - want):
            self.fp += 1
            self.errors.append(f"{name}: false {value}")
        return want & have

    def attribute(
        self, name: str, what: str, matched: set[str], got: dict[str, str | None], want: dict[str, str | None]
    ) -> None:
        """Accuracy of one attribute (chain, network) over the values both sides have."""
        for value in sorted(matched):
            if got[value] == want[value]:
                self.tp += 1
            else:
                self.fn += 1
                self.errors.append(f"{name}: {value[:24]} {what} {got[value]}, labelled {want[value]}")


def _policy(classifiers: Path) -> Policy:
    assets = load_assets(classifiers)
    return Policy(
        own_addresses=frozenset({"support@exchange.example"}),
        message_id_domain="exchange.example",
        default_language="en",
        zone=zoneinfo.ZoneInfo("UTC"),
        categories=assets.categories,
        fields=assets.fields,
        team="Support",
        reply_within_hours=24,
        order_rules=assets.order_rules,
    )


def _hex_key(value: str) -> str:
    return value.lower() if all(c in "0123456789abcdefABCDEFxX" for c in value) else value


def score_mail(
    name: str,
    label: dict[str, Any],
    mails: tuple[ParsedEmail, ParsedEmail],
    facts: Facts,
    scores: dict[str, Score],
) -> None:
    original, redacted = mails
    tx_got = {_hex_key(t.value): t.chain for t in facts.tx_ids}
    tx_want = {_hex_key(t["value"]): t["chain"] for t in label["tx_ids"]}
    scores["tx_chain"].attribute(name, "chain", scores["tx_ids"].compare(name, tx_want, tx_got), tx_got, tx_want)
    scores["order_ids"].compare(name, label["order_ids"], facts.order_ids)
    amount_got = {f"{a.value} {a.asset}": a.network for a in facts.amounts}
    amount_want = {f"{a['value']} {a['asset']}": a["network"] for a in label["amounts"]}
    matched = scores["amounts"].compare(name, amount_want, amount_got)
    scores["amount_network"].attribute(name, "network", matched, amount_got, amount_want)
    scores["addresses"].compare(
        name,
        (f"{a['value']} valid={a['valid']}" for a in label["addresses"]),
        (f"{a.value} valid={a.valid}" for a in facts.addresses),
    )
    _score_secrets(name, label, original, redacted, scores)


def _score_secrets(
    name: str, label: dict[str, Any], original: ParsedEmail, redacted: ParsedEmail, scores: dict[str, Score]
) -> None:
    text = original.text.replace("\r\n", "\n")
    found = [(s.start, s.end) for s in redacted.secrets if s.field == "text"]
    secrets, leak = scores["secrets"], scores["secret_leak"]
    matched: set[tuple[int, int]] = set()
    for secret in label["secrets"]:
        value = secret["text"].replace("\r\n", "\n")
        start = text.find(value)
        if start < 0:
            secrets.fn += 1
            secrets.errors.append(f"{name}: labelled {secret['kind']} not found in the parsed text")
            continue
        spans = [s for s in found if s[0] <= start and start + len(value) <= s[1]]
        if spans:
            secrets.tp += 1
            matched.update(spans)
        else:
            secrets.fn += 1
            secrets.errors.append(f"{name}: missed {secret['kind']} ({len(value)} chars)")
        for where, body in (("subject", redacted.subject), ("text", redacted.text), ("new_text", redacted.new_text)):
            if value in body:
                leak.fn += 1
                leak.errors.append(f"{name}: {secret['kind']} left in the redacted {where}")
            else:
                leak.tp += 1
    for span in found:
        if span not in matched:
            secrets.fp += 1
            secrets.errors.append(f"{name}: false secret {text[span[0] : span[1]][:3]}… ({span[1] - span[0]} chars)")


def run(data: Path, classifiers: Path) -> dict[str, Score]:
    policy = _policy(classifiers)
    kinds = ("tx_ids", "tx_chain", "order_ids", "amounts", "amount_network", "addresses", "secrets", "secret_leak")
    scores = {kind: Score() for kind in kinds}
    for line in (data / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        original = parse_message((data / "mails" / label["file"]).read_bytes())
        redacted, _ = redact_mail(original)
        score_mail(label["file"], label, (original, redacted), mail_facts(redacted, policy), scores)
    return scores


def report(scores: dict[str, Score], show_errors: bool, out: Callable[[str], None] = print) -> bool:
    out(f"{'kind':<16} {'tp':>5} {'fp':>5} {'fn':>5} {'precision':>10} {'recall':>8}  target")
    passed = True
    for kind, score in scores.items():
        target = ""
        if kind in TARGETS:
            p_floor, r_floor = TARGETS[kind]
            ok = score.precision >= p_floor and score.recall >= r_floor
            passed &= ok
            target = f"P≥{p_floor:.2f} R≥{r_floor:.2f} {'ok' if ok else 'MISSED'}"
        elif kind == "secret_leak":
            ok = score.fn == 0
            passed &= ok
            target = f"no secret left {'ok' if ok else 'MISSED'}"
        elif kind in ("tx_chain", "amount_network"):
            target = "(accuracy over matched values: recall column)"
        figures = f"{score.tp:>5} {score.fp:>5} {score.fn:>5} {score.precision:>10.3f} {score.recall:>8.3f}"
        out(f"{kind:<16} {figures}  {target}")
    if show_errors:
        for kind, score in scores.items():
            for error in score.errors:
                out(f"  [{kind}] {error}")
    out("all targets met" if passed else "TARGETS MISSED")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data" / "extraction")
    parser.add_argument("--classifiers", type=Path, default=ROOT / "classifiers")
    parser.add_argument("--show-errors", action="store_true", help="list every miss and false positive")
    args = parser.parse_args()
    scores = run(args.data, args.classifiers)
    return 0 if report(scores, args.show_errors) else 1


if __name__ == "__main__":
    sys.exit(main())
