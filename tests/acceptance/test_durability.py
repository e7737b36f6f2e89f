"""Issue 2: a host keeps its state across a restart and loses no acknowledged PowerShell change to kill -9."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest

from simulator.launcher import start_host
from tests.acceptance.support import CLIENT_MODES, Remote

REG_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"
RULE = "Hyper-V Replica HTTPS Listener (TCP-In)"


def test_restart_keeps_state_and_password(tmp_path: Path) -> None:
    with start_host(tmp_path, "Hyper-v-prim") as first:
        remote = Remote(first, "pywinrm", "ntlm", False)
        made = remote.ok('New-SelfSignedCertificate -DnsName "Hyper-v-prim.test.net" '
                         '-CertStoreLocation "cert:\\LocalMachine\\My" -TestRoot | Select-Object -ExpandProperty '
                         "Thumbprint").strip()
        assert remote.cmd(f'reg add "{REG_KEY}" /v DisableCertRevocationCheck /d 1 /t REG_DWORD /f').code == 0
        remote.ok(f'Enable-NetFirewallRule -DisplayName "{RULE}"')
        remote.ok(r"Set-Content -Path C:\kept.txt -Value 'still here'")
        password = first.info["password"]
    with start_host(tmp_path, "Hyper-v-prim") as second:
        assert second.info["password"] == password
        for library, auth, tls in (CLIENT_MODES[0], CLIENT_MODES[4]):
            again = Remote(second, library, auth, tls)
            assert again.ok(f"(Get-Item cert:\\LocalMachine\\My\\{made}).Subject").strip() == \
                "CN=Hyper-v-prim.test.net"
            assert "0x1" in again.cmd(f'reg query "{REG_KEY}" /v DisableCertRevocationCheck').stdout
            assert again.ok(f'(Get-NetFirewallRule -DisplayName "{RULE}").Enabled').strip() == "True"
            assert again.ok(r"Get-Content C:\kept.txt").strip() == "still here"


@pytest.mark.slow
def test_kill_9_during_a_powershell_burst_loses_no_acknowledged_change(tmp_path: Path) -> None:
    running = start_host(tmp_path, "Hyper-v-prim")
    Remote(running, "pywinrm", "basic", True).ok(r"New-Item -Path HKLM:\SOFTWARE\Burst -Force | Out-Null")
    acknowledged_values: list[str] = []
    acknowledged_rules: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(index: int) -> None:
        library, auth, tls = CLIENT_MODES[index % len(CLIENT_MODES)]
        remote = Remote(running, library, auth, tls)
        count = 0
        while not stop.is_set():
            count += 1
            name = f"w{index}-{count}"
            try:
                if count % 2:
                    done = remote.ps(f"Set-ItemProperty -Path HKLM:\\SOFTWARE\\Burst -Name '{name}' -Value {count}")
                    target = acknowledged_values
                else:
                    done = remote.ps(f"New-NetFirewallRule -DisplayName '{name}' -Direction Inbound "
                                     "-Protocol TCP -LocalPort 8000 -Action Allow | Out-Null")
                    target = acknowledged_rules
            except Exception:  # any client error once the host is killed ends this writer
                return
            if done.code == 0:
                with lock:
                    target.append(name)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged_values) + len(acknowledged_rules) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(random.uniform(0.0, 1.5))  # a random moment of the burst
    running.kill()
    stop.set()
    for thread in threads:
        thread.join()
    with lock:
        values, rules = list(acknowledged_values), list(acknowledged_rules)
    assert values and rules, "the burst acknowledged no changes of one kind"
    print(f"acknowledged before kill -9: {len(values)} registry values, {len(rules)} firewall rules")

    json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))  # valid JSON after the crash
    with start_host(tmp_path, "Hyper-v-prim") as restarted:
        remote = Remote(restarted, "pypsrp", "ntlm", False)
        present = json.loads(remote.ok(r"Get-ItemProperty HKLM:\SOFTWARE\Burst | ConvertTo-Json"))
        stored_rules = set(json.loads(remote.ok(
            "ConvertTo-Json -InputObject @(Get-NetFirewallRule | Where-Object { $_.DisplayName -like 'w*-*' } | "
            "Select-Object -ExpandProperty DisplayName)")))
    missing_values = [name for name in values if name not in present]
    missing_rules = [name for name in rules if name not in stored_rules]
    assert (missing_values, missing_rules) == ([], [])
    assert all(present[name] == int(name.split("-")[1]) for name in values)
