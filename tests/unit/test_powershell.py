"""PowerShell quoting, templates, the result wrapper and parsing of what Windows PowerShell 5.1 prints."""

from __future__ import annotations

import base64
import json
import re
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvrepl.errors import PowerShellError, ProtocolError
from hvrepl.powershell import (
    SINGLE_QUOTES,
    as_list,
    command_line,
    parse_result,
    quote,
    render,
    wrap,
)
from hvrepl.session import Script

QUOTE_HEAVY = st.text(alphabet=st.sampled_from(list(SINGLE_QUOTES) + list("ab$`\"“”\n\\{}()@;# ")), max_size=40)


def unquote_single(literal: str) -> str:
    """How PowerShell reads a single-quoted literal: any quote mark pair is one quote; no expansion."""
    assert literal[0] in SINGLE_QUOTES
    assert literal[-1] in SINGLE_QUOTES
    body = literal[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch in SINGLE_QUOTES:
            assert i + 1 < len(body), f"unpaired quote mark ends the string early in {literal!r}"
            assert body[i + 1] in SINGLE_QUOTES, f"lone quote mark would end the string: {literal!r}"
            out.append(ch)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@given(st.one_of(st.text(max_size=60), QUOTE_HEAVY))
def test_quote_round_trips_through_powershell_reading(value: str) -> None:
    """Whatever the text (incl. ‘ ’ ‚ ‛ and $), PowerShell reads back exactly the value."""
    assert unquote_single(quote(value)) == value


@given(QUOTE_HEAVY)
def test_quoted_text_never_expands(value: str) -> None:
    """Single-quoted: the literal is wrapped in ASCII quotes and every quote mark inside is doubled."""
    literal = quote(value)
    assert literal.startswith("'")
    assert literal.endswith("'")
    runs = re.findall(f"[{SINGLE_QUOTES}]+", literal[1:-1])
    assert all(len(run) % 2 == 0 for run in runs)


def test_quote_other_types() -> None:
    """Booleans, None, ints and lists become PowerShell literals."""
    assert quote(True) == "$true"
    assert quote(False) == "$false"
    assert quote(None) == "$null"
    assert quote(443) == "443"
    assert quote(["a'b", 3]) == "@('a''b', 3)"
    with pytest.raises(TypeError):
        quote(1.5)  # type: ignore[arg-type]  # the point of the test


def test_render_binds_every_placeholder_and_only_those() -> None:
    """Missing or extra values are programming errors, caught at render time."""
    text = render("firewall_get", rule="VIRT-HVRHTTPSL-In-TCP-NoScope")
    assert "-Name 'VIRT-HVRHTTPSL-In-TCP-NoScope'" in text
    with pytest.raises(KeyError, match="missing"):
        render("firewall_get")
    with pytest.raises(KeyError, match="unexpected"):
        render("firewall_get", rule="x", other="y")


SAMPLE_VALUES = {
    "names": ["hyper-v-prim.test.net", "hyper-v-repl.test.net"], "fqdn": "hyper-v-repl.test.net",
    "thumbprint": "A" * 40, "thumbprints": ["A" * 40, "B" * 40],
    "path": "C:\\Windows\\Temp\\hvrepl-0123456789ab.pfx", "subject": "CN=x",
    "rule": "VIRT-HVRHTTPSL-In-TCP-NoScope", "new_name": "Hyper-v-prim", "dns_suffix": "test.net",
    "port": 443, "storage": "D:\\Hyper-V\\Replica", "server": "hyper-v-repl.test.net", "group": "Replication",
    "vm": "VM01", "frequency": 300, "history": 24, "vss": 4, "first": True, "chunk": "A" * 1800,
    "part": "C:\\Windows\\Temp\\hvrepl-0123456789ab.pfx.part", "folder": "C:\\Windows\\Temp",
    "pattern": "hvrepl-*", "complete": True, "text": "x" * 1200, "reset_statistics": True, "max": 20,
    "temp_folder": "C:\\Windows\\Temp", "temp_pattern": "hvrepl-*",
}


@pytest.mark.parametrize("name", sorted(p.name[:-4] for p in resources.files("hvrepl").joinpath("ps").iterdir()
                                        if p.name.endswith(".ps1")))
def test_every_template_fits_one_command_line(name: str) -> None:
    """Rendered with realistic (large) values and wrapped, each script fits cmd.exe's 8,191 characters."""
    text = resources.files("hvrepl").joinpath("ps", f"{name}.ps1").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\{\{(\w+)\}\}", text))
    script = Script.build(name, **{k: SAMPLE_VALUES[k] for k in wanted})  # type: ignore[arg-type]  # sample dict
    assert len(command_line(script.text)) <= 8191  # cmd.exe's limit, written out (not the engine's constant)
    for forbidden in ("-AsArray", "-EnumsAsStrings", "??", "-Parallel"):
        assert forbidden not in text, f"{name} uses {forbidden}, absent from PowerShell 5.1"


def test_wrapper_shape() -> None:
    """UTF-8 output, stop on errors, JSON result with HRESULT formatting, exit 1 on failure."""
    script = wrap("$result = 1")
    assert script.startswith("[Console]::OutputEncoding = [System.Text.Encoding]::UTF8")
    assert "$ErrorActionPreference = 'Stop'" in script
    assert "'0x{0:X8}' -f $err.Exception.HResult" in script
    assert "ConvertTo-Json -InputObject $out -Compress -Depth 6" in script
    assert "$input" not in script
    assert "$HvreplStdin = @($input)" in wrap("$result = 1", reads_stdin=True)


def test_command_line_is_utf16le_base64() -> None:
    """The -EncodedCommand payload decodes to the script."""
    line = command_line("Write-Output 'ü'")
    payload = line.rsplit(" ", 1)[1]
    assert base64.b64decode(payload).decode("utf-16-le") == "Write-Output 'ü'"


class TestParseResult:
    """What comes back from a 5.1 host."""

    def test_success_after_noise(self) -> None:
        """Stray output lines before the JSON object are ignored."""
        out = "WARNING: something\r\n" + json.dumps({"ok": True, "data": {"a": [1]}}) + "\r\n"
        assert parse_result(out, 0) == {"a": [1]}

    def test_5_1_escapes(self) -> None:
        """5.1 escapes < > & ' as \\u003c …; json decoding restores them."""
        out = '{"ok":true,"data":{"s":"\\u003cA \\u0026 B\\u0027s\\u003e"}}'
        assert parse_result(out, 0) == {"s": "<A & B's>"}

    def test_error_record(self) -> None:
        """ok:false becomes PowerShellError with fqid, category and HRESULT as 0x%08X."""
        out = json.dumps({"ok": False, "error": {"message": "boom (0x800B0109).", "fqid": "X,Y",
                                                 "category": "InvalidOperation", "hresult": "0x800b0109"}})
        with pytest.raises(PowerShellError) as caught:
            parse_result(out, 1)
        assert caught.value.hresult == "0x800B0109"
        assert caught.value.fqid == "X,Y"

    def test_no_json_is_a_protocol_error(self) -> None:
        """A parse error printed by powershell.exe (no JSON) is not mistaken for success."""
        with pytest.raises(ProtocolError):
            parse_result("At line:1 char:1\r\n+ ~~~\r\n", 1)
        with pytest.raises(ProtocolError, match="exited with code 1"):
            parse_result('{"ok":true,"data":null}', 1)

    def test_as_list(self) -> None:
        """One element arrives bare, none as null."""
        assert as_list(None) == []
        assert as_list({"a": 1}) == [{"a": 1}]
        assert as_list([1, 2]) == [1, 2]


def test_wrap_keeps_multiline_literals_intact() -> None:
    """A multi-line value (the hosts file) must reach the host byte for byte: no indentation added."""
    text = "# a\r\n10.0.0.1\thost\r\n"
    script = Script.build("hosts_set", path="C:\\x", text=text)
    assert quote(text) in script.text
