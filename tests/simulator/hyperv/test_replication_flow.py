"""VM replication across two in-process hosts: the fact sheet §2.4 happy path, data, failures and events."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID

from simulator.core.errors import ParameterBindingError, SimError
from simulator.core.host import Host
from simulator.services.filesystem import set_capacity
from simulator.services.hyperv import read_guest_data, write_guest_data
from simulator.services.hyperv.blockstream import RECORD_HEADER
from simulator.services.hyperv.disks import BLOCK_SIZE, sparse_copy
from simulator.services.hyperv.scheduler import run_due
from simulator.services.hyperv.state import find_vm
from simulator.services.hyperv.vm_cmdlets import seed_vms
from tests.simulator.hyperv.certutil import add_host_certificate
from tests.simulator.hyperv.conftest import REPLICA_FQDN, Pair
from tests.simulator.hyperv.helpers import FakeSession, call

MIB = 1024 * 1024


def rep_state(host: Host, vm: str = "VM01") -> tuple[str, str, str]:
    [obj] = call(host, "Get-VMReplication", VMName=[vm])
    return (str(obj.get("ReplicationState")), str(obj.get("ReplicationMode")), str(obj.get("ReplicationHealth")))


def events(host: Host, event_id: int) -> list[str]:
    return [e["message"] for e in host.state["events"] if e["id"] == event_id]


def test_happy_path_states_and_data(pair: Pair) -> None:
    payload = bytes(range(256)) * 1024  # 256 KiB over four blocks
    write_guest_data(pair.primary, "VM01", 3 * MIB + 100, payload)
    pair.enable()
    assert rep_state(pair.primary) == ("ReadyForInitialReplication", "Primary", "Warning")
    assert rep_state(pair.replica) == ("WaitingForInitialReplication", "Replica", "Warning")
    [replica_vm] = call(pair.replica, "Get-VM", Name=["VM01"])
    [primary_vm] = call(pair.primary, "Get-VM", Name=["VM01"])
    assert replica_vm.get("Id") == primary_vm.get("Id") and replica_vm.get("State") == "Off"
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    assert rep_state(pair.primary) == ("Replicating", "Primary", "Normal")
    assert rep_state(pair.replica) == ("Replicating", "Replica", "Normal")
    assert read_guest_data(pair.replica, "VM01", 3 * MIB + 100, len(payload)) == payload
    assert pair.lab.largest_chunk <= BLOCK_SIZE + RECORD_HEADER.size
    [info] = call(pair.primary, "Get-VMReplication", VMName=["VM01"])
    assert info.get("PrimaryServerName") == "hyper-v-prim.test.net"
    assert info.get("ReplicaServerName") == REPLICA_FQDN
    assert info.get("ReplicationFrequencySec") == 300


def test_cycles_send_changes_when_due(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    write_guest_data(pair.primary, "VM01", 10 * MIB, b"delta!" * 100)
    assert run_due(pair.primary) == {"sent": 0, "missed": 0}
    assert read_guest_data(pair.replica, "VM01", 10 * MIB, 6) == b"\0" * 6
    pair.primary.clock.advance(95)
    assert run_due(pair.primary) == {"sent": 3, "missed": 0}
    assert run_due(pair.primary) == {"sent": 0, "missed": 0}
    assert read_guest_data(pair.replica, "VM01", 10 * MIB, 6) == b"delta!"
    [health] = call(pair.primary, "Measure-VMReplication", VMName=["VM01"])
    assert health.get("SuccessfulReplicationCount") == 3
    assert health.get("PendingReplicationSize") == 0


def test_zeroed_block_is_replicated(pair: Pair) -> None:
    write_guest_data(pair.primary, "VM01", 0, b"\xff" * BLOCK_SIZE)
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    write_guest_data(pair.primary, "VM01", 0, bytes(BLOCK_SIZE))
    pair.primary.clock.advance(30)
    run_due(pair.primary)
    assert read_guest_data(pair.replica, "VM01", 0, BLOCK_SIZE) == bytes(BLOCK_SIZE)


def test_network_cut_critical_then_recovers_with_warning(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    write_guest_data(pair.primary, "VM01", 0, b"kept across the outage")
    pair.lab.cut = True
    pair.primary.clock.advance(60)
    assert run_due(pair.primary) == {"sent": 0, "missed": 2}
    assert rep_state(pair.primary)[2] == "Critical"
    assert events(pair.primary, 32315)
    pair.lab.cut = False
    pair.primary.clock.advance(30)
    assert run_due(pair.primary) == {"sent": 1, "missed": 0}
    assert read_guest_data(pair.replica, "VM01", 0, 22) == b"kept across the outage"
    [health] = call(pair.primary, "Measure-VMReplication", VMName=["VM01"])
    assert health.get("ReplicationHealth") == "Warning"  # 2 of 3 cycles missed
    assert any("20 percent" in d for d in health.get("ReplicationHealthDetails"))


def test_more_than_an_hour_without_sending_is_warning(pair: Pair) -> None:
    pair.enable()
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    call(pair.primary, "Reset-VMReplicationStatistics", VMName=["VM01"])
    pair.replica.clock.advance(2 * 3600)
    assert rep_state(pair.replica)[2] == "Warning"


def test_enable_refuses_checkpoints_naming_them(pair: Pair) -> None:
    call(pair.primary, "Checkpoint-VM", Name=["VM01"], SnapshotName="before-update")
    session = FakeSession()
    call(pair.primary, "Enable-VMReplication", session, VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
         ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=pair.primary_thumbprint)
    [error] = session.errors
    assert "'before-update'" in error.message and error.message.endswith("(0x80004005).")
    assert find_vm(pair.replica, "VM01") is None


@pytest.mark.parametrize("frequency", [60, 120, 301, 899])
def test_frequency_inside_range_but_invalid(pair: Pair, frequency: int) -> None:
    with pytest.raises(SimError, match="Valid values are 30, 300 and 900"):
        pair.enable(ReplicationFrequencySec=frequency)


def test_missing_mandatory_parameters(pair: Pair) -> None:
    with pytest.raises(ParameterBindingError, match="missing mandatory parameters: ReplicaServerPort"):
        call(pair.primary, "Enable-VMReplication", VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
             AuthenticationType="Certificate")


def test_not_authorized_logs_32000(pair: Pair) -> None:
    call(pair.replica, "Remove-VMReplicationAuthorizationEntry", TrustGroup="lab")
    session = FakeSession()
    call(pair.primary, "Enable-VMReplication", session, VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
         ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=pair.primary_thumbprint)
    [error] = session.errors
    assert error.message.startswith("Hyper-V failed to enable replication for virtual machine 'VM01'.")
    assert error.hresult == 0x80070005
    [event] = events(pair.primary, 32000)
    assert "(0x80070005)" in event
    assert call(pair.primary, "Get-VMReplication") == []


def test_kerberos_fails_in_a_workgroup(pair: Pair) -> None:
    session = FakeSession()
    call(pair.primary, "Enable-VMReplication", session, VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
         ReplicaServerPort=80, AuthenticationType="Kerberos")
    [error] = session.errors
    assert "(0x80090303)" in error.message
    assert events(pair.primary, 29210)


def test_test_connection(pair: Pair) -> None:
    [text] = call(pair.primary, "Test-VMReplicationConnection", ReplicaServerName=REPLICA_FQDN, ReplicaServerPort=443,
                  AuthenticationType="Certificate", CertificateThumbprint=pair.primary_thumbprint)
    assert text == "The connection to the specified Replica server with the specified parameters was successful."
    with pytest.raises(SimError, match=r"\(0x00002EE7\)"):
        call(pair.primary, "Test-VMReplicationConnection", ReplicaServerName="nowhere.test.net", ReplicaServerPort=443,
             AuthenticationType="Certificate", CertificateThumbprint=pair.primary_thumbprint)


def test_suspend_resume(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    call(pair.primary, "Suspend-VMReplication", VMName=["VM01"])
    assert rep_state(pair.primary) == ("Suspended", "Primary", "Warning")
    write_guest_data(pair.primary, "VM01", 0, b"while paused")
    pair.primary.clock.advance(120)
    assert run_due(pair.primary)["sent"] == 0
    call(pair.primary, "Resume-VMReplication", VMName=["VM01"])
    assert run_due(pair.primary)["sent"] == 1  # pending changes go at once after a resume
    assert read_guest_data(pair.replica, "VM01", 0, 12) == b"while paused"
    with pytest.raises(SimError, match="not in a valid replication state"):
        call(pair.primary, "Resume-VMReplication", VMName=["VM01"])


def test_paused_on_replica_is_critical_on_both(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    call(pair.replica, "Suspend-VMReplication", VMName=["VM01"])
    assert rep_state(pair.replica)[2] == "Critical"
    pair.primary.clock.advance(30)
    assert run_due(pair.primary)["missed"] == 1
    assert rep_state(pair.primary)[2] == "Critical"
    assert [e for e in pair.replica.state["events"] if e["id"] == 32546]


def test_large_outage_requires_resync_then_resync_sends_differences(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    pair.lab.cut = True
    write_guest_data(pair.primary, "VM01", 0, b"\x5a" * (40 * MIB))
    pair.primary.clock.advance(30)
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "WaitingForStartResynchronize"
    assert rep_state(pair.primary)[2] == "Critical"
    pair.lab.cut = False
    call(pair.primary, "Resume-VMReplication", VMName=["VM01"], Resynchronize=True)
    assert rep_state(pair.primary)[0] == "Replicating"
    assert read_guest_data(pair.replica, "VM01", 40 * MIB - 4, 8) == b"\x5a" * 4 + b"\0" * 4
    assert events(pair.primary, 29242) and events(pair.primary, 29244)


def test_scheduled_initial_replication(pair: Pair) -> None:
    pair.enable()
    start = pair.primary.clock.now() + dt.timedelta(hours=2)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"], InitialReplicationStartTime=start)
    assert rep_state(pair.primary)[0] == "ReadyForInitialReplication"
    pair.primary.clock.advance(2 * 3600 + 1)
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "Replicating"
    with pytest.raises(SimError, match="within 7 days"):
        call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"],
             InitialReplicationStartTime=start + dt.timedelta(days=8))


def test_initial_replication_to_media_then_import(pair: Pair) -> None:
    write_guest_data(pair.primary, "VM01", 5 * MIB, b"seeded by media")
    pair.enable()
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"], DestinationPath="D:\\Export")
    assert rep_state(pair.primary)[0] == "InitialReplicationInProgress"
    [vm] = call(pair.primary, "Get-VM", Name=["VM01"])
    source = pair.primary.real_path(f"D:\\Export\\VM01_{vm.get('Id')}\\VM01.vhdx")
    target = pair.replica.real_path("D:\\Import\\VM01.vhdx")
    sparse_copy(source, target)
    call(pair.replica, "Import-VMInitialReplication", VMName=["VM01"], Path="D:\\Import")
    assert rep_state(pair.replica)[0] == "Replicating"
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "Replicating"
    assert read_guest_data(pair.replica, "VM01", 5 * MIB, 15) == b"seeded by media"


def test_remove_replication_on_both_sides(pair: Pair) -> None:
    pair.enable()
    call(pair.primary, "Remove-VMReplication", VMName=["VM01"])
    call(pair.replica, "Remove-VMReplication", VMName=["VM01"])
    assert call(pair.primary, "Get-VMReplication") == [] and call(pair.replica, "Get-VMReplication") == []
    assert find_vm(pair.replica, "VM01") is not None


def test_get_win_event(pair: Pair) -> None:
    pair.enable()
    log = "Microsoft-Windows-Hyper-V-VMMS-Admin"
    [latest] = call(pair.primary, "Get-WinEvent", LogName=[log], MaxEvents=1)
    assert latest.get("Id") == 29162 and latest.get("ProviderName") == "Microsoft-Windows-Hyper-V-VMMS"
    with pytest.raises(SimError, match="No events were found"):
        call(pair.primary, "Get-WinEvent", FilterHashtable={"LogName": log, "Id": 32000})
    with pytest.raises(SimError, match="There is not an event log"):
        call(pair.primary, "Get-WinEvent", LogName=["No-Such-Log"])


def test_failed_scheduled_initial_replication_retries_later(pair: Pair) -> None:
    pair.enable()
    start = pair.primary.clock.now() + dt.timedelta(minutes=10)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"], InitialReplicationStartTime=start)
    pair.lab.cut = True
    pair.primary.clock.advance(601)
    run_due(pair.primary)
    run_due(pair.primary)
    assert len(events(pair.primary, 32022)) == 1
    assert rep_state(pair.primary)[0] == "ReadyForInitialReplication"
    pair.lab.cut = False
    pair.primary.clock.advance(301)
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "Replicating"


def test_replica_disk_full_is_critical_then_recovers(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    with pair.replica.transaction():
        set_capacity(pair.replica, "D", 1024 * 1024)
    write_guest_data(pair.primary, "VM01", 0, b"no room")
    pair.primary.clock.advance(30)
    assert run_due(pair.primary)["missed"] == 1
    assert rep_state(pair.primary)[2] == "Critical"
    assert "(0x80070070)" in events(pair.replica, 32056)[0]
    with pair.replica.transaction():
        set_capacity(pair.replica, "D", 500 * 1024**3)
    pair.primary.clock.advance(30)
    assert run_due(pair.primary)["sent"] == 1
    assert read_guest_data(pair.replica, "VM01", 0, 7) == b"no room"


def test_enable_refused_when_replica_storage_too_small(pair: Pair) -> None:
    with pair.replica.transaction():
        set_capacity(pair.replica, "D", 10 * 1024 * 1024)
    session = FakeSession()
    call(pair.primary, "Enable-VMReplication", session, VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
         ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=pair.primary_thumbprint)
    [error] = session.errors
    assert error.hresult == 0x80070070 and "not enough space" in error.message


def test_statistics_event_at_end_of_monitoring_interval(pair: Pair) -> None:
    call(pair.primary, "Set-VMReplicationServer", MonitoringInterval=dt.timedelta(hours=1))
    pair.enable(ReplicationFrequencySec=300)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    pair.primary.clock.advance(3599)
    run_due(pair.primary)
    assert not events(pair.primary, 29174)
    pair.primary.clock.advance(1)
    run_due(pair.primary)
    [message] = events(pair.primary, 29174)
    assert "11 successful replication cycles" in message  # cycles at 5, 10 … 55 minutes
    [health] = call(pair.primary, "Measure-VMReplication", VMName=["VM01"])
    assert health.get("SuccessfulReplicationCount") == 1  # the 60-minute cycle opens the new interval
    pair.primary.clock.advance(300)
    run_due(pair.primary)
    [health] = call(pair.primary, "Measure-VMReplication", VMName=["VM01"])
    assert health.get("SuccessfulReplicationCount") == 2


def test_app_consistent_points_follow_vss_frequency(pair: Pair) -> None:
    pair.enable(RecoveryHistory=4, VSSSnapshotFrequencyHour=2)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    for _ in range(3):
        pair.primary.clock.advance(3600)
        run_due(pair.primary)
    kinds = [str(p.get("SnapshotType")) for p in call(pair.replica, "Get-VMSnapshot", VMName=["VM01"])]
    assert kinds == ["AppConsistentReplica", "Replica", "AppConsistentReplica", "Replica"]


def test_set_vm_replication_changes_reach_the_replica(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=300)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    call(pair.primary, "Set-VMReplication", VMName=["VM01"], ReplicationFrequencySec=30, RecoveryHistory=2)
    with pytest.raises(SimError, match="Valid values are 30, 300 and 900"):
        call(pair.primary, "Set-VMReplication", VMName=["VM01"], ReplicationFrequencySec=60)
    with pytest.raises(SimError, match="was not found"):
        call(pair.primary, "Set-VMReplication", VMName=["VM01"], CertificateThumbprint="00" * 20)
    pair.primary.clock.advance(30)
    assert run_due(pair.primary)["sent"] == 1
    [replica] = call(pair.replica, "Get-VMReplication", VMName=["VM01"])
    assert replica.get("ReplicationFrequencySec") == 30 and replica.get("RecoveryHistory") == 2


def test_replication_survives_host_restarts(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30, RecoveryHistory=1)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    primary = pair.lab.add(Host.open(pair.primary.state_dir), "hyper-v-prim.test.net")
    replica = pair.lab.add(Host.open(pair.replica.state_dir), REPLICA_FQDN)
    write_guest_data(primary, "VM01", 0, b"after restart")
    primary.clock.advance(30)
    assert run_due(primary)["sent"] == 1
    assert read_guest_data(replica, "VM01", 0, 13) == b"after restart"
    assert rep_state(replica) == ("Replicating", "Replica", "Normal")


def test_auto_resynchronize_waits_for_its_window(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30, AutoResynchronizeEnabled=True,
                AutoResynchronizeIntervalStart=dt.timedelta(hours=18, minutes=30),
                AutoResynchronizeIntervalEnd=dt.timedelta(hours=6))
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    now = pair.primary.clock.now()
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon <= now:
        noon += dt.timedelta(days=1)
    pair.primary.clock.advance((noon - now).total_seconds())
    run_due(pair.primary)
    pair.lab.cut = True
    write_guest_data(pair.primary, "VM01", 0, b"\x11" * (40 * MIB))
    pair.primary.clock.advance(30)
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "WaitingForStartResynchronize"
    pair.lab.cut = False
    pair.primary.clock.advance(3600)
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "WaitingForStartResynchronize"  # 13:00, outside 18:30-06:00
    pair.primary.clock.advance(6 * 3600)
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "Replicating"  # 19:00
    assert read_guest_data(pair.replica, "VM01", 40 * MIB - 1, 1) == b"\x11"


def test_get_vm_replication_filters(pair: Pair) -> None:
    pair.enable()
    assert len(call(pair.primary, "Get-VMReplication", ReplicaServerName="*.test.net")) == 1
    assert call(pair.primary, "Get-VMReplication", ReplicaServerName="other.test.net") == []
    assert len(call(pair.primary, "Get-VMReplication", ReplicationState="ReadyForInitialReplication")) == 1
    assert call(pair.primary, "Get-VMReplication", ReplicationState="Replicating") == []
    assert len(call(pair.primary, "Get-VMReplication", ReplicationHealth="Warning", ReplicationMode="Primary")) == 1
    assert call(pair.replica, "Get-VMReplication", ReplicationMode="Primary") == []
    [on_replica] = call(pair.replica, "Measure-VMReplication", TrustGroup="lab", PrimaryServerName="hyper-v-prim*")
    assert on_replica.get("ReplicationMode") == "Replica"


def test_fixing_the_certificate_retries_at_once(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=300)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    pair.lab.cut = True
    pair.primary.clock.advance(13 * 3600)
    run_due(pair.primary)
    assert rep_state(pair.primary)[2] == "Critical"
    pair.lab.cut = False
    call(pair.primary, "Set-VMReplication", VMName=["VM01"], CertificateThumbprint=pair.primary_thumbprint)
    assert run_due(pair.primary)["sent"] == 1
    # the current 12-hour monitoring interval (hours 12-13) holds 13 missed cycles and one sent: Warning
    [health] = call(pair.primary, "Measure-VMReplication", VMName=["VM01"])
    assert (health.get("MissedReplicationCount"), health.get("SuccessfulReplicationCount")) == (13, 1)
    assert rep_state(pair.primary) == ("Replicating", "Primary", "Warning")
    [statistics] = events(pair.primary, 29174)
    assert "143 missed" in statistics
    call(pair.primary, "Reset-VMReplicationStatistics", VMName=["VM01"])
    assert rep_state(pair.primary) == ("Replicating", "Primary", "Normal")


def test_replica_removed_puts_primary_in_error_until_resumed(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    call(pair.replica, "Remove-VMReplication", VMName=["VM01"])
    pair.primary.clock.advance(30)
    assert run_due(pair.primary)["missed"] == 1
    assert rep_state(pair.primary) == ("Error", "Primary", "Critical")
    pair.primary.clock.advance(300)
    assert run_due(pair.primary) == {"sent": 0, "missed": 0}  # no retries from Error
    call(pair.primary, "Resume-VMReplication", VMName=["VM01"])
    assert run_due(pair.primary)["missed"] == 1


@pytest.mark.parametrize(("vm", "extra", "code"), [("VM01", {"ReplicationFrequencySec": 60}, "(0x80070057)"),
                                                   ("VM02", {}, "(0x80004005)")])
def test_hyperv_refusals_are_logged_as_32000(pair: Pair, vm: str, extra: dict[str, int], code: str) -> None:
    with pair.primary.transaction():
        seed_vms(pair.primary, {"vms": [{"name": "VM02", "checkpoints": [{"name": "old"}]}]})
    session = FakeSession()
    with contextlib.suppress(SimError):
        call(pair.primary, "Enable-VMReplication", session, VMName=[vm], ReplicaServerName=REPLICA_FQDN,
             ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=pair.primary_thumbprint,
             **extra)
    [event] = events(pair.primary, 32000)
    assert event.startswith(f"Hyper-V failed to enable replication for virtual machine '{vm}': ") and code in event


def test_refused_own_certificate_is_logged_with_its_code(pair: Pair) -> None:
    server_only = add_host_certificate(pair.primary, "hyper-v-prim.test.net",
                                       usages=(ExtendedKeyUsageOID.SERVER_AUTH,))
    with pytest.raises(SimError, match=r"\(0x800B0110\)"):
        pair.enable_with(server_only)
    assert "(0x800B0110)" in events(pair.primary, 32000)[0]
    pair.primary.clock.advance(366 * 86400)
    with pytest.raises(SimError, match=r"has expired \(0x800B0101\)"):
        call(pair.primary, "Test-VMReplicationConnection", ReplicaServerName=REPLICA_FQDN, ReplicaServerPort=443,
             AuthenticationType="Certificate", CertificateThumbprint=pair.primary_thumbprint)


def _background(host: Host) -> None:
    with host.transaction():
        host.state["hyperv"]["background_initial_replication"] = True


def test_background_initial_replication_is_in_progress_until_the_scheduler_sends(pair: Pair) -> None:
    write_guest_data(pair.primary, "VM01", 7 * MIB, b"copied later")
    _background(pair.primary)
    pair.enable()
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    assert rep_state(pair.primary) == ("InitialReplicationInProgress", "Primary", "Warning")
    assert rep_state(pair.replica)[0] == "WaitingForInitialReplication"
    assert read_guest_data(pair.replica, "VM01", 7 * MIB, 12) == b"\0" * 12
    write_guest_data(pair.primary, "VM01", 9 * MIB, b"during the copy")
    assert run_due(pair.primary) == {"sent": 0, "missed": 0}
    assert rep_state(pair.primary) == ("Replicating", "Primary", "Normal")
    assert rep_state(pair.replica)[0] == "Replicating"
    assert read_guest_data(pair.replica, "VM01", 7 * MIB, 12) == b"copied later"
    assert len(events(pair.primary, 29171)) == 1
    pair.primary.clock.advance(300)
    assert run_due(pair.primary)["sent"] == 1
    assert read_guest_data(pair.replica, "VM01", 9 * MIB, 15) == b"during the copy"


def test_background_initial_replication_failure_leaves_it_ready(pair: Pair) -> None:
    _background(pair.primary)
    pair.enable()
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    pair.lab.cut = True
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "ReadyForInitialReplication"
    assert "(0x" in events(pair.primary, 32022)[0]
    pair.lab.cut = False
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "ReadyForInitialReplication", "no retry without a new Start-…"
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    run_due(pair.primary)
    assert rep_state(pair.primary)[0] == "Replicating"


def test_initial_replication_completes_inside_the_cmdlet_by_default(pair: Pair) -> None:
    pair.enable()
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    assert rep_state(pair.primary)[0] == "Replicating"
