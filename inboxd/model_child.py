"""Reading a stored model in a child process, started before this process needs it.

skops audits a model file by importing the whole of scikit-learn first (412 modules,
21 MiB that the daemon would then keep for its whole life), and reading the file peaks
at about twice the model's size. A short-lived child process pays for both: it reads
and audits the file (`classifier.storage._read_stored`) and writes back only the model's
plain arrays, so that this process never imports scikit-learn. It is started as soon as
the config names the model and works while this process reads the other assets. This
module imports neither.

The result comes back pickled over a pipe between two processes of inboxd itself: the
untrusted input is the model file, and skops audits that.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("inboxd.model")

# What `classifier.storage._read_stored` returns: (problem, detail, meta, parts); problem "" when read.
Stored = tuple[str, str, dict[str, Any], Any]

_CHILD = (
    "import pickle, sys; from inboxd.classifier.storage import _read_stored; "
    "sys.stdout.buffer.write(pickle.dumps(_read_stored(sys.argv[1]), protocol=pickle.HIGHEST_PROTOCOL))"
)
TIMEOUT_SECONDS = 600


class ModelRead:
    """One stored model being read by a child process: `wait()` for it, then take its `result()`."""

    def __init__(self, path: Path):
        self.path = path
        self._process: subprocess.Popen[bytes] | None = None
        self._output: bytes | None = None
        self._problem = ""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            self._problem = str(exc)

    def wait(self) -> None:
        """Wait until the child has finished (and its memory is free again)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            out, err = process.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            self._problem = f"no result in {TIMEOUT_SECONDS} s"
            return
        if process.returncode == 0:
            self._output = out
        else:
            lines = err.decode(errors="replace").strip().splitlines()
            self._problem = lines[-1] if lines else f"exit status {process.returncode}"

    def result(self) -> Stored | None:
        """The child's result; None if it gave none (the caller then reads the file itself)."""
        self.wait()
        output, self._output = self._output, None
        if output is not None:
            try:
                stored: Stored = pickle.loads(output)
                return stored
            except (pickle.UnpicklingError, EOFError, ValueError) as exc:
                self._problem = str(exc) or type(exc).__name__
        log.warning(
            "could not read the model in a child process (%s); reading it in this one", self._problem or "read twice"
        )
        return None

    def close(self) -> None:
        """Stop the child if its result is not wanted after all (start-up failed elsewhere)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.communicate()
