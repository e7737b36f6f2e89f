"""The six WinRS operations (Create, Command, Receive, Send, Signal, Delete) on the cmd shell resource.

Each handler takes the parsed :class:`~simulator.wsman.envelope.Request` and returns the complete
response envelope; failures are raised as :class:`~simulator.wsman.faults.WSManFault`. Receive may
block up to the request's OperationTimeout, so the router calls :func:`handle` in a worker thread.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from simulator.ps.api import ENVIRONMENT_SOURCES
from simulator.wsman import faults
from simulator.wsman.envelope import NS, SHELL_CMD_URI, Request, option_true, parse_duration, q, response
from simulator.wsman.shells import ShellManager

log = logging.getLogger(__name__)

TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
DONE = SHELL + "CommandState/Done"
RUNNING = SHELL + "CommandState/Running"
SERVER_MAX_ENVELOPE = 512000  # MaxEnvelopeSizekb = 500 on current Windows
PIECE = 16384  # raw bytes per rsp:Stream element


@dataclass
class Caller:
    """Who sent the request and where: the shell owner and the endpoint address to echo."""

    user: str
    client_ip: str
    endpoint: str


def handle(request: Request, manager: ShellManager, caller: Caller) -> bytes:
    """Dispatch one request on its a:Action."""
    if request.resource_uri.lower() != SHELL_CMD_URI.lower():
        raise faults.invalid_resource_uri()
    operations = {
        TRANSFER + "Create": create,
        SHELL + "Command": command,
        SHELL + "Receive": receive,
        SHELL + "Send": send,
        SHELL + "Signal": signal,
        TRANSFER + "Delete": delete,
    }
    operation = operations.get(request.action)
    if operation is None:
        raise faults.action_not_supported(request.action)
    return operation(request, manager, caller)


def _child(parent: object, prefix: str, local: str) -> str | None:
    element = parent.find(q(prefix, local))  # type: ignore[attr-defined]  # ET.Element
    return None if element is None else (element.text or "")


def create(request: Request, manager: ShellManager, caller: Caller) -> bytes:
    """Open a shell: environment, working directory and code page from the request."""
    shell_element = request.body.find(q("rsp", "Shell"))
    if shell_element is None:
        raise faults.schema_error("Create needs an rsp:Shell body")
    env: dict[str, str] = {}
    environment = shell_element.find(q("rsp", "Environment"))
    if environment is not None:
        for variable in environment.findall(q("rsp", "Variable")):
            if variable.get("Name"):
                env[variable.get("Name", "")] = variable.text or ""
    codepage_text = request.options.get("WINRS_CODEPAGE", "437") or "437"
    if not codepage_text.isdigit() or int(codepage_text) not in (437, 850, 1252, 65001):
        # ASSUMPTION: an unsupported code page is refused at Create with an InvalidOptions fault.
        raise faults.WSManFault(
            2150859028 if codepage_text.isdigit() else faults.INVALID_PARAMETER,
            f"The WinRS client specified a code page that is not supported by the simulator "
            f"(not modelled by the simulator: code page {codepage_text[:10]}). ",
            "w:InvalidOptions",
        )
    working_directory = _child(shell_element, "rsp", "WorkingDirectory")
    idle_text = _child(shell_element, "rsp", "IdleTimeOut")
    idle = parse_duration(idle_text) if idle_text else 7200.0
    shell = manager.create(caller.user, caller.client_ip, {**default_environment(manager), **env},
                           int(codepage_text), working_directory, idle)
    log.info("shell %s opened by %s from %s", shell.shell_id, caller.user, caller.client_ip)
    echoed = ""  # a real host echoes the working directory and the client's variables
    if working_directory:
        echoed += f"<rsp:WorkingDirectory>{escape(working_directory)}</rsp:WorkingDirectory>"
    if env:
        echoed += "<rsp:Environment>" + "".join(
            f"<rsp:Variable Name={quoteattr(k)}>{escape(v)}</rsp:Variable>" for k, v in env.items()
        ) + "</rsp:Environment>"
    input_streams = escape(_child(shell_element, "rsp", "InputStreams") or "stdin")
    output_streams = escape(_child(shell_element, "rsp", "OutputStreams") or "stdout stderr")
    body = (
        f"<x:ResourceCreated><a:Address>{escape(caller.endpoint)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{SHELL_CMD_URI}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{shell.shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
        f'</x:ResourceCreated><rsp:Shell xmlns:rsp="{NS["rsp"]}"><rsp:ShellId>{shell.shell_id}</rsp:ShellId>'
        f"<rsp:ResourceUri>{SHELL_CMD_URI}</rsp:ResourceUri><rsp:Owner>{escape(caller.user)}</rsp:Owner>"
        f"<rsp:ClientIP>{escape(caller.client_ip)}</rsp:ClientIP>{echoed}<rsp:IdleTimeOut>PT{idle:.3f}S</rsp:IdleTimeOut>"
        f"<rsp:InputStreams>{input_streams}</rsp:InputStreams><rsp:OutputStreams>{output_streams}"
        f"</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
        f"<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
    )
    return response(TRANSFER + "CreateResponse", request, body)


def default_environment(manager: ShellManager) -> dict[str, str]:
    """The variables every WinRS shell starts with; the subsystems' (COMPUTERNAME after a rename …) win."""
    name = str(manager.host.info.get("name", manager.machine)).upper()
    fixed = {
        "COMPUTERNAME": name,
        "ComSpec": "C:\\Windows\\system32\\cmd.exe",
        "OS": "Windows_NT",
        "PATH": "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "PROMPT": "$P$G",
        "SystemDrive": "C:",
        "SystemRoot": "C:\\Windows",
        "TEMP": "C:\\Users\\Administrator\\AppData\\Local\\Temp",
        "TMP": "C:\\Users\\Administrator\\AppData\\Local\\Temp",
        "USERDOMAIN": name,
        "USERNAME": "Administrator",
        "USERPROFILE": "C:\\Users\\Administrator",
        "windir": "C:\\Windows",
    }
    with manager.host.lock:
        for source in ENVIRONMENT_SOURCES:
            fixed.update(source(manager.host))
    return fixed


def command(request: Request, manager: ShellManager, caller: Caller) -> bytes:
    """Start a command line; the executed line is Command + " " + each Arguments."""
    shell = manager.get(request.selectors.get("ShellId"), caller.user)
    line_element = request.body.find(q("rsp", "CommandLine"))
    if line_element is None:
        raise faults.schema_error("Command needs an rsp:CommandLine body")
    text = _child(line_element, "rsp", "Command")
    if text is None:
        raise faults.schema_error("rsp:CommandLine needs rsp:Command")
    arguments = [a.text or "" for a in line_element.findall(q("rsp", "Arguments"))]
    line = " ".join([text.strip(), *arguments]) if arguments else text.strip()
    if option_true(request, "WINRS_SKIP_CMD_SHELL"):
        log.info("WINRS_SKIP_CMD_SHELL ignored: current Windows always runs commands through cmd.exe")
    started = manager.start(shell, line, line_element.get("CommandId"))
    body = f"<rsp:CommandResponse><rsp:CommandId>{started.command_id}</rsp:CommandId></rsp:CommandResponse>"
    return response(SHELL + "CommandResponse", request, body)


def receive(request: Request, manager: ShellManager, caller: Caller) -> bytes:
    """Return new output, waiting up to OperationTimeout; Done with ExitCode once all was sent."""
    shell = manager.get(request.selectors.get("ShellId"), caller.user)
    desired = request.body.find(f"{q('rsp', 'Receive')}/{q('rsp', 'DesiredStream')}")
    if desired is None:
        raise faults.schema_error("Receive needs rsp:DesiredStream")
    running = manager.command(shell, desired.get("CommandId"))
    wanted = (desired.text or "stdout stderr").split()
    max_envelope = min(max(request.max_envelope_size, 8192), SERVER_MAX_ENVELOPE)
    budget = max(1024, (max_envelope - 4096) * 3 // 4 - 512)
    with running.changed:
        ready = running.changed.wait_for(
            lambda: running.done or not running.all_sent or running.cancelled.is_set(),
            timeout=request.operation_timeout,
        )
        if not ready:
            raise faults.operation_timeout()
        out, err = running.take_output(budget)
        finished = running.done and running.all_sent
        exit_code = running.exit_code
    cid = quoteattr(running.command_id)
    parts = []
    for name, data in (("stdout", out), ("stderr", err)):
        if name not in wanted:
            continue
        for offset in range(0, len(data), PIECE):
            piece = base64.b64encode(data[offset : offset + PIECE]).decode()
            parts.append(f'<rsp:Stream Name="{name}" CommandId={cid}>{piece}</rsp:Stream>')
        if finished:  # as recorded: each stream's data, then its End marker
            parts.append(f'<rsp:Stream Name="{name}" CommandId={cid} End="true"></rsp:Stream>')
    if finished:
        parts.append(f'<rsp:CommandState CommandId={cid} State="{DONE}"><rsp:ExitCode>{exit_code}</rsp:ExitCode>'
                     f"</rsp:CommandState>")
    else:
        parts.append(f'<rsp:CommandState CommandId={cid} State="{RUNNING}"></rsp:CommandState>')
    return response(SHELL + "ReceiveResponse", request, f"<rsp:ReceiveResponse>{''.join(parts)}</rsp:ReceiveResponse>")


def send(request: Request, manager: ShellManager, caller: Caller) -> bytes:
    """Append stdin for a command; End=true closes it."""
    shell = manager.get(request.selectors.get("ShellId"), caller.user)
    stream = request.body.find(f"{q('rsp', 'Send')}/{q('rsp', 'Stream')}")
    if stream is None:
        raise faults.schema_error("Send needs rsp:Stream")
    running = manager.command(shell, stream.get("CommandId"))
    try:
        data = base64.b64decode(stream.text or "", validate=True)
    except ValueError:
        raise faults.schema_error("the stdin stream is not base64") from None
    with running.changed:
        if running.stdin_closed:
            raise faults.invalid_parameter()
        running.stdin += data
        running.stdin_closed = (stream.get("End") or "").lower() == "true"
        running.changed.notify_all()
    return response(SHELL + "SendResponse", request, "<rsp:SendResponse></rsp:SendResponse>")


def signal(request: Request, manager: ShellManager, caller: Caller) -> bytes:
    """terminate / ctrl_c / ctrl_break: stop the command (a finished one just acknowledges)."""
    shell = manager.get(request.selectors.get("ShellId"), caller.user)
    element = request.body.find(q("rsp", "Signal"))
    if element is None:
        raise faults.schema_error("Signal needs an rsp:Signal body")
    code = (_child(element, "rsp", "Code") or "").strip().lower()
    if code.rsplit("/", 1)[-1] not in ("terminate", "ctrl_c", "ctrl_break"):
        raise faults.invalid_parameter()
    running = shell.commands.get((element.get("CommandId") or "").upper())
    if running is not None:  # a real host acknowledges a signal to an unknown command (recorded)
        running.cancelled.set()
        with running.changed:
            running.changed.notify_all()
        if code.endswith("terminate"):
            shell.commands.pop(running.command_id, None)
    return response(SHELL + "SignalResponse", request, "<rsp:SignalResponse></rsp:SignalResponse>")


def delete(request: Request, manager: ShellManager, caller: Caller) -> bytes:
    """Close the shell."""
    shell = manager.get(request.selectors.get("ShellId"), caller.user)
    manager.delete(shell)
    log.info("shell %s closed", shell.shell_id)
    return response(TRANSFER + "DeleteResponse", request, "")
