"""The docker backend: each lab host a container on a dedicated network (placeholder until implemented)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hvrepl.lab.labfile import LabError


def start(directory: Path, topology: dict[str, Any]) -> dict[str, Any]:
    """Start one container per host; returns the lab document."""
    raise LabError("the docker backend is not available yet; use --backend process")


def stop(document: dict[str, Any]) -> list[str]:
    """Stop the lab's containers."""
    raise LabError("the docker backend is not available yet")
