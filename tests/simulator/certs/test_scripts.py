"""The recipe's certificate steps as PowerShell scripts through the interpreter, on two hosts."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.core.host import Host
from simulator.ps.runner import run_script
from simulator.services.certs import store
from tests.conftest import DEFAULT_TOPOLOGY, make_host

SECRET = "ConvertTo-SecureString -String 'Repl1ca!' -AsPlainText -Force"
RECIPE_LINE = 'New-SelfSignedCertificate -DnsName "{}" -CertStoreLocation cert:\\LocalMachine\\My -TestRoot'
MAKE_CERTS = "\n".join(
    [
        "$prim = " + RECIPE_LINE.format("hyper-v-prim.test.net"),
        "$repl = " + RECIPE_LINE.format("hyper-v-repl.test.net"),
        "@{ prim = $prim.Thumbprint; repl = $repl.Thumbprint; ca = @(Get-ChildItem Cert:\\LocalMachine\\CA).Count }"
        " | ConvertTo-Json -Compress",
    ]
)
TRUST_ROOT = "\n".join(
    [
        "$root = Get-ChildItem -Path Cert:\\LocalMachine\\CA |"
        " Where-Object { $_.Subject -eq 'CN=CertReq Test Root, OU=For Test Purposes Only' }",
        "Move-Item -Path ('Cert:\\LocalMachine\\CA\\' + $root.Thumbprint) -Destination Cert:\\LocalMachine\\Root",
        "Export-Certificate -Cert ('Cert:\\LocalMachine\\Root\\' + $root.Thumbprint) -FilePath C:\\root.cer -Type CERT"
        " | Out-Null",
        "@{ root = @(Get-ChildItem Cert:\\LocalMachine\\Root).Count;"
        " ca = @(Get-ChildItem Cert:\\LocalMachine\\CA).Count } | ConvertTo-Json -Compress",
    ]
)


def _json(host: Host, script: str) -> object:
    result = run_script(host, script)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _copy(source: Host, target: Host, path: str) -> None:
    target.real_path(path).write_bytes(source.real_path(path).read_bytes())


def test_recipe_certificates_end_to_end(sim_host: Host, tmp_path: Path) -> None:
    replica = make_host(tmp_path / "replica", {**DEFAULT_TOPOLOGY, "name": "Hyper-v-repl"})
    made = _json(sim_host, MAKE_CERTS)
    assert isinstance(made, dict)
    assert made["ca"] == 1
    moved = _json(sim_host, TRUST_ROOT)
    assert moved == {"root": 1, "ca": 0}
    exported = run_script(
        sim_host,
        f"""
        $password = {SECRET}
        Get-Item ('Cert:\\LocalMachine\\My\\' + '{made["repl"]}') |
            Export-PfxCertificate -FilePath C:\\repl.pfx -ChainOption EndEntityCertOnly -Password $password | Out-Null
    """,
    )
    assert exported.exit_code == 0, exported.stderr
    for path in ("C:\\repl.pfx", "C:\\root.cer"):
        _copy(sim_host, replica, path)
    imported = _json(
        replica,
        f"""
        $password = {SECRET}
        $cert = Import-PfxCertificate -FilePath C:\\repl.pfx -CertStoreLocation Cert:\\LocalMachine\\My `
            -Password $password
        $root = Import-Certificate -FilePath C:\\root.cer -CertStoreLocation Cert:\\LocalMachine\\Root
        @{{ thumbprint = $cert.Thumbprint; key = $cert.HasPrivateKey; root = $root.Subject
           eku = @($cert.EnhancedKeyUsageList | ForEach-Object {{ [string]$_.ObjectId }}) }} | ConvertTo-Json -Compress
    """,
    )
    assert imported == {
        "thumbprint": made["repl"],
        "key": True,
        "root": "CN=CertReq Test Root, OU=For Test Purposes Only",
        "eku": ["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"],
    }
    entry = store.find_certificate(replica, str(made["repl"]))
    assert entry is not None
    assert store.usable_for_replication(entry, replica.clock.now()) == []


def test_crypto_algorithm_option_is_a_binder_error_on_2016(sim_host: Host) -> None:
    result = run_script(
        sim_host,
        f"""
        $c = New-SelfSignedCertificate -DnsName a.test.net -CertStoreLocation Cert:\\LocalMachine\\My
        Export-PfxCertificate -Cert $c -FilePath C:\\a.pfx -Password ({SECRET}) -CryptoAlgorithmOption AES256_SHA256
    """,
    )
    assert result.exit_code == 1
    assert "A parameter cannot be found that matches parameter name 'CryptoAlgorithmOption'." in result.stderr
    assert "NamedParameterNotFound" in result.stderr
    assert not sim_host.real_path("C:\\a.pfx").exists()


def test_copy_item_on_the_certificate_provider_is_refused(sim_host: Host) -> None:
    result = run_script(
        sim_host,
        """
        $c = New-SelfSignedCertificate -DnsName a.test.net -CertStoreLocation Cert:\\LocalMachine\\My
        Copy-Item -Path ('Cert:\\LocalMachine\\My\\' + $c.Thumbprint) -Destination Cert:\\LocalMachine\\Root
    """,
    )
    assert "Provider operation stopped because the provider does not support this operation." in result.stderr
    assert store.list_certificates(sim_host, "Root") == []


def test_certutil_through_the_interpreter(sim_host: Host) -> None:
    result = run_script(
        sim_host,
        """
        New-SelfSignedCertificate -DnsName a.test.net -CertStoreLocation Cert:\\LocalMachine\\My | Out-Null
        certutil -store my
    """,
    )
    assert result.exit_code == 0, result.stderr
    assert "Encryption test passed" in result.stdout
