"""Set-/Get-VMReplicationServer: parameter rules, thumbprint checks, firewall port following the listener."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID

from simulator.core.errors import NotModelledError, SimError
from simulator.core.host import Host
from simulator.services.firewall.rules import find_rule
from simulator.services.firewall.rules import initial_state as firewall_initial_state
from tests.simulator.hyperv.certutil import add_host_certificate
from tests.simulator.hyperv.helpers import call

SET = "Set-VMReplicationServer"


def test_defaults(hv_host: Host) -> None:
    [server] = call(hv_host, "Get-VMReplicationServer")
    assert server.get("ReplicationEnabled") is False
    assert server.get("KerberosAuthenticationPort") == 80
    assert server.get("CertificateAuthenticationPort") == 443
    assert server.get("MonitoringInterval") == dt.timedelta(hours=12)
    assert server.get("MonitoringStartTime") == dt.timedelta(hours=9)


def test_certificate_server_happy_path_moves_firewall_port(hv_host: Host) -> None:
    with hv_host.transaction():
        firewall_initial_state(hv_host, {})
    tp = add_host_certificate(hv_host, "hyper-v-prim.test.net")
    [server] = call(hv_host, SET, ReplicationEnabled=True, AllowedAuthenticationType="Certificate",
                    CertificateThumbprint=tp.lower(), CertificateAuthenticationPort=8443,
                    ReplicationAllowedFromAnyServer=False, Passthru=True)
    assert server.get("CertificateThumbprint") == tp
    assert server.get("AllowedAuthenticationType").value == 2
    rule = find_rule(hv_host, "VIRT-HVRHTTPSL-In-TCP-NoScope")
    assert rule is not None and rule["local_port"] == ["8443"]


def test_thumbprint_must_exist_and_be_usable(hv_host: Host) -> None:
    with pytest.raises(SimError, match="was not found") as info:
        call(hv_host, SET, ReplicationEnabled=True, AllowedAuthenticationType="Certificate",
             CertificateThumbprint="AB" * 20)
    assert info.value.message.endswith("(0x80092004).")
    server_only = add_host_certificate(hv_host, "a.test.net", usages=(ExtendedKeyUsageOID.SERVER_AUTH,))
    with pytest.raises(SimError, match="Client Authentication"):
        call(hv_host, SET, AllowedAuthenticationType="Certificate", CertificateThumbprint=server_only)
    no_key = add_host_certificate(hv_host, "b.test.net", with_key=False)
    with pytest.raises(SimError, match="private key"):
        call(hv_host, SET, AllowedAuthenticationType="Certificate", CertificateThumbprint=no_key)
    [server] = call(hv_host, "Get-VMReplicationServer")
    assert server.get("CertificateThumbprint") is None


def test_certificate_auth_needs_thumbprint(hv_host: Host) -> None:
    with pytest.raises(SimError, match="thumbprint is required"):
        call(hv_host, SET, ReplicationEnabled=True, AllowedAuthenticationType="Certificate")


def test_any_server_needs_storage(hv_host: Host) -> None:
    with pytest.raises(SimError, match="DefaultStorageLocation"):
        call(hv_host, SET, ReplicationEnabled=True, AllowedAuthenticationType="Kerberos",
             ReplicationAllowedFromAnyServer=True)
    call(hv_host, SET, ReplicationEnabled=True, AllowedAuthenticationType="Kerberos",
         ReplicationAllowedFromAnyServer=True, DefaultStorageLocation="D:\\Replica")
    [server] = call(hv_host, "Get-VMReplicationServer")
    assert server.get("ReplicationAllowedFromAnyServer") is True
    assert server.get("DefaultStorageLocation") == "D:\\Replica"


def test_cert_port_only_with_certificate_auth(hv_host: Host) -> None:
    with pytest.raises(SimError, match="only when the allowed authentication type is Certificate"):
        call(hv_host, SET, AllowedAuthenticationType="Kerberos", CertificateAuthenticationPort=444)


@pytest.mark.parametrize(("interval", "ok"), [(dt.timedelta(hours=1), True), (dt.timedelta(days=7), True),
                                              (dt.timedelta(hours=5), False), (dt.timedelta(days=8), False),
                                              (dt.timedelta(minutes=90), False)])
def test_monitoring_interval_allowed_values(hv_host: Host, interval: dt.timedelta, ok: bool) -> None:
    if ok:
        call(hv_host, SET, MonitoringInterval=interval)
        assert call(hv_host, "Get-VMReplicationServer")[0].get("MonitoringInterval") == interval
    else:
        with pytest.raises(SimError, match="monitoring interval"):
            call(hv_host, SET, MonitoringInterval=interval)


def test_port_mappings_not_modelled(hv_host: Host) -> None:
    with pytest.raises(NotModelledError, match=r"^not modelled.*-CertificateAuthenticationPortMapping"):
        call(hv_host, SET, CertificateAuthenticationPortMapping={"a": 1})
