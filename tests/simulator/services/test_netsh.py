"""netsh advfirewall and find: Windows' text layout, exit codes, and the recipe's pipeline through cmd.exe."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.cmd.api import CMD_COMMANDS, CmdCall, CmdResult
from simulator.cmd.cmdline import ShellContext, split_argv
from simulator.cmd.execute import run_command_line
from simulator.core.host import Host
from simulator.services import firewall, load_all
from tests.conftest import make_host

load_all()

HTTPS_DISPLAY = "Hyper-V Replica HTTPS Listener (TCP-In)"


def console(host: Host, command: str, args: str, stdin: str = "") -> CmdResult:
    with host.transaction():
        return CMD_COMMANDS[command].handler(CmdCall(host, split_argv(args), args, stdin))


def cmd_line(host: Host, line: str) -> tuple[str, str, int]:
    outcome = run_command_line(ShellContext(host=host, env={}), line)
    return outcome.stdout.decode("cp437"), outcome.stderr.decode("cp437"), outcome.exit_code


def label(name: str, value: str) -> str:
    """One netsh line: the label padded to 38 columns, then the value."""
    return name + ":" + " " * (38 - len(name) - 1) + value + "\r\n"


def test_show_rule_layout_matches_windows(sim_host: Host) -> None:
    result = console(sim_host, "netsh", f'advfirewall firewall show rule name="{HTTPS_DISPLAY}"')
    expected = (
        "\r\n"
        + label("Rule Name", HTTPS_DISPLAY)
        + "-" * 70 + "\r\n"
        + label("Enabled", "No")
        + label("Direction", "In")
        + label("Profiles", "Domain,Private,Public")
        + label("Grouping", "Hyper-V Replica HTTPS")
        + label("LocalIP", "Any")
        + label("RemoteIP", "Any")
        + label("Protocol", "TCP")
        + label("LocalPort", "443")
        + label("RemotePort", "Any")
        + label("Edge traversal", "No")
        + label("Action", "Allow")
        + "\r\nOk.\r\n\r\n"
    )
    assert result.stdout == expected
    assert result.exit_code == 0


def test_show_verbose_adds_description_and_icmp_rules_show_type_code(sim_host: Host) -> None:
    verbose = console(sim_host, "netsh", f'advfirewall firewall show rule name="{HTTPS_DISPLAY}" verbose').stdout
    assert "Description:" in verbose
    assert label("Rule source", "Local Setting") in verbose
    icmp = console(sim_host, "netsh",
                   'advfirewall firewall show rule name="File and Printer Sharing (Echo Request - ICMPv4-In)"').stdout
    assert label("Protocol", "ICMPv4") in icmp
    assert " " * 38 + "Type    Code\r\n" in icmp
    assert "LocalPort:" not in icmp


def test_show_no_match_and_dir_filter(sim_host: Host) -> None:
    missing = console(sim_host, "netsh", 'advfirewall firewall show rule name="No such rule"')
    assert missing.stdout == "\r\nNo rules match the specified criteria.\r\n"
    assert missing.exit_code == 1
    outbound = console(sim_host, "netsh", f'advfirewall firewall show rule name="{HTTPS_DISPLAY}" dir=out')
    assert outbound.exit_code == 1
    everything = console(sim_host, "netsh", "advfirewall firewall show rule name=all dir=in")
    assert everything.stdout.count("Rule Name:") == len(firewall.all_rules(sim_host))
    assert everything.stdout.endswith("Ok.\r\n\r\n")


def test_set_rule_by_display_name_enables_it(sim_host: Host) -> None:
    result = console(sim_host, "netsh", f'advfirewall firewall set rule name="{HTTPS_DISPLAY}" new enable=yes')
    assert result.stdout == "\r\nUpdated 1 rule(s).\r\nOk.\r\n\r\n"
    assert result.exit_code == 0
    assert firewall.port_open(sim_host, 443)
    stored = firewall.find_rule(sim_host, firewall.HYPERV_REPLICA_HTTPS)
    assert stored is not None
    assert stored["enabled"] is True


def test_set_rule_by_group_and_by_locale_independent_name(sim_host: Host) -> None:
    by_group = console(sim_host, "netsh", 'advfirewall firewall set rule group="Hyper-V Replica HTTP" new enable=yes')
    assert by_group.stdout.startswith("\r\nUpdated 1 rule(s).")
    assert firewall.port_open(sim_host, 80)
    # netsh's name= is the DisplayName: the cmdlets' Name does not select anything here.
    by_id = console(sim_host, "netsh",
                    "advfirewall firewall set rule name=VIRT-HVRHTTPSL-In-TCP-NoScope new enable=yes")
    assert by_id.exit_code == 1
    assert "No rules match the specified criteria." in by_id.stdout
    assert not firewall.port_open(sim_host, 443)
    refused = console(sim_host, "netsh", 'advfirewall firewall set rule group="Hyper-V Replica HTTP" new localport=81')
    assert refused.exit_code == 1
    missing_new = console(sim_host, "netsh", f'advfirewall firewall set rule name="{HTTPS_DISPLAY}" enable=yes')
    assert missing_new.exit_code == 1
    assert "The syntax supplied for this command is not valid." in missing_new.stdout


def test_add_and_delete_rule(sim_host: Host) -> None:
    added = console(sim_host, "netsh",
                    'advfirewall firewall add rule name="Lab 7000" dir=in action=allow protocol=TCP localport=7000')
    assert added.stdout == "Ok.\r\n\r\n"
    assert firewall.port_open(sim_host, 7000)
    deleted = console(sim_host, "netsh", 'advfirewall firewall delete rule name="Lab 7000"')
    assert deleted.stdout == "\r\nDeleted 1 rule(s).\r\nOk.\r\n\r\n"
    assert not firewall.port_open(sim_host, 7000)
    again = console(sim_host, "netsh", 'advfirewall firewall delete rule name="Lab 7000"')
    assert again.exit_code == 1
    bad = console(sim_host, "netsh", 'advfirewall firewall add rule name="x" dir=in')
    assert bad.exit_code == 1


def test_other_netsh_contexts_are_refused_loudly(sim_host: Host) -> None:
    result = console(sim_host, "netsh", "http show servicestate")
    assert result.exit_code == 1
    assert result.stdout.startswith("not modelled by the simulator: netsh http")


def test_recipe_pipeline_lists_hyperv_rules(sim_host: Host) -> None:
    stdout, _, code = cmd_line(sim_host, 'netsh advfirewall firewall show rule name=all dir=in | find "Hyper-V "')
    assert code == 0
    lines = stdout.split("\r\n")
    assert label("Rule Name", HTTPS_DISPLAY).rstrip("\r\n") in lines
    assert label("Grouping", "Hyper-V Replica HTTP").rstrip("\r\n") in lines
    assert all("Hyper-V " in line for line in lines if line)
    assert not any("Windows Remote Management" in line for line in lines)


def test_recipe_set_then_show_through_cmd(sim_host: Host) -> None:
    _, _, code = cmd_line(sim_host, f'netsh advfirewall firewall set rule name="{HTTPS_DISPLAY}" new enable=yes')
    assert code == 0
    line = f'netsh advfirewall firewall show rule name="{HTTPS_DISPLAY}" | find "Enabled"'
    stdout, _, code = cmd_line(sim_host, line)
    assert stdout == label("Enabled", "Yes")
    assert code == 0


def test_find_switches_and_exit_codes(sim_host: Host) -> None:
    text = "Alpha one\r\nbeta two\r\nALPHA three\r\n"
    assert console(sim_host, "find", '"Alpha"', text).stdout == "Alpha one\r\n"
    assert console(sim_host, "find", '/I "alpha"', text).stdout == "Alpha one\r\nALPHA three\r\n"
    assert console(sim_host, "find", '/V "Alpha"', text).stdout == "beta two\r\nALPHA three\r\n"
    assert console(sim_host, "find", '/C /I "alpha"', text).stdout == "2\r\n"
    assert console(sim_host, "find", '/N "two"', text).stdout == "[2]beta two\r\n"
    nothing = console(sim_host, "find", '"gamma"', text)
    assert (nothing.stdout, nothing.exit_code) == ("", 1)
    usage = console(sim_host, "find", "alpha", text)
    assert usage.exit_code == 2
    assert usage.stderr == "FIND: Parameter format not correct\r\n"


def test_find_in_a_file_prints_the_header(sim_host: Host) -> None:
    hosts = sim_host.real_path("C:\\Users\\Administrator\\notes.txt")
    hosts.write_bytes(b"first line\r\nsecond line\r\n")
    result = console(sim_host, "find", '"second" notes.txt')
    assert result.stdout == "\r\n---------- NOTES.TXT\r\nsecond line\r\n"
    counted = console(sim_host, "find", '/C "line" C:\\Users\\Administrator\\notes.txt')
    assert counted.stdout == "\r\n---------- C:\\USERS\\ADMINISTRATOR\\NOTES.TXT: 2\r\n"
    missing = console(sim_host, "find", '"x" nope.txt')
    assert missing.stderr == "File not found - NOPE.TXT\r\n"
    assert missing.exit_code == 2


@given(
    lines=st.lists(st.text(alphabet="abAB -", max_size=6), max_size=8),
    needle=st.text(alphabet="abAB", min_size=1, max_size=2),
    ignore_case=st.booleans(),
)
def test_find_and_find_v_partition_the_input(tmp_path_factory: pytest.TempPathFactory, lines: list[str],
                                              needle: str, ignore_case: bool) -> None:
    host = make_host(tmp_path_factory.mktemp("find"), {"name": "F", "vms": []})
    stdin = "".join(line + "\r\n" for line in lines)
    flag = "/I " if ignore_case else ""
    kept = console(host, "find", f'{flag}"{needle}"', stdin)
    dropped = console(host, "find", f'/V {flag}"{needle}"', stdin)
    kept_lines = kept.stdout.split("\r\n")[:-1]
    dropped_lines = dropped.stdout.split("\r\n")[:-1]
    assert sorted(kept_lines + dropped_lines) == sorted(lines)
    assert kept.exit_code == (0 if kept_lines else 1)

    def hit(line: str) -> bool:
        return (needle.lower() in line.lower()) if ignore_case else (needle in line)

    assert all(hit(line) for line in kept_lines)
    assert not any(hit(line) for line in dropped_lines)
    counted = console(host, "find", f'/C {flag}"{needle}"', stdin)
    assert counted.stdout == f"{len(kept_lines)}\r\n"
