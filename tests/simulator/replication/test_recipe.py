"""The Microsoft recipe (fact sheet §9) in PowerShell on two in-process hosts, ending in a real TLS connection.

Certificates come from New-SelfSignedCertificate -TestRoot (helper D's RSA keys and defaults), move
between hosts as PFX and CER files, and the connection test runs over the transport's mutual TLS.
The steps left out one at a time give the recipe's classic failures.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from simulator.core.host import Host
from simulator.ps.runner import run_script
from simulator.services import replication
from tests.conftest import make_host
from tests.simulator.replication.support import PRIMARY_FQDN, REPLICA_FQDN, TOPOLOGIES

SUCCESS = "The connection to the specified Replica server with the specified parameters was successful."
HOSTS_LINES = f"192.168.101.209 {PRIMARY_FQDN}`r`n192.168.101.213 {REPLICA_FQDN}"
REVOCATION = (r"New-Item -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication' "
              r"-Force | Out-Null; New-ItemProperty -Path "
              r"'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication' "
              r"-Name DisableCertRevocationCheck -Value 1 -PropertyType DWord -Force | Out-Null")


def _ps(host: Host, script: str) -> str:
    result = run_script(host, script)
    assert result.exit_code == 0, f"{script}\n{result.stderr}"
    return result.stdout.strip()


class Recipe(SimpleNamespace):
    """The two hosts and the thumbprints the recipe produced."""

    primary: Host
    replica: Host
    primary_tp: str
    replica_tp: str


@pytest.fixture(name="recipe")
def _recipe(tmp_path: Path) -> Iterator[Recipe]:
    primary = make_host(tmp_path / "prim", TOPOLOGIES["primary"])
    replica = make_host(tmp_path / "repl", TOPOLOGIES["replica"])
    for host in (primary, replica):
        _ps(host, f"Add-Content -Path C:\\Windows\\System32\\drivers\\etc\\hosts -Value \"{HOSTS_LINES}\"")
    new_cert = ("(New-SelfSignedCertificate -DnsName '{}' -CertStoreLocation cert:\\LocalMachine\\My "
                "-TestRoot).Thumbprint")
    primary_tp = _ps(primary, new_cert.format(PRIMARY_FQDN))
    replica_tp = _ps(primary, new_cert.format(REPLICA_FQDN))
    root_tp = _ps(primary, "(Get-ChildItem Cert:\\LocalMachine\\CA | Where-Object { $_.Subject -like "
                           "'CN=CertReq Test Root*' }).Thumbprint")
    _ps(primary, f"Move-Item -Path Cert:\\LocalMachine\\CA\\{root_tp} -Destination Cert:\\LocalMachine\\Root")
    _ps(primary, "$pw = ConvertTo-SecureString -String 'Pa55-word' -Force -AsPlainText; "
                 f"Export-PfxCertificate -Cert Cert:\\LocalMachine\\My\\{replica_tp} -FilePath C:\\repl.pfx "
                 "-ChainOption EndEntityCertOnly -Password $pw | Out-Null; "
                 f"Export-Certificate -Cert Cert:\\LocalMachine\\Root\\{root_tp} -FilePath C:\\root.cer | Out-Null")
    for name in ("repl.pfx", "root.cer"):  # the administrator copies the files across
        shutil.copy(primary.real_path(f"C:\\{name}"), replica.real_path(f"C:\\{name}"))
    _ps(replica, "$pw = ConvertTo-SecureString -String 'Pa55-word' -Force -AsPlainText; "
                 "Import-PfxCertificate -FilePath C:\\repl.pfx -CertStoreLocation Cert:\\LocalMachine\\My "
                 "-Password $pw | Out-Null; "
                 "Import-Certificate -FilePath C:\\root.cer -CertStoreLocation Cert:\\LocalMachine\\Root | Out-Null")
    for host in (primary, replica):
        _ps(host, REVOCATION)
    _ps(replica, "Enable-NetFirewallRule -DisplayName 'Hyper-V Replica HTTPS Listener (TCP-In)'")
    _ps(replica, "New-Item -ItemType Directory -Path D:\\Replica -Force | Out-Null; "
                 "Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Certificate "
                 f"-CertificateThumbprint '{replica_tp}' -CertificateAuthenticationPort 443 "
                 "-ReplicationAllowedFromAnyServer $false; "
                 f"New-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{PRIMARY_FQDN}' "
                 "-ReplicaStorageLocation D:\\Replica -TrustGroup lab | Out-Null")
    lab_file = tmp_path / "lab.json"
    lab_file.write_text('{"hosts": [' + ",".join(
        f'{{"name": "{h.info["name"]}", "virtual_address": "{h.info["virtual_address"]}", "address": "127.0.0.1", '
        f'"state_dir": "{h.state_dir}"}}' for h in (primary, replica)) + "]}")
    for host in (primary, replica):
        replication.on_host_start(host, SimpleNamespace(state_dir=host.state_dir, address="127.0.0.1",
                                                        lab_file=lab_file, ephemeral_ports=True), tick=False)
    yield Recipe(primary=primary, replica=replica, primary_tp=primary_tp, replica_tp=replica_tp)
    for host in (primary, replica):
        replication.on_host_stop(host)


def _test_connection(recipe: Recipe) -> tuple[int, str, str]:
    result = run_script(recipe.primary, f"Test-VMReplicationConnection '{REPLICA_FQDN}' 443 Certificate "
                                        f"'{recipe.primary_tp}'")
    return result.exit_code, result.stdout.strip(), result.stderr


def test_recipe_connects(recipe: Recipe) -> None:
    """The documented recipe ends in a successful connection test (RSA keys from New-SelfSignedCertificate)."""
    assert _test_connection(recipe)[:2] == (0, SUCCESS)


def test_root_not_imported_on_replica(recipe: Recipe) -> None:
    """Without the test root in the replica's Root store the replica refuses the primary (0x800B0109)."""
    root_tp = _ps(recipe.replica, "(Get-ChildItem Cert:\\LocalMachine\\Root | Where-Object { $_.Subject -like "
                                  "'CN=CertReq Test Root*' }).Thumbprint")
    _ps(recipe.replica, f"Remove-Item -Path Cert:\\LocalMachine\\Root\\{root_tp}")
    code, _out, err = _test_connection(recipe)
    assert code == 1
    assert "0x800B0109" in err
