"""Expression evaluation: literals, strings with expansion, variables, operators, members, casts, assignment.

A mixin of :class:`simulator.ps.interpreter.Interpreter`; every tree-sitter node type it does not
handle is refused with NotModelledError naming it.
"""

# Mixin methods annotate ``self`` as the Interpreter they are mixed into, so that mypy checks their use
# of its state; mypy reports that pattern as "misc" (erased self type), which is intended here.
# mypy: disable-error-code="misc"

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.objects import PSHashtable, PSObject
from simulator.ps.operators import ARITHMETIC, comparison, format_operator, join, unary_split
from simulator.ps.values import (
    ScriptBlock,
    TypeRef,
    as_list,
    cast,
    enumerate_value,
    ordered_table,
    parse_number,
    to_bool,
    to_int,
    to_str,
)

if TYPE_CHECKING:
    from simulator.ps.interpreter import Interpreter

VOID = type("Void", (), {"__repr__": lambda self: "VOID"})()
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_PASS_THROUGH = {
    "logical_expression",
    "bitwise_expression",
    "comparison_expression",
    "additive_expression",
    "multiplicative_expression",
    "format_expression",
    "range_expression",
    "array_literal_expression",
    "unary_expression",
    "pipeline_chain",
    "logical_argument_expression",
    "bitwise_argument_expression",
    "comparison_argument_expression",
    "additive_argument_expression",
    "multiplicative_argument_expression",
    "format_argument_expression",
    "range_argument_expression",
    "argument_expression",
    "key_expression",
}


def null_index_error() -> SimError:
    """Indexing $null."""
    return SimError(
        "Cannot index into a null array.",
        "NullArray",
        "InvalidOperation",
        exception_type="System.Management.Automation.RuntimeException",
        terminating=True,
    )


def expand_escapes(text: str) -> str:
    """Backtick escapes of double-quoted strings."""
    return re.sub(r"`(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text, flags=re.S)


class ExpressionMixin:
    """Evaluates expression nodes (mixed into the Interpreter)."""

    def eval_expression(self: Interpreter, node: Node | None) -> Any:
        """The value of an expression node."""
        if node is None:
            return None
        kind = node.type
        if kind in _PASS_THROUGH:
            named = [c for c in node.children if c.type != "comment"]
            if len(named) == 1:
                return self.eval_expression(named[0])
            if kind == "array_literal_expression":
                return [self.eval_expression(c) for c in node.named_children]
            if kind == "range_expression":
                start, end = (to_int(self.eval_expression(c)) for c in node.named_children)
                step = 1 if end >= start else -1
                if abs(end - start) > 50_000_000:
                    raise NotModelledError("ranges of more than 50 million items")
                return list(range(start, end + step, step))
            return self._binary(node)
        handler = getattr(self, f"expr_{kind}", None)
        if handler is None:
            if kind == "pipeline":
                return self.eval_pipeline_value(node)
            statement = getattr(self, f"stmt_{kind}", None)
            if statement is not None:
                return self.eval_statement_value(statement, node)
            if kind == "ERROR":
                raise NotModelledError(f"the syntax '{self.source.node_text(node)[:40]}'")
            raise NotModelledError(f"the expression '{kind}'")
        return handler(node)

    def eval_statement_value(self: Interpreter, run: Callable[[Node, list[Any]], None], node: Node) -> Any:
        """A statement used as a value (``$x = if …``, ``@{k = foreach …}``): its output, collected as ``$( … )`` does.

        PowerShell's grammar takes a whole statement on the right of ``=`` and as a hash-literal value;
        one output object gives the object, several an array, none ``$null``.
        """
        out: list[Any] = []
        with self.flushed_on_early_exit(out):
            run(node, out)
        out = [o for o in out if o is not VOID]
        return None if not out else out[0] if len(out) == 1 else out

    @contextmanager
    def flushed_on_early_exit(self: Interpreter, captured: list[Any]) -> Iterator[None]:
        """Output captured for a value goes to the enclosing statement's output when ``return``, ``break``,
        ``continue``, ``exit`` or an error leaves the capture early (PowerShell's compiler flushes the
        capture pipe into the previous pipe in a ``finally``): in a function,
        ``$v = if ($c) { return 3 }`` returns 3 and ``$(1; 2; return 3)`` returns 1, 2, 3."""
        # ASSUMPTION: from Windows PowerShell's compiler (CaptureAstResults flushes the capture in a finally for
        # assignment and $( ) captures); not checked on a real host, and @( ) captures are left unflushed.
        try:
            yield
        except BaseException:
            if self.statement_outputs:
                self.statement_outputs[-1].extend(o for o in captured if o is not VOID)
            raise

    def _binary(self: Interpreter, node: Node) -> Any:
        children = [c for c in node.children if c.type != "comment"]
        left = self.eval_expression(children[0])
        i = 1
        while i < len(children) - 1:
            op_node, right_node = children[i], children[i + 1]
            op = self.source.node_text(op_node).strip()
            lowered = op.lower()
            if lowered in {"-and", "-or", "-xor"}:
                if lowered == "-and":
                    left = to_bool(left) and to_bool(self.eval_expression(right_node))
                elif lowered == "-or":
                    left = to_bool(left) or to_bool(self.eval_expression(right_node))
                else:
                    left = to_bool(left) != to_bool(self.eval_expression(right_node))
            else:
                right = self.eval_expression(right_node)
                if op in ARITHMETIC:
                    left = ARITHMETIC[op](left, right)
                elif lowered == "-f":
                    left = format_operator(left, right)
                elif lowered in {"-band", "-bor", "-bxor", "-shl", "-shr"}:
                    a, b = to_int(left, "System.Int64"), to_int(right, "System.Int64")
                    left = {"-band": a & b, "-bor": a | b, "-bxor": a ^ b, "-shl": a << b, "-shr": a >> b}[lowered]
                else:
                    left = comparison(op, left, right, self.scopes[-1])
            i += 2
        return left

    # ------------------------------------------------------------------ literals
    def expr_integer_literal(self: Interpreter, node: Node) -> Any:
        text = self.source.node_text(node)
        number = parse_number(text.rstrip("lL"))
        if number is None:
            raise NotModelledError(f"the number literal '{text}'")
        return number

    def expr_real_literal(self: Interpreter, node: Node) -> Any:
        text = self.source.node_text(node)
        number = parse_number(text.rstrip("dD"))
        if number is None:
            raise NotModelledError(f"the number literal '{text}'")
        return float(number) if not re.search(r"(kb|mb|gb|tb|pb)$", text, re.I) else number

    def expr_string_literal(self: Interpreter, node: Node) -> Any:
        inner = node.named_children[0] if node.named_children else node
        return self.eval_string(inner)

    def eval_string(self: Interpreter, node: Node) -> str:
        """A string node's value, expanding variables and sub-expressions in double quotes."""
        text = self.source.node_text(node)
        kind = node.type
        if kind == "verbatim_string_characters":
            return text[1:-1].replace("''", "'")
        if kind == "verbatim_here_string_characters":
            return _here_body(text)
        here = kind == "expandable_here_string_literal"
        if kind not in {"expandable_string_literal", "expandable_here_string_literal"}:
            return text
        pieces: list[str] = []
        cursor = node.start_byte
        raw = self.source.tree.text if hasattr(self.source.tree, "text") else None
        data = raw if raw is not None else self.source.text.encode("utf-8")
        for child in node.named_children:
            pieces.append(self._literal_part(data[cursor : child.start_byte].decode("utf-8"), here))
            if child.type in {"variable", "braced_variable"}:
                pieces.append(to_str(self.expr_variable(child)))
            elif child.type == "sub_expression":
                values = self.expr_sub_expression(child)
                pieces.append(to_str(values))
            else:
                pieces.append(self.source.node_text(child))
            cursor = child.end_byte
        pieces.append(self._literal_part(data[cursor : node.end_byte].decode("utf-8"), here))
        joined = "".join(pieces)
        if here:
            return _here_body(joined)
        return joined[1:-1]

    def _literal_part(self: Interpreter, text: str, here: bool) -> str:
        if not here:
            text = text.replace('""', "\x00DQ\x00")
        text = expand_escapes(text)
        return text.replace("\x00DQ\x00", '"')

    # ------------------------------------------------------------------ variables
    def variable_name(self: Interpreter, node: Node) -> str:
        """``$script:x`` -> ``script:x``; ``${env:X}`` -> ``env:X``."""
        text = self.source.node_text(node)
        if text.startswith(("$", "@")):
            text = text[1:]
        if text.startswith("{") and text.endswith("}"):
            text = text[1:-1].replace("`", "")
        return text

    def expr_variable(self: Interpreter, node: Node) -> Any:
        text = self.source.node_text(node)
        if text.startswith("@"):
            raise NotModelledError("splatting outside a command argument")
        return self.get_variable(self.variable_name(node))

    expr_braced_variable = expr_variable

    # ------------------------------------------------------------------ compound values
    def expr_parenthesized_expression(self: Interpreter, node: Node) -> Any:
        inner = next((c for c in node.named_children if c.type != "comment"), None)
        if inner is None:
            return None
        return self.eval_pipeline_value(inner)

    def expr_sub_expression(self: Interpreter, node: Node) -> Any:
        out: list[Any] = []
        statements = node.child_by_field_name("statements")
        if statements is not None:
            with self.flushed_on_early_exit(out):
                self.exec_statements(statements, out)
        out = [o for o in out if o is not VOID]
        return None if not out else out[0] if len(out) == 1 else out

    def expr_array_expression(self: Interpreter, node: Node) -> Any:
        out: list[Any] = []
        statements = node.child_by_field_name("statements")
        if statements is not None:
            self.exec_statements(statements, out)
        return [o for o in out if o is not VOID]

    def expr_hash_literal_expression(self: Interpreter, node: Node) -> Any:
        # ASSUMPTION: @{} keeps insertion order. A .NET Hashtable enumerates in hash order, which scripts
        # (and ConvertTo-Json readers) must not depend on; a stable order keeps the simulator deterministic.
        table = PSHashtable()
        body = next((c for c in node.named_children if c.type == "hash_literal_body"), None)
        for entry in body.named_children if body is not None else []:
            if entry.type != "hash_entry":
                continue
            key_node = entry.named_children[0]
            value_node = entry.named_children[-1]
            key = (
                self.eval_expression(key_node.named_children[0])
                if key_node.named_children and key_node.named_children[0].type != "simple_name"
                else self.source.node_text(key_node)
            )
            if isinstance(key, str) and key in table:
                raise SimError(
                    f"Duplicate keys '{key}' are not allowed in hash literals.",
                    "DuplicateKeyInHashLiteral",
                    "ParserError",
                    exception_type="System.Management.Automation.ParseException",
                    terminating=True,
                )
            table[key] = self.eval_pipeline_value(value_node)
        return table

    def expr_script_block_expression(self: Interpreter, node: Node) -> Any:
        params_node = next((c for c in node.named_children if c.type == "param_block"), None)
        params = self.parse_param_list(params_node) if params_node is not None else []
        body = next((c for c in node.named_children if c.type == "script_block"), None)
        text = self.source.node_text(node)[1:-1]
        return ScriptBlock(body, text, params)

    def type_literal_name(self: Interpreter, node: Node) -> str:
        """``[System.Text.Encoding]`` -> ``System.Text.Encoding``."""
        return (
            re.sub(r"\s+", "", self.source.node_text(node)).removeprefix("[").removesuffix("]")
            if node.type == "type_literal"
            else self.source.node_text(node)
        )

    def expr_type_literal(self: Interpreter, node: Node) -> Any:
        return TypeRef(self.type_literal_name(node))

    def expr_cast_expression(self: Interpreter, node: Node) -> Any:
        type_node = node.named_children[0]
        name = self.type_literal_name(type_node)
        value = self.eval_expression(node.named_children[1])
        if name.lower() == "void":
            return VOID
        if name.lower() in {"pscustomobject", "system.management.automation.pscustomobject"} and isinstance(
            value, dict
        ):
            return PSObject("System.Management.Automation.PSCustomObject", dict(value.items()))
        if name.lower() == "ordered":
            if not isinstance(value, dict):
                raise SimError(
                    "The ordered attribute can be specified only on a hash literal node.",
                    "OrderedAttributeOnlyOnHashLiteralNode",
                    "ParserError",
                    terminating=True,
                )
            return ordered_table(value.items())
        return cast(value, name)

    def expr_expression_with_unary_operator(self: Interpreter, node: Node) -> Any:
        children = node.children
        if len(children) == 1:
            return self.eval_expression(children[0])
        op = self.source.node_text(children[0]).lower()
        operand_node = children[-1]
        if op in {"++", "--"}:
            return self._increment(operand_node, 1 if op == "++" else -1, prefix=True)
        value = self.eval_expression(operand_node)
        if op in {"-not", "!"}:
            return not to_bool(value)
        if op == "-":
            return ARITHMETIC["-"](0, value) if not isinstance(value, float) else -value
        if op == "+":
            return ARITHMETIC["+"](0, value)
        if op == ",":
            return [value]
        if op == "-split":
            return unary_split(value)
        if op == "-join":
            return join(value, "")
        if op == "-bnot":
            return ~to_int(value, "System.Int64")
        raise NotModelledError(f"the unary operator '{op}'")

    def _increment(self: Interpreter, target: Node, delta: int, prefix: bool) -> Any:
        old = self.eval_expression(target)
        new = ARITHMETIC["+"](old if old is not None else 0, delta)
        self.assign_to(target, new)
        return new if prefix else old

    def expr_post_increment_expression(self: Interpreter, node: Node) -> Any:
        return self._increment(node.named_children[0], 1, prefix=False)

    def expr_post_decrement_expression(self: Interpreter, node: Node) -> Any:
        return self._increment(node.named_children[0], -1, prefix=False)

    def expr_pre_increment_expression(self: Interpreter, node: Node) -> Any:
        return self._increment(node.named_children[-1], 1, prefix=True)

    def expr_pre_decrement_expression(self: Interpreter, node: Node) -> Any:
        return self._increment(node.named_children[-1], -1, prefix=True)

    # ------------------------------------------------------------------ members


def _here_body(text: str) -> str:
    body = text[2:] if text[:2] in {'@"', "@'"} else text
    body = re.sub(r"^[ \t]*\r?\n", "", body, count=1)
    return re.sub(r"\r?\n[\"']@$", "", body)


__all__ = ["VOID", "ExpressionMixin", "as_list", "enumerate_value"]
