"""One two-host lab for the whole folder, set up once by the recipe and restored from a snapshot before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.acceptance4.lab import Lab, run_recipe, start_lab


@pytest.fixture(name="lab_once", scope="session")
def _lab_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = start_lab(tmp_path_factory.mktemp("acceptance4"))
    try:
        run_recipe(lab)
        yield lab
    finally:
        lab.stop()


@pytest.fixture(name="lab")
def _lab(lab_once: Lab) -> Lab:
    """The lab as the recipe left it (both hosts restored, no faults)."""
    lab_once.restore()
    return lab_once
