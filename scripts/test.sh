#!/usr/bin/env bash
# Set up (Debian packages, .venv) and run the whole test suite, lint and type checks.
# The integration tests start their own Dovecot and SMTP server on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
bash scripts/setup-python.sh
.venv/bin/ruff check inboxd testbed tests benchmarks scripts
.venv/bin/mypy
.venv/bin/pytest "$@"
