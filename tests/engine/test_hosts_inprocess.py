"""The hosts-file step on a simulated host whose file already has wrong and duplicate entries."""

from __future__ import annotations

from pathlib import Path

from hvrepl.engine import run_steps
from hvrepl.plan import parse_plan
from hvrepl.session import HostSession
from hvrepl.steps import RunContext
from hvrepl.steps.hosts_file import HOSTS_PATH, HostsFile
from tests.conftest import make_host
from tests.engine.conftest import plan_dict, topology
from tests.engine.inprocess import InProcessTransport

EXISTING = ("# Copyright (c) 1993-2009 Microsoft Corp.\r\n"
            "10.0.0.7\thyper-v-repl.test.net\r\n"
            "192.168.101.209 hyper-v-prim.test.net hyper-v-prim  # the primary\r\n"
            "192.168.101.209 HYPER-V-PRIM.test.net\r\n"
            "10.0.0.9 fileserver.lan\r\n")


def test_wrong_and_duplicate_entries_are_fixed_and_other_lines_kept(tmp_path: Path) -> None:
    """Each FQDN ends on exactly one line with its plan address; unrelated lines and comments stay as they were."""
    host = make_host(tmp_path / "prim", topology("Hyper-v-prim", "192.168.101.209"))
    hosts_file = host.real_path(HOSTS_PATH)
    hosts_file.write_bytes(EXISTING.encode("ascii"))
    plan = parse_plan(plan_dict())
    ctx = RunContext(plan=plan, sessions={"Hyper-v-prim": HostSession("Hyper-v-prim",
                                                                      InProcessTransport(host, "Hyper-v-prim"))})
    check = RunContext(plan=plan, sessions=ctx.sessions, check_mode=True)
    assert [r.status for r in run_steps(check, [HostsFile(plan.primary)]).results] == ["would change"]
    assert hosts_file.read_bytes() == EXISTING.encode("ascii")
    assert [r.status for r in run_steps(ctx, [HostsFile(plan.primary)]).results] == ["changed"]
    lines = hosts_file.read_bytes().decode("ascii").splitlines()
    assert "# Copyright (c) 1993-2009 Microsoft Corp." in lines
    assert "10.0.0.9 fileserver.lan" in lines
    assert "192.168.101.209 hyper-v-prim.test.net hyper-v-prim  # the primary" in lines
    for name, address in (("hyper-v-prim.test.net", "192.168.101.209"), ("hyper-v-repl.test.net",
                                                                         "192.168.101.213")):
        found = [line.split()[0] for line in lines if name in line.lower().split("#")[0].split()]
        assert found == [address], (name, lines)
    assert [r.status for r in run_steps(ctx, [HostsFile(plan.primary)]).results] == ["ok"]
