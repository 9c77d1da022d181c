"""Quote and signature removal: inboxd.quotes against mail-parser-reply, on two sets.

    .venv/bin/python benchmarks/quotes_eval.py

1. tests/fixtures/replies.toml: replies as 20-odd mail clients write them (keep/drop
   strings per case); a case passes when every keep string is in the new text and no
   drop string is.
2. benchmarks/data/extraction (labelled corpus, generated independently of this
   code): for the mails with quoted history, how many labelled values survive in the
   new text (recall) and how many long tokens that are NOT labelled, i.e. values
   from the quoted history, leak into it (mails labelled "negative: nothing to
   extract" hold unlabelled look-alikes in their new text on purpose and are not
   counted for leaks).

mail-parser-reply is measured only when it is installed (`pip install
mail-parser-reply`); inboxd does not depend on it. Targets: every fixture case
passes, recall 100 %, no leaked token.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

from inboxd.parse import parse_message
from inboxd.quotes import new_text

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "replies.toml"
EXTRACTION = ROOT / "benchmarks" / "data" / "extraction"
_TOKEN = re.compile(r"[A-Za-z0-9]{20,}")


def strategies() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {"inboxd.quotes": new_text}
    try:
        from mailparser_reply import EmailReplyParser  # noqa: PLC0415
    except ImportError:
        print("mail-parser-reply not installed: measuring inboxd.quotes only")
        return found
    parser = EmailReplyParser(languages=["en", "zh"])

    def library(text: str) -> str:
        return str(parser.parse_reply(text) or text)

    found["mail-parser-reply"] = library
    found["inboxd.quotes after mail-parser-reply"] = lambda text: new_text(library(text))
    return found


def fixture_cases(strip: Callable[[str], str]) -> tuple[int, int, list[str]]:
    cases = tomllib.loads(CASES.read_text(encoding="utf-8"))["case"]
    failed = []
    for case in cases:
        out = strip(case["text"])
        if any(k not in out for k in case["keep"]) or any(d in out for d in case["drop"]):
            failed.append(case["name"])
    return len(cases) - len(failed), len(cases), failed


def _label_values(label: dict[str, list[dict[str, str] | str]]) -> list[str]:
    values: list[str] = []
    for key in ("tx_ids", "order_ids", "addresses", "account_ids"):
        for item in label[key]:
            values.append(item if isinstance(item, str) else item["value"])
    return values


def extraction_corpus(strip: Callable[[str], str]) -> tuple[int, int, int, int]:
    """(messages, labelled values kept, labelled values, unlabelled long tokens leaked)."""
    messages = kept = total = leaked = 0
    for line in (EXTRACTION / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        if not label["has_quoted_history"]:
            continue
        mail = parse_message((EXTRACTION / "mails" / label["file"]).read_bytes())
        out = strip(mail.text)
        values = _label_values(label)
        messages += 1
        total += len(values)
        kept += sum(1 for v in values if v in out)
        if "negative: nothing to extract" in label["notes"]:
            continue  # its new text holds look-alike values on purpose: unlabelled, but the customer's
        labelled = "\n".join(values) + "\n" + "\n".join(s["text"] for s in label["secrets"])
        leaked += sum(1 for t in set(_TOKEN.findall(out)) if t not in labelled)
    return messages, kept, total, leaked


def main() -> int:
    ok = True
    for name, strip in strategies().items():
        passed, count, failed = fixture_cases(strip)
        messages, kept, total, leaked = extraction_corpus(strip)
        print(f"{name}:")
        print(f"  client fixtures: {passed}/{count} pass" + (f"; failing: {', '.join(failed)}" if failed else ""))
        print(
            f"  extraction corpus ({messages} mails with quoted history): labelled values kept "
            f"{kept}/{total} ({100 * kept / max(total, 1):.1f} %), unlabelled long tokens leaked: {leaked}"
        )
        if name == "inboxd.quotes":
            ok = passed == count and kept == total and leaked == 0
    print(f"{'PASS' if ok else 'FAIL'}: inboxd.quotes (targets: all fixtures, recall 100 %, no leaks)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
