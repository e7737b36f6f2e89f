"""Test-VMReplicationConnection through PowerShell (helper A's runner) over the real transport.

The scripts are the recipe's own commands; each failure shows up as the script's error record with
the Windows HRESULT, and exit code 1, as pywinrm's ``run_ps`` would see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.ps.runner import run_script
from simulator.services.replication import winerrors
from tests.simulator.replication.support import REPLICA_FQDN, Lab, build_lab

SUCCESS = "The connection to the specified Replica server with the specified parameters was successful."


@pytest.fixture(name="lab")
def _lab(tmp_path: Path) -> Iterator[Lab]:
    lab = build_lab(tmp_path)
    yield lab
    lab.stop()


def _test_connection(lab: Lab) -> tuple[int, str, str]:
    script = (f"Test-VMReplicationConnection -ReplicaServerName '{REPLICA_FQDN}' -ReplicaServerPort 443 "
              f"-AuthenticationType Certificate -CertificateThumbprint '{lab.primary_tp}'")
    result = run_script(lab.primary, script)
    return result.exit_code, result.stdout, result.stderr


def test_connection_test_succeeds(lab: Lab) -> None:
    """The documented success sentence on stdout, exit code 0."""
    code, stdout, _stderr = _test_connection(lab)
    assert (code, stdout.strip()) == (0, SUCCESS)


def test_firewall_rule_disabled_by_script(lab: Lab) -> None:
    """Disable-NetFirewallRule on the replica -> 0x00002EFD in the primary's error; enabling it again fixes it."""
    display = "Hyper-V Replica HTTPS Listener (TCP-In)"
    assert run_script(lab.replica, f"Disable-NetFirewallRule -DisplayName '{display}'").exit_code == 0
    code, _stdout, stderr = _test_connection(lab)
    assert code == 1
    assert "0x00002EFD" in stderr
    assert run_script(lab.replica, f"Enable-NetFirewallRule -DisplayName '{display}'").exit_code == 0
    assert _test_connection(lab)[0] == 0


def test_root_moved_to_ca_by_script(lab: Lab) -> None:
    """Moving the lab root from Root to CA on the primary -> 0x800B0109 and the certificate event."""
    from simulator.services.certs import store  # noqa: PLC0415

    root_tp = store.thumbprint_of(lab.root.cert)
    moved = run_script(lab.primary, f"Move-Item -Path Cert:\\LocalMachine\\Root\\{root_tp} "
                                    "-Destination Cert:\\LocalMachine\\CA")
    assert moved.exit_code == 0, moved.stderr
    code, _stdout, stderr = _test_connection(lab)
    assert code == 1
    assert "0x800B0109" in stderr
    assert lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)


def test_revocation_check_value_by_script(lab: Lab) -> None:
    """DisableCertRevocationCheck set to 0 by script -> 0x80092012 (no CDP); back to 1 -> success."""
    key = r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"
    on = run_script(lab.primary, f"Set-ItemProperty -Path '{key}' -Name DisableCertRevocationCheck -Value 0 "
                                 "-Type DWord")
    assert on.exit_code == 0, on.stderr
    code, _stdout, stderr = _test_connection(lab)
    assert (code, "0x80092012" in stderr) == (1, True)
    off = run_script(lab.primary, f"Set-ItemProperty -Path '{key}' -Name DisableCertRevocationCheck -Value 1")
    assert off.exit_code == 0, off.stderr
    assert _test_connection(lab)[0] == 0
