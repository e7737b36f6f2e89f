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
