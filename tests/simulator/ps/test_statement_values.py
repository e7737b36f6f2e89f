"""Statements used as values: ``$x = if …``, ``$x = foreach …``, ``@{k = switch …}`` collect the statement's output.

As in Windows PowerShell 5.1: one output object gives the object, several an array, none ``$null``.
Values are read back through ``ConvertTo-Json -Compress``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core.host import Host
from simulator.ps.runner import run_script


def json_of(host: Host, script: str) -> str:
    """Run ``script`` (which leaves its value in ``$x``) and return ``$x`` as compressed JSON."""
    result = run_script(host, script + "; ConvertTo-Json -InputObject @{v = $x} -Compress")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$a = $true; $x = if ($a) { 1 } else { 2 }", '{"v":1}'),
        ("$a = $false; $x = if ($a) { 1 } else { 2 }", '{"v":2}'),
        ("$a = 5; $x = if ($a -lt 3) { 'low' } elseif ($a -lt 10) { 'mid' } else { 'high' }", '{"v":"mid"}'),
        ("$x = if ($false) { 1 }", '{"v":null}'),
        ("$x = if ($true) { 'a'; 'b' }", '{"v":["a","b"]}'),
        ("$x = foreach ($i in 1..3) { $i * 2 }", '{"v":[2,4,6]}'),
        ("$x = foreach ($i in 1,2,3) { if ($i -eq 2) { continue }; $i }", '{"v":[1,3]}'),
        ("$x = foreach ($i in 1,2,3) { if ($i -eq 2) { break }; $i }", '{"v":1}'),
        ("$x = foreach ($i in @()) { $i }", '{"v":null}'),
        ('$x = for ($i = 0; $i -lt 3; $i++) { "n$i" }', '{"v":["n0","n1","n2"]}'),
        ("$n = 0; $x = while ($n -lt 2) { $n; $n++ }", '{"v":[0,1]}'),
        ("$x = while ($false) { 1 }", '{"v":null}'),
        ("$n = 0; $x = do { $n; $n++ } while ($n -lt 3)", '{"v":[0,1,2]}'),
        ("$n = 0; $x = do { $n; $n++ } until ($n -ge 1)", '{"v":0}'),
        ("$v = 'a'; $x = switch ($v) { 'a' { 1 } default { 2 } }", '{"v":1}'),
        ("$v = 'z'; $x = switch ($v) { 'a' { 1 } default { 2 } }", '{"v":2}'),
        ("$x = switch (1, 2, 3) { { $_ -gt 1 } { $_ * 10 } }", '{"v":[20,30]}'),
        ("$x = try { 1 } catch { 2 }", '{"v":1}'),
        ("$x = try { throw 'boom' } catch { \"caught $_\" }", '{"v":"caught boom"}'),
        ("$x = try { 'body' } finally { 'cleanup' }", '{"v":["body","cleanup"]}'),
        ("$x = foreach ($i in 1,2) { foreach ($j in 'a','b') { \"$i$j\" } }", '{"v":["1a","1b","2a","2b"]}'),
        ("$x = foreach ($i in 1..4) { if ($i % 2) { $i } else { -$i } }", '{"v":[1,-2,3,-4]}'),
        ("$x = if ($true) { [void](1 + 1); 'kept' }", '{"v":"kept"}'),
        ("$x = if ($true) { $null = 5; $y = 6 }", '{"v":null}'),
        ("$x = $(if ($true) { 'sub' })", '{"v":"sub"}'),
        ("$x = @(foreach ($i in 7) { $i })", '{"v":[7]}'),
        ("$x = @(if ($false) { 1 })", '{"v":[]}'),
    ],
)
def test_statement_output_becomes_the_value(sim_host: Host, script: str, expected: str) -> None:
    assert json_of(sim_host, script) == expected


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$x = @(10); $x += foreach ($i in 1,2) { $i }", '{"v":[10,1,2]}'),
        ("$x = 'a'; $x += if ($true) { 'b' }", '{"v":"ab"}'),
        ("[string]$x = if ($true) { 42 }", '{"v":"42"}'),
        ("$h = @{}; $h.k = switch (3) { 3 { 'three' } }; $x = $h.k", '{"v":"three"}'),
        ("$a = 1, 2; $a[0] = if ($true) { 'first' }; $x = $a", '{"v":["first",2]}'),
        ("$h = @{k = if ($false) { 1 } else { 'else' }}; $x = $h.k", '{"v":"else"}'),
        ("$h = @{k = foreach ($i in 1..2) { $i }}; $x = $h.k", '{"v":[1,2]}'),
    ],
)
def test_statement_values_in_other_assignments(sim_host: Host, script: str, expected: str) -> None:
    assert json_of(sim_host, script) == expected


def test_several_items_make_an_array_and_one_item_stays_scalar(sim_host: Host) -> None:
    script = (
        "$many = foreach ($i in 1..3) { $i }; $one = foreach ($i in 1) { $i }; "
        "($many -is [array]), $many.Count, ($one -is [array]), ($one -is [int])"
    )
    result = run_script(sim_host, script)
    assert result.stdout.split() == ["True", "3", "False", "True"]


def test_output_of_a_statement_value_is_not_written_to_the_pipeline(sim_host: Host) -> None:
    result = run_script(sim_host, "$x = foreach ($i in 1..3) { \"item$i\" }; 'done'")
    assert result.stdout.split() == ["done"]


def test_a_statement_value_can_be_used_inside_a_function(sim_host: Host) -> None:
    script = (
        "function Pick($n) { $r = switch ($n) { 1 { 'one' } 2 { 'two' } default { 'many' } }; \"<$r>\" }; "
        "Pick 2; Pick 9"
    )
    assert run_script(sim_host, script).stdout.split() == ["<two>", "<many>"]


def test_a_terminating_error_inside_leaves_the_variable_unassigned(sim_host: Host) -> None:
    # The output captured before the error is flushed to the enclosing output (the compiler's finally).
    script = (
        "$x = 'old'; try { $x = foreach ($i in 1..3) { if ($i -eq 2) { throw 'stop' }; $i } } catch { 'caught' }; $x"
    )
    result = run_script(sim_host, script)
    assert result.stdout.split() == ["1", "caught", "old"]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('$x = $y = 5; "$x $y"', ["5", "5"]),
        ("$x = $y = $z = 'a'; \"$x$y$z\"", ["aaa"]),
        ("$x = $y = 1, 2; $x.Count; $y.Count", ["2", "2"]),
        ("[int]$x = $y = '7'; $x.GetType().Name; $y.GetType().Name", ["Int32", "String"]),
        ("$x = ([string]$y = 4); $x.GetType().Name", ["String"]),
        ('$n = 1; $x = ($n += 2); "$x $n"', ["3", "3"]),
        ('$h = @{}; $x = $h.k = 9; "$x $($h.k)"', ["9", "9"]),
        ("($z = 3)", ["3"]),
        ("$z = 3", []),
        ("if ($m = 'hit') { \"m=$m\" }", ["m=hit"]),
        ("if ($m = $null) { 'yes' } else { 'no' }", ["no"]),
    ],
)
def test_an_assignment_used_as_a_value_yields_the_value_stored(
    sim_host: Host, script: str, expected: list[str]
) -> None:
    result = run_script(sim_host, script)
    assert result.stderr == ""
    assert result.stdout.split() == expected


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # return inside a statement value leaves the function, and what it captured is the function's output
        ("function f { $v = if ($true) { return 3 }; 'after' }; $w = f; \"w=$w\"", ["w=3"]),
        ("function f { 'a'; $v = if ($true) { 'b'; return 'c' }; 'after' }; (f) -join ','", ["a,b,c"]),
        ("function f { $x = $(1; 2; return 3); 'after' }; (f) -join ','", ["1,2,3"]),
        ("function f { $q = foreach ($i in 1..3) { $i; return 'r' }; 'no' }; (f) -join ','", ["1,r"]),
        ("function f { $h = @{k = switch (1) { 1 { return 'sw' } }}; 'no' }; f", ["sw"]),
        ("function f { $a = if ($true) { 'x'; $b = if ($true) { 'y'; return 'z' } } }; (f) -join ','", ["x,y,z"]),
        # break leaves the loop around the assignment; the captured output goes to the loop's output
        ('$r = foreach ($i in 1..3) { $v = if ($i -eq 2) { "x$i"; break }; "v$i" }; $r -join \',\'', ["v1,x2"]),
        ("foreach ($i in 1..2) { $v = if ($true) { \"c$i\"; continue }; 'skipped' }", ["c1", "c2"]),
        # return at script level ends the script after writing the captured output
        ("$z = if ($true) { 'top'; return }; 'unreached'", ["top"]),
        ("1..2 | ForEach-Object { $v = if ($_ -eq 1) { return 'early' }; \"late$_\" }", ["early", "late2"]),
    ],
)
def test_return_inside_a_statement_value_returns_the_captured_output(
    sim_host: Host, script: str, expected: list[str]
) -> None:
    result = run_script(sim_host, script)
    assert result.stderr == ""
    assert result.stdout.split() == expected


def test_non_terminating_errors_inside_are_reported_and_the_output_kept(sim_host: Host) -> None:
    result = run_script(sim_host, "$x = foreach ($i in 1, 2) { Write-Error \"bad$i\"; $i }; $x -join ','")
    assert result.stdout.split() == ["1,2"]
    assert "bad1" in result.stderr
    assert "bad2" in result.stderr


# The scripts only read and set variables, so one host serves every generated input.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=6))
def test_foreach_value_matches_the_items_collected(sim_host: Host, items: list[int]) -> None:
    literal = "@(" + ",".join(str(i) for i in items) + ")"
    result = run_script(sim_host, f"$x = foreach ($i in {literal}) {{ $i + 1 }}; $x -join ';'; $null -eq $x")
    joined, is_null = result.stdout.split("\r\n")[:2]
    assert joined == ";".join(str(i + 1) for i in items)
    assert is_null == str(not items)
