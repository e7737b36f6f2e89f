"""Windows PowerShell 5.1 fidelity: scalar indexing, exit codes, table views, Format-*, casts, PSPath binding."""

from __future__ import annotations

from simulator import services
from simulator.ps import api
from simulator.ps.binder import bind_pipeline
from simulator.ps.objects import PSObject
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
    silent = ps(f"{_NO_EVENTS}; 'done'")
    assert (silent.exit_code, lines(silent), silent.stderr) == (0, ["done"], "")
    loud = ps("Get-Item C:\\nope; 'done'")
    assert (loud.exit_code, lines(loud)) == (0, ["done"])
    assert "Cannot find path 'C:\\nope' because it does not exist." in loud.stderr


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


def test_replication_server_table_abbreviates_the_authentication_type(ps: Run) -> None:
    """Microsoft's doc shows ``Kerb`` under AuthType; the property itself keeps the enum's full name."""
    ps("Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Kerberos")
    out = lines(ps("Get-VMReplicationServer"))
    row = out[out.index(next(line for line in out if line.startswith("---"))) + 1].split()
    assert row[:2] == ["True", "Kerb"]
    assert lines(ps("(Get-VMReplicationServer).AllowedAuthenticationType")) == ["Kerberos"]


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


def test_format_table_renders_the_default_view_of_the_replication_server(ps: Run) -> None:
    piped, plain = ps("Get-VMReplicationServer | Format-Table"), ps("Get-VMReplicationServer")
    assert piped.exit_code == 0
    assert piped.stdout == plain.stdout
    assert _headings(lines(piped))[0] == "RepEnabled"


def test_format_table_properties_and_calculated_columns(ps: Run) -> None:
    out = lines(ps('Get-VM | Format-Table Name, @{Label = "MB"; Expression = {$_.MemoryAssigned / 1MB}} -AutoSize'))
    assert _headings(out) == ["Name", "MB"]
    memory_mb = int(lines(ps("(Get-VM VM01).MemoryAssigned / 1MB"))[0])
    assert ["VM01", str(memory_mb)] in [line.split() for line in out]


def test_format_table_hide_table_headers(ps: Run) -> None:
    out = [line for line in lines(ps("Get-VM | ft Name, State -HideTableHeaders -Wrap")) if line]
    assert out == [line for line in lines(ps("(Get-VM VM01).Name + ' ' + (Get-VM VM01).State")) if line]


def test_format_list_chosen_and_all_properties(ps: Run) -> None:
    assert [line for line in lines(ps("Get-VM | Format-List Name, State")) if line] == [
        "Name  : VM01",
        "State : Running",
    ]
    every = lines(ps("Get-VM | fl *"))
    names = lines(ps("(Get-VM VM01).PSObject.Properties | ForEach-Object { $_.Name }"))
    assert [line.split(" : ")[0].strip() for line in every if " : " in line] == names


def test_format_output_passes_through_out_string(ps: Run) -> None:
    text = lines(ps("[pscustomobject]@{A = 1; B = 'x'} | Format-Table | Out-String"))
    assert text[1:4] == ["A B", "- -", "1 x"]


def test_out_string_width_cuts_long_lines(ps: Run) -> None:
    out = lines(ps("Get-VM | Out-String -Width 12 -Stream"))
    assert out and all(len(line) <= 12 for line in out)
    assert any(len(line) > 12 for line in lines(ps("Get-VM | Out-String -Stream")))


def test_format_table_group_by_is_refused_loudly(ps: Run) -> None:
    result = ps("Get-VM | Format-Table -GroupBy State")
    assert result.exit_code == 1
    assert "not modelled by the simulator" in result.stderr


def test_a_multiplier_literal_after_an_operator_parses(ps: Run) -> None:
    assert lines(ps("$x = 10MB; $x/1MB; $x / 1MB; 2 * 1KB + 1KB; '1MB'")) == ["10", "10", "3072", "1MB"]


def test_byte_array_cast_of_an_array_gives_bytes(ps: Run) -> None:
    out = lines(ps("$b = [byte[]]@(1, 2, 255); $b.GetType().FullName; $b.Count; $b[2]; ([int[]]@(1, '2'))[1] + 1"))
    assert out == ["System.Byte[]", "3", "255", "3"]


def test_byte_array_cast_of_null_is_null(ps: Run) -> None:
    assert lines(ps("$n = [byte[]]$null; $null -eq $n")) == ["True"]


def test_byte_array_cast_of_text_fails_as_windows(ps: Run) -> None:
    result = ps("[byte[]]'a'")
    assert result.exit_code == 1
    assert 'Cannot convert value "a" to type "System.Byte".' in result.stderr


def test_byte_out_of_range_fails(ps: Run) -> None:
    for script in ("[byte]300", "[byte[]]@(1, 300)"):
        result = ps(script)
        assert result.exit_code == 1
        assert "too large or too small for an unsigned byte" in result.stderr


def _path_spec(name: str) -> api.CmdletSpec:
    services.load_all()
    return api.CMDLETS[name.lower()]


def test_a_piped_item_binds_its_pspath_to_literal_path_before_path() -> None:
    item = PSObject(
        "System.IO.FileInfo",
        {"Name": "[a].txt", "PSPath": "Microsoft.PowerShell.Core\\FileSystem::C:\\x\\[a].txt"},
    )
    for command in ("Remove-Item", "Get-Content", "Get-Item"):
        args = bind_pipeline(_path_spec(command), {}, item)
        assert args is not None
        assert args.get("LiteralPath") == ["Microsoft.PowerShell.Core\\FileSystem::C:\\x\\[a].txt"], command
        assert "Path" not in args


def test_a_piped_string_still_binds_to_path() -> None:
    assert bind_pipeline(_path_spec("Get-Item"), {}, "C:\\x") == {"Path": ["C:\\x"]}


def test_piped_items_reach_remove_item_and_get_content(ps: Run) -> None:
    script = (
        "New-Item C:\\x -ItemType Directory | Out-Null; Set-Content C:\\x\\f.txt hello; "
        "Set-Content -LiteralPath 'C:\\x\\[a].txt' -Value bracket; "
        "Get-Item C:\\x\\f.txt | Get-Content; Get-Item -LiteralPath 'C:\\x\\[a].txt' | Get-Content; "
        "Get-ChildItem C:\\x | Remove-Item; @(Get-ChildItem C:\\x).Count"
    )
    result = ps(script)
    assert (lines(result), result.exit_code) == (["hello", "bracket", "0"], 0)
