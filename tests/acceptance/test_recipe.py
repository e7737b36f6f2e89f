"""Issue 2: the recipe's literal host commands, through every client library and auth mode."""

from __future__ import annotations

import json

from tests.acceptance.support import Remote, error_records

REG_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"
RULE = "Hyper-V Replica HTTPS Listener (TCP-In)"


def test_two_test_root_certificates_give_three(remote: Remote) -> None:
    for name in ("Hyper-v-prim.test.net", "Hyper-v-repl.test.net"):
        made = remote.ps(f'New-SelfSignedCertificate -DnsName "{name}" -CertStoreLocation "cert:\\LocalMachine\\My" '
                         "-TestRoot")
        assert made.code == 0, made.stderr
        assert name.upper() in made.stdout.upper()
    listing = json.loads(remote.ok(
        "@(Get-ChildItem cert:\\LocalMachine\\My) + @(Get-ChildItem cert:\\LocalMachine\\CA) | "
        "Select-Object Subject, Issuer, PSParentPath | ConvertTo-Json"))
    mine = [c for c in listing if c["PSParentPath"].endswith("\\My")]
    roots = [c for c in listing
             if c["PSParentPath"].endswith("\\CA") and c["Subject"].startswith("CN=CertReq Test Root")]
    assert sorted(c["Subject"] for c in mine) == ["CN=Hyper-v-prim.test.net", "CN=Hyper-v-repl.test.net"]
    assert all(c["Issuer"].startswith("CN=CertReq Test Root") for c in mine)
    assert len(roots) == 1


def test_revocation_check_value_with_reg(remote: Remote) -> None:
    added = remote.cmd(f'reg add "{REG_KEY}" /v DisableCertRevocationCheck /d 1 /t REG_DWORD /f')
    assert (added.code, added.stdout.strip()) == (0, "The operation completed successfully."), added.stderr
    shown = remote.cmd(f'reg query "{REG_KEY}" /v DisableCertRevocationCheck')
    assert shown.code == 0
    assert "DisableCertRevocationCheck    REG_DWORD    0x1" in shown.stdout
    assert remote.ok(f"(Get-ItemProperty 'Registry::{REG_KEY}').DisableCertRevocationCheck").strip() == "1"


def test_enable_firewall_rule_by_display_name(remote: Remote) -> None:
    before = remote.ok(f'(Get-NetFirewallRule -DisplayName "{RULE}").Enabled').strip()
    assert before == "False"
    enabled = remote.ps(f'Enable-NetFirewallRule -DisplayName "{RULE}"')
    assert (enabled.code, enabled.stdout.strip(), error_records(enabled.stderr)) == (0, "", False)
    assert remote.ok(f'(Get-NetFirewallRule -DisplayName "{RULE}").Enabled').strip() == "True"


def test_netsh_find_lists_the_hyper_v_rules(remote: Remote) -> None:
    listed = remote.cmd('netsh advfirewall firewall show rule name=all dir=in | find "Hyper-V "')
    assert listed.code == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.strip()]
    assert lines and all("Hyper-V " in line for line in lines)
    assert any(RULE in line for line in lines)
    assert any("Hyper-V Replica HTTP Listener (TCP-In)" in line for line in lines)
