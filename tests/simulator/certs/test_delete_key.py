"""Remove-Item on Cert: leaves the private key on the machine unless -DeleteKey is given (Windows PowerShell
5.1, about_Certificate_Provider); -DeleteKey is the Certificate provider's dynamic parameter only."""

from __future__ import annotations

from simulator.core.host import Host
from simulator.ps.runner import run_script
from simulator.services.certs import store

MAKE = ("$c = New-SelfSignedCertificate -DnsName 'k.test.net' -CertStoreLocation Cert:\\LocalMachine\\My; "
        "$c.Thumbprint")


def _make(host: Host) -> str:
    result = run_script(host, MAKE)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def test_without_delete_key_the_private_key_stays_behind(sim_host: Host) -> None:
    thumbprint = _make(sim_host)
    assert run_script(sim_host, f"Remove-Item -Path Cert:\\LocalMachine\\My\\{thumbprint}").exit_code == 0
    assert store.find_certificate(sim_host, thumbprint) is None
    assert store.orphaned_keys(sim_host) == [thumbprint]


def test_delete_key_removes_the_certificate_and_its_key(sim_host: Host) -> None:
    thumbprint = _make(sim_host)
    assert run_script(sim_host, f"Remove-Item -Path Cert:\\LocalMachine\\My\\{thumbprint} -DeleteKey").exit_code == 0
    assert store.find_certificate(sim_host, thumbprint) is None
    assert store.orphaned_keys(sim_host) == []


def test_delete_key_is_not_a_parameter_outside_cert_paths(sim_host: Host) -> None:
    run_script(sim_host, "Set-Content -Path C:\\f.txt -Value x")
    result = run_script(sim_host, "Remove-Item -Path C:\\f.txt -DeleteKey")
    assert result.exit_code != 0
    assert "A parameter cannot be found that matches parameter name 'DeleteKey'." in result.stderr
    assert run_script(sim_host, "Test-Path C:\\f.txt").stdout.strip() == "True"  # nothing was deleted
