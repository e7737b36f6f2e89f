"""cmd.exe lines through WinRM: Windows commands the simulator lacks say so; made-up names are "not recognized"."""

from __future__ import annotations

from tests.acceptance.support import Remote


def test_unmodelled_windows_command_fails_loudly(remote: Remote) -> None:
    for line in ("dir C:\\", "whoami", "mkdir C:\\made", "copy C:\\a C:\\b", "net user"):
        done = remote.cmd(line)
        assert done.code == 1
        assert done.stderr.startswith(f"not modelled by the simulator: console command {line.split()[0]}")


def test_unknown_command_is_not_recognized(remote: Remote) -> None:
    done = remote.cmd("frobnicate --now")
    assert done.code == 1
    assert done.stderr.startswith("'frobnicate' is not recognized as an internal or external command,")


def test_reg_usage_is_not_modelled(remote: Remote) -> None:
    for line in ("reg /?", "reg add /?"):
        done = remote.cmd(line)
        assert (done.code, done.stderr) == (1, "ERROR: not modelled by the simulator: reg usage text (/?)\r\n")
    assert remote.cmd("reg").stderr.startswith("ERROR: Invalid syntax.")
