"""`python -m benchmarks.data.extraction.gen [--out DIR]`: (re)write the corpus, by default in place."""

from __future__ import annotations

import argparse
from pathlib import Path

from .build import generate

parser = argparse.ArgumentParser(description="Write the extraction corpus: mails/NNN.eml and labels.jsonl.")
parser.add_argument(
    "--out", type=Path, default=Path(__file__).resolve().parents[1], help="default: benchmarks/data/extraction"
)
args = parser.parse_args()
count = generate(args.out)
print(f"wrote {count} messages to {args.out / 'mails'}")
