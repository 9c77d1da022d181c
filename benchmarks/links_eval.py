"""Look-alike domains: inboxd.links.verdict against a labelled set.

    .venv/bin/python benchmarks/links_eval.py [--misses] [CSV ...]

Each row of benchmarks/data/links/lookalikes.csv (domain, official, expected_verdict,
kind) names a domain, the official domains it is judged against (space-separated; empty:
none configured) and the verdict a person expects, written by hand, case by case, with the
kind of look-alike (swap, double, missing, change, hyphen, homoglyph_*, punycode,
ascii_homoglyph, inside, combo, subdomain_brand, other_tld) or of innocent name (official,
subdomain, common, unrelated, unrelated_word, no_official).

Printed: lookalike precision and recall, the number of official domains called anything but
official (the target is 0), a confusion table and recall per kind. --misses lists every row
the verdict gets wrong. Exits 1 when an official domain is called a lookalike.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

from inboxd.links import LOOKALIKE, OFFICIAL, OTHER, verdict

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "benchmarks" / "data" / "links" / "lookalikes.csv"
VERDICTS = (OFFICIAL, LOOKALIKE, OTHER)


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f} ({part}/{whole})" if whole else "- (0/0)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--misses", action="store_true", help="list every row judged wrongly")
    args = parser.parse_args()
    rows = []
    for path in args.files:
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    confusion: Counter[tuple[str, str]] = Counter()
    by_kind: dict[str, Counter[bool]] = defaultdict(Counter)
    misses = []
    for row in rows:
        expected = row["expected_verdict"].strip()
        link = verdict(row["domain"], row["official"].split())
        confusion[(expected, link.verdict)] += 1
        by_kind[row["kind"]][link.verdict == expected] += 1
        if link.verdict != expected:
            misses.append((row["domain"], row["official"], expected, link.verdict, link.reason))

    true_positive = confusion[(LOOKALIKE, LOOKALIKE)]
    flagged = sum(confusion[(e, LOOKALIKE)] for e in VERDICTS)
    actual = sum(confusion[(LOOKALIKE, v)] for v in VERDICTS)
    official_wrong = sum(confusion[(OFFICIAL, v)] for v in (LOOKALIKE, OTHER))
    official_as_lookalike = confusion[(OFFICIAL, LOOKALIKE)]
    print(f"{len(rows)} rows: {actual} lookalikes, {sum(confusion[(OFFICIAL, v)] for v in VERDICTS)} official")
    print(f"lookalike precision {_ratio(true_positive, flagged)}")
    print(f"lookalike recall    {_ratio(true_positive, actual)}")
    print(f"official misflagged: {official_wrong} (as lookalike: {official_as_lookalike})")
    print("\nexpected \\ verdict " + " ".join(f"{v:>9}" for v in VERDICTS))
    for expected in VERDICTS:
        print(f"{expected:>18} " + " ".join(f"{confusion[(expected, v)]:>9}" for v in VERDICTS))
    print("\nper kind: right/total")
    for kind in sorted(by_kind):
        right, total = by_kind[kind][True], sum(by_kind[kind].values())
        print(f"  {kind:<20} {right}/{total}")
    if args.misses:
        print("\nmisses (domain, official, expected, verdict, reason):")
        for miss in misses:
            print("  " + " | ".join(miss))
    return 1 if official_as_lookalike else 0


if __name__ == "__main__":
    sys.exit(main())
