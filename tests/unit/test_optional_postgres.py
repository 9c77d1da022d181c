"""psycopg is the extra `inboxd[postgres]`: without it a postgresql:// store is a clear StoreError.

SQLite, the default, must not need the driver at all; a PostgreSQL store configured on a host
that installed plain `inboxd` must say what to install instead of ending in a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inboxd.errors import StoreError
from inboxd.store import Store


@pytest.fixture
def without_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import psycopg` raise ImportError, as on a host without the extra;
    # the store's PostgreSQL module is dropped so that it is imported (and fails) afresh.
    for name in [n for n in sys.modules if n == "psycopg" or n.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "inboxd.store.postgres", raising=False)


@pytest.mark.usefixtures("without_psycopg")
def test_a_postgres_store_without_psycopg_says_which_extra_to_install() -> None:
    with pytest.raises(StoreError, match=r"pip install 'inboxd\[postgres\]'"):
        Store("postgresql://inboxd@127.0.0.1:1/inboxd")


@pytest.mark.usefixtures("without_psycopg")
def test_a_sqlite_store_needs_no_psycopg(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite3")
    store.close()
    assert "inboxd.store.postgres" not in sys.modules
