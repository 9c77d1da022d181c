"""Fixtures the integration tests of one subject share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testbed.dovecot import Dovecot
from tests.console_site import Site, make_site


@pytest.fixture(scope="module")
def console_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, dovecot: Dovecot
) -> Iterator[Site]:
    """The console's mailbox after a real poll (tests/console_site.py), one per test module: the
    console tests correct, train and promote in it, so no module sees another's changes."""
    built = make_site(tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2]), dovecot)
    yield built
    built.sink.stop()
