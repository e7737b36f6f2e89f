"""Which DisableCertRevocationCheck values turn the revocation check off (the listener's view of the registry).

Added after a mutation spot-check: reading any value "1" (a REG_SZ too) as "off" left the suite green.
"""

from __future__ import annotations

import pytest

from simulator.cmd.api import CmdCall
from simulator.core.host import Host
from simulator.services.registry.reg_command import reg
from simulator.services.replication.hostview import view_for

KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"


def reg_add(host: Host, kind: str, data: str) -> None:
    argv = ["add", KEY, "/v", "DisableCertRevocationCheck", "/t", kind, "/d", data, "/f"]
    result = reg(CmdCall(host=host, argv=argv, raw_args=" ".join(argv), stdin=""))
    assert result.exit_code == 0, result


def test_absent_value_leaves_the_check_on(sim_host: Host) -> None:
    assert view_for(sim_host).revocation_check_enabled() is True


@pytest.mark.parametrize(("kind", "data", "enabled"), [
    ("REG_DWORD", "1", False),
    ("REG_DWORD", "0x1", False),
    ("REG_DWORD", "0", True),
    ("REG_DWORD", "2", True),
    ("REG_SZ", "1", True),     # ASSUMPTION in hostview: only a DWORD 1 disables the check
    ("REG_QWORD", "1", True),
])
def test_only_a_dword_one_turns_the_check_off(sim_host: Host, kind: str, data: str, enabled: bool) -> None:
    reg_add(sim_host, kind, data)
    assert view_for(sim_host).revocation_check_enabled() is enabled
