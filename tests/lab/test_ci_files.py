"""The ci/ files users copy: the example workflow's hvrepl commands exist with those flags, and the lab
Dockerfile copies only what the repository has and runs modules that exist."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml

from hvrepl.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "ci" / "github-actions-example.yml"


def _hvrepl_commands() -> list[str]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    lines = [line.strip() for job in workflow["jobs"].values() for step in job["steps"]
             for line in str(step.get("run", "")).splitlines()]
    commands = [line.split("#", 1)[0].strip() for line in lines if line.startswith("hvrepl ")]
    commands += [m.group(1) for line in lines for m in re.finditer(r"'(hvrepl [^']+)'", line)]  # inside a trap
    return commands


def test_the_workflow_runs_the_demo_scenarios_and_a_docker_lab() -> None:
    """The example covers what users need: demo, their plan on a lab, scenarios with reports, docker."""
    commands = " | ".join(_hvrepl_commands())
    for expected in ("hvrepl demo", "hvrepl scenario run", "--junit", "--backend docker", "hvrepl lab --state-dir"):
        assert expected in commands


@pytest.mark.parametrize("command", _hvrepl_commands())
def test_every_hvrepl_command_of_the_example_workflow_parses(command: str) -> None:
    """Each `hvrepl …` line of the workflow is accepted by the real parser (a renamed flag fails here)."""
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.command == shlex.split(command)[1]


def test_dockerfile_copies_what_exists_and_runs_real_modules() -> None:
    """COPY sources exist in the repository; the modules the image checks and the lab runs exist."""
    text = (ROOT / "ci" / "Dockerfile").read_text(encoding="utf-8")
    copied = [word for line in text.splitlines() if line.startswith("COPY ") for word in line.split()[1:-1]]
    assert copied and all((ROOT / name).exists() for name in copied), copied
    modules = re.findall(r"import ([\w.]+(?:, [\w.]+)*)", text)
    names = [m.strip() for group in modules for m in group.split(",")]
    assert "hvrepl.lab.container_entry" in names
    assert all(importlib.util.find_spec(name) is not None for name in names), names
    assert re.search(r"^EXPOSE .*\b5986\b.*\b443\b", text, re.MULTILINE)
