"""The PowerShell language subset: values, strings, operators, statements, functions, pipelines."""

from __future__ import annotations

import threading
import time

import pytest

from simulator.core.host import Host
from simulator.ps.runner import run_script
from tests.simulator.ps.conftest import Run, lines


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("1 + 2 * 3", ["7"]),
        ("7 / 2", ["3.5"]),
        ("8 / 2", ["4"]),
        ("-7 % 3", ["-1"]),
        ("'ab' * 3", ["ababab"]),
        ("'a' + 1", ["a1"]),
        ("1 + '2'", ["3"]),
        ("0x1F", ["31"]),
        ("1GB", ["1073741824"]),
        ("1..3", ["1", "2", "3"]),
        ("3..1", ["3", "2", "1"]),
        ("$a = 1,2,3; $a[-1]; $a.Count", ["3", "3"]),
        ("$a = @(); $a.Count", ["0"]),
        ("$a = @(5); $a.Count", ["1"]),
        ("$x = ,7; $x.Count", ["1"]),
        ("'it''s'", ["it's"]),
        ('"a`tb"', ["a\tb"]),
        ('"q""q"', ['q"q']),
        ('$n = "W"; "x $n y $($n.ToLower()) z"', ["x W y w z"]),
        ('$o = [pscustomobject]@{P = 5}; "v=$($o.P) raw=$o.P"', ["v=5 raw=@{P=5}.P"]),
        ("$env:SystemRoot; $env:TEMP; $env:USERNAME", ["C:\\Windows", "C:\\Windows\\TEMP", "Administrator"]),
        ("$env:NOPE -eq $null", ["True"]),
        ("$true -and $false; $true -or $false; -not $true; !$false", ["False", "True", "False", "True"]),
        ("'ABC' -eq 'abc'; 'ABC' -ceq 'abc'; 'abc' -like 'A*'; 'abc' -clike 'A*'", ["True", "False", "True", "False"]),
        ("1,2,3,2 -eq 2", ["2", "2"]),
        ("1,2,3 -contains 2; 4 -in 1,2,3; 4 -notin 1,2,3", ["True", "False", "True"]),
        ("'a,b,,c' -split ','", ["a", "b", "", "c"]),
        ("(1,2,3) -join '-'", ["1-2-3"]),
        ("'Hello' -replace 'l+', 'L'", ["HeLo"]),
        ("'key=value' -replace '(\\w+)=(\\w+)', '$2=$1'", ["value=key"]),
        ("if ('abc123' -match '(\\d+)') { $matches[1] }", ["123"]),
        ("'x' -is [string]; 5 -is [int]; 5 -isnot [string]", ["True", "True", "True"]),
        ("'{0}-{1:D3}-{2:N1}' -f 'a', 7, 1234.56", ["a-007-1,234.6"]),
        ("[int]'42' + 1; [string]5 + 1; [bool]0; [bool]'x'", ["43", "51", "False", "True"]),
        ("[int]2.5; [int]3.5", ["2", "4"]),
        ("'  pad  '.Trim(); 'A-B'.Split('-')[1]; 'abc'.ToUpper(); 'abc'.Substring(1)", ["pad", "B", "ABC", "bc"]),
        (
            "'abc'.StartsWith('a'); 'abc'.Contains('z'); 'abc'.IndexOf('c'); 'ab'.PadLeft(4, '0')",
            ["True", "False", "2", "00ab"],
        ),
        ("'abc'.Length; 'a b'.Replace(' ', '_')", ["3", "a_b"]),
        ("$h = @{a = 1; B = 2}; $h.b; $h['A']; $h.Count; $h.ContainsKey('a')", ["2", "1", "2", "True"]),
        ("$h = @{}; $h.x = 1; $h['y'] = 2; $h.Keys.Count", ["2"]),
        ("$o = [ordered]@{z = 1; a = 2}; $o.Keys -join ','", ["z,a"]),
        ("$i = 0; $i++; $i += 5; $i", ["6"]),
        ("$s = 'a'; $s += 'b'; $s", ["ab"]),
        ("$a = @(1); $a += 2; $a.Count", ["2"]),
        ("[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('hi'))", ["aGk="]),
        ("[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('aGk='))", ["hi"]),
        (
            "[string]::IsNullOrEmpty(''); [string]::Join(',', @('a','b')); [math]::Round(2.567, 1)",
            ["True", "a,b", "2.6"],
        ),
        ("[int]::MaxValue", ["2147483647"]),
        (
            "[IO.Path]::Combine('C:\\a', 'b.txt'); [System.IO.Path]::GetFileName('C:\\a\\b.txt')",
            ["C:\\a\\b.txt", "b.txt"],
        ),
        ("([guid]::NewGuid()).ToString().Length", ["36"]),
        (
            "$d = [datetime]'2020-01-02 03:04:05'; $d.ToString('yyyy-MM-ddTHH:mm:ss'); $d.Year",
            ["2020-01-02T03:04:05", "2020"],
        ),
        ("$null -eq $x; $x = $null; [string]::IsNullOrEmpty($x)", ["True", "True"]),
        ("$PSVersionTable.PSVersion.Major", ["5"]),
    ],
)
def test_expressions(ps: Run, script: str, expected: list[str]) -> None:
    result = ps(script)
    assert result.stderr == "", result.stderr
    assert lines(result) == expected


def test_here_strings(ps: Run) -> None:
    script = "$n = 'x'\n$a = @\"\nline $n\n  two\n\"@\n$b = @'\nraw $n\n'@\n$a\n$b"
    assert lines(ps(script)) == ["line x", "  two", "raw $n"]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("Write-Output ‘curly single’", ["curly single"]),
        ("Write-Output “curly double $(1+1)”", ["curly double 2"]),
        ("'it’s'", ["it"]),  # ’ closes a single-quoted string in PowerShell, leaving s' as a new token pair
        ('"keep ‘these’"', ["keep ‘these’"]),
        ("'keep “these”'", ["keep “these”"]),
        ("‘it’’s’", ["it's"]),
    ],
)
def test_curly_quotes(ps: Run, script: str, expected: list[str]) -> None:
    result = ps(script)
    if script == "'it’s'":
        assert result.exit_code != 0  # 's' is then an unterminated string: a parse error, as on Windows
        return
    assert result.stderr == "", result.stderr
    assert lines(result) == expected


def test_control_flow(ps: Run) -> None:
    script = """
$out = @()
foreach ($i in 1..10) {
    if ($i -eq 2) { continue }
    elseif ($i -gt 4) { break }
    else { $out += $i }
}
for ($j = 0; $j -lt 3; $j++) { $out += "f$j" }
$k = 0
while ($k -lt 2) { $k++ }
do { $k-- } until ($k -le 0)
$out += "k$k"
switch ('b') { 'a' { $out += 'A' } 'B' { $out += 'B' } default { $out += 'D' } }
switch ('zz') { 'a' { $out += 'A' } default { $out += 'D' } }
switch -wildcard ('abc') { 'a*' { $out += 'W' } }
$out -join ','
"""
    assert lines(ps(script)) == ["1,3,4,f0,f1,f2,k0,B,D,W"]


def test_functions_and_script_blocks(ps: Run) -> None:
    script = """
function Get-Double { param([int]$Value, [switch]$Negate) if ($Negate) { return -2 * $Value } $Value * 2 }
function Add($a, $b = 10) { $a + $b }
Get-Double 4
Get-Double -Value 3 -Negate
Get-Double -V 5
Add 1
Add 1 2
$sb = { param($x) "got $x" }
& $sb 'y'
$counter = 0
. { $counter = 5 }
& { $counter = 99 }
$counter
@(1, 2, 3).Where({ $_ -gt 1 }).Count
"""
    assert lines(ps(script)) == ["8", "-6", "10", "11", "3", "got y", "5", "2"]


def test_pipeline_cmdlets(ps: Run) -> None:
    script = """
$items = @(
  [pscustomobject]@{Name = 'b'; Size = 2},
  [pscustomobject]@{Name = 'a'; Size = 3},
  [pscustomobject]@{Name = 'c'; Size = 1}
)
($items | Sort-Object Size | ForEach-Object { $_.Name }) -join ''
($items | Sort-Object -Property Name -Descending | Select-Object -ExpandProperty Name) -join ''
($items | Where-Object { $_.Size -ge 2 }).Count
($items | Where-Object Name -eq 'a').Size
($items | Measure-Object).Count
($items | Measure-Object -Property Size -Sum).Sum
($items | Select-Object -First 2 | ForEach-Object Name) -join ''
$items.Name -join ''
$sel = $items | Select-Object Name, @{n='Double'; e={ $_.Size * 2 }} | Select-Object -Last 1
"$($sel.Name)=$($sel.Double)"
(1, 1, 2 | Select-Object -Unique).Count
(1..5 | Group-Object { $_ % 2 } | Sort-Object Name | ForEach-Object { "$($_.Name):$($_.Count)" }) -join ' '
"""
    assert lines(ps(script)) == ["cba", "cba", "2", "3", "3", "6", "ba", "bac", "c=2", "2", "0:2 1:3"]


def test_redirection_and_out_null(ps: Run) -> None:
    script = """
'shown'
'hidden' | Out-Null
'also hidden' > $null
[void]'void'
$null = 'assigned'
$r = Get-Item 'C:\\nope' 2>&1
$r.FullyQualifiedErrorId
Get-Item 'C:\\nope2' 2>$null
'end'
"""
    result = ps(script)
    assert lines(result) == ["shown", "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand", "end"]
    assert '<S S="Error">' not in result.stderr


def test_member_enumeration_and_methods(ps: Run) -> None:
    script = """
$vm = Get-VM -Name VM01
$vm.Name
$vm.State -eq 'Running'
(Get-VM).Name
$list = New-Object System.Collections.ArrayList
[void]$list.Add('x'); $list.Add('y') | Out-Null
$list.Count
$o = New-Object PSObject
$o | Add-Member -MemberType NoteProperty -Name Extra -Value 4
$o.Extra
"""
    assert lines(ps(script)) == ["VM01", "True", "VM01", "2", "4"]


def test_console_output_encoding(ps: Run) -> None:
    assert ps("'x'").output_encoding == "oem"
    result = ps("[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; [Console]::OutputEncoding.WebName")
    assert result.output_encoding == "utf-8"
    assert lines(result) == ["utf-8"]


def test_object_formatting(ps: Run) -> None:
    table = lines(ps("[pscustomobject]@{Name = 'a'; Value = 1}"))
    assert table == ["", "Name Value", "---- -----", "a        1", "", ""]
    listing = lines(ps("[pscustomobject]@{A = 1; B = 2; C = 3; D = 4; Long = 5}"))
    assert listing[1:6] == ["A    : 1", "B    : 2", "C    : 3", "D    : 4", "Long : 5"]


def test_write_host_and_exit_codes(ps: Run) -> None:
    assert lines(ps("Write-Host 'a' 'b'; 'c'")) == ["a b", "c"]
    assert ps("exit 3").exit_code == 3
    assert ps("'x'; exit").exit_code == 0
    assert ps("Get-Item C:\\nope").exit_code == 1
    assert ps("Get-Item C:\\nope; 'recovered'").exit_code == 0


def test_session_cmdlets(ps: Run) -> None:
    script = """
(Get-Command Get-VM).CommandType
Get-Command Nope-Thing -ErrorAction SilentlyContinue
$?
function Local-Helper { 1 }
(Get-Command Local-Helper).CommandType
Set-Variable -Name dyn -Value 5
$dyn + (Get-Variable -Name dyn -ValueOnly)
Remove-Variable dyn
$null -eq $dyn
$x = Write-Host 'to host'
$null -eq $x
$h = [ordered]@{ a = 1; b = 2 }
($h.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ';'
"""
    assert lines(ps(script)) == ["Cmdlet", "False", "Function", "10", "True", "to host", "True", "a=1;b=2"]


def test_stdin_and_environment(sim_host: Host) -> None:
    reads: list[int] = []

    def stdin() -> bytes:
        reads.append(1)
        return b"secret-line\r\nsecond\r\n"

    result = run_script(
        sim_host,
        "$lines = @($input); $lines.Count; $lines[0].Length; $env:EXTRA",
        stdin=stdin,
        env={"EXTRA": "from-shell"},
    )
    assert lines(result) == ["2", "11", "from-shell"]
    assert run_script(sim_host, "'no stdin read'", stdin=stdin).exit_code == 0
    assert reads == [1]  # read only by the script that used $input


def test_arrays_are_fixed_size_arraylists_grow(ps: Run) -> None:
    script = """
$list = [System.Collections.ArrayList]@(1, 2)
$list.Add(3) | Out-Null
$list.Count
$list.GetType().FullName
$fixed = @(1)
try { $fixed.Add(2) } catch { $_.Exception.Message }
$fixed += 2
$fixed.Count
"""
    assert lines(ps(script)) == [
        "3",
        "System.Collections.ArrayList",
        'Exception calling "Add" with "1" argument(s): "Collection was of a fixed size."',
        "2",
    ]


def test_function_argument_order(ps: Run) -> None:
    script = """
function f { param($a, $b) "a=$a b=$b args=$args" }
f 1 -b 2
f -b 2 1
f 1 2 3
function g { param([string]$Name) "$Name/$ErrorActionPreference" }
g -Name x -ErrorAction Stop
try { g -Nope 1 } catch { $_.FullyQualifiedErrorId }
try { g -Name } catch { $_.Exception.Message }
"""
    assert lines(ps(script)) == [
        "a=1 b=2 args=",
        "a=1 b=2 args=",
        "a=1 b=2 args=3",
        "x/Stop",
        "NamedParameterNotFound,g",
        "Missing an argument for parameter 'Name'. Specify a parameter of type 'System.String' and try again.",
    ]


def test_start_sleep_releases_the_host_lock(sim_host: Host) -> None:
    done: list[float] = []

    def other_client() -> None:
        time.sleep(0.05)
        started = time.perf_counter()
        with sim_host.transaction():
            sim_host.state.setdefault("test_marker", 1)
        done.append(time.perf_counter() - started)

    thread = threading.Thread(target=other_client)
    thread.start()
    result = run_script(sim_host, "Start-Sleep -Milliseconds 600; 'awake'")
    thread.join()
    assert lines(result) == ["awake"]
    assert done and done[0] < 0.4  # did not wait for the sleeping script
    assert sim_host.state["test_marker"] == 1


def test_intrinsic_count(ps: Run) -> None:
    script = (
        "(Get-VM).Count; $null.Count; 'abc'.Count; 'abc'.Length; $null -eq @().Name; ([pscustomobject]@{a=1}).Count"
    )
    assert lines(ps(script)) == ["1", "0", "1", "3", "True", "1"]


def test_function_parameter_attributes(ps: Run) -> None:
    script = """
function f {
  [CmdletBinding()]
  param(
    [Parameter(Mandatory = $true, Position = 0)][ValidateSet('a', 'b')][string]$Name,
    [ValidateNotNullOrEmpty()]$Other = 'd',
    [ValidateRange(1, 5)][int]$N = 1
  )
  "$Name $Other $N"
}
f a
f -Name B -N '5'
try { f c } catch { $_.FullyQualifiedErrorId }
try { f a -Other '' } catch { $_.Exception.Message }
try { f a -N 9 } catch { $_.Exception.Message }
try { f } catch { $_.Exception.Message }
"""
    assert lines(ps(script)) == [
        "a d 1",
        "B d 5",
        "ParameterArgumentValidationError,f",
        "Cannot validate argument on parameter 'Other'. The argument is null or empty. Provide an argument that is "
        "not null or empty, and then try the command again.",
        "Cannot validate argument on parameter 'N'. The 9 argument is greater than the maximum allowed range of 5. "
        "Supply an argument that is less than or equal to 5 and then try the command again.",
        "Cannot process command because of one or more missing mandatory parameters: Name.",
    ]
    assert (
        "not modelled by the simulator: the parameter attribute [validatescript]"
        in ps("function g { param([ValidateScript({ $true })]$x) $x }; g 1").stderr
    )


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # members after the call's argument list: the grammar alone cannot read these; the parser re-reads
        # them with the argument in parentheses
        ("Write-Output (Get-Date).AddYears(5).GetType().Name", ["DateTime"]),
        ('Write-Output ("a(b").Replace("(", "x").Length "q"', ["3", "q"]),
        ("function F($a) { $a }; F -a (Get-Date).AddDays(1).DayOfWeek.GetType().Name", ["DayOfWeek"]),
        ("$x = (Get-Date).AddYears(5).Year - (Get-Date).Year; $x", ["5"]),
        ("Write-Output ('abc').ToUpper() 'x'.Length", ["ABC", "1"]),
        ("$a = 'q,r'; Write-Output $a.Split(',') -NoEnumerate | ForEach-Object { $_.Count }", ["2"]),
        ("$a = 'q,r'; Write-Output $a.Split(',')", ["q", "r"]),
        ("function Show($When) { $When.Year - (Get-Date).Year }; Show -When (Get-Date).AddYears(5)", ["5"]),
        ("function Show($When) { $When.Year - (Get-Date).Year }; Show (Get-Date).AddYears(-2)", ["-2"]),
        ("$s = 'abc'; Write-Output $s.Substring(1).Length", ["2"]),
    ],
)
def test_method_call_as_a_command_argument(ps: Run, script: str, expected: list[str]) -> None:
    """``-NotAfter (Get-Date).AddYears(5)`` (Microsoft's own New-SelfSignedCertificate example): a method
    call written as one command argument is called, its result is the argument."""
    result = ps(script)
    assert result.stderr == ""
    assert lines(result) == expected


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('switch ("b") { "a" { "A" } "b" { "B" } }', ["B"]),
        ('$state = "Running"; switch ($state) { "Off" { 0 } "Running" { 2 } }', ["2"]),
        ('switch -regex ("abc") { "^a" { "starts" } "z$" { "ends" } }', ["starts"]),
        ('switch -wildcard ("abc") { "*c" { "w" } }', ["w"]),
        ('$v = "b"; switch ("b") { "$v" { "expanded" } }', ["expanded"]),
        ('switch ("a`tb") { "a`tb" { "escape" } }', ["escape"]),
        ('switch ("Running") { “Running” { "curly" } }', ["curly"]),
        ('switch ("B") { "b" { "ci" } }', ["ci"]),
        ('switch -casesensitive ("B") { "b" { "cs" } default { "none" } }', ["none"]),
    ],
)
def test_switch_clauses_in_double_quotes_match(ps: Run, script: str, expected: list[str]) -> None:
    """The grammar leaves a double-quoted clause condition as one token; it matches as the string it is."""
    result = ps(script)
    assert result.stderr == ""
    assert lines(result) == expected


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("& hostname", ["Hyper-v-prim"]),
        ("& reg query HKLM\\SOFTWARE\\Nope 2>$null; $LASTEXITCODE", ["1"]),
        (
            "& reg add HKLM\\SOFTWARE\\CallOp /v V /t REG_DWORD /d 7 /f; (Get-ItemProperty HKLM:\\SOFTWARE\\CallOp).V",
            ["The operation completed successfully.", "7"],
        ),
        ("& 'hostname'", ["Hyper-v-prim"]),
    ],
)
def test_call_operator_runs_a_console_command_by_bare_name(ps: Run, script: str, expected: list[str]) -> None:
    result = ps(script)
    assert result.stderr == ""
    assert [line for line in lines(result) if line] == expected


@pytest.mark.parametrize(
    "script",
    [
        "Write-Output (Get-Date).AddYears(5).Year (",
        "Write-Output $s.Substring(1).Length }",
        "Write-Output (1).ToString(.Length",
    ],
)
def test_a_call_chain_next_to_a_real_syntax_error_is_still_a_parse_error(ps: Run, script: str) -> None:
    result = ps(script)
    assert result.exit_code != 0
    assert "ParserError" in result.stderr or "ParseException" in result.stderr
    assert result.stdout == ""
