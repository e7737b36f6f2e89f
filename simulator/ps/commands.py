"""Pipelines and commands: argument evaluation, dispatch (functions, cmdlets, console programs), redirection.

A mixin of :class:`simulator.ps.interpreter.Interpreter`. Pipelines run stage by stage (each stage
sees all objects of the previous one), which is observably the same as PowerShell's streaming for
the scripts this simulator runs.
"""

# Mixin methods annotate ``self`` as the Interpreter they are mixed into, so that mypy checks their use
# of its state; mypy reports that pattern as "misc" (erased self type), which is intended here.
# mypy: disable-error-code="misc"

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps.api import CmdletSpec, Invocation, find_cmdlet
from simulator.ps.binder import Argument, bind_arguments, bind_pipeline, check_mandatory, input_not_bound
from simulator.ps.expressions import VOID
from simulator.ps.names import ALIASES, is_real_command
from simulator.ps.session import CmdletSession, Redirection, RedirectionScope
from simulator.ps.values import ScriptBlock, enumerate_value, parse_number, to_str

if TYPE_CHECKING:
    from simulator.ps.interpreter import Interpreter

log = logging.getLogger(__name__)
_REDIRECT_TOKEN = re.compile(r"^([1-6*]?)(>>?)(&[12]|\$null)?$", re.I)


class CommandMixin:
    """Runs pipelines and commands (mixed into the Interpreter)."""

    # ------------------------------------------------------------------ pipelines
    def _pipeline_parts(self: Interpreter, node: Node) -> tuple[list[Node], list[Node]]:
        elements: list[Node] = []
        redirections: list[Node] = []
        children = node.children if node.type == "pipeline" else [node]
        for child in children:
            if child.type == "pipeline_chain":
                for part in child.children:
                    if part.type in {"|", "comment"}:
                        continue
                    if part.type in {"redirections", "redirection"}:
                        redirections.append(part)
                    elif part.type == "pipeline_chain_tail":
                        raise NotModelledError("the pipeline chain operators && and || (PowerShell 7 only)")
                    else:
                        elements.append(part)
            elif child.type in {"redirections", "redirection"}:
                redirections.append(child)
            elif child.type not in {"|", "comment"}:
                elements.append(child)
        return elements, redirections

    def eval_pipeline(self: Interpreter, node: Node) -> list[Any]:
        """Run a pipeline; its output objects."""

        elements, redirections = self._pipeline_parts(node)
        if len(elements) == 1 and elements[0].type == "assignment_expression":
            self.eval_expression(elements[0])
            return []
        redirects = [
            self._redirection(r) for r in redirections for r in (r.named_children if r.type == "redirections" else [r])
        ]
        has_command = any(element.type == "command" for element in elements)
        if has_command:
            self.pipeline_failures.append(False)
            self.pipeline_open_files.append(set())
        try:
            with self.redirected(redirects) as sink:
                current = self._run_elements(elements)
        finally:
            if has_command:
                self.pipeline_open_files.pop()
                # $? after a pipeline is false when one of its own commands wrote an error, even under
                # -ErrorAction SilentlyContinue; errors inside nested pipelines (@(…), $(…), arguments,
                # function bodies) set only those pipelines' $? (about_Automatic_Variables).
                self.last_ok = not self.pipeline_failures.pop()
        result = [o for o in (current or []) if o is not VOID]
        return sink(result)

    def _run_elements(self: Interpreter, elements: list[Node]) -> list[Any] | None:
        """The elements of a pipeline, in turn; the objects the last one outputs."""
        current: list[Any] | None = None
        for index, element in enumerate(elements):
            if element.type == "command":
                current = self.run_command(element, current)
            elif index == 0:
                if _is_silent(element):
                    self.eval_expression(element)
                    current = []
                    continue
                value = self.eval_expression(element)
                current = [] if value is VOID else list(enumerate_value(value))
            else:
                raise SimError(
                    "Expressions are only allowed as the first element of a pipeline.",
                    "ExpressionsMustBeFirstInPipeline",
                    "ParserError",
                    terminating=True,
                    exception_type="System.Management.Automation.ParseException",
                )
        return current

    def eval_pipeline_value(self: Interpreter, node: Node | None) -> Any:
        """A pipeline used as a value (``$x = …``, ``if (…)``): an expression's own value, else its output."""

        if node is None:
            return None
        if node.type != "pipeline":
            value = self.eval_expression(node)
            return None if value is VOID else value
        elements, redirections = self._pipeline_parts(node)
        if len(elements) == 1 and not redirections and elements[0].type == "assignment_expression":
            value = self.assignment_value(elements[0])
            return None if value is VOID else value
        if len(elements) == 1 and not redirections and elements[0].type not in {"command", "assignment_expression"}:
            value = self.eval_expression(elements[0])
            return None if value is VOID else value
        out = self.eval_pipeline(node)
        return None if not out else out[0] if len(out) == 1 else out

    def _redirection(self: Interpreter, node: Node) -> Redirection:
        text = re.sub(r"\s+", "", self.source.node_text(node))
        match = re.match(r"^([1-6*]?)(>>?)(.*)$", text)
        if not match:
            raise NotModelledError(f"the redirection '{text}'")
        stream, _, target = match.groups()
        return Redirection(stream or "1", target)

    def redirected(self: Interpreter, redirects: list[Redirection]) -> RedirectionScope:
        """Context manager applying redirections; yields a function filtering the output list."""
        return RedirectionScope(self, redirects)

    # ------------------------------------------------------------------ commands
    def command_arguments(self: Interpreter, node: Node | None) -> tuple[list[Argument], list[Redirection]]:
        """Evaluate a command's elements into arguments and redirections."""
        arguments: list[Argument] = []
        redirects: list[Redirection] = []
        if node is None:
            return arguments, redirects
        pending_colon: Argument | None = None
        children = node.children
        skip_next = False
        for index, child in enumerate(children):
            if skip_next:
                skip_next = False
                continue
            kind = child.type
            text = self.source.node_text(child)
            if kind == "command_argument_sep":
                if ":" in text and arguments and arguments[-1].name is not None and not arguments[-1].has_value:
                    pending_colon = arguments[-1]
                continue
            if kind == "comment":
                continue
            if kind == "command_parameter":
                name = text[1:]
                argument = Argument(name=name.rstrip(":"), text=text)
                arguments.append(argument)
                if name.endswith(":") or any(c.type == ":" for c in child.children):
                    pending_colon = argument
                continue
            if kind == "redirection":
                redirects.append(self._redirection(child))
                continue
            if kind == "generic_token" and _REDIRECT_TOKEN.match(text):
                redirects.append(self._redirection(child))
                continue
            if _unwrap(child).type == "variable" and text.startswith("@"):
                splat = self.get_variable(text[1:])
                if isinstance(splat, dict):
                    for key, item in splat.items():
                        arguments.append(Argument(name=str(key), value=item, has_value=True, text=f"-{key}"))
                else:
                    for item in enumerate_value(splat):
                        arguments.append(Argument(value=item, has_value=True, text=to_str(item)))
                continue
            following = children[index + 1] if index + 1 < len(children) else None
            if (
                following is not None
                and following.type == "argument_list"
                and following.start_byte == child.end_byte
                and _unwrap(child).type == "member_access"
                and not any(c.type == "::" for c in _unwrap(child).children)
            ):
                # the grammar splits a method call in argument mode into the member and its argument list
                value: Any = self.invoke_member(_unwrap(child), following)
                text += self.source.node_text(following)
                skip_next = True
                if value is VOID:
                    value = None
            elif kind == "generic_token":
                value = self._bareword(text)
            else:
                value = self.eval_expression(child)

                if value is VOID:
                    value = None
            if pending_colon is not None:
                pending_colon.value = value
                pending_colon.has_value = True
                pending_colon = None
                continue
            arguments.append(Argument(value=value, has_value=True, text=text))
        return arguments, redirects

    def _bareword(self: Interpreter, text: str) -> str:
        if "$" not in text:
            return text.replace("`", "")
        return re.sub(r"\$(\{[^}]+\}|[\w:]+)", lambda m: to_str(self.get_variable(m.group(1).strip("{}"))), text)

    def run_command(self: Interpreter, node: Node, input_objects: list[Any] | None) -> list[Any]:
        """Run one command of a pipeline with the previous stage's objects (None for the first stage)."""
        operator = next(
            (self.source.node_text(c) for c in node.children if c.type == "command_invokation_operator"), None
        )
        name_node = node.child_by_field_name("command_name")
        elements = node.child_by_field_name("command_elements")
        arguments, redirects = self.command_arguments(elements)
        with self.redirected(redirects) as sink:
            return sink(self._dispatch(node, name_node, operator, arguments, input_objects))

    def _dispatch(
        self: Interpreter,
        node: Node,
        name_node: Node | None,
        operator: str | None,
        arguments: list[Argument],
        input_objects: list[Any] | None,
    ) -> list[Any]:
        if name_node is None:
            raise NotModelledError("a command without a name")
        if name_node.type == "command_name_expr":
            inner = name_node.named_children[0] if name_node.named_children else None
            if inner is not None and inner.type == "command_name":  # & hostname, & reg query …
                target = self._bareword(self.source.node_text(inner))
            elif inner is not None and inner.type == "path_command_name":
                parts = inner.named_children
                if len(parts) == 1 and parts[0].type in {"variable", "braced_variable"}:
                    target = self.eval_expression(parts[0])
                else:
                    target = self._bareword(self.source.node_text(inner))
            else:
                target = self.eval_expression(inner)
        else:
            target = self.source.node_text(name_node)
            if operator is None:
                literal = _literal_command(target)
                if literal is not None:
                    return literal
        if isinstance(target, ScriptBlock):
            return self.invoke_block(
                target, None, [], new_scope=operator != ".", named=arguments, input_objects=input_objects
            )
        if operator == "." and not isinstance(target, str):
            raise NotModelledError("dot-sourcing a script file")
        name = to_str(target)
        function = self.functions.get(name.lower())
        if function is not None:
            return self.invoke_block(
                function.block,
                None,
                [],
                new_scope=True,
                named=arguments,
                input_objects=input_objects,
                function_name=function.name,
            )
        resolved = ALIASES.get(name.lower(), name)
        if resolved.lower() in {"mkdir", "md"}:
            resolved = "New-Item"
            arguments = [Argument(name="ItemType", value="Directory", has_value=True), *arguments]
        spec = find_cmdlet(resolved)
        if spec is not None:
            return self.call_cmdlet(spec, arguments, input_objects, node, name)
        from simulator.cmd.api import CMD_COMMANDS  # noqa: PLC0415 - console commands register late

        program = name.lower().rsplit("\\", 1)[-1]
        program = program[:-4] if program.endswith(".exe") else program
        if program in CMD_COMMANDS:
            return self.call_console(program, arguments, input_objects, node)
        if is_real_command(resolved):
            raise self.terminate(
                NotModelledError(f"cmdlet {resolved}" if "-" in resolved else f"console command {name}"),
                node,
                name,
                script=True,
            )
        raise self.terminate(
            SimError(
                f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
                "program. Check the spelling of the name, or if a path was included, verify that the path is correct "
                "and try again.",
                "CommandNotFoundException",
                "ObjectNotFound",
                target=name,
                exception_type="System.Management.Automation.CommandNotFoundException",
                terminating=True,
            ),
            node,
            name,
        )

    def call_console(
        self: Interpreter, program: str, arguments: list[Argument], input_objects: list[Any] | None, node: Node
    ) -> list[Any]:
        """Run a registered console program (``reg``, ``netsh`` …) from PowerShell."""
        from simulator.cmd.api import CMD_COMMANDS, CmdCall  # noqa: PLC0415 - see _dispatch

        argv = []
        for argument in arguments:
            if argument.name is not None:
                argv.append(argument.text if not argument.has_value else f"{argument.text}{to_str(argument.value)}")
            else:
                argv.extend(to_str(v) for v in enumerate_value(argument.value))
        raw = " ".join(f'"{a}"' if " " in a else a for a in argv)
        stdin = "".join(to_str(o) + "\r\n" for o in input_objects or [])
        result = CMD_COMMANDS[program].handler(CmdCall(self.host, argv, raw, stdin, 437))
        self.set_variable("global:LASTEXITCODE", result.exit_code)
        lines = result.stdout.replace("\r\n", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        failed_before = bool(self.pipeline_failures) and self.pipeline_failures[-1]
        for line in [ln for ln in result.stderr.replace("\r\n", "\n").split("\n") if ln]:
            error = SimError(
                line,
                "NativeCommandError",
                "NotSpecified",
                target=line,
                exception_type="System.Management.Automation.RemoteException",
            )
            self.write_error_record(self.record(error, node, program), self.error_action())
        if self.pipeline_failures:
            # ASSUMPTION: a console program's $? follows its exit code, whatever it wrote on stderr.
            self.pipeline_failures[-1] = failed_before or result.exit_code != 0
        self.last_ok = result.exit_code == 0
        return lines

    def call_cmdlet(
        self: Interpreter,
        spec: CmdletSpec,
        arguments: list[Argument],
        input_objects: list[Any] | None,
        node: Node,
        called_as: str,
    ) -> list[Any]:
        """Bind and run a registered cmdlet."""
        try:
            bound = bind_arguments(spec, arguments)
        except SimError as error:
            raise self.terminate(error, node, called_as) from None
        action = self.error_action(bound.common)
        if (
            spec.handler.__module__.startswith("simulator.services.")
            and not self.streams.module_progress
            and self.host.info.get("module_progress")
        ):
            # ASSUMPTION: the first cmdlet of a subsystem module (Hyper-V, PKI, NetSecurity …) makes 5.1 load
            # that module and write its progress record on stderr, unless $ProgressPreference silences it.
            # Real hosts do this only sometimes (first use), so it is opt-in per host: info.module_progress.
            preference = to_str(self.get_variable("ProgressPreference")).lower()
            self.streams.module_progress = preference not in {"silentlycontinue", "ignore"}
        error_variable: list[Any] | None = [] if "ErrorVariable" in bound.common else None
        session = CmdletSession(self, action, node, called_as, error_variable, bound.common)
        outputs: list[Any] = []
        try:
            if spec.collects_input or input_objects is None:
                self._run_handler(
                    spec,
                    dict(bound.args),
                    session,
                    None,
                    input_objects or [],
                    outputs,
                    node,
                    called_as,
                    action,
                    pipeline_stage=input_objects is not None,
                )
            else:
                for item in input_objects:
                    args_for_item = bind_pipeline(spec, bound.args, item)
                    if args_for_item is None:
                        self.write_error_record(
                            self.record(input_not_bound(spec), node, called_as), action, error_variable
                        )
                        continue
                    self._run_handler(spec, args_for_item, session, item, [], outputs, node, called_as, action)
        finally:
            self._common_variables(bound.common, error_variable, outputs)
        return outputs

    def _common_variables(
        self: Interpreter, common: dict[str, Any], error_variable: list[Any] | None, outputs: list[Any]
    ) -> None:
        for key, values in (("ErrorVariable", error_variable), ("OutVariable", outputs)):
            if key in common and values is not None:
                name = to_str(common[key])
                if name.startswith("+"):
                    existing = self.get_variable(name[1:])
                    self.set_variable(name[1:], [*(existing or []), *values])
                else:
                    self.set_variable(name, list(values))

    def _run_handler(
        self: Interpreter,
        spec: CmdletSpec,
        args: dict[str, Any],
        session: CmdletSession,
        item: Any,
        collected: list[Any],
        outputs: list[Any],
        node: Node,
        called_as: str,
        action: str,
        pipeline_stage: bool = False,
    ) -> None:
        try:
            check_mandatory(spec, args, pipeline_stage)
        except ParameterBindingError as error:
            raise self.terminate(error, node, called_as) from None
        invocation = Invocation(self.host, args, session, input=item, input_objects=collected, name=called_as)
        try:
            result = spec.handler(invocation)
            if result is None:
                return
            if isinstance(result, str | bytes | dict) or not hasattr(result, "__iter__"):
                outputs.append(result)
                return
            for value in result:
                outputs.append(value)
        except NotModelledError as error:
            raise self.terminate(error, node, called_as, script=True) from None
        except SimError as error:
            if error.terminating:
                raise self.terminate(error, node, called_as) from None
            self.write_error_record(self.record(error, node, called_as), action, session.error_variable)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OSError) as exc:
            log.exception("cmdlet %s failed inside the simulator", spec.name)
            raise self.terminate(
                SimError(
                    f"internal simulator error in {spec.name}: {type(exc).__name__}",
                    "SimulatorInternalError",
                    "NotSpecified",
                    terminating=True,
                ),
                node,
                called_as,
                script=True,
            ) from None

    # ------------------------------------------------------------------ script blocks and functions


_SILENT_EXPRESSIONS = {
    "post_increment_expression",
    "post_decrement_expression",
    "pre_increment_expression",
    "pre_decrement_expression",
}


def _unwrap(node: Node) -> Node:
    """The single meaningful node under the grammar's one-child expression ladders."""
    while node.named_child_count == 1 and node.child_count == 1:
        node = node.named_children[0]
    return node


def _is_silent(node: Node) -> bool:
    """``$i++`` / ``++$i`` as a statement write nothing to the pipeline."""
    inner = _unwrap(node)
    if inner.type in _SILENT_EXPRESSIONS:
        return True
    return inner.type == "expression_with_unary_operator" and inner.children[0].type in {"++", "--"}


def _literal_command(text: str) -> list[Any] | None:
    """The grammar reads a bare ``1GB`` or ``1..3`` statement as a command; evaluate it as PowerShell does."""

    number = parse_number(text)
    if number is not None:
        return [number]
    match = re.fullmatch(r"(-?\d+)\.\.(-?\d+)", text)
    if match:
        start, end = int(match.group(1)), int(match.group(2))
        step = 1 if end >= start else -1
        return list(range(start, end + step, step))
    return None
