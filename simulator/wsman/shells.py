"""Remote shells and their commands: each command runs ``cmd /c`` in a worker thread.

A :class:`Shell` is what WinRS Create opens (environment, code page); a :class:`Command` holds the
output the process produced and how much of it was already sent, so that Receive can hand it out in
envelope-sized pieces and wait (up to OperationTimeout) while the process is still running.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.cmd.cmdline import Outcome, ShellContext
from simulator.cmd.execute import WORKING_DIRECTORY, run_command_line
from simulator.wsman import faults

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

MAX_SHELLS = 200  # real hosts: MaxShellsPerUser 30 by default; a generous cap against leaks


def _new_id() -> str:
    return str(uuid.uuid4()).upper()


@dataclass
class Command:
    """One process started in a shell."""

    command_id: str
    line: str
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    stdout_sent: int = 0
    stderr_sent: int = 0
    exit_code: int | None = None
    stdin: bytearray = field(default_factory=bytearray)
    stdin_closed: bool = False
    cancelled: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def done(self) -> bool:
        """The process has exited."""
        return self.exit_code is not None

    def read_all_stdin(self) -> bytes:
        """Block until the client sent stdin with End=true (or the command was cancelled)."""
        with self.changed:
            self.changed.wait_for(lambda: self.stdin_closed or self.cancelled.is_set())
            return bytes(self.stdin)

    def take_output(self, budget: int) -> tuple[bytes, bytes]:
        """Up to ``budget`` bytes of unsent stdout and stderr (call with ``changed`` held)."""
        out = bytes(self.stdout[self.stdout_sent : self.stdout_sent + budget])
        self.stdout_sent += len(out)
        err = bytes(self.stderr[self.stderr_sent : self.stderr_sent + max(0, budget - len(out))])
        self.stderr_sent += len(err)
        return out, err

    @property
    def all_sent(self) -> bool:
        """Every produced byte went out."""
        return self.stdout_sent == len(self.stdout) and self.stderr_sent == len(self.stderr)


@dataclass
class Shell:
    """An open WinRS shell."""

    shell_id: str
    owner: str
    client_ip: str
    env: dict[str, str]
    codepage: int = 437
    working_directory: str | None = None
    idle_timeout: float = 7200.0
    last_used: float = field(default_factory=time.monotonic)
    commands: dict[str, Command] = field(default_factory=dict)

    def expired(self, now: float) -> bool:
        """No request for longer than its IdleTimeOut (WinRM then closes it and ends its processes)."""
        return now - self.last_used > self.idle_timeout


class ShellManager:
    """The shells of one host (in memory, as on Windows: a restarted WinRM service forgets them)."""

    def __init__(self, host: Host, machine: str) -> None:
        self.host = host
        self.machine = machine
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()

    def create(self, owner: str, client_ip: str, env: dict[str, str], codepage: int,
               working_directory: str | None, idle_timeout: float = 7200.0) -> Shell:
        """Open a shell (closing shells that stayed idle past their IdleTimeOut first)."""
        now = time.monotonic()
        with self._lock:
            expired = [s for s in self._shells.values() if s.expired(now)]
        for shell in expired:
            log.info("shell %s closed after %.0f s idle", shell.shell_id, shell.idle_timeout)
            self.delete(shell)
        with self._lock:
            if len(self._shells) >= MAX_SHELLS:
                # ASSUMPTION: the quota fault's code and subcode (ERROR_WSMAN_QUOTA_MAX_SHELLS), not recorded.
                raise faults.WSManFault(
                    2150859174,
                    "The WS-Management service cannot process the request. This user is allowed a maximum "
                    "number of concurrent shells, which has been exceeded. Close existing shells or raise the "
                    "quota for this user. ",
                    "w:QuotaLimit",
                )
            shell = Shell(_new_id(), owner, client_ip, env, codepage, working_directory, idle_timeout)
            self._shells[shell.shell_id] = shell
            return shell

    def get(self, shell_id: str | None, owner: str) -> Shell:
        """The shell named by the ShellId selector (owned by ``owner``), or the shell-not-found fault."""
        with self._lock:
            shell = self._shells.get((shell_id or "").upper())
        if shell is None or shell.owner.lower() != owner.lower():
            raise faults.shell_not_found()
        shell.last_used = time.monotonic()
        return shell

    def delete(self, shell: Shell) -> None:
        """Close a shell and terminate its commands."""
        with self._lock:
            self._shells.pop(shell.shell_id, None)
        for command in shell.commands.values():
            command.cancelled.set()
            with command.changed:
                command.changed.notify_all()

    def close_all(self) -> None:
        """Terminate every shell (server shutdown)."""
        with self._lock:
            shells = list(self._shells.values())
        for shell in shells:
            self.delete(shell)

    def start(self, shell: Shell, line: str, command_id: str | None) -> Command:
        """Start ``cmd /c line`` in a worker thread."""
        command = Command(command_id.upper() if command_id else _new_id(), line)
        shell.commands[command.command_id] = command
        thread = threading.Thread(target=self._run, args=(shell, command), name=f"winrs-{command.command_id[:8]}",
                                  daemon=True)
        thread.start()
        return command

    def _run(self, shell: Shell, command: Command) -> None:
        context = ShellContext(
            host=self.host,
            env=dict(shell.env),
            codepage=shell.codepage,
            read_stdin=command.read_all_stdin,
            cancelled=command.cancelled,
            working_directory=shell.working_directory or WORKING_DIRECTORY,
        )
        try:
            outcome = run_command_line(context, command.line)
        except Exception:
            log.exception("command %s failed inside the simulator", command.command_id)
            outcome = Outcome(stderr=b"internal error of the simulator (see the host log)\r\n", exit_code=1)
        with command.changed:
            command.stdout += outcome.stdout
            command.stderr += outcome.stderr
            command.exit_code = outcome.exit_code
            command.changed.notify_all()

    @staticmethod
    def command(shell: Shell, command_id: str | None) -> Command:
        """The command named by CommandId: fault 87 without one, the unknown-command fault for a wrong one."""
        if not command_id:
            raise faults.invalid_parameter()
        command = shell.commands.get(command_id.upper())
        if command is None:
            raise faults.command_not_found()
        return command
