"""Windows PowerShell 5.1 fidelity fixes, run end to end through the simulator's interpreter (in process).

See tests/unit/test_windows_fidelity.py for the template lints and notes/winfidelity.md for the findings.
"""

from __future__ import annotations

from pathlib import Path

from hvrepl.engine import run_steps
from hvrepl.plan import parse_plan
from hvrepl.powershell import MAX_COMMAND_LINE, command_line
from hvrepl.session import HostSession
from hvrepl.steps import RunContext
from hvrepl.steps.hosts_file import HOSTS_PATH, HostsFile
from hvrepl.steps.vm_replication import read_vms
from hvrepl.transport.base import PSResult
from tests.conftest import make_host
from tests.engine.conftest import plan_dict, topology
from tests.engine.inprocess import InProcessTransport


class CommandLineCheckingTransport(InProcessTransport):
    """Refuses, as cmd.exe would, a script whose -EncodedCommand line is too long; records the lengths."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]  # same arguments as InProcessTransport
        self.lengths: list[int] = []

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Check the command line's length, then run."""
        self.lengths.append(len(command_line(script)))
        assert self.lengths[-1] <= MAX_COMMAND_LINE, f"command line of {self.lengths[-1]} characters"
        return super().run_ps(script, stdin=stdin)


def test_hosts_file_with_a_unicode_line_separator_is_read_and_fixed(tmp_path: Path) -> None:
    """U+2028 in a hosts-file comment travels unescaped in 5.1's JSON; the answer is still parsed."""
    host = make_host(tmp_path / "prim", topology("Hyper-v-prim", "192.168.101.209"))
    hosts_file = host.real_path(HOSTS_PATH)
    comment = "# lab notes\u2028second part\u0085third part\r\n"
    hosts_file.write_bytes(comment.encode("utf-8"))
    plan = parse_plan(plan_dict())
    ctx = RunContext(plan=plan, sessions={"Hyper-v-prim": HostSession("Hyper-v-prim",
                                                                      InProcessTransport(host, "Hyper-v-prim"))})
    assert [r.status for r in run_steps(ctx, [HostsFile(plan.primary)]).results] == ["changed"]
    text = hosts_file.read_bytes().decode("utf-8")
    assert text.startswith(comment)  # the comment line kept byte for byte
    assert [r.status for r in run_steps(ctx, [HostsFile(plan.primary)]).results] == ["ok"]  # nothing left to do


def test_many_long_vm_names_are_read_in_command_lines_cmd_exe_accepts(tmp_path: Path) -> None:
    """30 VMs with 100-character names: one vms_get would need ~12,000 characters; every script fits."""
    names = [f"{i:02d}-" + "v" * 97 for i in range(30)]
    host = make_host(tmp_path / "prim", topology("Hyper-v-prim", "192.168.101.209",
                                                 vms=[{"name": n, "generation": 2, "state": "Off"} for n in names]))
    plan = parse_plan(plan_dict(vms=[{"name": n} for n in names]))
    transport = CommandLineCheckingTransport(host, "Hyper-v-prim")
    ctx = RunContext(plan=plan, sessions={"Hyper-v-prim": HostSession("Hyper-v-prim", transport)})
    found = read_vms(ctx)
    assert sorted(found) == sorted(names)
    assert all(found[n]["exists"] is True and found[n]["state"] == "Disabled" for n in names)
    assert len(transport.lengths) > 1
