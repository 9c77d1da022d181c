#!/usr/bin/env bash
# One command for the demo on a fresh machine: install what it needs, then start a local
# Dovecot and SMTP sink, load sample mails, run one poll and show what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
bash scripts/setup-python.sh
.venv/bin/python scripts/demo.py "$@"
