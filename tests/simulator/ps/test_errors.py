"""The error model: non-terminating vs terminating errors, ErrorAction, try/catch, binder errors, exit codes, CLIXML."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import winrm

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.ps import api
from simulator.ps.api import Invocation, Param
from simulator.ps.objects import PSEnum, PSObject
from tests.simulator.ps.conftest import Run, lines

TEST_CMDLETS = ("Test-SimBinding", "Set-SimThing", "Get-SimFailure")


@pytest.fixture(autouse=True)
def _test_cmdlets() -> Iterator[None]:
    """Register cmdlets shaped like the Hyper-V ones, for binder tests; removed afterwards."""

    @api.cmdlet(
        "Test-SimBinding",
        Param("Name", "string", position=0, mandatory=True, from_pipeline_by_property=True, aliases=("VMName",)),
        Param("RecoveryHistory", "int", validate_range=(0, 24)),
        Param("ReplicaName", "string"),
        Param("AuthenticationType", "string", validate_set=("Kerberos", "Certificate")),
        Param("Enabled", "bool"),
        Param("Passthru", "switch"),
        summary="test",
        not_modelled="test",
    )
    def test_sim_binding(inv: Invocation) -> list[object]:
        """Echo the bound arguments. Not modelled: test only."""
        return [PSObject("Test.Bound", dict(sorted(inv.args.items())))]

    @api.cmdlet("Get-SimFailure", Param("Kind", "string", position=0), summary="test", not_modelled="test")
    def get_sim_failure(inv: Invocation) -> list[object]:
        """Fail in the requested way. Not modelled: test only."""
        kind = inv.get("Kind")
        if kind == "soft":
            inv.write_error(SimError("soft failure", "SoftFailure,Test", "InvalidOperation", target="t1"))
            return ["after soft"]
        if kind == "hard":
            raise SimError(
                "The certificate chain was issued by an authority that is not trusted. (0x800B0109).",
                "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.EnableVMReplication",
                "InvalidArgument",
                hresult=0x800B0109,
                exception_type="Microsoft.HyperV.PowerShell.VirtualizationException",
                terminating=True,
            )
        return [PSEnum("Microsoft.HyperV.PowerShell.VMState", "Running", 2)]

    yield
    for name in TEST_CMDLETS:
        api.CMDLETS.pop(name.lower(), None)


def error_text(result_stderr: str) -> str:
    """What pywinrm shows for a stderr CLIXML blob."""
    session = winrm.Session("http://127.0.0.1:1/wsman", auth=("u", "p"))
    return session._clean_error_msg(result_stderr.encode("utf-8")).decode("utf-8")  # pywinrm's own cleaner (private)


@pytest.mark.parametrize(
    ("script", "message", "fqid"),
    [
        (
            "Test-SimBinding",
            "Cannot process command because of one or more missing mandatory parameters: Name.",
            "MissingMandatoryParameter,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -Bogus 1",
            "A parameter cannot be found that matches parameter name 'Bogus'.",
            "NamedParameterNotFound,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm extra",
            "A positional parameter cannot be found that accepts argument 'extra'.",
            "PositionalParameterNotFound,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm 'two words'",
            "A positional parameter cannot be found that accepts argument 'two words'.",
            "PositionalParameterNotFound,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -R 1",
            "Parameter cannot be processed because the parameter name 'R' is ambiguous. Possible matches include: "
            "-RecoveryHistory -ReplicaName.",
            "AmbiguousParameter,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -RecoveryHistory 25",
            "Cannot validate argument on parameter 'RecoveryHistory'. The 25 argument is greater than the maximum "
            "allowed range of 24. Supply an argument that is less than or equal to 24 and then try the command again.",
            "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -RecoveryHistory -1",
            "Cannot validate argument on parameter 'RecoveryHistory'. The -1 argument is less than the minimum "
            "allowed range of 0. Supply an argument that is greater than or equal to 0 and then try the command again.",
            "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -AuthenticationType Basic",
            "Cannot validate argument on parameter 'AuthenticationType'. The argument \"Basic\" does not belong to the "
            'set "Kerberos,Certificate" specified by the ValidateSet attribute. Supply an argument that is in the set '
            "and then try the command again.",
            "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -RecoveryHistory many",
            'Cannot bind parameter \'RecoveryHistory\'. Cannot convert value "many" to type "System.Int32". '
            'Error: "Input string was not in a correct format."',
            "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -Enabled 'true'",
            "Cannot process argument transformation on parameter 'Enabled'. Cannot convert value \"System.String\" to "
            'type "System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, '
            "1 or 0.",
            "ParameterArgumentTransformationError,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding -Name vm -Name other",
            "Cannot bind parameter because parameter 'Name' is specified more than once. To provide multiple values "
            'to parameters that can accept multiple values, use the array syntax. For example, "-parameter '
            'value1,value2,value3".',
            "ParameterAlreadyBound,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
        (
            "Test-SimBinding vm -ErrorAction Sometimes",
            "Cannot bind parameter 'ErrorAction'. Cannot convert value \"Sometimes\" to type "
            '"System.Management.Automation.ActionPreference". Error: "Unable to match the identifier name Sometimes '
            "to a valid enumerator name. Specify one of the following enumerator names and try again:\r\n"
            'SilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend"',
            "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.TestSimBindingCommand",
        ),
    ],
)
def test_binder_errors(ps: Run, script: str, message: str, fqid: str) -> None:
    result = ps(
        f"try {{ {script} }} catch {{ $_.Exception.Message; $_.FullyQualifiedErrorId; "
        "$_.Exception.GetType().FullName }"
    )
    assert result.exit_code == 0
    assert lines(result) == [*message.split("\r\n"), fqid, "System.Management.Automation.ParameterBindingException"]


def test_binding_forms(ps: Run) -> None:
    script = """
$b = Test-SimBinding -VMName vm1 -Rec:3 -AuthenticationType certificate -Enabled:$false -Passthru
"$($b.Name)|$($b.RecoveryHistory)|$($b.AuthenticationType)|$($b.Enabled)|$($b.Passthru)"
$p = @{ Name = 'vm2'; RecoveryHistory = 4 }
(Test-SimBinding @p).RecoveryHistory
([pscustomobject]@{ Name = 'piped' } | Test-SimBinding).Name
(Test-SimBinding -Name vm3 -ea Stop).Name
"""
    assert lines(ps(script)) == ["vm1|3|Certificate|False|True", "4", "piped", "vm3"]


def test_common_parameter_whatif_is_refused(ps: Run) -> None:
    result = ps("Test-SimBinding vm -WhatIf")
    assert result.exit_code == 1
    assert "not modelled by the simulator: -WhatIf on Test-SimBinding" in error_text(result.stderr)


def test_non_terminating_error_continues(ps: Run) -> None:
    result = ps("Get-SimFailure soft; 'next'")
    assert lines(result) == ["after soft", "next"]
    assert result.exit_code == 0
    text = error_text(result.stderr)
    assert text.splitlines()[0] == "Get-SimFailure : soft failure"
    assert "+ FullyQualifiedErrorId : SoftFailure,Test" in text
    assert "+ CategoryInfo          : InvalidOperation: (t1:String) [Get-SimFailure], Exception" in text


def test_last_statement_failure_sets_exit_code(ps: Run) -> None:
    assert ps("'x'; Get-SimFailure soft").exit_code == 1


@pytest.mark.parametrize(
    ("script", "expected", "stderr_empty"),
    [
        ("Get-SimFailure soft -ErrorAction SilentlyContinue; $?; $Error.Count", ["after soft", "False", "1"], True),
        ("Get-SimFailure soft -ErrorAction Ignore; $Error.Count", ["after soft", "0"], True),
        (
            "Get-SimFailure soft -ErrorVariable ev -EA SilentlyContinue | Out-Null; $ev[0].Exception.Message",
            ["soft failure"],
            True,
        ),
        (
            "try { Get-SimFailure soft -ErrorAction Stop; 'not here' } catch { \"caught $($_.Exception.Message)\" }",
            ["caught soft failure"],
            True,
        ),
        (
            "$ErrorActionPreference = 'Stop'; try { Get-SimFailure soft } catch { $_.FullyQualifiedErrorId }",
            ["SoftFailure,Test"],
            True,
        ),
        ("try { Get-SimFailure soft } catch { 'no' }", ["after soft"], False),
    ],
)
def test_error_actions(ps: Run, script: str, expected: list[str], stderr_empty: bool) -> None:
    result = ps(script)
    assert lines(result) == expected
    assert (result.stderr == "") is stderr_empty


def test_stop_preference_ends_script(ps: Run) -> None:
    result = ps("$ErrorActionPreference = 'Stop'\nGet-SimFailure soft\n'never'")
    assert lines(result) == []
    assert result.exit_code == 1
    assert "soft failure" in error_text(result.stderr)


def test_terminating_cmdlet_error_in_catch(ps: Run) -> None:
    script = """
try { Get-SimFailure hard }
catch {
  $_.Exception.Message
  $_.Exception.HResult
  '{0:X8}' -f $_.Exception.HResult
  $_.CategoryInfo.Category
  $_.CategoryInfo.Reason
  $_.Exception.GetType().FullName
  "$_"
  $_.ToString()
}
finally { 'finally' }
"""
    message = "The certificate chain was issued by an authority that is not trusted. (0x800B0109)."
    assert lines(ps(script)) == [
        message,
        "-2146762487",
        "800B0109",
        "InvalidArgument",
        "VirtualizationException",
        "Microsoft.HyperV.PowerShell.VirtualizationException",
        message,
        message,
        "finally",
    ]


def test_statement_terminating_error_outside_try_continues(ps: Run) -> None:
    result = ps("Get-SimFailure hard\n'continued'")
    assert lines(result) == ["continued"]
    assert result.exit_code == 0
    assert "(0x800B0109)" in error_text(result.stderr)


def test_throw_forms(ps: Run) -> None:
    script = """
try { throw 'plain' } catch { $_.Exception.Message; $_.FullyQualifiedErrorId; $_.CategoryInfo.Category }
try { try { Get-SimFailure hard } catch { throw } } catch { $_.FullyQualifiedErrorId }
try { throw [pscustomobject]@{ Code = 5 } } catch { $_.TargetObject.Code }
"""
    assert lines(ps(script)) == [
        "plain",
        "plain",
        "OperationStopped",
        "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.EnableVMReplication",
        "5",
    ]


def test_uncaught_throw(ps: Run) -> None:
    result = ps("'before'\nthrow 'boom'\n'after'")
    assert lines(result) == ["before"]
    assert result.exit_code == 1
    text = error_text(result.stderr)
    assert text.splitlines()[:4] == ["boom", "At line:2 char:1", "+ throw 'boom'", "+ ~~~~~~~~~~~~"]


def test_typed_catch(ps: Run) -> None:
    script = """
try { Get-Item 'C:\\nope' -ErrorAction Stop }
catch [System.Management.Automation.ItemNotFoundException] { 'typed' }
catch { 'untyped' }
try { throw 'x' } catch [System.IO.IOException] { 'io' } catch { 'fallback' }
"""
    assert lines(ps(script)) == ["typed", "fallback"]


def test_unknown_and_unmodelled_commands(ps: Run) -> None:
    unknown = ps("Frobnicate-Widget2 -X 1")
    assert unknown.exit_code == 1
    text = error_text(unknown.stderr)
    assert text.startswith(
        "Frobnicate-Widget2 : The term 'Frobnicate-Widget2' is not recognized as the name of a "
        "cmdlet, function, script file, or operable program."
    )
    assert "CommandNotFoundException" in text
    real = ps("Get-Process; 'after'")
    assert real.exit_code == 1
    assert lines(real) == []
    assert "not modelled by the simulator: cmdlet Get-Process" in error_text(real.stderr)


def test_unmodelled_constructs_are_loud(ps: Run) -> None:
    for script, what in [
        ("class Foo { }", "the 'class' statement"),
        ("[xml]'<a/>'", "the type [xml]"),
        ("'x' > C:\\out.txt", "redirection to a file"),
        ("[System.Net.WebClient]::New()", "the .NET member [System.Net.WebClient]::New"),
    ]:
        result = ps(script)
        assert result.exit_code == 1, script
        assert f"not modelled by the simulator: {what}" in error_text(result.stderr), script


def test_clixml_round_trip_through_pywinrm(ps: Run) -> None:
    result = ps("Get-Item 'C:\\missing & odd'; throw 'a < b & \"c\"'")
    assert result.stderr.startswith(
        '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    )
    assert 'a &lt; b &amp; "c"' in result.stderr
    assert error_text(result.stderr).splitlines() == [
        "Get-Item : Cannot find path 'C:\\missing & odd' because it does not exist.",
        "At line:1 char:1",
        "+ Get-Item 'C:\\missing & odd'; throw 'a < b & \"c\"'",
        "+ " + "~" * len("Get-Item 'C:\\missing & odd'"),
        "    + CategoryInfo          : ObjectNotFound: (C:\\missing & odd:String) [Get-Item], ItemNotFoundException",
        "    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand",
        " ",
        'a < b & "c"',
        "At line:1 char:30",
        "+ Get-Item 'C:\\missing & odd'; throw 'a < b & \"c\"'",
        "+ " + " " * 29 + "~" * len("throw 'a < b & \"c\"'"),
        '    + CategoryInfo          : OperationStopped: (a < b & "c":String) [], RuntimeException',
        '    + FullyQualifiedErrorId : a < b & "c"',
    ]


def test_warnings_go_to_stderr_as_clixml(ps: Run) -> None:
    result = ps("Write-Warning 'careful'; 'out'")
    assert lines(result) == ["out"]
    assert '<S S="warning">careful_x000D__x000A_</S>' in result.stderr
    assert result.exit_code == 0
    assert ps("Write-Warning 'quiet' -WarningAction SilentlyContinue").stderr == ""


def test_parse_errors_run_nothing(ps: Run, sim_host: object) -> None:
    for script, message, fqid, position in [
        (
            'Write-Output "abc',
            'The string is missing the terminator: ".',
            "TerminatorExpectedAtEndOfString",
            ["At line:1 char:14", '+ Write-Output "abc', "+              ~~~~"],
        ),
        (
            "if ($true) {\n  'x'\n",
            "Missing closing '}' in statement block or type definition.",
            "MissingEndCurlyBrace",
            ["At line:1 char:12", "+ if ($true) {", "+            ~"],
        ),
        (
            "'a' }",
            "Unexpected token '}' in expression or statement.",
            "UnexpectedToken",
            ["At line:1 char:5", "+ 'a' }", "+     ~"],
        ),
        (
            "Get-VM && 'x'",
            "The token '&&' is not a valid statement separator in this version.",
            "InvalidEndOfLine",
            ["At line:1 char:8", "+ Get-VM && 'x'", "+        ~~"],
        ),
        (
            "Get-VM |",
            "An empty pipe element is not allowed.",
            "EmptyPipeElement",
            ["At line:1 char:9", "+ Get-VM |", "+         ~"],
        ),
        (
            "if ($x)",
            "Missing statement block after if ( condition ).",
            "MissingStatementBlock",
            ["At line:1 char:8", "+ if ($x)", "+        ~"],
        ),
        (
            "foreach ($a in $b)",
            "Missing statement body in foreach loop.",
            "MissingForeachStatement",
            ["At line:1 char:19", "+ foreach ($a in $b)", "+                   ~"],
        ),
        (
            "$x =",
            "You must provide a value expression following the '=' operator.",
            "ExpectedValueExpression",
            ["At line:1 char:5", "+ $x =", "+     ~"],
        ),
    ]:
        result = ps(script)
        assert result.exit_code == 1
        assert result.stdout == ""
        text = error_text(result.stderr).splitlines()
        assert text[:3] == position, script
        assert text[3] == message
        assert text[4] == "    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException"
        assert text[5] == f"    + FullyQualifiedErrorId : {fqid}"


def test_enum_and_error_record_values(ps: Run) -> None:
    assert lines(ps("$s = Get-SimFailure; $s; $s -eq 'running'; [int]$s.value__")) == ["Running", "True", "2"]


def test_unknown_methods(ps: Run) -> None:
    dotnet = ps("'abc'.CompareTo('x')")
    assert "not modelled by the simulator: the method [System.String].CompareTo()" in error_text(dotnet.stderr)
    custom = ps("try { ([pscustomobject]@{ a = 1 }).Nope() } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }")
    assert lines(custom) == [
        "MethodNotFound",
        "Method invocation failed because [System.Management.Automation.PSCustomObject] does not contain a method "
        "named 'Nope'.",
    ]
    null = ps("try { $nothing.Trim() } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }")
    assert lines(null) == ["InvokeMethodOnNull", "You cannot call a method on a null-valued expression."]


def test_module_progress_record(ps: Run, sim_host: Host) -> None:
    assert ps("(Get-VM).Name").stderr == ""  # off unless the host is set up to show it
    sim_host.state["info"]["module_progress"] = True
    loud = ps("(Get-VM).Name")
    assert loud.exit_code == 0
    assert loud.stderr.startswith(
        '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/'
        '2004/04"><Obj S="progress" RefId="0">'
    )
    assert "<AV>Preparing modules for first use.</AV>" in loud.stderr
    assert error_text(loud.stderr) == loud.stderr  # pywinrm leaves progress-only CLIXML as it is
    quiet = ps("$ProgressPreference = 'SilentlyContinue'; (Get-VM).Name")
    assert quiet.stderr == ""
    assert lines(quiet) == lines(loud) == ["VM01"]
    assert ps("'core cmdlets only' | Select-Object -First 1").stderr == ""


def test_throwing_exception_objects(ps: Run) -> None:
    script = """
try { throw [System.InvalidOperationException]::new('bad state') }
catch { $_.Exception.Message; $_.Exception.GetType().FullName; '{0:X8}' -f $_.Exception.HResult }
try { throw (New-Object System.ArgumentException 'bad arg') }
catch [System.ArgumentException] { "typed: $($_.Exception.Message)" }
([System.Exception]::new('x')).HResult
"""
    assert lines(ps(script)) == [
        "bad state",
        "System.InvalidOperationException",
        "80131509",
        "typed: bad arg",
        "-2146233088",
    ]
