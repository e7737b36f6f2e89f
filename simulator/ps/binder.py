"""The parameter binder: named, abbreviated, aliased, positional and pipeline arguments, with PowerShell's errors.

Each cmdlet's :class:`~simulator.ps.api.Param` list drives it; common parameters (-ErrorAction …)
are handled here for every cmdlet.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps.api import CmdletSpec, Param
from simulator.ps.objects import PSEnum, PSHashtable, PSObject, SecureString
from simulator.ps.values import (
    ScriptBlock,
    as_list,
    parse_timespan,
    to_bytes,
    to_datetime,
    to_int,
    to_str,
    type_name_of,
)

COMMON_PARAMETERS = (
    "ErrorAction",
    "WarningAction",
    "InformationAction",
    "ErrorVariable",
    "WarningVariable",
    "InformationVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
    "Verbose",
    "Debug",
    "Confirm",
    "WhatIf",
)
COMMON_ALIASES = {
    "ea": "ErrorAction",
    "wa": "WarningAction",
    "infa": "InformationAction",
    "ev": "ErrorVariable",
    "wv": "WarningVariable",
    "iv": "InformationVariable",
    "ov": "OutVariable",
    "ob": "OutBuffer",
    "pv": "PipelineVariable",
    "vb": "Verbose",
    "db": "Debug",
    "cf": "Confirm",
    "wi": "WhatIf",
}
_COMMON_SWITCHES = {"Verbose", "Debug", "Confirm", "WhatIf"}
# Parameters declared ValueFromRemainingArguments in PowerShell (``Write-Host a b``).
REMAINING_ARGUMENTS = {"write-host": "Object", "write-output": "InputObject"}
ACTION_PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend")

_DOTNET_TYPES = {
    "string": "System.String",
    "string[]": "System.String[]",
    "int": "System.Int32",
    "int[]": "System.Int32[]",
    "bool": "System.Boolean",
    "switch": "System.Management.Automation.SwitchParameter",
    "securestring": "System.Security.SecureString",
    "object": "System.Object",
    "object[]": "System.Object[]",
    "hashtable": "System.Collections.Hashtable",
    "timespan": "System.TimeSpan",
    "datetime": "System.DateTime",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "byte[]": "System.Byte[]",
}


def cmdlet_type(spec: CmdletSpec) -> str:
    """The .NET class in FullyQualifiedErrorIds (``Microsoft.PowerShell.Commands.GetItemCommand``)."""
    verb, _, noun = spec.name.partition("-")
    if spec.area.lower() in {"hyperv", "hyper-v"} or noun.upper().startswith("VM"):
        # ASSUMPTION: Hyper-V cmdlet classes are named Microsoft.HyperV.PowerShell.Commands.<Verb><Noun>.
        return f"Microsoft.HyperV.PowerShell.Commands.{verb}{noun}"
    return f"Microsoft.PowerShell.Commands.{verb}{noun}Command"


@dataclass
class Argument:
    """One element of a command line after evaluation."""

    name: str | None = None  # parameter name without the dash, for ``-Name``
    value: Any = None
    has_value: bool = False  # ``-Name:value`` or a plain value
    text: str = ""  # the source text (for error messages)


@dataclass
class Bound:
    """The result of binding: handler arguments plus common parameters."""

    args: dict[str, Any] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)


def _argument_display(arg: Argument) -> str:
    """How PowerShell names an argument in a binding error: a string's value (no quotes), else the source."""
    return arg.value if isinstance(arg.value, str) else arg.text


def _binding_error(
    message: str, fqid: str, spec: CmdletSpec, category: str = "InvalidArgument"
) -> ParameterBindingError:
    return ParameterBindingError(message, f"{fqid},{cmdlet_type(spec)}", category)


def convert(value: Any, param: Param, spec: CmdletSpec) -> Any:
    """Convert an argument to the parameter's type, as the binder would."""
    kind = param.type
    try:
        if kind == "string":
            if isinstance(value, list | tuple) and len(value) != 1:
                return " ".join(to_str(v) for v in value)
            return to_str(value[0] if isinstance(value, list | tuple) else value)
        if kind == "string[]":
            return [to_str(v) for v in as_list(value)] if value is not None else None
        if kind == "int":
            return to_int(value[0] if isinstance(value, list | tuple) and len(value) == 1 else value)
        if kind == "int[]":
            return [to_int(v) for v in as_list(value)]
        if kind in {"bool", "switch"}:
            if isinstance(value, bool):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value != 0
            raise _binding_error(
                f"Cannot process argument transformation on parameter '{param.name}'. Cannot convert value "
                f'"{type_name_of(value)}" to type "System.Boolean". Boolean parameters accept only Boolean values '
                "and numbers, such as $True, $False, 1 or 0.",
                "ParameterArgumentTransformationError",
                spec,
            )
        if kind == "securestring":
            if value is None or isinstance(value, SecureString):
                return value  # $null binds to an optional SecureString parameter as is
            raise _binding_error(
                f"Cannot bind parameter '{param.name}'. Cannot convert the \"{to_str(value)}\" value of "
                f'type "{type_name_of(value)}" to type "System.Security.SecureString".',
                "CannotConvertArgumentNoMessage",
                spec,
            )
        if kind == "object[]":
            return as_list(value)
        if kind == "hashtable":
            if isinstance(value, dict):
                return value if isinstance(value, PSHashtable) else PSHashtable(value)
            raise SimError("Cannot convert", "x")
        if kind == "timespan":
            return value if isinstance(value, dt.timedelta) else parse_timespan(value)
        if kind == "datetime":
            return to_datetime(value)
        if kind == "scriptblock":
            if isinstance(value, ScriptBlock):
                return value
            raise SimError("Cannot convert", "x")
        if kind == "byte[]":
            return to_bytes(value)
        return value
    except ParameterBindingError:
        raise
    except SimError as exc:
        if exc.fully_qualified_error_id.startswith("CannotConvertArgumentNoMessage"):
            raise
        shown = "System.Object[]" if isinstance(value, list | tuple) else to_str(value)
        detail = exc.message.split('Error: "', 1)[1].rstrip('"') if 'Error: "' in exc.message else ""
        message = (
            f"Cannot bind parameter '{param.name}'. Cannot convert value \"{shown}\" to type "
            f'"{_DOTNET_TYPES.get(kind, kind)}".'
        )
        if detail:
            message += f' Error: "{detail}"'
        raise _binding_error(message, "CannotConvertArgumentNoMessage", spec) from exc


def validate(value: Any, param: Param, spec: CmdletSpec) -> Any:
    """Apply ValidateSet (normalising the casing) and ValidateRange."""
    if param.validate_set is not None and value is not None:
        canonical = {v.lower(): v for v in param.validate_set}
        items = value if isinstance(value, list) else [value]
        fixed = []
        for item in items:
            text = item.name if isinstance(item, PSEnum) else to_str(item)
            if text.lower() not in canonical:
                raise _binding_error(
                    f"Cannot validate argument on parameter '{param.name}'. The argument \"{text}\" does not belong "
                    f'to the set "{",".join(param.validate_set)}" specified by the ValidateSet attribute. Supply an '
                    "argument that is in the set and then try the command again.",
                    "ParameterArgumentValidationError",
                    spec,
                )
            fixed.append(canonical[text.lower()])
        value = fixed if isinstance(value, list) else fixed[0]
    if param.validate_range is not None and value is not None:
        low, high = param.validate_range
        for item in value if isinstance(value, list) else [value]:
            if item < low:
                raise _binding_error(
                    f"Cannot validate argument on parameter '{param.name}'. The {item} argument is less than the "
                    f"minimum allowed range of {low}. Supply an argument that is greater than or equal to {low} and "
                    "then try the command again.",
                    "ParameterArgumentValidationError",
                    spec,
                )
            if item > high:
                raise _binding_error(
                    f"Cannot validate argument on parameter '{param.name}'. The {item} argument is greater than the "
                    f"maximum allowed range of {high}. Supply an argument that is less than or equal to {high} and "
                    "then try the command again.",
                    "ParameterArgumentValidationError",
                    spec,
                )
    return value


def _resolve_name(spec: CmdletSpec, name: str) -> tuple[Param | None, str]:
    """The parameter (or common parameter name) that ``-name`` refers to."""
    lowered = name.lower()
    for param in spec.params:
        if param.name.lower() == lowered or lowered in (a.lower() for a in param.aliases):
            return param, param.name
    for common in COMMON_PARAMETERS:
        if common.lower() == lowered:
            return None, common
    if lowered in COMMON_ALIASES:
        return None, COMMON_ALIASES[lowered]
    candidates: dict[str, Param | None] = {}
    for param in spec.params:
        if param.name.lower().startswith(lowered):
            candidates[param.name] = param
    for common in COMMON_PARAMETERS:
        if common.lower().startswith(lowered) and common not in candidates:
            candidates[common] = None
    if len(candidates) == 1:
        ((canonical, param_found),) = candidates.items()
        return param_found, canonical
    if len(candidates) > 1:
        raise _binding_error(
            f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. Possible matches "
            f"include: {' '.join('-' + c for c in candidates)}.",
            "AmbiguousParameter",
            spec,
        )
    if lowered in _named_as_not_modelled(spec):
        # Windows has this parameter; the simulator does not implement it: say so instead of claiming
        # that Windows would not know it.
        raise NotModelledError(f"{spec.name} -{name}")
    raise _binding_error(
        f"A parameter cannot be found that matches parameter name '{name}'.", "NamedParameterNotFound", spec
    )


_NOT_MODELLED_PARAMETER = re.compile(r"(?:^|[\s,;(/])-([A-Za-z][A-Za-z0-9]*)")


def _named_as_not_modelled(spec: CmdletSpec) -> set[str]:
    """The parameters a cmdlet's coverage entry lists as not modelled (``-CloneCert, -Container …``)."""
    return {match.lower() for match in _NOT_MODELLED_PARAMETER.findall(spec.not_modelled)}


def bind_arguments(spec: CmdletSpec, arguments: list[Argument]) -> Bound:
    """Bind the command-line arguments (not yet the pipeline)."""
    bound = Bound()
    positional: list[Argument] = []
    i = 0
    while i < len(arguments):
        arg = arguments[i]
        i += 1
        if arg.name is None:
            positional.append(arg)
            continue
        param, canonical = _resolve_name(spec, arg.name)
        is_switch = (param is not None and param.type == "switch") or (param is None and canonical in _COMMON_SWITCHES)
        if arg.has_value:
            value = arg.value
        elif is_switch:
            value = True
        elif i < len(arguments) and arguments[i].name is None:
            value = arguments[i].value
            i += 1
        else:
            type_text = _DOTNET_TYPES.get(param.type, "System.Object") if param is not None else "System.String"
            raise _binding_error(
                f"Missing an argument for parameter '{canonical}'. Specify a parameter of type "
                f"'{type_text}' and try again.",
                "MissingArgument",
                spec,
            )
        if param is None:
            bound.common[canonical] = _common_value(canonical, value, spec)
            continue
        if param.name in bound.args:
            raise _binding_error(
                f"Cannot bind parameter because parameter '{param.name}' is specified more than "
                "once. To provide multiple values to parameters that can accept multiple values, use "
                'the array syntax. For example, "-parameter value1,value2,value3".',
                "ParameterAlreadyBound",
                spec,
            )
        bound.args[param.name] = validate(convert(value, param, spec), param, spec)
    slots = sorted(
        (p for p in spec.params if p.position is not None and p.name not in bound.args), key=lambda p: p.position or 0
    )
    remaining = REMAINING_ARGUMENTS.get(spec.name.lower())
    for index, arg in enumerate(positional):
        if remaining is not None and index > 0 and remaining in bound.args:
            bound.args[remaining] = [*as_list(bound.args[remaining]), arg.value]
            continue
        if not slots:
            raise _binding_error(
                f"A positional parameter cannot be found that accepts argument '{_argument_display(arg)}'.",
                "PositionalParameterNotFound",
                spec,
            )
        param = slots.pop(0)
        bound.args[param.name] = validate(convert(arg.value, param, spec), param, spec)
    if "WhatIf" in bound.common and not any(p.name == "WhatIf" for p in spec.params):
        raise NotModelledError(f"-WhatIf on {spec.name}")
    return bound


def _common_value(name: str, value: Any, spec: CmdletSpec) -> Any:
    if name in {"ErrorAction", "WarningAction", "InformationAction"}:
        text = value.name if isinstance(value, PSEnum) else to_str(value)
        for option in ACTION_PREFERENCES:
            if option.lower() == text.lower():
                if option in {"Inquire", "Suspend"}:
                    raise NotModelledError(f"-{name} {option}")
                return option
        raise _binding_error(
            f"Cannot bind parameter '{name}'. Cannot convert value \"{text}\" to type "
            '"System.Management.Automation.ActionPreference". Error: "Unable to match the identifier name '
            f"{text} to a valid enumerator name. Specify one of the following enumerator names and try again:\r\n"
            'SilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend"',
            "CannotConvertArgumentNoMessage",
            spec,
        )
    if name in _COMMON_SWITCHES:
        return bool(value)
    return value


def _native(value: Any, kind: str) -> bool:
    """Whether ``value`` already is of the parameter type, so binding it needs no conversion."""
    if kind in {"object", "object[]"}:
        return True
    element = kind.removesuffix("[]")
    items = value if kind.endswith("[]") and isinstance(value, list | tuple) else [value]
    checks: dict[str, Any] = {
        "string": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "switch": lambda v: isinstance(v, bool),
        "securestring": lambda v: isinstance(v, SecureString),
    }
    check = checks.get(element)
    return check is not None and bool(items) and all(check(v) for v in items)


def bind_pipeline(spec: CmdletSpec, bound: dict[str, Any], item: Any) -> dict[str, Any] | None:
    """Bind one pipeline object; None when nothing accepts it.

    PowerShell's order: ByValue without conversion, ByPropertyName without conversion, ByValue with
    conversion, ByPropertyName with conversion. So a piped FileInfo binds its ``PSPath`` (a string) to
    ``-LiteralPath`` (alias PSPath) before it would be converted to a string for ``-Path``.
    """
    for exact in (True, False):
        args = _bind_by_value(spec, bound, item, exact)
        if args is not None:
            return args
        args = _bind_by_property(spec, bound, item, exact)
        if args is not None:
            return args
    return None


def _bind_by_value(spec: CmdletSpec, bound: dict[str, Any], item: Any, exact: bool) -> dict[str, Any] | None:
    for param in spec.params:
        if not param.from_pipeline or param.name in bound or (exact and not _native(item, param.type)):
            continue
        try:
            value = validate(convert(item, param, spec), param, spec)
        except ParameterBindingError:
            raise
        except SimError:
            continue
        return {**bound, param.name: value}
    return None


def _bind_by_property(spec: CmdletSpec, bound: dict[str, Any], item: Any, exact: bool) -> dict[str, Any] | None:
    if not isinstance(item, PSObject | dict):
        return None
    args = dict(bound)
    matched = False
    for param in spec.params:
        if not param.from_pipeline_by_property or param.name in bound:
            continue
        for key in (param.name, *param.aliases):
            present = item.has(key) if isinstance(item, PSObject) else key in item
            if not present:
                continue
            value = item.get(key)
            if exact and not _native(value, param.type):
                break
            args[param.name] = validate(convert(value, param, spec), param, spec)
            matched = True
            break
    return args if matched else None


def check_mandatory(spec: CmdletSpec, args: dict[str, Any], pipeline_stage: bool = False) -> None:
    """The non-interactive "missing mandatory parameters" error.

    In a later pipeline stage a collecting cmdlet's pipeline parameters count as bound even when no
    object arrived (``@() | ConvertTo-Json`` outputs nothing, it does not fail).
    """
    missing = [
        p.name
        for p in spec.params
        if p.mandatory
        and p.name not in args
        and not (pipeline_stage and (p.from_pipeline or p.from_pipeline_by_property))
    ]
    if missing:
        raise _binding_error(
            f"Cannot process command because of one or more missing mandatory parameters: {' '.join(missing)}.",
            "MissingMandatoryParameter",
            spec,
        )


def input_not_bound(spec: CmdletSpec) -> ParameterBindingError:
    """The error for a pipeline object no parameter accepts."""
    return _binding_error(
        "The input object cannot be bound to any parameters for the command either because the "
        "command does not take pipeline input or the input and its properties do not match any of "
        "the parameters that take pipeline input.",
        "InputObjectNotBound",
        spec,
    )
