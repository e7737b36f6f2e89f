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


def _headings(text_lines: list[str]) -> list[str]:
    dashes = next(i for i, line in enumerate(text_lines) if line and set(line) <= {"-", " "})
    return text_lines[dashes - 1].split()


def test_replication_server_prints_its_labelled_table_view(ps: Run) -> None:
    out = lines(ps("Get-VMReplicationServer"))
    assert _headings(out) == ["RepEnabled", "AuthType", "KerbAuthPort", "CertAuthPort", "AllowAnyServer"]
    assert out[out.index(next(line for line in out if line.startswith("---"))) + 1].split()[0] == "False"


def test_get_vm_prints_seven_columns_as_a_table_not_a_list(ps: Run) -> None:
    out = lines(ps("Get-VM"))
    assert _headings(out) == ["Name", "State", "CPUUsage(%)", "MemoryAssigned(M)", "Uptime", "Status", "Version"]
    row = next(line for line in out if line.startswith("VM01"))
    assert row.split()[1] == "Running"
    assert not any(" : " in line for line in out)


def test_memory_assigned_is_shown_in_megabytes(ps: Run) -> None:
    memory = lines(ps("(Get-VM VM01).MemoryAssigned"))[0]
    out = lines(ps("Get-VM VM01"))
    row = next(line for line in out if line.startswith("VM01")).split()
    assert row[3] == str(int(memory) // (1024 * 1024))


def test_authorization_entries_print_their_labelled_view(ps: Run) -> None:
    out = lines(
        ps(
            "Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Kerberos "
            "-DefaultStorageLocation C:\\Rep -ReplicationAllowedFromAnyServer $false; "
            "New-VMReplicationAuthorizationEntry -AllowedPrimaryServer prim.example.com "
            "-ReplicaStorageLocation C:\\Rep -TrustGroup G1 | Out-Null; Get-VMReplicationAuthorizationEntry"
        )
    )
    assert _headings(out) == ["AllowedPS", "StorageLoc", "TrustGroup"]
    assert ["prim.example.com", "C:\\Rep", "G1"] in [line.split() for line in out]


def test_objects_without_a_view_keep_the_four_column_rule(ps: Run) -> None:
    out = lines(ps("[pscustomobject]@{A = 1; B = 2; C = 3; D = 4; E = 5}"))
    assert "A : 1" in out
    assert _headings(lines(ps("[pscustomobject]@{A = 1; B = 2}"))) == ["A", "B"]
