#!/usr/bin/env bash
# Create .venv and install inboxd with its development extras and the PostgreSQL driver
# (the extra `postgres`: the tests run the store on PostgreSQL too). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev,postgres]'
