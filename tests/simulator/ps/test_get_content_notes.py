"""Get-Content's lines carry PSPath, ReadCount … as in Windows PowerShell 5.1, so ConvertTo-Json writes them
as objects; a [string] cast, "$x", -replace and string methods give plain strings."""

from __future__ import annotations

import json

from tests.simulator.ps.conftest import Run

HOSTS = r"C:\Windows\System32\drivers\etc\hosts"


def test_a_line_from_get_content_serialises_as_an_object_with_its_notes(ps: Run) -> None:
    ps(f"Set-Content -Path '{HOSTS}' -Value 'first','second'")
    result = ps(f"Get-Content -Path '{HOSTS}' | ConvertTo-Json")
    assert result.exit_code == 0, result.stderr
    lines = json.loads(result.stdout)
    assert [line["value"] for line in lines] == ["first", "second"]
    assert [line["ReadCount"] for line in lines] == [1, 2]
    assert lines[0]["PSPath"] == "Microsoft.PowerShell.Core\\FileSystem::" + HOSTS
    assert lines[0]["PSParentPath"] == "Microsoft.PowerShell.Core\\FileSystem::C:\\Windows\\System32\\drivers\\etc"
    assert lines[0]["PSChildName"] == "hosts"
    assert lines[0]["PSDrive"]["Name"] == "C" and lines[0]["PSProvider"]["Name"] == "FileSystem"


def test_plain_string_forms_drop_the_notes(ps: Run) -> None:
    ps(f"Set-Content -Path '{HOSTS}' -Value 'a line'")
    script = (f"$l = @(Get-Content -Path '{HOSTS}')[0]; "
              "@([string]$l, \"$l\", ($l -replace 'a ', ''), $l.Trim(), $l.PSChildName, $l.Length) | ConvertTo-Json")
    assert json.loads(ps(script).stdout) == ["a line", "a line", "line", "a line", "hosts", 6]


def test_a_line_nested_deeper_than_the_depth_becomes_its_text(ps: Run) -> None:
    """At ConvertTo-Json's default depth 2 a line three levels down is written as its ToString()."""
    ps(f"Set-Content -Path '{HOSTS}' -Value 'x'")
    out = json.loads(ps(f"@{{ a = @{{ b = @{{ c = (Get-Content -Path '{HOSTS}') }} }} }} | ConvertTo-Json").stdout)
    assert out == {"a": {"b": {"c": "x"}}}
    raw = json.loads(ps(f"Get-Content -Path '{HOSTS}' -Raw | ConvertTo-Json").stdout)
    assert raw["value"] == "x\r\n" and raw["ReadCount"] == 1


def test_text_comparisons_and_set_content_see_plain_text(ps: Run) -> None:
    ps(f"Set-Content -Path '{HOSTS}' -Value 'keep','drop'")
    ps(f"(Get-Content -Path '{HOSTS}') | Where-Object {{ $_ -ne 'drop' }} | Set-Content -Path '{HOSTS}'")
    assert json.loads(ps(f"[string[]](Get-Content -Path '{HOSTS}') | ConvertTo-Json").stdout) == "keep"
