"""Statements: if, loops, switch, try/catch/finally, break/continue/return/exit/throw.

A mixin of :class:`simulator.ps.interpreter.Interpreter`.
"""

# Mixin methods annotate ``self`` as the Interpreter they are mixed into; mypy reports that as "misc".
# mypy: disable-error-code="misc"

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.errorrecord import ErrorRecord
from simulator.ps.flow import BreakFlow, ContinueFlow, ExitFlow, PSRuntimeError, ReturnFlow
from simulator.ps.objects import PSObject
from simulator.ps.operators import comparison, equals, like
from simulator.ps.parser import parse
from simulator.ps.values import as_list, enumerate_value, to_bool, to_str

if TYPE_CHECKING:
    from simulator.ps.interpreter import Interpreter

log = logging.getLogger(__name__)

# A runaway loop holds the host lock; real scripts sent by the engine never come near this.
MAX_LOOP_ITERATIONS = 100_000


class StatementMixin:
    """Runs compound statements (mixed into the Interpreter)."""

    def stmt_if_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """``if / elseif / else``."""
        condition = node.child_by_field_name("condition")
        blocks = [c for c in node.named_children if c.type == "statement_block"]
        if to_bool(self.eval_pipeline_value(condition)):
            self.exec_block(blocks[0] if blocks else None, out)
            return
        elseifs = node.child_by_field_name("elseif_clauses")
        if elseifs is not None:
            for clause in elseifs.named_children:
                cond = clause.child_by_field_name("condition")
                if to_bool(self.eval_pipeline_value(cond)):
                    self.exec_block(next(c for c in clause.named_children if c.type == "statement_block"), out)
                    return
        else_clause = node.child_by_field_name("else_clause")
        if else_clause is not None:
            self.exec_block(next(c for c in else_clause.named_children if c.type == "statement_block"), out)

    def _loop_body(self: Interpreter, body: Node | None, out: list[Any]) -> bool:
        """Run a loop body; False when the loop must stop (break)."""
        try:
            self.exec_block(body, out)
        except BreakFlow:
            return False
        except ContinueFlow:
            return True
        return True

    def stmt_foreach_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """``foreach ($x in $items) { … }``."""
        named = node.named_children
        variable = next(c for c in named if c.type == "variable")
        collection = next(c for c in named if c.type == "pipeline")
        body = next((c for c in named if c.type == "statement_block"), None)
        if any(c.type == "foreach_parameter" for c in named):
            raise NotModelledError("foreach -parallel")
        items = self.eval_pipeline_value(collection)
        name = self.variable_name(variable)
        for item in list(enumerate_value(items)) if items is not None else []:
            self.set_variable(name, item)
            if not self._loop_body(body, out):
                break

    def stmt_for_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """``for (init; cond; step) { … }``."""
        init = node.child_by_field_name("for_initializer")
        cond = node.child_by_field_name("for_condition")
        step = node.child_by_field_name("for_iterator")
        body = next((c for c in node.named_children if c.type == "statement_block"), None)
        if init is not None:
            self.eval_pipeline_value(init.named_children[0])
        guard = 0
        while cond is None or to_bool(self.eval_pipeline_value(cond.named_children[0])):
            guard += 1
            if guard > MAX_LOOP_ITERATIONS:
                raise NotModelledError(f"loops of more than {MAX_LOOP_ITERATIONS} iterations")
            if not self._loop_body(body, out):
                break
            if step is not None:
                self.eval_pipeline_value(step.named_children[0])

    def stmt_while_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """``while (cond) { … }``."""
        cond = node.child_by_field_name("condition")
        body = next((c for c in node.named_children if c.type == "statement_block"), None)
        guard = 0
        while to_bool(self.eval_pipeline_value(cond.named_children[0] if cond is not None else None)):
            guard += 1
            if guard > MAX_LOOP_ITERATIONS:
                raise NotModelledError(f"loops of more than {MAX_LOOP_ITERATIONS} iterations")
            if not self._loop_body(body, out):
                break

    def stmt_do_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """``do { … } while/until (cond)``."""
        cond = node.child_by_field_name("condition")
        body = next((c for c in node.named_children if c.type == "statement_block"), None)
        until = any(c.type == "until" for c in node.children)
        guard = 0
        while True:
            guard += 1
            if guard > MAX_LOOP_ITERATIONS:
                raise NotModelledError(f"loops of more than {MAX_LOOP_ITERATIONS} iterations")
            if not self._loop_body(body, out):
                break
            value = to_bool(self.eval_pipeline_value(cond.named_children[0] if cond is not None else None))
            if value == until:
                break

    def stmt_flow_control_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """break, continue, return, exit, throw."""
        keyword = node.children[0].type.lower()
        operand = next((c for c in node.named_children if c.type == "pipeline"), None)
        if keyword == "break":
            raise BreakFlow
        if keyword == "continue":
            raise ContinueFlow
        if keyword == "return":
            if operand is not None:
                out.extend(self.eval_pipeline(operand))
            raise ReturnFlow
        if keyword == "exit":
            value = self.eval_pipeline_value(operand) if operand is not None else 0
            try:
                code = int(to_str(value) or 0) if not isinstance(value, int) else value
            except ValueError:
                code = 0
            raise ExitFlow(code)
        if keyword == "throw":
            value = self.eval_pipeline_value(operand) if operand is not None else None
            if operand is None and isinstance(self.get_variable("_"), ErrorRecord):
                value = self.get_variable("_")  # a bare throw in a catch block rethrows the current error
            raise self.throw_value(value, node)
        self.not_modelled_node(node)

    def throw_value(self: Interpreter, value: Any, node: Node) -> PSRuntimeError:
        """``throw <value>``: a string, an ErrorRecord (rethrow) or any object."""
        if isinstance(value, ErrorRecord):
            return PSRuntimeError(value, True)
        if isinstance(value, PSObject) and "System.Exception" in value.type_names:
            text = to_str(value.get("Message"))
            thrown = SimError(
                text,
                text,
                "OperationStopped",
                exception_type=value.type_name,
                terminating=True,
                hresult=value.get("HResult"),
            )
            return PSRuntimeError(self.record(thrown, node), True)
        message = to_str(value) if value is not None else "ScriptHalted"
        error = SimError(
            message,
            message,
            "OperationStopped",
            exception_type="System.Management.Automation.RuntimeException",
            terminating=True,
            target=message if value is not None else None,
        )
        return PSRuntimeError(self.record(error, node, target_object=value), True)

    def stmt_try_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """``try { } catch [Type] { } finally { }``."""
        body = next(c for c in node.named_children if c.type == "statement_block")
        catches = next((c for c in node.named_children if c.type == "catch_clauses"), None)
        final = next((c for c in node.named_children if c.type == "finally_clause"), None)
        try:
            self.try_depth += 1
            try:
                self.exec_block(body, out)
            finally:
                self.try_depth -= 1
        except PSRuntimeError as failure:
            clause = self._matching_catch(catches, failure)
            if clause is None:
                raise
            self.errors.insert(0, failure.record)
            previous = self.get_variable("_")
            self.set_variable("_", failure.record)
            try:
                self.exec_block(next(c for c in clause.named_children if c.type == "statement_block"), out)
            finally:
                self.set_variable("_", previous)
        finally:
            if final is not None:
                self.exec_block(next(c for c in final.named_children if c.type == "statement_block"), out)

    def _matching_catch(self: Interpreter, catches: Node | None, failure: PSRuntimeError) -> Node | None:
        if catches is None:
            return None
        exception_types = [t.lower() for t in failure.record.get("Exception").type_names]
        for clause in catches.named_children:
            types = next((c for c in clause.named_children if c.type == "catch_type_list"), None)
            if types is None:
                return clause
            for literal in types.named_children:
                name = self.type_literal_name(literal).lower()
                # ASSUMPTION: a typed catch matches the exception's own type or any base listed in its
                # type names; other inheritance (e.g. IOException subclasses) is not modelled.
                if any(t in {name, f"system.{name}"} or t.endswith("." + name) for t in exception_types):
                    return clause
        return None

    def stmt_switch_statement(self: Interpreter, node: Node, out: list[Any]) -> None:
        """``switch ($x) { 'a' { } default { } }`` (plus -Wildcard / -Regex / -Exact / -CaseSensitive)."""
        params = next((c for c in node.named_children if c.type == "switch_parameters"), None)
        flags = {self.source.node_text(p).lower().lstrip("-") for p in params.named_children} if params else set()
        if flags - {"wildcard", "regex", "exact", "casesensitive"}:
            raise NotModelledError(f"switch -{' -'.join(sorted(flags))}")
        condition = next(c for c in node.named_children if c.type == "switch_condition")
        subject = self.eval_pipeline_value(next(c for c in condition.named_children if c.type == "pipeline"))
        body = next(c for c in node.named_children if c.type == "switch_body")
        clauses_node = next((c for c in body.named_children if c.type == "switch_clauses"), None)
        clauses = clauses_node.named_children if clauses_node is not None else []
        case = "casesensitive" in flags
        for item in as_list(subject) if isinstance(subject, list) else [subject]:
            matched = False
            default = None
            try:
                for clause in clauses:
                    cond_node = clause.named_children[0]
                    block = clause.named_children[-1]
                    cond_text = self.source.node_text(cond_node)
                    if cond_text.lower() == "default":
                        default = block
                        continue
                    if self._switch_matches(cond_node, item, flags, case):
                        matched = True
                        self._run_with_item(block, item, out)
                if not matched and default is not None:
                    self._run_with_item(default, item, out)
            except BreakFlow:
                break
            except ContinueFlow:
                continue

    def _switch_matches(self: Interpreter, cond_node: Node, item: Any, flags: set[str], case: bool) -> bool:
        inner = cond_node.named_children[0] if cond_node.named_children else None
        if inner is not None and inner.type == "script_block_expression":
            block = self.eval_expression(inner)
            return to_bool(self.invoke_block(block, item, [], new_scope=False))
        if inner is not None:
            value = self.eval_expression(inner)
        else:
            value = self._switch_condition_text(self.source.node_text(cond_node))
        if "wildcard" in flags:
            return like(item, value, case)
        if "regex" in flags:
            return bool(comparison("-cmatch" if case else "-match", to_str(item), value, self.scopes[-1]))
        return equals(item, value, case) if not isinstance(item, str) else equals(item, to_str(value), case)

    def _switch_condition_text(self: Interpreter, text: str) -> Any:
        """A clause condition the grammar leaves as one token: a bare word is itself; a double-quoted string
        (``"Running" { … }``) is expanded as the string it is, variables and ``$( … )`` included."""
        if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
            return text
        fragment = parse(text)
        saved = self.source
        self.source = fragment
        try:
            statements = next(c for c in fragment.tree.root_node.named_children if c.type == "statement_list")
            return self.eval_pipeline_value(statements.named_children[0])
        finally:
            self.source = saved

    def _run_with_item(self: Interpreter, block: Node, item: Any, out: list[Any]) -> None:
        previous = self.get_variable("_")
        self.set_variable("_", item)
        try:
            self.exec_block(block, out)
        finally:
            self.set_variable("_", previous)
