"""Issue 2: who the host is, seen through WinRM — hostname, ipconfig /all, hosts-file resolution, renames.

The host starts with ``hosts_entries`` in its topology (``serve --topology``), which pre-fill its hosts file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.topology import TopologyError, validate_host
from tests.acceptance.support import Remote, error_records

COMPUTER_NAME = r"HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName"
TCPIP = r"HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"


def ipconfig_field(text: str, label: str) -> str:
    """The value of one ``Label . . . : value`` line of ipconfig /all."""
    for line in text.splitlines():
        if line.strip().startswith(label) and ":" in line:
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {label!r} line in ipconfig output:\n{text}")


def test_hostname_and_ipconfig_all(remote: Remote) -> None:
    assert remote.cmd("hostname").stdout == "Hyper-v-prim\r\n"
    shown = remote.cmd("ipconfig /all")
    assert shown.code == 0
    assert ipconfig_field(shown.stdout, "Host Name") == "Hyper-v-prim"
    assert ipconfig_field(shown.stdout, "Primary Dns Suffix") == ""
    assert ipconfig_field(shown.stdout, "IPv4 Address") == "192.168.101.209(Preferred)"


def test_resolve_dns_name_reads_the_hosts_file(remote: Remote) -> None:
    found = json.loads(remote.ok("Resolve-DnsName Hyper-v-repl.test.net | Select-Object Name, IPAddress | "
                                 "ConvertTo-Json"))
    assert found["IPAddress"] == "192.168.101.213"
    assert found["Name"].lower() == "hyper-v-repl.test.net"
    missing = remote.ps("Resolve-DnsName nowhere.test.net")
    assert missing.code != 0 and error_records(missing.stderr)
    # a line added to the hosts file over WinRM resolves at once
    remote.ok(r"Add-Content -Path C:\Windows\System32\drivers\etc\hosts -Value '192.168.101.99 newcomer.test.net'")
    added = json.loads(remote.ok("Resolve-DnsName newcomer.test.net | Select-Object IPAddress | ConvertTo-Json"))
    assert added["IPAddress"] == "192.168.101.99"


def test_suffix_and_rename_are_pending_until_restart(remote: Remote) -> None:
    remote.ok(f"Set-ItemProperty -Path '{TCPIP}' -Name 'NV Domain' -Value 'test.net'")
    renamed = remote.ps("Rename-Computer -NewName Hyper-v-one -Force")
    assert renamed.code == 0 and "The changes will take effect after you restart the computer" in renamed.stderr
    values = json.loads(remote.ok(
        f"Get-ItemProperty -Path '{TCPIP}' | Select-Object Hostname, 'NV Hostname', Domain, 'NV Domain' | "
        "ConvertTo-Json"))
    # pending: the NV values differ from the active ones, which still answer
    assert values == {"Hostname": "Hyper-v-prim", "NV Hostname": "Hyper-v-one", "Domain": "",
                      "NV Domain": "test.net"}
    names = remote.ok(f"(Get-ItemProperty '{COMPUTER_NAME}\\ComputerName').ComputerName; "
                      f"(Get-ItemProperty '{COMPUTER_NAME}\\ActiveComputerName').ComputerName").split()
    assert names == ["HYPER-V-ONE", "HYPER-V-PRIM"]  # the pending and the active NetBIOS name
    assert remote.cmd("hostname").stdout.strip() == "Hyper-v-prim"
    assert ipconfig_field(remote.cmd("ipconfig /all").stdout, "Primary Dns Suffix") == ""

    restarted = remote.ps("Restart-Computer -Force")
    assert restarted.code == 0, restarted.stderr
    assert remote.cmd("hostname").stdout.strip() == "Hyper-v-one"
    after = remote.cmd("ipconfig /all").stdout
    assert ipconfig_field(after, "Primary Dns Suffix") == "test.net"
    fqdn = remote.ok("[System.Net.Dns]::GetHostByName($env:COMPUTERNAME).HostName").strip()
    assert fqdn.lower() == "hyper-v-one.test.net"
    assert remote.ok("$env:COMPUTERNAME").strip() == "HYPER-V-ONE"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("not a list", "hosts_entries must be a list"),
        ([["192.168.1.1"]], "hosts_entries[0]: must be a list of an address and at least one host name"),
        ([["10.0.0.1", 5]], "hosts_entries[0]: must be a list of an address and at least one host name"),
        ([["999.1.1.1", "x.test"]], "'999.1.1.1' is not an IP address"),
        ([["10.0.0.1", "bad name"]], "'bad name' is not a valid host name"),
        ([["10.0.0.1", "ok.test"], ["10.0.0.2", "-dash.test"]], "hosts_entries[1]: '-dash.test' is not a valid"),
    ],
)
def test_bad_hosts_entries_are_refused(entries: object, message: str) -> None:
    with pytest.raises(TopologyError) as refused:
        validate_host({"name": "HV1", "hosts_entries": entries})
    assert message in str(refused.value)


def test_bad_hosts_entries_stop_serve(tmp_path: Path) -> None:
    topology = tmp_path / "t.yaml"
    topology.write_text(yaml.safe_dump({"name": "HV1", "hosts_entries": [["10.0.0.1", "bad name"]]}),
                        encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "simulator", "serve", "--state-dir", str(tmp_path / "s"),
                           "--topology", str(topology)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "hosts_entries[0]: 'bad name' is not a valid host name" in done.stderr


def test_suffix_through_reg_add_and_shutdown(remote: Remote) -> None:
    key = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
    assert remote.cmd(f'reg add "{key}" /v "NV Domain" /t REG_SZ /d test.net /f').code == 0
    assert ipconfig_field(remote.cmd("ipconfig /all").stdout, "Primary Dns Suffix") == ""
    assert remote.cmd("shutdown /r /t 0").code == 0
    assert ipconfig_field(remote.cmd("ipconfig /all").stdout, "Primary Dns Suffix") == "test.net"
    assert "Domain    REG_SZ    test.net" in remote.cmd(f'reg query "{key}" /v Domain').stdout
