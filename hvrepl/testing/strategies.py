"""Hypothesis strategies for lab topologies, plans and faults, shaped like the YAML files hvrepl reads.

Each strategy draws plain dicts (what ``yaml.safe_load`` would give), valid by construction: names a
Windows host accepts, distinct hosts, a plan whose hosts and VMs exist in the topology.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NETBIOS_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
FREQUENCIES = (30, 300, 900)
CLOCK_TIMES = ("5m", "1h", "6h", "1d", "366d")  # "at" a simulated time after the lab came up


def netbios_names() -> st.SearchStrategy[str]:
    """Computer names Windows accepts: 1-15 letters, digits, hyphens; not all digits; no leading hyphen."""
    return st.text(NETBIOS_ALPHABET, min_size=1, max_size=15).filter(
        lambda n: not n.isdigit() and not n.startswith("-") and not n.endswith("-"))


def dns_suffixes() -> st.SearchStrategy[str]:
    """Lower-case DNS suffixes of one to three labels."""
    label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    return st.lists(label, min_size=1, max_size=3).map(".".join).filter(lambda s: not s.split(".")[-1].isdigit())


def virtual_addresses() -> st.SearchStrategy[str]:
    """Private IPv4 addresses (virtual, inside the lab only)."""
    return st.tuples(st.integers(0, 255), st.integers(1, 254)).map(lambda t: f"192.168.{t[0]}.{t[1]}")


def vms(max_vms: int = 3) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A host's VMs: unique names, generation 1/2, Running/Off, one small disk each, optional checkpoints."""
    vm_name = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)

    def build(names: list[str], data: list[tuple[int, str, int, bool]]) -> list[dict[str, Any]]:
        out = []
        for name, (generation, state, size_mb, checkpoint) in zip(names, data, strict=False):
            vm: dict[str, Any] = {"name": name, "generation": generation, "state": state,
                                  "disks": [{"name": f"{name}.vhdx", "size_mb": size_mb}]}
            if checkpoint:
                vm["checkpoints"] = [{"name": "before-update"}]
            out.append(vm)
        return out

    per_vm = st.tuples(st.sampled_from((1, 2)), st.sampled_from(("Running", "Off")), st.integers(1, 16),
                       st.booleans())
    return st.lists(vm_name, max_size=max_vms, unique_by=str.lower).flatmap(
        lambda names: st.lists(per_vm, min_size=len(names), max_size=len(names)).map(lambda d: build(names, d)))


def host_topologies(name: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """One host: name, OS version, no DNS suffix yet (a fresh workgroup host), virtual address, VMs."""
    return st.fixed_dictionaries({
        "name": name or netbios_names(), "os": st.sampled_from(("2016", "2019", "2022")),
        "dns_suffix": st.none(), "address": virtual_addresses(), "drives": st.just(["C", "D"]), "vms": vms(),
    })


def lab_topologies(hosts: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    """A lab of ``hosts`` hosts with distinct names (case-insensitive) and distinct virtual addresses."""
    return st.lists(host_topologies(), min_size=hosts, max_size=hosts,
                    unique_by=(lambda h: h["name"].lower(), lambda h: h["address"])).map(lambda hs: {"hosts": hs})


def plans(topology: dict[str, Any] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Plans for the first two hosts of ``topology`` (default: the walkthrough pair) and some of their VMs."""
    hosts = (topology or {}).get("hosts") or [
        {"name": "Hyper-v-prim", "address": "192.168.101.209", "vms": [{"name": "VM01"}]},
        {"name": "Hyper-v-repl", "address": "192.168.101.213", "vms": []}]
    primary, replica = hosts[0], hosts[1]
    vm_names = [vm["name"] for vm in primary.get("vms") or []]

    def vm_spec(name: str) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries({"name": st.just(name), "frequency_seconds": st.sampled_from(FREQUENCIES),
                                      "recovery_points": st.integers(0, 24)})

    chosen = st.lists(st.sampled_from(vm_names), unique=True).flatmap(
        lambda names: st.tuples(*[vm_spec(n) for n in names]).map(list)) if vm_names else st.just([])
    return st.builds(
        lambda suffix, mode, revocation, port, vm_list: {
            "primary": {"name": primary["name"], "dns_suffix": suffix, "address": primary["address"]},
            "replica": {"name": replica["name"], "dns_suffix": suffix, "address": replica["address"]},
            "certificates": {"mode": mode}, "revocation_check": revocation,
            "replica_server": {"storage_location": "D:\\Hyper-V\\Replica", "trust_group": "Replication",
                               "port": port},
            "vms": vm_list},
        dns_suffixes(), st.sampled_from(("testroot", "private-ca")), st.sampled_from(("disable", "keep")),
        st.sampled_from((443, 8443)), chosen)


STEPS = ("identity", "hosts_file", "firewall_rule", "certificates", "revocation_check", "replica_server",
         "authorization_entry", "connection_test", "vm_replication", "initial_replication")


def faults(hosts: tuple[str, str] = ("Hyper-v-prim", "Hyper-v-repl")) -> st.SearchStrategy[dict[str, Any]]:
    """A scenario fault: before/after a step or at a clock time, one lab action (link cut or restored, a host
    powered off/on, its replication service stopped/started, a full disk, the clock moved)."""
    a, b = hosts
    host = st.sampled_from(hosts)
    action = st.one_of(
        st.just({"cut": [a, b]}), st.just({"restore_link": [a, b]}),
        st.builds(lambda h, hard: {"host_down": h, "hard": hard}, host, st.booleans()),
        host.map(lambda h: {"host_up": h}),
        host.map(lambda h: {"replication_down": h}), host.map(lambda h: {"replication_up": h}),
        host.map(lambda h: {"disk_full": {"host": h, "drive": "D", "capacity_bytes": 0}}),
        st.sampled_from(("30s", "5m", "1h", "1d")).map(lambda d: {"clock": d}),
    )
    when = st.one_of(
        st.tuples(st.sampled_from(("before_step", "after_step")), st.sampled_from(STEPS)),
        st.tuples(st.just("at"), st.sampled_from(CLOCK_TIMES)),
    )
    return st.builds(lambda timing, act: {timing[0]: timing[1], "do": [act]}, when, action)
