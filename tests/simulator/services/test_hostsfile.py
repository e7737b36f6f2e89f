"""The hosts file: Windows' default content on a new host, and the parser name resolution relies on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simulator.services import hostsfile
from tests.conftest import make_host


def test_default_file_is_all_comments(sim_host):
    """A new host has the Microsoft sample file, CRLF line ends, and no active entry."""
    data = sim_host.real_path(r"C:\Windows\System32\drivers\etc\hosts").read_bytes()
    text = data.decode("ascii")
    assert text.startswith("# Copyright (c) 1993-2009 Microsoft Corp.\r\n")
    assert "# localhost name resolution is handled within DNS itself.\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    assert all(line == "" or line.startswith("#") for line in text.split("\r\n"))
    assert hostsfile.parse(text) == []


def test_topology_entries(tmp_path):
    """Topology hosts_entries become active lines."""
    host = make_host(tmp_path / "h", {"name": "HV1", "hosts_entries": [["10.0.0.5", "hv2.lab.local", "hv2"]]})
    assert hostsfile.parse(hostsfile.read(host)) == [("10.0.0.5", ["hv2.lab.local", "hv2"])]
    assert hostsfile.lookup(host, "HV2") == ["10.0.0.5"]


def test_parse_comments_spacing_and_junk():
    """Trailing comments, tabs, blank and malformed lines are handled as the Windows resolver does."""
    text = (
        "\ufeff# full comment\r\n"
        "10.0.0.4  hv1.lab.local  # trailing\r\n"
        "\t10.0.0.5\thv2.lab.local\thv2\r\n"
        "not-an-ip some.name\r\n"
        "10.0.0.6\r\n"
        "#10.0.0.7 commented.out\r\n"
        "::1 localhost6\n"
    )
    assert hostsfile.parse(text) == [
        ("10.0.0.4", ["hv1.lab.local"]),
        ("10.0.0.5", ["hv2.lab.local", "hv2"]),
        ("::1", ["localhost6"]),
    ]


def test_first_matching_line_wins(sim_host):
    """When two lines name the host, the first one's address is used."""
    path = sim_host.real_path(hostsfile.HOSTS_PATH)
    path.write_bytes(b"10.0.0.1 dup.lab.local\r\n10.0.0.2 DUP.lab.local\r\n")
    assert hostsfile.lookup(sim_host, "dup.LAB.local") == ["10.0.0.1"]
    path.unlink()
    assert hostsfile.lookup(sim_host, "dup.lab.local") == []


labels = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
entries = st.lists(
    st.tuples(st.ip_addresses(v=4).map(str), st.lists(labels, min_size=1, max_size=3)), max_size=6
)


@given(entries, st.sampled_from([" ", "\t", "  \t "]))
def test_parse_round_trip(rows, separator):
    """Whatever entries are written (any spacing, trailing comments), parse gives them back in order."""
    text = "".join(f"{ip}{separator}{separator.join(names)} # note\r\n" for ip, names in rows)
    assert hostsfile.parse("# header\r\n" + text) == [(ip, names) for ip, names in rows]


def test_entry_added_by_script_resolves_at_once(sim_host):
    """Add-Content to the hosts file (the recipe's step), then Resolve-DnsName and [Net.Dns] see the entry."""
    from simulator.ps.runner import run_script  # noqa: PLC0415 - built by another helper; import late

    result = run_script(sim_host, (
        'Add-Content -Path C:\\Windows\\System32\\drivers\\etc\\hosts -Value "192.168.101.213`thyper-v-rep.lab.local"\n'
        "(Resolve-DnsName hyper-v-rep.lab.local -Type A).IPAddress\n"
        '[System.Net.Dns]::GetHostEntry("HYPER-V-REP.lab.local").HostName\n'
    ))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\r\n")[:2] == ["192.168.101.213", "hyper-v-rep.lab.local"]
    assert hostsfile.parse(hostsfile.read(sim_host))[-1] == ("192.168.101.213", ["hyper-v-rep.lab.local"])
