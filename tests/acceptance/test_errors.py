"""Issue 2: errors look like Windows through every client — CLIXML ErrorRecords, clean text, exit codes, ids."""

from __future__ import annotations

from tests.acceptance.support import Remote, error_text

CASES = [
    (r"Get-Item C:\nope", "Get-Item : Cannot find path 'C:\\nope' because it does not exist.",
     "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"),
    ("Enable-NetFirewallRule -DisplayName 'No such rule'",
     "Enable-NetFirewallRule : No MSFT_NetFirewallRule objects found with property 'DisplayName' equal to "
     "'No such rule'.", "CmdletizationQuery_NotFound_DisplayName,Enable-NetFirewallRule"),
    ("Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Certificate "
     "-CertificateThumbprint 'ABC'", "(0x80092004).",
     "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMReplicationServer"),
    ("$n = [int]'abc'", 'Cannot convert value "abc" to type "System.Int32".', "InvalidCastFromStringToInteger"),
]


def test_error_records_on_stderr(remote: Remote) -> None:
    for script, message, error_id in CASES:
        check_error(remote, script, message, error_id)


def check_error(remote: Remote, script: str, message: str, error_id: str) -> None:
    """One failing script: exit code 1, nothing on stdout, a Windows-shaped error record on stderr."""
    done = remote.ps(script)
    assert done.code == 1
    assert done.stdout.strip() == ""
    if remote.library == "pywinrm":
        # run_ps turns the CLIXML into the clean text a console shows
        assert not done.stderr.startswith("#< CLIXML")
        shown = done.stderr
    else:
        assert done.stderr.startswith("#< CLIXML") and '<S S="Error">' in done.stderr
        shown = error_text(done.stderr)
    first_line = shown.strip().splitlines()[0]
    assert message in first_line
    assert f"+ FullyQualifiedErrorId : {error_id}" in shown
    assert "Traceback" not in shown


def test_caught_error_carries_its_id(remote: Remote) -> None:
    script = (r"try { Get-Item C:\nope -ErrorAction Stop } catch { $_.FullyQualifiedErrorId; "
              "$_.CategoryInfo.Category.ToString() }")
    assert remote.ok(script).split() == ["PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand",
                                         "ObjectNotFound"]


def test_exit_codes(remote: Remote) -> None:
    assert remote.ps("exit 7").code == 7
    assert remote.ps("'fine'").code == 0
    # powershell -EncodedCommand exits 1 only when $? is false at the end (fact sheet, exit codes)
    later_success = remote.ps(r"Get-Item C:\nope; 'after'")
    assert (later_success.code, later_success.stdout.strip()) == (0, "after")
    assert "PathNotFound" in error_text(later_success.stderr)
    assert remote.ps(r"'before'; Get-Item C:\nope").code == 1
    assert remote.ps("throw 'stop'; 'never'").stdout.strip() == ""
