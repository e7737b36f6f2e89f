"""ConvertTo-Json / ConvertFrom-Json with Windows PowerShell 5.1's quirks (fact sheet §11), expectations by hand."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from simulator.ps.builtins.json import compact, pretty, to_tree
from simulator.ps.objects import PSEnum, PSHashtable, PSObject
from tests.simulator.ps.conftest import Run, lines


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # strings: < > & ' escaped as \u003c \u003e \u0026 \u0027, quotes and backslashes as usual
        ("ConvertTo-Json -Compress -InputObject 'a<b>&''c\"\\'", r'"a\u003cb\u003e\u0026\u0027c\"\\"'),
        ('"x`ty`n" | ConvertTo-Json -Compress', r'"x\ty\n"'),
        (
            "[pscustomobject]@{ n = 1; s = 'x'; b = $true; z = $null; f = 1.5 } | ConvertTo-Json -Compress",
            '{"n":1,"s":"x","b":true,"z":null,"f":1.5}',
        ),
        # one object -> object, several -> array, none -> nothing, -InputObject @() -> []
        ("1 | ConvertTo-Json -Compress", "1"),
        ("1, 2 | ConvertTo-Json -Compress", "[1,2]"),
        ("ConvertTo-Json -InputObject @(1) -Compress", "[1]"),
        ("ConvertTo-Json -InputObject @() -Compress", "[]"),
        ("@{ list = @('a') } | ConvertTo-Json -Compress", '{"list":["a"]}'),
        # DateTime -> "\/Date(ms)\/"
        ("[datetime]'2020-01-02 03:04:05' | ConvertTo-Json -Compress", r'"\/Date(1577934245000)\/"'),
        # Get-Date output carries DisplayHint and DateTime note properties in 5.1
        (
            "Get-Date -Date ([datetime]'2020-01-02 03:04:05') | ConvertTo-Json -Compress",
            r'{"value":"\/Date(1577934245000)\/","DisplayHint":2,"DateTime":"Thursday, January 2, 2020 3:04:05 AM"}',
        ),
        # default depth 2: the hashtable three levels down becomes its type name
        (
            "@{ a = @{ b = @{ c = @{ d = 1 } } } } | ConvertTo-Json -Compress",
            '{"a":{"b":{"c":"System.Collections.Hashtable"}}}',
        ),
        ("@{ a = @{ b = @{ c = @{ d = 1 } } } } | ConvertTo-Json -Compress -Depth 4", '{"a":{"b":{"c":{"d":1}}}}'),
        (
            "[pscustomobject]@{ a = [pscustomobject]@{ b = [pscustomobject]@{ c = [pscustomobject]@{ d = 1 } } } } | "
            "ConvertTo-Json -Compress",
            '{"a":{"b":{"c":"@{d=1}"}}}',
        ),
        (
            "@{ t = [timespan]'00:01:30' } | ConvertTo-Json -Compress -Depth 1",
            '{"t":{"Ticks":900000000,"Days":0,"Hours":0,"Milliseconds":0,"Minutes":1,"Seconds":30,'
            '"TotalDays":0.0010416666666666667,"TotalHours":0.025,"TotalMilliseconds":90000,"TotalMinutes":1.5,'
            '"TotalSeconds":90}}',
        ),
    ],
)
def test_convertto_json(ps: Run, script: str, expected: str) -> None:
    result = ps(script)
    assert result.stderr == "", result.stderr
    assert lines(result) == [expected]


def test_no_input_gives_no_output(ps: Run) -> None:
    result = ps("@() | ConvertTo-Json; $null = 1")
    assert result.stdout == ""
    assert result.exit_code == 0


def test_pretty_layout_is_51s(ps: Run) -> None:
    result = ps("[ordered]@{ a = 1; b = [ordered]@{ c = @(1, 2) }; e = @() } | ConvertTo-Json")
    assert lines(result) == [
        "{",
        '    "a":  1,',
        '    "b":  {',
        '              "c":  [',
        "                        1,",
        "                        2",
        "                    ]",
        "          },",
        '    "e":  [',
        "",
        "          ]",
        "}",
    ]


def test_enums_serialise_as_integers() -> None:
    state = PSEnum("Microsoft.HyperV.PowerShell.VMState", "Running", 2)
    tree = to_tree(PSObject("VM", {"State": state, "Name": "VM01"}), 0, 2)
    assert compact(tree) == '{"State":2,"Name":"VM01"}'
    assert pretty(tree) == '{\r\n    "State":  2,\r\n    "Name":  "VM01"\r\n}'


def test_hashtable_and_datetime_tree() -> None:
    table = PSHashtable()
    table["When"] = dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert compact(to_tree(table, 0, 2)) == r'{"When":"\/Date(1000)\/"}'


def test_convertfrom_json(ps: Run) -> None:
    script = """
$o = '{"name":"VM01","n":2,"tags":["a","b"],"inner":{"x":true},"when":"\\/Date(1000)\\/"}' | ConvertFrom-Json
$o.name; $o.n + 1; $o.tags.Count; $o.inner.x; $o.GetType().FullName; $o.when.Year
('[1,2,3]' | ConvertFrom-Json | Measure-Object).Count
(ConvertFrom-Json '[1,2,3]').Count
"""
    assert lines(ps(script)) == [
        "VM01",
        "3",
        "2",
        "True",
        "System.Management.Automation.PSCustomObject",
        "1970",
        "1",
        "3",
    ]


def test_convertfrom_json_invalid(ps: Run) -> None:
    result = ps("try { '{bad' | ConvertFrom-Json } catch { $_.FullyQualifiedErrorId }")
    assert lines(result) == ["System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand"]


def test_round_trip_of_engine_style_result(ps: Run) -> None:
    script = """
$vms = @(Get-VM | ForEach-Object { [pscustomobject]@{ name = $_.Name; state = $_.State.ToString() } })
$out = @{ ok = $true; data = @{ vms = $vms; count = $vms.Count } }
ConvertTo-Json -InputObject $out -Compress -Depth 6
"""
    decoded = json.loads(lines(ps(script))[0])
    assert decoded == {"ok": True, "data": {"vms": [{"name": "VM01", "state": "Running"}], "count": 1}}


def test_error_category_is_an_enum(ps: Run) -> None:
    script = """
try { Get-Item 'C:\\nope' -ErrorAction Stop }
catch { $_.CategoryInfo.Category; $_.CategoryInfo.Category.ToString(); ConvertTo-Json $_.CategoryInfo.Category }
"""
    assert lines(ps(script)) == ["ObjectNotFound", "ObjectNotFound", "13"]


def test_datetime_from_ticks_out_of_range_is_a_cast_error_not_a_crash(ps: Run) -> None:
    """[datetime] of ticks beyond DateTime.MaxValue (or negative) fails as .NET does; in range it converts."""
    for ticks in ("3155378976000000000", "-1"):
        result = ps(f"[datetime]{ticks}")
        assert result.exit_code != 0
        assert "Ticks must be between DateTime.MinValue.Ticks and DateTime.MaxValue.Ticks." in result.stderr
    assert ps("([datetime]3155378975999999999).Year").stdout.strip() == "9999"
