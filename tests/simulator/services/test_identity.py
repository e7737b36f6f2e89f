"""Identity: names and suffix from the registry, restarts, CIM/WMI objects, resolution, hostname/ipconfig."""

from __future__ import annotations

import re
from typing import Any

import pytest

from simulator.cmd.api import CMD_COMMANDS, CmdCall
from simulator.core.errors import NotModelledError, SimError
from simulator.ps import api
from simulator.services import hostsfile, identity
from simulator.services.identity import cmdlets, commands, dns
from simulator.services.registry.reg_command import reg
from tests.conftest import make_host
from tests.simulator.fake_session import FakeSession

TCPIP = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"


def call(host, name: str, **args: Any) -> tuple[list[Any], FakeSession]:
    """Run a registered cmdlet's handler with already-bound arguments."""
    spec = api.find_cmdlet(name)
    assert spec is not None, name
    session = FakeSession()
    out = spec.handler(api.Invocation(host=host, args=args, session=session, name=name))
    return list(out or []), session


def run(host, name: str, *argv: str, stdin: str = "") -> Any:
    spec_handler = {"reg": reg, "hostname": commands.hostname, "ipconfig": commands.ipconfig,
                    "ping": commands.ping}[name]
    return spec_handler(CmdCall(host=host, argv=list(argv), raw_args=" ".join(argv), stdin=stdin))


def append_hosts(host, text: str) -> None:
    path = host.real_path(hostsfile.HOSTS_PATH)
    path.write_bytes(path.read_bytes() + text.encode("ascii"))


@pytest.fixture(name="suffixed")
def _suffixed(tmp_path):
    """A host with a primary DNS suffix already set."""
    return make_host(tmp_path / "s", {"name": "Hyper-v-rep", "dns_suffix": "lab.local", "address": "192.168.101.213"})


class TestNames:
    def test_fresh_workgroup_host(self, sim_host):
        """Without a suffix the FQDN is the host name; COMPUTERNAME is the upper-case NetBIOS name."""
        assert identity.fqdn(sim_host) == "Hyper-v-prim"
        assert identity.computer_name(sim_host) == "HYPER-V-PRIM"
        assert not identity.reboot_pending(sim_host)

    def test_suffix_is_pending_until_restart(self, sim_host):
        """Setting NV Domain (the registry method) changes nothing until Restart-Computer."""
        reg(CmdCall(sim_host, ["add", TCPIP, "/v", "NV Domain", "/d", "lab.local", "/f"], ""))
        assert identity.fqdn(sim_host) == "Hyper-v-prim"
        assert identity.reboot_pending(sim_host)
        boots_before = sim_host.state["identity"]["boot_count"]
        call(sim_host, "Restart-Computer", Force=True)
        assert identity.fqdn(sim_host) == "Hyper-v-prim.lab.local"
        assert not identity.reboot_pending(sim_host)
        assert sim_host.state["identity"]["boot_count"] == boots_before + 1
        assert "Domain    REG_SZ    lab.local" in run(sim_host, "reg", "query", TCPIP, "/v", "Domain").stdout

    def test_group_policy_suffix_wins(self, sim_host):
        """The DNSClient policy value NV PrimaryDnsSuffix overrides NV Domain at restart."""
        policy = r"HKLM\SOFTWARE\Policies\Microsoft\System\DNSClient"
        run(sim_host, "reg", "add", policy, "/v", "NV PrimaryDnsSuffix", "/d", "corp.example", "/f")
        run(sim_host, "reg", "add", TCPIP, "/v", "NV Domain", "/d", "lab.local", "/f")
        identity.restart(sim_host)
        assert identity.fqdn(sim_host) == "Hyper-v-prim.corp.example"

    def test_rename_pending_then_active(self, sim_host):
        """Rename-Computer warns, stays pending; a restart makes the new name active everywhere."""
        out, session = call(sim_host, "Rename-Computer", NewName="HV-A", Force=True)
        assert out == []
        assert session.warnings == ["The changes will take effect after you restart the computer HYPER-V-PRIM."]
        assert identity.computer_name(sim_host) == "HYPER-V-PRIM"
        assert identity.reboot_pending(sim_host)
        assert run(sim_host, "hostname").stdout == "Hyper-v-prim\r\n"
        identity.restart(sim_host)
        assert identity.computer_name(sim_host) == "HV-A"
        renamed = [e for e in sim_host.state["events"] if e["id"] == 6011]
        assert renamed and renamed[-1]["message"].endswith("changed from HYPER-V-PRIM to HV-A.")
        assert run(sim_host, "hostname").stdout == "HV-A\r\n"
        env = {}
        for source in api.ENVIRONMENT_SOURCES:
            env.update(source(sim_host))
        assert env["COMPUTERNAME"] == "HV-A"
        assert "USERDNSDOMAIN" not in env

    def test_rename_with_restart_applies_at_once(self, sim_host):
        """-Restart reboots right away: no warning, name active."""
        _, session = call(sim_host, "Rename-Computer", NewName="hv-b", Restart=True)
        assert session.warnings == []
        assert identity.computer_name(sim_host) == "HV-B"
        assert identity.host_name(sim_host) == "hv-b"

    @pytest.mark.parametrize("bad", ["has space", "x" * 16, "12345", "under_score", "a.b"])
    def test_rename_invalid_name(self, sim_host, bad):
        """An illegal name writes InvalidNewName and leaves the name alone."""
        _, session = call(sim_host, "Rename-Computer", NewName=bad)
        [error] = session.errors
        assert error.fully_qualified_error_id == "InvalidNewName,Microsoft.PowerShell.Commands.RenameComputerCommand"
        assert not identity.reboot_pending(sim_host)

    def test_rename_same_name(self, sim_host):
        """The current name (any case) is refused with NewNameIsOldName."""
        _, session = call(sim_host, "Rename-Computer", NewName="HYPER-V-PRIM")
        assert session.errors[0].fully_qualified_error_id.startswith("NewNameIsOldName,")

    def test_restart_not_modelled_parts(self, sim_host):
        """-Wait and restarting another computer fail loudly."""
        with pytest.raises(NotModelledError, match=r"^not modelled.*Restart-Computer -Wait"):
            call(sim_host, "Restart-Computer", Wait=True)
        with pytest.raises(NotModelledError, match=r"^not modelled.*Restart-Computer -ComputerName other-host"):
            call(sim_host, "Restart-Computer", ComputerName=["other-host"])

    def test_restart_hook_and_event(self, sim_host):
        """Restart runs registered hooks and logs event 1074 in System."""
        seen: list[str] = []
        hook = identity.on_restart(lambda host: seen.append(identity.computer_name(host)))
        try:
            call(sim_host, "Restart-Computer")
        finally:
            identity.model.RESTART_HOOKS.remove(hook)
        assert seen == ["HYPER-V-PRIM"]
        assert any(e["id"] == 1074 and e["log_name"] == "System" for e in sim_host.state["events"])


class TestCim:
    def test_computer_system_workgroup(self, suffixed):
        """Win32_ComputerSystem: Domain WORKGROUP, PartOfDomain False, DNSHostName the host name."""
        [cs], _ = call(suffixed, "Get-CimInstance", ClassName="win32_computersystem")
        assert (cs.get("Name"), cs.get("Domain"), cs.get("PartOfDomain"), cs.get("Workgroup"),
                cs.get("DNSHostName")) == ("HYPER-V-REP", "WORKGROUP", False, "WORKGROUP", "Hyper-v-rep")

    def test_operating_system_boot_time(self, sim_host):
        """Win32_OperatingSystem: caption by OS, LastBootUpTime moves on restart; WMI gives DMTF text."""
        [os_before], _ = call(sim_host, "Get-CimInstance", ClassName="Win32_OperatingSystem")
        assert os_before.get("Caption") == "Microsoft Windows Server 2016 Datacenter"
        assert os_before.get("Version") == "10.0.14393"
        sim_host.clock.advance(3600)
        identity.restart(sim_host)
        [os_after], _ = call(sim_host, "Get-CimInstance", ClassName="Win32_OperatingSystem")
        assert (os_after.get("LastBootUpTime") - os_before.get("LastBootUpTime")).total_seconds() >= 3600
        [wmi], _ = call(sim_host, "Get-WmiObject", Class="Win32_OperatingSystem")
        assert re.fullmatch(r"\d{14}\.\d{6}\+000", wmi.get("LastBootUpTime"))
        assert wmi.get("__CLASS") == "Win32_OperatingSystem"

    def test_other_classes_not_modelled(self, sim_host):
        """Any other class, a namespace or a filter is refused loudly."""
        with pytest.raises(NotModelledError, match="Win32_Service"):
            call(sim_host, "Get-CimInstance", ClassName="Win32_Service")
        with pytest.raises(NotModelledError, match=r"^not modelled.*-Namespace root/virtualization/v2"):
            call(sim_host, "Get-WmiObject", Class="Win32_ComputerSystem", Namespace="root/virtualization/v2")

    def test_computer_info_subset(self, suffixed):
        """Get-ComputerInfo -Property picks modelled properties; unknown ones fail loudly."""
        [info], _ = call(suffixed, "Get-ComputerInfo", Property=["CsName", "csdomain"])
        assert info.names() == ["CsDomain", "CsName"]
        assert info.get("CsName") == "HYPER-V-REP"
        with pytest.raises(NotModelledError, match=r"^not modelled.*Get-ComputerInfo properties BiosSerialNumber"):
            call(suffixed, "Get-ComputerInfo", Property=["BiosSerialNumber"])


class TestResolution:
    def test_own_names_and_localhost(self, suffixed):
        """Own short name, FQDN (any case) and NetBIOS name give the virtual address; localhost 127.0.0.1."""
        for name in ("Hyper-v-rep", "HYPER-V-REP.LAB.LOCAL", "hyper-v-rep.lab.local."):
            assert identity.resolve(suffixed, name) == ["192.168.101.213"]
        assert identity.resolve(suffixed, "localhost") == ["127.0.0.1"]
        assert identity.resolve(suffixed, "10.1.2.3") == ["10.1.2.3"]
        assert identity.resolve(suffixed, "hyper-v-prim.lab.local") == []

    def test_hosts_file_entry(self, suffixed):
        """A hosts-file line (tabs, trailing comment, other case) resolves; edits apply at once."""
        append_hosts(suffixed, "192.168.101.209\tHyper-v-prim.lab.local   hyper-v-prim  # primary\r\n")
        assert identity.resolve(suffixed, "HYPER-V-PRIM.lab.local") == ["192.168.101.209"]
        assert identity.resolve(suffixed, "hyper-v-prim") == ["192.168.101.209"]

    def test_resolve_dns_name(self, suffixed):
        """Resolve-DnsName gives an A record; an unknown name writes DNS_ERROR_RCODE_NAME_ERROR."""
        append_hosts(suffixed, "192.168.101.209 hyper-v-prim.lab.local\r\n")
        [record], _ = call(suffixed, "Resolve-DnsName", Name="hyper-v-prim.lab.local", Type="A")
        assert (record.get("Name"), str(record.get("Type")), str(record.get("Section")), record.get("IPAddress")) == (
            "hyper-v-prim.lab.local", "A", "Answer", "192.168.101.209")
        out, session = call(suffixed, "Resolve-DnsName", Name="nowhere.lab.local")
        assert out == []
        [error] = session.errors
        assert error.message == "nowhere.lab.local : DNS name does not exist"
        assert error.fully_qualified_error_id == (
            "DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName")
        with pytest.raises(NotModelledError, match=r"^not modelled.*Resolve-DnsName -Type MX"):
            call(suffixed, "Resolve-DnsName", Name="x", Type="MX")

    def test_net_dns_statics(self, suffixed):
        """[Net.Dns] GetHostAddresses/GetHostByName/GetHostName answer like .NET; unknown names throw."""
        get_addresses = api.find_static_member("Net.Dns", "GetHostAddresses")
        by_name = api.find_static_member("System.Net.Dns", "gethostbyname")
        host_name = api.find_static_member("System.Net.Dns", "GetHostName")
        assert get_addresses and by_name and host_name
        [address] = get_addresses(suffixed, "hyper-v-rep")
        assert (address.text(), address.get("IPAddressToString"), str(address.get("AddressFamily"))) == (
            "192.168.101.213", "192.168.101.213", "InterNetwork")
        assert by_name(suffixed, identity.computer_name(suffixed)).get("HostName") == "Hyper-v-rep.lab.local"
        assert host_name(suffixed) == "Hyper-v-rep"
        with pytest.raises(SimError) as caught:
            get_addresses(suffixed, "nowhere")
        assert "No such host is known" in caught.value.message
        assert caught.value.hresult == 0x80004005

    def test_get_host_entry_of_hosts_file_name_and_address(self, suffixed):
        """GetHostEntry gives the hosts file's canonical name, for a name and for its address."""
        append_hosts(suffixed, "192.168.101.209 hyper-v-prim.lab.local hvp\r\n")
        entry = dns.get_host_entry(suffixed, "HVP")
        assert entry.get("HostName") == "hyper-v-prim.lab.local"
        assert dns.get_host_entry(suffixed, "192.168.101.209").get("HostName") == "hyper-v-prim.lab.local"
        with pytest.raises(SimError) as info:
            dns.get_host_entry(suffixed, "10.9.9.9")
        assert (info.value.message, info.value.fully_qualified_error_id) == (
            'Exception calling "GetHostEntry" with "1" argument(s): "No such host is known"', "SocketException")


class TestCommands:
    def test_ipconfig_all_layout(self, suffixed):
        """ipconfig /all: host name, primary suffix, search list, the virtual IPv4; colons aligned."""
        out = run(suffixed, "ipconfig", "/all").stdout
        assert "   Host Name . . . . . . . . . . . . : Hyper-v-rep\r\n" in out
        assert "   Primary Dns Suffix  . . . . . . . : lab.local\r\n" in out
        assert "   DNS Suffix Search List. . . . . . : lab.local\r\n" in out
        assert "   IPv4 Address. . . . . . . . . . . : 192.168.101.213(Preferred) \r\n" in out
        columns = {line.index(" : ") for line in out.split("\r\n") if " : " in line}
        assert columns == {36}  # 3-space indent + 34-wide label field, then ": "

    def test_ipconfig_without_suffix(self, sim_host):
        """A fresh workgroup host: empty Primary Dns Suffix and no search list line."""
        out = run(sim_host, "ipconfig", "/all").stdout
        assert "   Primary Dns Suffix  . . . . . . . : \r\n" in out
        assert "DNS Suffix Search List" not in out
        short = run(sim_host, "ipconfig").stdout
        assert "IPv4 Address. . . . . . . . . . . : 192.168.101.209\r\n" in short
        assert "Host Name" not in short

    def test_not_modelled_commands(self, sim_host):
        """ping and unmodelled ipconfig switches fail loudly; hostname refuses arguments."""
        with pytest.raises(NotModelledError, match=r"^not modelled by the simulator: ping \("):
            run(sim_host, "ping", "192.168.101.213")
        with pytest.raises(NotModelledError, match=r"^not modelled.*ipconfig /release"):
            run(sim_host, "ipconfig", "/release")
        assert run(sim_host, "hostname", "new").exit_code == 1

    def test_handlers_registered(self):
        """The console commands and cmdlets are reachable through the registries."""
        assert {"hostname", "ipconfig", "ping", "reg"} <= set(CMD_COMMANDS)
        for name in ("Rename-Computer", "Restart-Computer", "Get-CimInstance", "Get-WmiObject", "Resolve-DnsName"):
            spec = api.find_cmdlet(name)
            assert spec is not None
            assert "Not modelled:" in (spec.handler.__doc__ or "")
        assert cmdlets.identity_environment in api.ENVIRONMENT_SOURCES


def test_shutdown_r_restarts(sim_host):
    """shutdown /r /t 0 applies a pending rename like Restart-Computer; other forms fail loudly."""
    identity.rename(sim_host, "HV-C")
    result = commands.shutdown(CmdCall(sim_host, ["/r", "/t", "0", "/f"], "/r /t 0 /f"))
    assert result.exit_code == 0
    assert identity.computer_name(sim_host) == "HV-C"
    with pytest.raises(NotModelledError, match=r"^not modelled.*shutdown /s /t 0"):
        commands.shutdown(CmdCall(sim_host, ["/s", "/t", "0"], "/s /t 0"))
    assert commands.shutdown(CmdCall(sim_host, ["/r", "/t"], "/r /t")).exit_code == 87


class TestThroughPowerShell:
    """Identity as scripts see it, run by the simulator's PowerShell (run_script)."""

    @staticmethod
    def ps(host, script: str):
        from simulator.ps.runner import run_script  # noqa: PLC0415 - built by another helper; import late

        return run_script(host, script)

    def test_fqdn_trick_and_environment(self, suffixed):
        """$env:COMPUTERNAME and [Net.Dns]::GetHostByName($env:computerName).HostName (the FQDN)."""
        result = self.ps(suffixed, "$env:COMPUTERNAME\n[System.Net.Dns]::GetHostByName($env:computerName).HostName\n"
                                   "(Get-CimInstance Win32_ComputerSystem).PartOfDomain\n")
        assert result.exit_code == 0, result.stderr
        assert result.stdout.split("\r\n")[:3] == ["HYPER-V-REP", "Hyper-v-rep.lab.local", "False"]

    def test_rename_then_restart(self, sim_host):
        """Rename-Computer warns (warning stream), Restart-Computer applies: hostname shows the new name."""
        first = self.ps(sim_host, "Rename-Computer -NewName HV-R -Force")
        assert first.exit_code == 0, first.stderr
        assert "The changes will take effect after you restart the computer HYPER-V-PRIM." in first.stderr
        second = self.ps(sim_host, "Restart-Computer -Force\nhostname")
        assert second.exit_code == 0, second.stderr
        assert second.stdout == "HV-R\r\n"

    def test_unresolved_name_error(self, sim_host):
        """Resolve-DnsName of an unknown name fails with DNS_ERROR_RCODE_NAME_ERROR; GetHostAddresses throws."""
        result = self.ps(sim_host, (
            "try { Resolve-DnsName nowhere.lab.local -ErrorAction Stop } catch { $_.FullyQualifiedErrorId }\n"
            "try { [System.Net.Dns]::GetHostAddresses('nowhere') } catch { $_.Exception.Message }\n"
        ))
        assert result.stdout.split("\r\n")[:2] == [
            "DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName",
            'Exception calling "GetHostAddresses" with "1" argument(s): "No such host is known"',
        ]
