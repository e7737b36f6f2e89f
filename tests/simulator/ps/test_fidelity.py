"""Windows PowerShell 5.1 fidelity: scalar indexing, exit codes, table views, Format-*, casts, PSPath binding."""

from __future__ import annotations

from tests.simulator.ps.conftest import Run, lines

_ONE_CERT = (
    "New-SelfSignedCertificate -DnsName a.example -CertStoreLocation Cert:\\LocalMachine\\My | Out-Null; "
    "$x = Get-ChildItem Cert:\\LocalMachine\\My | Select-Object -First 1; "
)


def test_indexing_a_scalar_object_gives_the_object_itself(ps: Run) -> None:
    result = ps(_ONE_CERT + "$x[0].Subject; $x[-1].Subject; $null -eq $x[1]; (Get-Item C:\\Windows)[0].Name")
    assert lines(result) == ["CN=a.example", "CN=a.example", "True", "Windows"]
    assert result.exit_code == 0


def test_indexing_an_int_gives_the_int(ps: Run) -> None:
    assert lines(ps("$i = 42; $i[0]; $null -eq $i[1]; $true[0]")) == ["42", "True", "True"]


def test_indexing_null_is_a_null_array_error(ps: Run) -> None:
    result = ps("$n = $null; $n[0]")
    assert result.exit_code == 1
    assert "Cannot index into a null array." in result.stderr
    assert "NullArray" in result.stderr


_NO_EVENTS = "Get-WinEvent -LogName Microsoft-Windows-Hyper-V-VMMS-Admin -ErrorAction SilentlyContinue"


def test_exit_code_follows_the_last_pipeline_not_a_nested_one(ps: Run) -> None:
    result = ps(f"@({_NO_EVENTS} | Select-Object Id) | ConvertTo-Json")
    assert (result.stdout, result.exit_code) == ("", 0)


def test_silently_continue_still_makes_the_last_statement_fail(ps: Run) -> None:
    result = ps(_NO_EVENTS)
    assert (result.stderr, result.exit_code) == ("", 1)
    assert lines(ps(f"{_NO_EVENTS} | Out-Null; $?")) == ["False"]


def test_a_failed_statement_before_a_successful_one_exits_0(ps: Run) -> None:
    assert ps(f"{_NO_EVENTS}; 'done'").exit_code == 0
    assert ps("Get-Item C:\\nope; 'done'").exit_code == 0


def test_a_function_writing_an_error_leaves_the_callers_status_true(ps: Run) -> None:
    # about_Automatic_Variables: Write-Error inside a function sets $? false only inside it.
    assert lines(ps('function f { Write-Error x 2>$null; "in $?" }; f; "out $?"')) == ["in False", "out True"]


def test_exit_n_and_uncaught_throw_set_the_exit_code(ps: Run) -> None:
    assert ps("'a'; exit 7").exit_code == 7
    assert ps("throw 'boom'; 'never'").exit_code == 1
