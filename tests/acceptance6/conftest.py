"""One two-host lab for the issue-6 tests, set up once by the recipe and restored from a snapshot before each use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.acceptance4.lab import Lab
from tests.acceptance6.lab6 import restore6, start_lab6


@pytest.fixture(name="lab6_once", scope="session")
def _lab6_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = start_lab6(tmp_path_factory.mktemp("acceptance6"))
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(name="lab6")
def _lab6(lab6_once: Lab) -> Lab:
    """The lab as the recipe left it (both hosts restored, no faults, VM01 not replicated)."""
    restore6(lab6_once)
    return lab6_once
