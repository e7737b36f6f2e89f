"""Builds the PowerShell the engine sends and reads back its one JSON answer.

Scripts are ``.ps1`` templates (package data under ``hvrepl/ps/``) whose ``{{name}}`` placeholders are
replaced by PowerShell literals made by ONE function, :func:`quote`: values never reach a script by
string interpolation. Every script is wrapped so that it sets UTF-8 output, stops on errors, and ends
by emitting exactly one compressed JSON object, ``{"ok": true, "data": …}`` or
``{"ok": false, "error": {message, fqid, category, hresult}}`` — the engine never parses English text.

Secrets: the only secret a script needs (the PFX password) is sent on the command's stdin and read
with ``$input`` (the way Ansible's exec wrapper receives its payload over WinRM), so it is neither on
the powershell.exe command line nor in the rendered script nor in any log; ``plan`` output shows the
script exactly as sent, with nothing to mask. Scripts that read stdin are wrapped with
``reads_stdin=True`` and find the lines in ``$HvreplStdin``.
"""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from hvrepl.errors import PowerShellError, ProtocolError, format_hresult

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")
# cmd.exe accepts 8,191 characters; `powershell -EncodedCommand` inflates a script 2.67x (UTF-16LE + base64).
MAX_COMMAND_LINE = 8191
MAX_SCRIPT_CHARS = 3000
BYTE_ORDER_MARK = "\ufeff"
MESSAGE_HRESULT = re.compile(r"\((0x[0-9A-Fa-f]{8})\)")

PowerShellValue = str | int | bool | None | list[Any] | tuple[Any, ...]

# The encoding is set BEFORE $ErrorActionPreference = 'Stop': where powershell.exe has no console the
# assignment fails ("The handle is invalid"; Ansible's bootstrap guards the same line), and it must then stay
# a non-terminating error (the shell's code page, 65001, applies), not end the script.
WRAPPER_HEAD = """\
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
    $result = $null
"""

WRAPPER_TAIL = """
    $out = @{ ok = $true; data = $result }
} catch {
    $err = $_
    $out = @{ ok = $false; error = @{
        message = $err.Exception.Message
        fqid = [string]$err.FullyQualifiedErrorId
        category = $err.CategoryInfo.Category.ToString()
        hresult = ('0x{0:X8}' -f $err.Exception.HResult) } }
}
ConvertTo-Json -InputObject $out -Compress -Depth 6
if (-not $out.ok) { exit 1 }
"""


def quote(value: PowerShellValue) -> str:
    """Render a Python value as a PowerShell literal.

    Strings become single-quoted literals with every single-quote character (' ‘ ’ ‚ ‛) doubled —
    PowerShell treats all of them as quote marks. Booleans become $true/$false, None $null, ints digits,
    sequences @(a, b).
    """
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "@(" + ", ".join(quote(item) for item in value) + ")"
    if isinstance(value, str):
        escaped = "".join(ch + ch if ch in SINGLE_QUOTES else ch for ch in value)
        return f"'{escaped}'"
    raise TypeError(f"cannot bind a {type(value).__name__} into PowerShell")


@cache
def template(name: str) -> str:
    """The text of ``hvrepl/ps/<name>.ps1``."""
    return resources.files("hvrepl").joinpath("ps", f"{name}.ps1").read_text(encoding="utf-8")


def render(name: str, **values: PowerShellValue) -> str:
    """Fill a template's ``{{placeholders}}`` with quoted literals; every placeholder must be bound."""
    text = template(name)
    wanted = set(PLACEHOLDER.findall(text))
    missing = wanted - values.keys()
    extra = values.keys() - wanted
    if missing or extra:
        raise KeyError(f"template {name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return PLACEHOLDER.sub(lambda m: quote(values[m.group(1)]), text)


def wrap(body: str, *, reads_stdin: bool = False) -> str:
    """Put a script body inside the standard preamble, try/catch and JSON epilogue.

    With ``reads_stdin`` the lines sent on stdin are collected into ``$HvreplStdin`` first (only then:
    ``$input`` waits for the end of stdin, so a script must not touch it unless stdin is sent and closed).
    """
    # The body is NOT re-indented: that would change the value of multi-line string literals.
    body = body.strip("\n")
    head = WRAPPER_HEAD
    if reads_stdin:
        head = head.replace("try {\n", "$HvreplStdin = @($input)\ntry {\n", 1)
    return head + body + WRAPPER_TAIL


def encode_command(script: str) -> str:
    """``-EncodedCommand`` form: base64 of the UTF-16LE script."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def command_line(script: str) -> str:
    """The exact cmd.exe command line that runs ``script``."""
    return ("powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "
            + encode_command(script))


def parse_result(stdout: str, exit_code: int, stderr: str = "") -> Any:
    """Find the script's JSON object (the last line starting with '{') and return its ``data``.

    Raises PowerShellError when the script reported ``ok: false``, ProtocolError when no such object
    exists (e.g. the script failed to parse, or the host is not Windows PowerShell).
    """
    # Lines end at LF only: str.splitlines() would also cut at U+0085, U+2028 and U+2029, which 5.1's
    # serializer leaves unescaped inside JSON strings (an event message may hold one). A UTF-8 byte order
    # mark before the first line is dropped.
    lines = (line.strip().lstrip(BYTE_ORDER_MARK).strip() for line in stdout.split("\n"))
    candidates = [line for line in lines if line.startswith("{")]
    if not candidates:
        raise ProtocolError(f"the script emitted no JSON result (exit code {exit_code}); "
                            f"output began: {stdout[:200]!r}; errors: {stderr[:600]!r}")
    try:
        answer = json.loads(candidates[-1])
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"the script's JSON result could not be parsed: {exc}") from None
    if not isinstance(answer, dict) or "ok" not in answer:
        raise ProtocolError("the script's JSON result lacks 'ok'")
    if answer["ok"] is not True:
        error = answer.get("error") or {}
        message = str(error.get("message") or "unknown error")
        raise PowerShellError(message, fqid=error.get("fqid"), category=error.get("category"),
                              hresult=reported_hresult(message, error.get("hresult")))
    if exit_code != 0:
        raise ProtocolError(f"the script reported success but exited with code {exit_code}")
    return answer.get("data")


def reported_hresult(message: str, exception_hresult: str | None) -> str | None:
    """The HRESULT of a failure: the code Windows wrote in the message, else the exception's HResult.

    Hyper-V cmdlets put the cause in the text ("… (0x800B0109).") while the .NET exception they throw
    need not carry it in HResult (the base Exception's is COR_E_EXCEPTION, 0x80131500), so a code in the
    message wins unless it agrees with the exception's.
    """
    codes = [format_hresult(code) for code in MESSAGE_HRESULT.findall(message)]
    if not codes or format_hresult(exception_hresult) in codes:
        return exception_hresult
    return codes[-1]


def as_list(value: Any) -> list[Any]:
    """PowerShell 5.1 serialises one element as itself and none as null: normalise to a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
