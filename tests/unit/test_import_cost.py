"""The daemon's main process imports the libraries of optional features only when they are
configured: httpx for [[notify]] receivers, holidays for a calendar's holiday markets, dkimpy
(with dnspython) for `verify_dkim`. Together ~18 MiB of a process that runs for months."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, write_config


def test_optional_libraries_are_not_imported_by_a_daemon_that_does_not_use_them(tmp_path: Path) -> None:
    config = write_config(tmp_path, model_path=tmp_path / "model.npz")  # not read: with_model=False
    code = (
        "import sys; from pathlib import Path; from inboxd import compose; "
        f"app = compose.load_app(Path({str(config)!r}), with_model=False); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'holidays', 'dkim', 'dns'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
