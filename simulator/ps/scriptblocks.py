"""Script blocks and functions: ``param()`` declarations, argument binding, running a body in a scope.

A mixin of :class:`simulator.ps.interpreter.Interpreter`.
"""

# Mixin methods annotate ``self`` as the Interpreter they are mixed into; mypy reports that as "misc".
# mypy: disable-error-code="misc"

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.binder import COMMON_ALIASES, COMMON_PARAMETERS, Argument
from simulator.ps.expressions import VOID
from simulator.ps.flow import ReturnFlow
from simulator.ps.session import ScriptParam
from simulator.ps.values import ScriptBlock, cast, full_type_name, to_str

if TYPE_CHECKING:
    from simulator.ps.interpreter import Interpreter

log = logging.getLogger(__name__)


class ScriptBlockMixin:
    """Runs script blocks and functions (mixed into the Interpreter)."""

    def parse_param_list(self: Interpreter, node: Node | None) -> list[Any]:
        """``param(...)`` / ``function f($a, $b)`` declarations."""
        params: list[ScriptParam] = []
        if node is None:
            return params
        plist = (
            node
            if node.type == "parameter_list"
            else next((c for c in node.named_children if c.type == "parameter_list"), None)
        )
        for entry in plist.named_children if plist is not None else []:
            if entry.type != "script_parameter":
                continue
            variable = next(c for c in entry.named_children if c.type == "variable")
            type_name = None
            mandatory = False
            attributes = next((c for c in entry.named_children if c.type == "attribute_list"), None)
            validations: list[tuple[str, Any]] = []
            for attribute in attributes.named_children if attributes is not None else []:
                literal = next((c for c in attribute.named_children if c.type == "type_literal"), None)
                if literal is not None:
                    type_name = self.type_literal_name(literal)
                    continue
                kind, arguments = self._attribute(attribute)
                if kind == "parameter":
                    text = self.source.node_text(attribute)
                    if re.search(r"ValueFromPipeline", text, re.I):
                        raise NotModelledError("ValueFromPipeline on function parameters")
                    mandatory = "mandatory" in text.lower() and not re.search(r"mandatory\s*=\s*\$false", text, re.I)
                elif kind == "validateset":
                    validations.append(("set", [to_str(a) for a in arguments]))
                elif kind == "validaterange":
                    validations.append(("range", (arguments[0], arguments[1])))
                elif kind in {"validatenotnullorempty", "validatenotnull"}:
                    validations.append((kind, None))
                elif kind not in _ACCEPTED_ATTRIBUTES:
                    raise NotModelledError(f"the parameter attribute [{kind}]")
            default = next((c for c in entry.named_children if c.type == "script_parameter_default"), None)
            default_value = default.named_children[-1] if default is not None else None
            params.append(ScriptParam(self.variable_name(variable), type_name, default_value, mandatory, validations))
        return params

    def _attribute(self: Interpreter, node: Node) -> tuple[str, list[Any]]:
        """An attribute's lower-case name and its positional argument values."""
        name_node = next((c for c in node.named_children if c.type == "attribute_name"), None)
        name = self.source.node_text(name_node).lower() if name_node is not None else ""
        name = name.removeprefix("system.management.automation.").removesuffix("attribute")
        values: list[Any] = []
        arguments = next((c for c in node.named_children if c.type == "attribute_arguments"), None)
        for argument in arguments.named_children if arguments is not None else []:
            if argument.type != "attribute_argument" or any(c.type == "=" for c in argument.children):
                continue
            values.append(self.eval_expression(argument.named_children[0]) if argument.named_children else None)
        return name, values

    def bind_script_params(self: Interpreter, params_node: Node, values: list[Any]) -> None:
        """A script-level ``param()`` block: parameters get their defaults (scripts get no arguments)."""
        for param in self.parse_param_list(params_node):
            value = self.eval_pipeline_value(param.default) if param.default is not None else None
            self.set_variable(param.name, value)

    def invoke_block(
        self: Interpreter,
        block: Any,
        dollar_underscore: Any,
        args: list[Any],
        new_scope: bool = True,
        named: list[Argument] | None = None,
        input_objects: list[Any] | None = None,
        function_name: str | None = None,
    ) -> list[Any]:
        """Run a script block or function body; its output objects."""

        if not isinstance(block, ScriptBlock):
            raise SimError(
                f"The term '{to_str(block)}' is not recognized as the name of a cmdlet, function, script "
                "file, or operable program.",
                "CommandNotFoundException",
                "ObjectNotFound",
                exception_type="System.Management.Automation.CommandNotFoundException",
                terminating=True,
            )
        out: list[Any] = []
        body = block.node
        if new_scope:
            self.scopes.append({})
        previous = self.get_variable("_") if not new_scope else None
        try:
            if dollar_underscore is not None or not new_scope:
                self.scopes[-1]["_"] = dollar_underscore
            self.scopes[-1]["input"] = list(input_objects or [])
            params = list(block.params)
            if body is not None:
                inner = next((c for c in body.named_children if c.type == "param_block"), None)
                if inner is not None:
                    params = self.parse_param_list(inner)
            remaining = self._bind_block(params, list(args), named or [], function_name or "")
            self.scopes[-1]["args"] = remaining
            if body is not None:
                statements = self._block_statements(body)
                try:
                    if statements is not None:
                        self.exec_statements(statements, out)
                except ReturnFlow:
                    pass
        finally:
            if new_scope:
                self.scopes.pop()
            else:
                self.scopes[-1]["_"] = previous
        return [o for o in out if o is not VOID]

    def _block_statements(self: Interpreter, body: Node) -> Node | None:
        if body.type == "statement_list":
            return body
        script_body = next((c for c in body.named_children if c.type == "script_block_body"), None)
        if script_body is None:
            return None
        if any(c.type == "named_block_list" for c in script_body.named_children):
            raise NotModelledError("begin/process/end blocks")
        return next((c for c in script_body.named_children if c.type == "statement_list"), None)

    def _bind_block(
        self: Interpreter, params: list[ScriptParam], values: list[Any], named: list[Argument], function_name: str
    ) -> list[Any]:
        """Bind a call's arguments (in command-line order) to ``param()`` entries; the rest become ``$args``."""
        bound: dict[str, Any] = {}
        extra_named: list[Any] = []
        positional: list[Any] = []
        queue = list(named)
        while queue:
            argument = queue.pop(0)
            if argument.name is None:
                positional.append(argument.value)
                continue
            key = argument.name.lower()
            matches = [p for p in params if p.name.lower() == key] or [
                p for p in params if p.name.lower().startswith(key)
            ]
            common = COMMON_ALIASES.get(key) or next((c for c in COMMON_PARAMETERS if c.lower() == key), None)
            if not matches and common is not None and params:
                # ASSUMPTION: functions with a param() block are treated as advanced functions, which take the
                # common parameters; -ErrorAction sets $ErrorActionPreference inside the function.
                value: Any = argument.value
                if not argument.has_value and common not in {"Verbose", "Debug", "Confirm", "WhatIf"}:
                    value = queue.pop(0).value if queue and queue[0].name is None else None
                if common == "ErrorAction":
                    self.scopes[-1]["erroractionpreference"] = to_str(value)
                continue
            if len(matches) != 1:
                if not params:
                    extra_named.append(argument.text)
                    if argument.has_value:
                        extra_named.append(argument.value)
                    continue
                raise SimError(
                    f"A parameter cannot be found that matches parameter name '{argument.name}'.",
                    f"NamedParameterNotFound,{function_name}",
                    "InvalidArgument",
                    terminating=True,
                    exception_type="System.Management.Automation.ParameterBindingException",
                )
            param = matches[0]
            if argument.has_value:
                bound[param.name.lower()] = argument.value
            elif (param.type_name or "").lower() == "switch":
                bound[param.name.lower()] = True
            elif queue and queue[0].name is None:
                bound[param.name.lower()] = queue.pop(0).value
            else:
                raise SimError(
                    f"Missing an argument for parameter '{param.name}'. Specify a parameter of type "
                    f"'{_dotnet_type(param.type_name)}' and try again.",
                    f"MissingArgument,{function_name}",
                    "InvalidArgument",
                    terminating=True,
                    exception_type="System.Management.Automation.ParameterBindingException",
                )
        values = [*positional, *values]
        for param in params:
            if param.name.lower() in bound or (param.type_name or "").lower() == "switch":
                continue
            if values:
                bound[param.name.lower()] = values.pop(0)
        for param in params:
            key = param.name.lower()
            if key in bound:
                value = bound[key]
            elif param.mandatory:
                raise SimError(
                    f"Cannot process command because of one or more missing mandatory parameters: {param.name}.",
                    f"MissingMandatoryParameter,{function_name}",
                    "InvalidArgument",
                    terminating=True,
                    exception_type="System.Management.Automation.ParameterBindingException",
                )
            elif param.default is not None:
                value = self.eval_pipeline_value(param.default)
            else:
                value = False if (param.type_name or "").lower() == "switch" else None
            if param.type_name and value is not None:
                value = cast(value, param.type_name)
            if key in bound:
                _validate(param, value, function_name)
            self.scopes[-1][key] = value
        return [*extra_named, *values]


def _dotnet_type(type_name: str | None) -> str:
    """The .NET name PowerShell shows for a parameter's declared type."""
    return full_type_name(type_name) if type_name else "System.Object"


_ACCEPTED_ATTRIBUTES = {
    "cmdletbinding",
    "alias",
    "allownull",
    "allowemptystring",
    "allowemptycollection",
    "outputtype",
    "supportswildcards",
}


def _validate(param: ScriptParam, value: Any, function_name: str) -> None:
    """ValidateSet / ValidateRange / ValidateNotNull(OrEmpty) on a function argument, with PowerShell's messages."""
    for kind, rule in param.validations:
        problem = None
        if kind == "set" and to_str(value).lower() not in {r.lower() for r in rule}:
            problem = (
                f'The argument "{to_str(value)}" does not belong to the set "{",".join(rule)}" specified by the '
                "ValidateSet attribute. Supply an argument that is in the set and then try the command again."
            )
        elif kind == "range":
            low, high = rule
            if value < low:
                problem = (
                    f"The {value} argument is less than the minimum allowed range of {low}. Supply an "
                    f"argument that is greater than or equal to {low} and then try the command again."
                )
            elif value > high:
                problem = (
                    f"The {value} argument is greater than the maximum allowed range of {high}. Supply an "
                    f"argument that is less than or equal to {high} and then try the command again."
                )
        elif kind == "validatenotnull" and value is None:
            problem = (
                "The argument is null. Provide a valid value for the argument, and then try running the command again."
            )
        elif kind == "validatenotnullorempty" and (value is None or value in ("", [])):
            problem = (
                "The argument is null or empty. Provide an argument that is not null or empty, and then try "
                "the command again."
            )
        if problem is not None:
            raise SimError(
                f"Cannot validate argument on parameter '{param.name}'. {problem}",
                f"ParameterArgumentValidationError,{function_name}",
                "InvalidData",
                terminating=True,
                exception_type="System.Management.Automation.ParameterBindingValidationException",
            )
