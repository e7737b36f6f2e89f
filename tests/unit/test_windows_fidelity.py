"""What real Windows PowerShell 5.1 on Server 2016 does that a lenient host would let slip (notes/winfidelity.md).

The engine sends the same templates to the simulator and to real hosts, so these tests read the templates
and the result parser for the 5.1 behaviours the lab does not (or cannot) catch: PowerShell 7-only syntax,
confirmation prompts in a -NonInteractive session, ETS note properties and enums/dates reaching
ConvertTo-Json, cmd.exe's command-line limit, and line separators inside 5.1's JSON strings.
"""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hvrepl.errors import PowerShellError
from hvrepl.powershell import MAX_COMMAND_LINE, command_line, parse_result
from hvrepl.remediation import remediation_for
from hvrepl.session import Script
from hvrepl.steps.hosts_file import INLINE_LIMIT
from hvrepl.steps.vm_replication import name_batches
from hvrepl.transfer import CHUNK_CHARS

TEMPLATES = {path.name.removesuffix(".ps1"): path.read_text(encoding="utf-8")
             for path in resources.files("hvrepl").joinpath("ps").iterdir() if path.name.endswith(".ps1")}
STDIN_TEMPLATES = {"cert_export_pfx", "cert_import_pfx"}

# The longest value the plan validation or the engine lets reach each placeholder.
LONGEST_FQDN = ("h" * 15 + "." + ("a" * 62 + ".") * 4)[:253]
LONGEST_PATH = "D:\\" + "p" * 257  # MAX_PATH
LONGEST_VALUES: dict[str, object] = {
    "chunk": "A" * CHUNK_CHARS, "complete": True, "dns_suffix": LONGEST_FQDN[16:], "first": True,
    "folder": "C:\\Windows\\Temp", "fqdn": LONGEST_FQDN, "frequency": 900, "group": "g" * 64, "history": 24,
    "max": 200, "names": ["V" * 100] * 4, "new_name": "N" * 15, "part": LONGEST_PATH, "path": LONGEST_PATH,
    "pattern": "hvrepl-*", "port": 65535, "reset_statistics": True, "rule": "VIRT-HVRHTTPSL-In-TCP-NoScope",
    "server": LONGEST_FQDN, "storage": LONGEST_PATH, "subject": "CN=CertReq Test Root, OU=For Test Purposes Only",
    "temp_folder": "C:\\Windows\\Temp", "temp_pattern": "hvrepl-*", "text": "x" * INLINE_LIMIT,
    "thumbprint": "F" * 40, "thumbprints": ["F" * 40] * 4, "vm": "V" * 100, "vss": 12,
}


def build(name: str, **values: object) -> Script:
    """The wrapped script of template ``name`` with the given values (stdin templates as the engine builds them)."""
    if name in STDIN_TEMPLATES:
        return Script.build_with_stdin(name, **values)  # type: ignore[arg-type]  # test values are PowerShellValue
    return Script.build(name, **values)  # type: ignore[arg-type]  # test values are PowerShellValue


def placeholders(text: str) -> set[str]:
    """The ``{{name}}`` placeholders of a template."""
    return set(re.findall(r"\{\{(\w+)\}\}", text))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_fits_cmd_exe_with_its_longest_values(name: str) -> None:
    """cmd.exe refuses command lines over 8,191 characters; -EncodedCommand inflates the script 2.67x."""
    values = {key: LONGEST_VALUES[key] for key in placeholders(TEMPLATES[name])}
    assert len(command_line(build(name, **values).text)) <= MAX_COMMAND_LINE


# PowerShell 6/7 additions a 5.1 host rejects at parse or bind time (whole script lost, no JSON answer).
PS7_ONLY = {
    r"\?\?": "null-coalescing ?? (7.0)",
    r"\?\.": "null-conditional ?. (7.1)",
    r"&&|\|\|": "pipeline chain operators (7.0)",
    r"\s\?\s[^:]*\s:\s": "ternary operator (7.0)",
    r"-AsArray\b": "ConvertTo-Json -AsArray (7.0)",
    r"-EnumsAsStrings\b": "ConvertTo-Json -EnumsAsStrings (6.2)",
    r"-AsHashtable\b": "ConvertFrom-Json -AsHashtable (6.0)",
    r"-Parallel\b": "ForEach-Object -Parallel (7.0)",
    r"-AsByteStream\b": "Get-Content -AsByteStream (6.0)",
    r"-AsUTC\b": "Get-Date -AsUTC (7.1)",
    r"utf8NoBOM": "-Encoding utf8NoBOM (6.0)",
    r"\bJoin-String\b|\bTest-Json\b|\bGet-Error\b": "cmdlets added in 6/7",
    r"\$Is(Windows|Linux|MacOS|CoreCLR)\b": "automatic variables added in 6.0",
    r"-CryptoAlgorithmOption\b": "Export-PfxCertificate -CryptoAlgorithmOption (Windows 10 1803, not Server 2016)",
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_no_template_uses_powershell_7_syntax(name: str) -> None:
    """Server 2016 runs Windows PowerShell 5.1."""
    code = "\n".join(line.split("#", 1)[0] for line in TEMPLATES[name].splitlines())
    found = [why for pattern, why in PS7_ONLY.items() if re.search(pattern, code)]
    assert found == []


# Cmdlets that can ask for confirmation; -NonInteractive turns the prompt into an error, so each call says
# how to proceed (Set-VMReplicationServer's help: -Force "runs without requiring confirmation").
NEEDS_NO_PROMPT = {
    r"\bStart-VMFailover\b": r"-Confirm:\$false",
    r"\bStop-VMFailover\b": r"-Confirm:\$false",
    r"\bComplete-VMFailover\b": r"-Confirm:\$false",
    r"\bSet-VMReplication\b.*-Reverse\b": r"-Confirm:\$false",
    r"\bSet-VMReplicationServer\b": r"-Force\b",
    r"\bStop-VM\b": r"-Force\b",
    r"\bRestart-Computer\b": r"-Force\b",
    r"\bRename-Computer\b": r"-Force\b",
}


def test_state_changing_cmdlets_never_wait_for_a_confirmation() -> None:
    """Every prompting cmdlet in every template carries its no-prompt switch."""
    missing = [f"{name}: {line.strip()}" for name, text in sorted(TEMPLATES.items()) for line in text.splitlines()
               for cmdlet, switch in NEEDS_NO_PROMPT.items()
               if re.search(cmdlet, line) and not re.search(switch, line)]
    assert missing == []


def test_get_content_lines_reach_json_as_plain_strings() -> None:
    """5.1 serialises Get-Content's strings with their PSPath/PSParentPath/ReadCount note properties.

    Converting each line (``[string]$_``) or building a new string (``-replace``) drops them.
    """
    offenders = [f"{name}: {line.strip()}" for name, text in sorted(TEMPLATES.items()) for line in text.splitlines()
                 if "Get-Content" in line and "[string]$_" not in line and ") -replace" not in line]
    assert offenders == []


# Properties whose 5.1 JSON form is a number (enums) or "\/Date(ms)\/" (DateTime): they may only be used
# converted (.ToString(...), .ToUniversalTime()) or tested against $null.
ENUM_OR_DATE = ("State", "ReplicationState", "ReplicationHealth", "ReplicationMode", "AllowedAuthenticationType",
                "AuthenticationType", "Enabled", "Category", "NotAfter", "NotBefore", "TimeCreated",
                "LastReplicationTime", "CreationTime", "SnapshotType", "MonitoringInterval", "MonitoringStartTime")
RAW_PROPERTY = re.compile(r"(?<!\$null -ne )\$[\w.()\[\]]*?\.(" + "|".join(ENUM_OR_DATE) + r")\b"
                          r"(?!\.ToString\(|\.ToUniversalTime\(\))")


def test_enum_and_date_properties_are_converted_before_json() -> None:
    """ConvertTo-Json 5.1 writes enums as integers and dates as \\/Date(ms)\\/ (fact sheet §11)."""
    offenders = [f"{name}: {match.group(0)}" for name, text in sorted(TEMPLATES.items())
                 for match in RAW_PROPERTY.finditer(text)]
    assert offenders == []


def test_the_property_lint_sees_a_raw_enum() -> None:
    """The lint above is not vacuous: it flags the forms it must flag and passes the converted ones."""
    assert RAW_PROPERTY.search("$result = @{ state = $vm.State }")
    assert RAW_PROPERTY.search("$item = @{ health = $r.ReplicationHealth; x = 1 }")
    assert not RAW_PROPERTY.search("state = $vm.State.ToString()")
    assert not RAW_PROPERTY.search("if ($null -ne $r.LastReplicationTime) {")


@pytest.mark.parametrize("separator", ["\u0085", "\u2028", "\u2029"])
def test_result_line_may_hold_unicode_line_separators(separator: str) -> None:
    """5.1's serializer escapes only characters below U+0020, so these stay raw inside a JSON string."""
    text = f"event{separator}message"
    line = json.dumps({"ok": True, "data": {"message": text}}, ensure_ascii=False)
    assert separator in line
    assert parse_result("WARNING: something\r\n" + line + "\r\n", 0) == {"message": text}


def test_result_after_a_byte_order_mark() -> None:
    """A UTF-8 BOM written before the first output line does not hide the answer."""
    assert parse_result("\ufeff" + json.dumps({"ok": True, "data": 7}) + "\r\n", 0) == 7


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\\/:*?\"<>|"),
                        min_size=1, max_size=100), max_size=40))
@settings(deadline=None)
def test_vm_names_are_read_in_scripts_that_fit_the_command_line(names: list[str]) -> None:
    """Long VM lists go in several vms_get scripts, each under cmd.exe's limit; order and names are kept."""
    batches = name_batches(names)
    assert [name for batch in batches for name in batch] == names
    assert batches == [[]] if not names else all(batches)
    for batch in batches:
        assert len(command_line(Script.build("vms_get", names=batch).text)) <= MAX_COMMAND_LINE


def caught(message: str, hresult: str) -> str:
    """The wrapper's answer for a caught ErrorRecord."""
    error = {"message": message, "fqid": "OperationFailed,Microsoft.HyperV.PowerShell.Commands.EnableVMReplication",
             "category": "NotSpecified", "hresult": hresult}
    return json.dumps({"ok": False, "error": error}) + "\r\n"


def test_hyper_v_cause_is_read_from_the_message_when_the_exception_is_generic() -> None:
    """Hyper-V writes the cause in the text; its exception may carry only COR_E_EXCEPTION (0x80131500)."""
    text = ("Hyper-V failed to enable replication for virtual machine 'VM01': A certification chain processed "
            "correctly, but terminated in a root certificate which isn't trusted by the trust provider. "
            "(0x800B0109). (Virtual machine ID 4C4C4544-0000-1000-8000-000000000000)")
    with pytest.raises(PowerShellError) as failure:
        parse_result(caught(text, "0x80131500"), 1)
    assert failure.value.hresult == "0x800B0109"
    assert "untrusted root" in (remediation_for(failure.value) or "")


def test_exception_hresult_is_kept_when_the_message_names_no_other_code() -> None:
    """A specific exception code (the PFX password one) stays; so does one the message agrees with."""
    with pytest.raises(PowerShellError) as failure:
        parse_result(caught("The specified network password is not correct.", "0x80070056"), 1)
    assert failure.value.hresult == "0x80070056"
    with pytest.raises(PowerShellError) as failure:
        parse_result(caught("Cannot connect (0x00002efd) after (0x80070005).", "0x00002EFD"), 1)
    assert failure.value.hresult == "0x00002EFD"
