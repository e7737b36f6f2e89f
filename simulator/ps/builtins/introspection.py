"""Cmdlets about the session itself: Get-Command and the *-Variable family.

Scripts use ``Get-Command X -ErrorAction SilentlyContinue`` to test whether a module is present and
``Set-Variable``/``Get-Variable`` for dynamic names; both act on the interpreter, not on host state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import CMDLETS, Invocation, Param, cmdlet
from simulator.ps.names import ALIASES
from simulator.ps.objects import PSObject
from simulator.ps.operators import like

_MODULES = {"hyperv": "Hyper-V", "hyper-v": "Hyper-V", "certs": "PKI", "firewall": "NetSecurity"}


def _interpreter(inv: Invocation) -> Any:
    interpreter = getattr(inv.session, "interpreter", None)
    if interpreter is None:
        raise NotModelledError(f"{inv.name} outside the interpreter")
    return interpreter


def _command_info(name: str, kind: str, module: str, definition: str = "") -> PSObject:
    return PSObject(
        ["System.Management.Automation.CmdletInfo" if kind == "Cmdlet" else "System.Management.Automation.CommandInfo"],
        {
            "CommandType": kind,
            "Name": name,
            "Version": "",
            "Source": module,
            "ModuleName": module,
            "Definition": definition or name,
        },
        default_display=("CommandType", "Name", "Version", "Source"),
        to_string=name,
    )


@cmdlet(
    "Get-Command",
    Param("Name", "string[]", position=0),
    Param("Module", "string[]"),
    Param("CommandType", "string"),
    summary="Find commands the session knows (simulated cmdlets, functions, aliases).",
    not_modelled="-Syntax, -ListImported, -ParameterName, -All; applications on PATH",
)
def get_command(inv: Invocation) -> Iterable[Any]:
    """Get-Command by name (wildcards) over registered cmdlets, functions and aliases. Not modelled: -Syntax."""
    interpreter = _interpreter(inv)
    known: dict[str, PSObject] = {}
    for spec in CMDLETS.values():
        module = _MODULES.get(spec.area.lower(), spec.area or "Microsoft.PowerShell.Utility")
        known.setdefault(spec.name.lower(), _command_info(spec.name, "Cmdlet", module))
    for alias, target in ALIASES.items():
        if target.lower() in known:
            known.setdefault(alias, _command_info(alias, "Alias", "", f"{alias} -> {target}"))
    for key, function in interpreter.functions.items():
        known[key] = _command_info(function.name, "Function", "", function.block.text)
    results: list[Any] = []
    for pattern in inv.get("Name") or ["*"]:
        hits = [info for key, info in sorted(known.items()) if like(key, pattern)]
        if not hits and "*" not in pattern and "?" not in pattern:
            inv.write_error(
                SimError(
                    f"The term '{pattern}' is not recognized as the name of a cmdlet, function, script file, or "
                    "operable program. Check the spelling of the name, or if a path was included, verify that the "
                    "path is correct and try again.",
                    "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand",
                    "ObjectNotFound",
                    target=pattern,
                    exception_type="System.Management.Automation.CommandNotFoundException",
                )
            )
        results.extend(hits)
    modules = {m.lower() for m in inv.get("Module") or []}
    if modules:
        results = [r for r in results if str(r.get("Source")).lower() in modules]
    return results


@cmdlet(
    "Get-Variable",
    Param("Name", "string[]", position=0),
    Param("ValueOnly", "switch"),
    Param("Scope", "string"),
    summary="Read variables by name.",
    not_modelled="-Include/-Exclude, numeric scopes",
)
def get_variable(inv: Invocation) -> Iterable[Any]:
    """Get-Variable -Name [-ValueOnly]. Not modelled: -Include/-Exclude, listing every variable."""
    interpreter = _interpreter(inv)
    results: list[Any] = []
    for name in inv.get("Name") or []:
        prefix = f"{inv.get('Scope')}:" if inv.has("Scope") else ""
        found = any(name.lower() in scope for scope in interpreter.scopes) or name.lower() in {"null", "true", "false"}
        if not found:
            inv.write_error(
                SimError(
                    f"Cannot find a variable with the name '{name}'.",
                    "VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand",
                    "ObjectNotFound",
                    target=name,
                    exception_type="System.Management.Automation.ItemNotFoundException",
                )
            )
            continue
        value = interpreter.get_variable(prefix + name)
        results.append(
            value
            if inv.get("ValueOnly")
            else PSObject("System.Management.Automation.PSVariable", {"Name": name, "Value": value})
        )
    if not inv.has("Name"):
        raise NotModelledError("Get-Variable without -Name")
    return results


@cmdlet(
    "Set-Variable",
    Param("Name", "string[]", position=0, mandatory=True),
    Param("Value", "object", position=1),
    Param("Scope", "string"),
    Param("PassThru", "switch"),
    Param("Option", "string"),
    summary="Assign variables by name.",
    not_modelled="-Option ReadOnly/Constant, -Visibility",
)
def set_variable(inv: Invocation) -> Iterable[Any]:
    """Set-Variable / New-Variable. Not modelled: -Option, -Visibility."""
    if inv.has("Option") and inv.get("Option").lower() != "none":
        raise NotModelledError(f"Set-Variable -Option {inv.get('Option')}")
    interpreter = _interpreter(inv)
    prefix = f"{inv.get('Scope')}:" if inv.has("Scope") and inv.get("Scope").lower() in {"global", "script"} else ""
    for name in inv.get("Name"):
        interpreter.set_variable(prefix + name, inv.get("Value"))
    return []


@cmdlet(
    "Remove-Variable",
    Param("Name", "string[]", position=0, mandatory=True),
    Param("Scope", "string"),
    Param("Force", "switch"),
    summary="Remove variables.",
    not_modelled="-Include/-Exclude",
)
def remove_variable(inv: Invocation) -> None:
    """Remove-Variable from the innermost scope that has it. Not modelled: -Include/-Exclude."""
    interpreter = _interpreter(inv)
    for name in inv.get("Name"):
        for scope in reversed(interpreter.scopes):
            if name.lower() in scope:
                del scope[name.lower()]
                break
        else:
            inv.write_error(
                SimError(
                    f"Cannot find a variable with the name '{name}'.",
                    "VariableNotFound,Microsoft.PowerShell.Commands.RemoveVariableCommand",
                    "ObjectNotFound",
                    target=name,
                    exception_type="System.Management.Automation.ItemNotFoundException",
                )
            )


@cmdlet(
    "Set-StrictMode",
    Param("Version", "string"),
    Param("Off", "switch"),
    summary="Strict mode (only -Off is accepted).",
    not_modelled="strict mode checks (-Version)",
)
def set_strict_mode(inv: Invocation) -> None:
    """Set-StrictMode -Off is accepted (the default). Not modelled: -Version and its checks."""
    if not inv.get("Off"):
        raise NotModelledError("Set-StrictMode -Version (strict-mode checks)")
