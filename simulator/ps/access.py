"""Member access, method calls, static members, indexing and assignment targets of expressions.

A mixin of :class:`simulator.ps.interpreter.Interpreter`, split from :mod:`simulator.ps.expressions`.
"""

# Mixin methods annotate ``self`` as the Interpreter they are mixed into; mypy reports that as "misc".
# mypy: disable-error-code="misc"

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from simulator.core.errors import NotModelledError, SimError
from simulator.ps import api
from simulator.ps.members import call_method, get_member, set_member
from simulator.ps.objects import PSObject
from simulator.ps.operators import ARITHMETIC
from simulator.ps.values import (
    TypeRef,
    cast,
    to_int,
    to_str,
)

if TYPE_CHECKING:
    from simulator.ps.interpreter import Interpreter

from simulator.ps.expressions import _PASS_THROUGH, VOID, null_index_error


class AccessMixin:
    """Members, methods, indexes and assignment (mixed into the Interpreter)."""

    def _member_name(self: Interpreter, node: Node) -> str:
        inner = node.named_children[0] if node.named_children else node
        if inner.type in {"variable", "string_literal", "parenthesized_expression", "sub_expression"}:
            return to_str(self.eval_expression(inner))
        return self.source.node_text(node)

    def _is_static(self: Interpreter, node: Node) -> bool:
        return any(c.type == "::" for c in node.children)

    def expr_member_access(self: Interpreter, node: Node) -> Any:
        target_node = node.named_children[0]
        name = self._member_name(node.named_children[-1])
        if self._is_static(node):
            return self.static_member(target_node, name, None)
        return get_member(self.eval_expression(target_node), name)

    def expr_invokation_expression(self: Interpreter, node: Node) -> Any:
        arg_list = next((c for c in node.named_children if c.type == "argument_list"), None)
        return self.invoke_member(node, arg_list)

    def invoke_member(self: Interpreter, node: Node, arg_list: Node | None) -> Any:
        """``target.Name(args)`` / ``[Type]::Name(args)``: ``node`` holds the target and the member name
        (an invokation_expression, or the member_access the grammar leaves in front of its argument_list
        in command-argument mode, as in ``-NotAfter (Get-Date).AddYears(5)``)."""
        target_node = node.named_children[0]
        name_node = next(c for c in node.named_children if c.type == "member_name")
        name = self._member_name(name_node)
        args: list[Any] = []
        if arg_list is not None:
            exprs = arg_list.child_by_field_name("argument_expression_list")
            if exprs is not None:
                args = [self.eval_expression(c) for c in exprs.named_children if c.type == "argument_expression"]
        if self._is_static(node):
            return self.static_member(target_node, name, args)
        target = self.eval_expression(target_node)
        try:
            result = call_method(target, name, args, self.invoke_method_block)
        except NotModelledError:
            raise
        except SimError as error:
            if (
                error.exception_type == "System.Management.Automation.MethodInvocationException"
                or error.fully_qualified_error_id in {"MethodNotFound", "InvokeMethodOnNull"}
            ):
                raise
            raise SimError(
                f'Exception calling "{name}" with "{len(args)}" argument(s): "{error.message}"',
                "MethodInvocationException"
                if error.fully_qualified_error_id != "NotModelledBySimulator"
                else error.fully_qualified_error_id,
                error.category,
                hresult=error.hresult,
                exception_type="System.Management.Automation.MethodInvocationException",
                terminating=True,
            ) from error
        return VOID if result is None else result

    def invoke_method_block(self: Interpreter, block: Any, item: Any, args: list[Any]) -> list[Any]:
        """Run a script block for ``.Where({})``/``.ForEach({})``/ScriptMethods."""
        return self.invoke_block(block, item, args, new_scope=False)

    def static_member(self: Interpreter, target_node: Node, name: str, args: list[Any] | None) -> Any:
        """``[Type]::Name`` or ``[Type]::Name(args)``."""
        target = (
            self.eval_expression(target_node)
            if target_node.type != "type_literal"
            else TypeRef(self.type_literal_name(target_node))
        )
        type_name = target.name if isinstance(target, TypeRef) else to_str(target)
        if type_name.lower() in {"console", "system.console"} and name.lower() == "outputencoding" and args is None:
            from simulator.ps.dotnet import encoding_object  # noqa: PLC0415 - dotnet registers statics on import

            return encoding_object("utf-8" if self.output_encoding == "utf-8" else "oem")
        member = api.find_static_member(type_name, name)
        if member is None:
            raise NotModelledError(f"the .NET member [{type_name}]::{name}")
        try:
            return member(self.host, *(args or []))
        except SimError:
            raise
        except (TypeError, ValueError) as exc:
            raise SimError(
                f'Exception calling "{name}" with "{len(args or [])}" argument(s): "{exc}"',
                "MethodInvocationException",
                "NotSpecified",
                terminating=True,
                exception_type="System.Management.Automation.MethodInvocationException",
            ) from exc

    def expr_element_access(self: Interpreter, node: Node) -> Any:
        target = self.eval_expression(node.named_children[0])
        index = self.eval_expression(node.named_children[1])
        return index_value(target, index)

    # ------------------------------------------------------------------ assignment
    def expr_assignment_expression(self: Interpreter, node: Node) -> Any:
        """An assignment as a statement writes nothing to the pipeline."""
        self.assignment_value(node)
        return VOID

    def assignment_value(self: Interpreter, node: Node) -> Any:
        """Perform an assignment; the value stored, which is what the assignment yields where a value is
        wanted (``$x = $y = 5``, ``($z = 3)``, ``if ($m = …)``)."""
        left = node.named_children[0]
        op = self.source.node_text(next(c for c in node.named_children if c.type == "assignement_operator"))
        value_node = node.child_by_field_name("value")
        value = self.eval_pipeline_value(value_node) if value_node is not None else None
        target = left.named_children[0] if left.type == "left_assignment_expression" else left
        while target.type in _PASS_THROUGH and len(target.named_children) == 1:
            target = target.named_children[0]
        if op != "=":
            current = self.eval_expression(target)
            arithmetic = op[0]
            value = ARITHMETIC[arithmetic](current, value)
        return self.assign_to(target, value)

    def assign_to(self: Interpreter, target: Node, value: Any) -> Any:
        """Store ``value`` into a variable, member, element or typed variable; the value stored."""
        while target.type in _PASS_THROUGH | {"left_assignment_expression"} and len(target.named_children) == 1:
            target = target.named_children[0]
        kind = target.type
        if value is VOID:
            value = None
        if kind in {"variable", "braced_variable"}:
            self.set_variable(self.variable_name(target), value)
            return value
        if kind == "expression_with_unary_operator" and len(target.children) == 1:
            return self.assign_to(target.children[0], value)
        if kind == "cast_expression":
            name = self.type_literal_name(target.named_children[0])
            return self.assign_to(target.named_children[1], cast(value, name))
        if kind == "member_access":
            name = self._member_name(target.named_children[-1])
            if self._is_static(target):
                type_name = self.type_literal_name(target.named_children[0])
                if type_name.lower() in {"console", "system.console"} and name.lower() == "outputencoding":
                    self.output_encoding = (
                        "utf-8"
                        if isinstance(value, PSObject) and value.hidden.get("codec") in {"utf-8", "utf-8-sig"}
                        else "oem"
                    )
                    return value
                raise NotModelledError(f"assigning [{type_name}]::{name}")
            set_member(self.eval_expression(target.named_children[0]), name, value)
            return value
        if kind == "element_access":
            container = self.eval_expression(target.named_children[0])
            index = self.eval_expression(target.named_children[1])
            if isinstance(container, dict):
                container[index] = value
            elif isinstance(container, list):
                position = to_int(index)
                if not -len(container) <= position < len(container):
                    raise SimError(
                        "Index was outside the bounds of the array.",
                        "IndexOutOfRange",
                        "InvalidOperation",
                        terminating=True,
                        exception_type="System.Management.Automation.RuntimeException",
                    )
                container[position] = value
            elif container is None:
                raise null_index_error()
            else:
                raise NotModelledError(f"assigning an element of a {type(container).__name__}")
            return value
        raise NotModelledError(f"assignment to '{self.source.node_text(target)[:40]}'")


def index_value(target: Any, index: Any) -> Any:
    """``$target[index]`` (negative indexes, several indexes, hashtable keys)."""
    if target is None:
        raise null_index_error()
    if isinstance(index, list) and not isinstance(target, dict):
        return [index_value(target, i) for i in index]
    if isinstance(target, dict):
        if isinstance(index, list):
            return [target.get(i) for i in index]
        return target.get(index)
    if isinstance(target, PSObject) and isinstance(index, str):
        return get_member(target, index)
    if not isinstance(target, list | tuple | str | bytes):
        # PowerShell 3+: a scalar indexes as a one-element array ($x[0] and $x[-1] are $x, $x[1] is $null).
        target = [target]
    position = to_int(index)
    if -len(target) <= position < len(target):
        return target[position]
    return None
