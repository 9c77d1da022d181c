"""The daemon's main process imports the libraries of optional features only when they are
configured: httpx for [[notify]] receivers, holidays for a calendar's holiday markets, dkimpy
(with dnspython) for `verify_dkim`. Together ~18 MiB of a process that runs for months."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_optional_libraries_are_not_imported_by_a_daemon_that_does_not_use_them() -> None:
    code = (
        "import sys; from pathlib import Path; from inboxd import compose; "
        f"app = compose.load_app(Path({str(ROOT / 'config.toml')!r}), with_model=False); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'holidays', 'dkim', 'dns'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip().splitlines()[-1] == "[]"
