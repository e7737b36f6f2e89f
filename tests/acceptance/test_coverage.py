"""Issue 2: SIMULATOR_COVERAGE.md matches what the simulator registers (``python -m simulator coverage --check``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_coverage_file_is_current() -> None:
    done = subprocess.run([sys.executable, "-m", "simulator", "coverage", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (ROOT / "SIMULATOR_COVERAGE.md").read_text(encoding="utf-8")
    for modelled in ("New-SelfSignedCertificate", "Enable-NetFirewallRule", "Import-PfxCertificate", "netsh", "reg"):
        assert modelled in text
