#!/usr/bin/env python3
"""Map the Banking77 training split onto inboxd's categories and write it as examples.

Reads ../shared/data/banking77/{train.csv,category_map.csv} (or --data DIR) and writes
classifiers/examples/banking77_en.csv (text,category,intent): the intent column keeps
the original Banking77 intent, which the model learns as a finer label inside the category. Banking77 is CC-BY-4.0
(Casanueva et al. 2020, https://arxiv.org/abs/2003.04807); the attribution is kept in
classifiers/examples/ATTRIBUTION.md. The official test split is not used.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "banking77")
    parser.add_argument("--out", type=Path, default=ROOT / "classifiers" / "examples" / "banking77_en.csv")
    args = parser.parse_args()
    with (args.data / "category_map.csv").open(encoding="utf-8", newline="") as handle:
        mapping = {row["intent"]: row["category"] for row in csv.DictReader(handle)}
    rows = []
    with (args.data / "train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append((row["text"].strip(), mapping[row["category"]], row["category"]))
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category", "intent"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
