"""A walkthrough lab shared by the lab tests of one module (started once, reset between tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hvrepl.lab.lab import Lab


@pytest.fixture(scope="module")
def module_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The default two-host lab, up for the whole module."""
    lab = Lab.up(tmp_path_factory.mktemp("lab"), ports="mapped")
    try:
        yield lab
    finally:
        lab.down()


@pytest.fixture
def lab(module_lab: Lab) -> Lab:
    """The module's lab, back to its state right after `lab up`."""
    module_lab.reset()
    return module_lab
