"""Property tests: malformed or random scripts give PowerShell errors, never Python exceptions or state changes."""

from __future__ import annotations

import copy
from typing import Any
from xml.etree import ElementTree

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core.host import Host
from simulator.ps.parser import ScriptSyntaxError, parse
from simulator.ps.runner import run_script
from tests.simulator.ps.test_errors import error_text

READ_ONLY_COMMANDS = (
    "Get-VM",
    "Get-Item",
    "Get-ChildItem",
    "Test-Path",
    "Write-Output",
    "Select-Object",
    "Where-Object",
    "ForEach-Object",
    "ConvertTo-Json",
    "Sort-Object",
    "Measure-Object",
    "Get-Location",
    "Get-NetFirewallRule",
    "Get-VMReplicationServer",
    "Get-Date",
    "Out-String",
    "Frobnicate",
    "Get-Process",
)
TOKENS = (
    "$x",
    "$_",
    "$null",
    "$true",
    "1",
    "-1",
    "'s'",
    '"d $x"',
    "@()",
    "@{a=1}",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "[int]",
    "[string]",
    "|",
    ";",
    ",",
    ".",
    "::",
    "-eq",
    "-and",
    "-not",
    "+",
    "*",
    "=",
    "+=",
    "..",
    "-f",
    "if",
    "else",
    "foreach",
    "in",
    "try",
    "catch",
    "throw",
    "-Name",
    "-Path",
    "-ErrorAction",
    "Stop",
    "'C:\\nope'",
    "Cert:\\LocalMachine\\My",
    "HKLM:\\SOFTWARE",
    "\n",
    " ",
    "`",
    "#",
    "\u2018",
    "\u201c",
    '@"\n',
    "$(",
    "2>&1",
    "> $null",
    "-Depth",
    "-Compress",
    "&",
    ".Count",
    ".Name",
    "[0]",
    "-like",
    "'*'",
    "-match",
    "{ $_ }",
    "@(",
    "$env:TEMP",
)


def _state(host: Host) -> Any:
    snapshot = copy.deepcopy(host.state)
    snapshot.pop("clock", None)
    return snapshot


def _check(host: Host, script: str) -> None:
    before = _state(host)
    try:
        parse(script)
        parses = True
    except ScriptSyntaxError:
        parses = False
    result = run_script(host, script)
    if not parses:
        assert result.exit_code == 1
        assert result.stdout == ""
        assert "ParserError" in error_text(result.stderr)
    if result.stderr:
        assert result.stderr.startswith("#< CLIXML\r\n")
        ElementTree.fromstring(result.stderr[len("#< CLIXML\r\n") :])  # well-formed XML
        cleaned = error_text(result.stderr)
        if cleaned.startswith("#< CLIXML"):  # pywinrm returns it unchanged when there is no <S> element
            assert "<S " not in cleaned
        assert "internal simulator error" not in cleaned, cleaned
        assert "Traceback" not in cleaned
    assert _state(host) == before, script


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.sampled_from(TOKENS + READ_ONLY_COMMANDS), max_size=14).map(" ".join))
def test_token_soup_never_crashes(sim_host: Host, script: str) -> None:
    _check(sim_host, script)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_random_text_never_crashes(sim_host: Host, script: str) -> None:
    _check(sim_host, script)


VALID = """$result = @{ vms = @(Get-VM | Select-Object Name, @{n='State';e={$_.State.ToString()}}) }
try { Get-Item 'C:\\nope' -ErrorAction Stop } catch { $result.error = $_.Exception.Message }
foreach ($v in $result.vms) { if ($v.Name -like 'VM*') { $result.found = $true } }
$result | ConvertTo-Json -Depth 4 -Compress"""


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.data())
def test_mutated_valid_script(sim_host: Host, data: st.DataObject) -> None:
    script = VALID
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(script)))
        if data.draw(st.booleans()) and position < len(script):
            script = script[:position] + script[position + 1 :]
        else:
            script = script[:position] + data.draw(st.sampled_from("{}()[]'\"$|;,@`\n")) + script[position:]
    _check(sim_host, script)


def test_valid_script_baseline(sim_host: Host) -> None:
    result = run_script(sim_host, VALID)
    assert result.exit_code == 0
    assert result.stdout.startswith('{"vms":[{"Name":"VM01","State":"Running"}],"error":"Cannot find path')
