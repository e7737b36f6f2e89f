"""Issue 4, one test per failure mode: the error (HRESULT, error id, text) on the right host, and its event.

Every action goes through pywinrm; faults that Windows has no API for (a cut link, a revoked certificate,
the clock) go through the control plane. The error is asserted where the command ran, the
Hyper-V-VMMS-Admin event (read with Get-WinEvent) on the host that detected the failure.
"""

from __future__ import annotations

import pytest

from tests.acceptance4.checks import assert_error, assert_event, enable, replication, vm_names, vmms_events
from tests.acceptance4.lab import (
    HOSTS_FILE,
    HTTPS_RULE_DISPLAY,
    PRIMARY,
    PRIMARY_FQDN,
    REPLICA,
    REPLICA_FQDN,
    REPLICA_VIRTUAL,
    REVOCATION_KEY,
    STORAGE,
    Lab,
)
from tests.acceptance4.pki import install_primary_cert_with_cdp

pytestmark = pytest.mark.slow  # a two-process lab behind every test

ENABLE_FQID = "Microsoft.HyperV.PowerShell.Commands.EnableVMReplication"
ENABLE_FAILED = 32000
REPLICA_AUTH_FAILED = 29212  # primary: the replica's certificate failed a check (simulator's id)
CONNECT_FAILED = 29216  # primary: name not resolved / cannot connect (simulator's id)
PRIMARY_AUTH_FAILED = 29230  # replica: the primary's certificate failed a check (simulator's id)
NOT_AUTHORIZED = 29232  # replica: no authorization entry matches the primary (simulator's id)
ONE_YEAR_PLUS_A_DAY = 366 * 86400


def _new_primary_cert(lab: Lab, extra: str, dns: str = PRIMARY_FQDN) -> str:
    """Another -TestRoot certificate on the primary (same trusted root); its thumbprint."""
    return lab.ok(PRIMARY, f"(New-SelfSignedCertificate -DnsName '{dns}' -CertStoreLocation Cert:\\LocalMachine\\My "
                           f"-TestRoot {extra}).Thumbprint")


def _assert_not_enabled(lab: Lab) -> None:
    assert "VM01" not in vm_names(lab, REPLICA)


def test_listener_down_replica_not_enabled(lab: Lab) -> None:
    """Replica server role off on the replica -> nothing accepts on 443: 0x00002EFD, event on the primary."""
    lab.ok(REPLICA, "Set-VMReplicationServer -ReplicationEnabled $false")
    result = enable(lab)
    assert_error(result, "0x00002EFD", f"ERROR_WINHTTP_CANNOT_CONNECT,{ENABLE_FQID}",
                 f"Hyper-V failed to connect to the Replica server '{REPLICA_FQDN}'")
    assert_event(lab, PRIMARY, {CONNECT_FAILED, ENABLE_FAILED}, "(0x00002EFD)")
    assert not any("_ssl.c" in e["Message"] for e in vmms_events(lab, PRIMARY))
    _assert_not_enabled(lab)


def test_listener_down_firewall_rule_off(lab: Lab) -> None:
    """The replica's HTTPS listener rule disabled -> 0x00002EFD on the primary, event there."""
    lab.ok(REPLICA, f"Disable-NetFirewallRule -DisplayName '{HTTPS_RULE_DISPLAY}'")
    result = enable(lab)
    assert_error(result, "0x00002EFD", f"ERROR_WINHTTP_CANNOT_CONNECT,{ENABLE_FQID}",
                 "A connection with the server could not be established")
    assert "_ssl.c" not in result.err and "[SSL:" not in result.err, "no Python/OpenSSL text in a Windows error"
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "(0x00002EFD)")
    _assert_not_enabled(lab)


def test_test_root_only_in_ca_on_replica(lab: Lab) -> None:
    """The primary's test root moved from Root to CA on the replica -> the replica refuses it (0x800B0109)."""
    lab.ok(REPLICA, f"Move-Item -Path Cert:\\LocalMachine\\Root\\{lab.roots[PRIMARY]} "
                    "-Destination Cert:\\LocalMachine\\CA")
    result = enable(lab)
    assert_error(result, "0x800B0109", f"CERT_E_UNTRUSTEDROOT,{ENABLE_FQID}",
                 f"The Replica server '{REPLICA_FQDN}' failed to authenticate this primary server")
    assert_event(lab, REPLICA, {PRIMARY_AUTH_FAILED}, "(0x800B0109)")
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "(0x800B0109)")
    _assert_not_enabled(lab)


def test_missing_client_authentication_eku(lab: Lab) -> None:
    """A primary certificate with only Server Authentication: the primary refuses to use it (0x800B0110)."""
    server_only = _new_primary_cert(lab, "-TextExtension @('2.5.29.37={text}1.3.6.1.5.5.7.3.1')")
    result = enable(lab, thumbprint=server_only)
    assert_error(result, "0x800B0110", f"InvalidParameter,{ENABLE_FQID}", "Client Authentication (1.3.6.1.5.5.7.3.2)")
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "(0x800B0110)")
    _assert_not_enabled(lab)


def test_name_mismatch(lab: Lab) -> None:
    """The replica server presents a certificate for another name -> the primary refuses it (0x800B010F)."""
    other = lab.ok(REPLICA, "(New-SelfSignedCertificate -DnsName 'other.test.net' "
                            "-CertStoreLocation Cert:\\LocalMachine\\My -TestRoot).Thumbprint")
    lab.ok(REPLICA, f"Set-VMReplicationServer -CertificateThumbprint '{other}'")
    result = enable(lab)
    assert_error(result, "0x800B010F", f"CERT_E_CN_NO_MATCH,{ENABLE_FQID}",
                 f"Hyper-V failed to authenticate the Replica server '{REPLICA_FQDN}'")
    assert_event(lab, PRIMARY, {REPLICA_AUTH_FAILED}, "(0x800B010F)")
    _assert_not_enabled(lab)


def test_expired_after_a_year(lab: Lab) -> None:
    """Replicating VM01, then 366 days later both one-year certificates are expired: 0x800B0101, health Critical."""
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    assert replication(lab, PRIMARY)["State"] == "Replicating"
    lab.advance(ONE_YEAR_PLUS_A_DAY)
    status = replication(lab, PRIMARY)
    assert status["Health"] == "Critical", status
    assert_event(lab, PRIMARY, {REPLICA_AUTH_FAILED, 32022, 32315}, "(0x800B0101)")


def test_expired_local_certificate_hresult(lab: Lab) -> None:
    """After 366 days Test-VMReplicationConnection refuses the primary's own expired certificate with 0x800B0101."""
    lab.advance(ONE_YEAR_PLUS_A_DAY)
    result = lab.ps(PRIMARY, f"Test-VMReplicationConnection '{REPLICA_FQDN}' 443 Certificate "
                             f"'{lab.thumbprints[PRIMARY]}'")
    assert_error(result, "0x800B0101", "InvalidParameter,Microsoft.HyperV.PowerShell.Commands."
                 "TestVMReplicationConnection", "the certificate has expired")


def test_expired_primary_certificate_refuses_enable(lab: Lab) -> None:
    """366 days on, Enable-VMReplication refuses the primary's own one-year certificate (0x800B0101)."""
    lab.advance(ONE_YEAR_PLUS_A_DAY)
    result = enable(lab)
    assert_error(result, "0x800B0101", f"InvalidParameter,{ENABLE_FQID}", "the certificate has expired")
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "(0x800B0101)")
    _assert_not_enabled(lab)


def test_revocation_offline_unless_disabled(lab: Lab) -> None:
    """DisableCertRevocationCheck=0 on the replica -> the test root's certificates cannot be checked."""
    lab.ok(REPLICA, f"Set-ItemProperty -Path '{REVOCATION_KEY}' -Name DisableCertRevocationCheck -Value 0")
    result = enable(lab)
    assert_error(result, "0x80092012", f"CRYPT_E_NO_REVOCATION_CHECK,{ENABLE_FQID}",
                 "The revocation function was unable to check revocation")
    assert_event(lab, REPLICA, {PRIMARY_AUTH_FAILED}, "(0x8009201")
    _assert_not_enabled(lab)
    lab.ok(REPLICA, "reg add \"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Replication\" "
                    "/v DisableCertRevocationCheck /t REG_DWORD /d 1 /f")
    assert enable(lab).status == 0


def test_revoked_certificate(lab: Lab) -> None:
    """A primary certificate with a lab CRL: accepted, then revoked in the replica's view -> 0x80092010."""
    thumb = install_primary_cert_with_cdp(lab, PRIMARY, REPLICA, PRIMARY_FQDN)
    lab.ok(REPLICA, f"Set-ItemProperty -Path '{REVOCATION_KEY}' -Name DisableCertRevocationCheck -Value 0")
    accepted = lab.ps(PRIMARY, f"Test-VMReplicationConnection '{REPLICA_FQDN}' 443 Certificate '{thumb}'")
    assert accepted.status == 0, accepted.err
    lab.control(REPLICA, "replication/certificates/revoke", {"thumbprint": thumb})
    result = enable(lab, thumbprint=thumb)
    assert_error(result, "0x80092010", f"CRYPT_E_REVOKED,{ENABLE_FQID}",
                 f"The Replica server '{REPLICA_FQDN}' failed to authenticate this primary server")
    assert_event(lab, REPLICA, {PRIMARY_AUTH_FAILED}, "(0x80092010)")
    _assert_not_enabled(lab)


def test_unresolvable_name(lab: Lab) -> None:
    """No hosts entry for the replica on the primary -> 0x00002EE7, event on the primary."""
    lab.ok(PRIMARY, f"Set-Content -Path {HOSTS_FILE} -Value '# no entries'")
    result = enable(lab)
    assert_error(result, "0x00002EE7", f"ERROR_WINHTTP_NAME_NOT_RESOLVED,{ENABLE_FQID}",
                 "The server name or address could not be resolved")
    assert_event(lab, PRIMARY, {CONNECT_FAILED, ENABLE_FAILED}, "(0x00002EE7)")
    _assert_not_enabled(lab)


def test_not_authorized_then_wildcard_authorizes(lab: Lab) -> None:
    """No authorization entry for the primary -> refused on the replica; ``*.test.net`` then authorizes it."""
    lab.ok(REPLICA, f"Remove-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{PRIMARY_FQDN}'")
    result = enable(lab)
    assert_error(result, "0x80070005", f"E_ACCESSDENIED,{ENABLE_FQID}", "not authorized")
    assert_event(lab, REPLICA, {NOT_AUTHORIZED}, PRIMARY_FQDN)
    _assert_not_enabled(lab)
    lab.ok(REPLICA, f"New-VMReplicationAuthorizationEntry -AllowedPrimaryServer '*.test.net' "
                    f"-ReplicaStorageLocation {STORAGE} -TrustGroup lab | Out-Null")
    assert enable(lab).status == 0
    assert "VM01" in vm_names(lab, REPLICA)


def test_network_cut(lab: Lab) -> None:
    """The link cut (control plane, both ends) -> 0x00002EFD on the primary, event there."""
    for host, peer in ((PRIMARY, REPLICA_VIRTUAL), (REPLICA, "*")):
        lab.control(host, "replication/network/cut", {"peer": peer})
    result = enable(lab)
    assert_error(result, "0x00002EFD", f"ERROR_WINHTTP_CANNOT_CONNECT,{ENABLE_FQID}",
                 "A connection with the server could not be established")
    assert_event(lab, PRIMARY, {CONNECT_FAILED, ENABLE_FAILED}, "(0x00002EFD)")
    _assert_not_enabled(lab)


def test_checkpoints_refuse_enable(lab: Lab) -> None:
    """VM02 has a checkpoint: Enable-VMReplication refuses it; nothing is created on the replica."""
    result = enable(lab, "VM02")
    assert_error(result, "0x80004005", f"InvalidOperation,{ENABLE_FQID}", "checkpoints")
    assert "VM02" not in vm_names(lab, REPLICA)
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "VM02")


@pytest.mark.parametrize("frequency", [60, 299, 600])
def test_frequency_not_30_300_900(lab: Lab, frequency: int) -> None:
    """A frequency inside the binding range but not 30/300/900 is refused by Hyper-V (0x80070057)."""
    result = enable(lab, extra=f"-ReplicationFrequencySec {frequency}")
    assert_error(result, "0x80070057", f"InvalidParameter,{ENABLE_FQID}", f"{frequency} seconds is not valid")
    assert "VM01" not in vm_names(lab, REPLICA)
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "(0x80070057)")


@pytest.mark.parametrize("history", [-1, 25])
def test_recovery_history_out_of_range(lab: Lab, history: int) -> None:
    """RecoveryHistory outside 0-24 fails parameter binding: nothing reaches Hyper-V, so no event."""
    result = enable(lab, extra=f"-RecoveryHistory {history}")
    assert result.status == 1
    assert f"FullyQualifiedErrorId : ParameterArgumentValidationError,{ENABLE_FQID}" in result.err, result.err
    assert "Cannot validate argument on parameter 'RecoveryHistory'" in result.err
    assert "VM01" not in vm_names(lab, REPLICA)
    assert vmms_events(lab, PRIMARY) == []


def test_allow_any_server_replaces_entries(lab: Lab) -> None:
    """No entry but ReplicationAllowedFromAnyServer (with its required default location) accepts the primary."""
    lab.ok(REPLICA, f"Remove-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{PRIMARY_FQDN}'")
    refused = lab.ps(REPLICA, "Set-VMReplicationServer -ReplicationAllowedFromAnyServer $true")
    assert refused.status == 1
    assert "(0x80070057)" in refused.err, refused.err
    lab.ok(REPLICA, f"Set-VMReplicationServer -ReplicationAllowedFromAnyServer $true -DefaultStorageLocation {STORAGE}")
    assert enable(lab).status == 0
    assert "VM01" in vm_names(lab, REPLICA)


def test_replica_root_untrusted_on_primary(lab: Lab) -> None:
    """The replica's test root taken out of Root on the primary -> the primary refuses the server (0x800B0109)."""
    lab.ok(PRIMARY, f"Remove-Item -Path Cert:\\LocalMachine\\Root\\{lab.roots[REPLICA]}")
    result = enable(lab)
    assert_error(result, "0x800B0109", f"CERT_E_UNTRUSTEDROOT,{ENABLE_FQID}",
                 f"Hyper-V failed to authenticate the Replica server '{REPLICA_FQDN}'")
    assert_event(lab, PRIMARY, {REPLICA_AUTH_FAILED}, "(0x800B0109)")
    assert not [e for e in vmms_events(lab, REPLICA) if "(0x800B0109)" in e["Message"]], "the replica saw nothing"
    _assert_not_enabled(lab)


def test_missing_server_authentication_eku(lab: Lab) -> None:
    """Client Authentication only: refused as the primary's certificate and as the replica server's (0x800B0110)."""
    client_only = _new_primary_cert(lab, "-TextExtension @('2.5.29.37={text}1.3.6.1.5.5.7.3.2')")
    result = enable(lab, thumbprint=client_only)
    assert_error(result, "0x800B0110", f"InvalidParameter,{ENABLE_FQID}", "Server Authentication (1.3.6.1.5.5.7.3.1)")
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "(0x800B0110)")
    _assert_not_enabled(lab)
    server_cert = lab.ok(REPLICA, f"(New-SelfSignedCertificate -DnsName '{REPLICA_FQDN}' -CertStoreLocation "
                                  "Cert:\\LocalMachine\\My -TestRoot -TextExtension "
                                  "@('2.5.29.37={text}1.3.6.1.5.5.7.3.2')).Thumbprint")
    refused = lab.ps(REPLICA, f"Set-VMReplicationServer -CertificateThumbprint '{server_cert}'")
    assert refused.status == 1
    assert "(0x800B0110)" in refused.err and "Server Authentication" in refused.err, refused.err
    assert "FullyQualifiedErrorId : InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMReplicationServer" \
        in refused.err, refused.err
    assert enable(lab).status == 0, "the replica server kept its good certificate"


def test_unreachable_crl_is_offline_unless_disabled(lab: Lab) -> None:
    """A primary certificate whose CRL point is outside the lab: 0x80092013 on the replica until the check is off."""
    thumb = install_primary_cert_with_cdp(lab, PRIMARY, REPLICA, PRIMARY_FQDN, "http://crl.unreachable.example/a.crl")
    lab.ok(REPLICA, f"Set-ItemProperty -Path '{REVOCATION_KEY}' -Name DisableCertRevocationCheck -Value 0")
    result = enable(lab, thumbprint=thumb)
    assert_error(result, "0x80092013", f"CRYPT_E_REVOCATION_OFFLINE,{ENABLE_FQID}",
                 "the revocation server was offline")
    assert_event(lab, REPLICA, {PRIMARY_AUTH_FAILED}, "(0x80092013)")
    _assert_not_enabled(lab)
    lab.ok(REPLICA, f"Set-ItemProperty -Path '{REVOCATION_KEY}' -Name DisableCertRevocationCheck -Value 1")
    assert enable(lab, thumbprint=thumb).status == 0


def test_listener_down_certificate_removed(lab: Lab) -> None:
    """The replica server's certificate deleted from its My store: no listener, 0x00002EFD on the primary."""
    lab.ok(REPLICA, f"Remove-Item -Path Cert:\\LocalMachine\\My\\{lab.thumbprints[REPLICA]}")
    result = enable(lab)
    assert_error(result, "0x00002EFD", f"ERROR_WINHTTP_CANNOT_CONNECT,{ENABLE_FQID}",
                 "A connection with the server could not be established")
    assert_event(lab, PRIMARY, {CONNECT_FAILED, ENABLE_FAILED}, "(0x00002EFD)")
    _assert_not_enabled(lab)


def test_own_firewall_rule_opens_the_listener(lab: Lab) -> None:
    """With the built-in rule off, an administrator's own inbound rule for TCP 443 opens the listener."""
    lab.ok(REPLICA, f"Disable-NetFirewallRule -DisplayName '{HTTPS_RULE_DISPLAY}'")
    assert enable(lab).status == 1
    lab.ok(REPLICA, "New-NetFirewallRule -DisplayName 'Replica in 443' -Direction Inbound -Protocol TCP "
                    "-LocalPort 443 -Action Allow | Out-Null")
    result = enable(lab)
    assert result.status == 0, result.err
    assert "VM01" in vm_names(lab, REPLICA)


def test_listener_follows_the_certificate_port(lab: Lab) -> None:
    """CertificateAuthenticationPort 8443: at once 443 no longer answers (0x00002EFD) and 8443 does (the rule
    moved with it)."""
    lab.ok(REPLICA, "Set-VMReplicationServer -CertificateAuthenticationPort 8443")
    result = enable(lab)
    assert_error(result, "0x00002EFD", f"ERROR_WINHTTP_CANNOT_CONNECT,{ENABLE_FQID}",
                 "A connection with the server could not be established")
    _assert_not_enabled(lab)
    moved = lab.ps(PRIMARY, f"Enable-VMReplication -VMName VM01 -ReplicaServerName '{REPLICA_FQDN}' "
                            f"-ReplicaServerPort 8443 -AuthenticationType Certificate "
                            f"-CertificateThumbprint '{lab.thumbprints[PRIMARY]}'")
    assert moved.status == 0, moved.err
    rule_port = lab.ok(REPLICA, f"(Get-NetFirewallRule -DisplayName '{HTTPS_RULE_DISPLAY}' | "
                                "Get-NetFirewallPortFilter).LocalPort")
    assert rule_port == "8443"
    assert "VM01" in vm_names(lab, REPLICA)
    lab.restore()  # the snapshot's port 443 is served again at once, not only after the next tick
    back = lab.ps(PRIMARY, f"Test-VMReplicationConnection '{REPLICA_FQDN}' 443 Certificate "
                           f"'{lab.thumbprints[PRIMARY]}'")
    assert back.status == 0, back.err


def test_matching_entry_decides_storage_and_trust_group(lab: Lab) -> None:
    """An exact entry beats a wildcard one (storage location, trust group); a primary now matching only an entry
    of another trust group may not feed the replica VM."""
    lab.ok(REPLICA, f"Remove-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{PRIMARY_FQDN}'; "
                    "New-VMReplicationAuthorizationEntry -AllowedPrimaryServer '*.test.net' "
                    "-ReplicaStorageLocation D:\\Wildcard -TrustGroup wild | Out-Null; "
                    f"New-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{PRIMARY_FQDN}' "
                    "-ReplicaStorageLocation D:\\Exact -TrustGroup exact | Out-Null")
    assert enable(lab).status == 0
    disk = lab.ok(REPLICA, "(Get-VMHardDiskDrive -VMName VM01).Path")
    assert disk.lower().startswith("d:\\exact\\"), disk
    assert lab.ok(REPLICA, "@(Get-VMReplication -TrustGroup exact).Count") == "1"
    assert lab.ok(REPLICA, "@(Get-VMReplication -TrustGroup wild).Count") == "0"
    lab.ok(REPLICA, f"Remove-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{PRIMARY_FQDN}'")
    refused = lab.ps(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    assert refused.status == 1
    assert "(0x80070005)" in refused.err and "another trust group" in refused.err, refused.err
    assert replication(lab, PRIMARY)["State"] == "ReadyForInitialReplication"


def test_not_yet_valid_certificate_until_the_clock_gets_there(lab: Lab) -> None:
    """A primary certificate valid from two days on: refused now (0x800B0101); three simulated days later accepted."""
    future = _new_primary_cert(lab, "-NotBefore (Get-Date).AddDays(2)")
    result = enable(lab, thumbprint=future)
    assert_error(result, "0x800B0101", f"InvalidParameter,{ENABLE_FQID}", "not yet valid")
    assert_event(lab, PRIMARY, {ENABLE_FAILED}, "(0x800B0101)")
    _assert_not_enabled(lab)
    lab.advance(3 * 86400)
    accepted = enable(lab, thumbprint=future)
    assert accepted.status == 0, accepted.err
