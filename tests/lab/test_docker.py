"""The docker backend: containers from a locally imported skeleton image, WinRM published on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvrepl.lab.docker_backend import rootfs_tarball
from hvrepl.lab.lab import Lab
from hvrepl.testing.plugin import LabHostHandle


def test_rootfs_skeleton_holds_only_links_and_empty_folders() -> None:
    """bin/lib/lib64/sbin link into usr; etc tmp proc sys dev exist; the only file is etc/hosts."""
    import io  # noqa: PLC0415 - only here
    import tarfile  # noqa: PLC0415 - same

    with tarfile.open(fileobj=io.BytesIO(rootfs_tarball())) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert {n: m.linkname for n, m in members.items() if m.issym()} == {
        "bin": "usr/bin", "lib": "usr/lib", "lib64": "usr/lib64", "sbin": "usr/sbin"}
    assert {"etc", "tmp", "proc", "sys", "dev"} <= {n for n, m in members.items() if m.isdir()}
    assert [n for n, m in members.items() if m.isfile()] == ["etc/hosts"]


@pytest.mark.docker
@pytest.mark.slow
def test_docker_lab_up_winrm_down(tmp_path: Path) -> None:
    """Two containers on their own network; WinRM answers on each; down removes containers and network."""
    import docker  # noqa: PLC0415 - docker tests only

    client = docker.from_env()
    lab = Lab.up(tmp_path / "lab", backend="docker")
    try:
        document = json.loads((tmp_path / "lab" / "lab.json").read_text(encoding="utf-8"))
        assert document["backend"] == "docker"
        addresses = [h["address"] for h in document["hosts"]]
        assert all(a.startswith("172.31.") for a in addresses) and len(set(addresses)) == 2
        for host in lab.hosts:
            assert host.winrm["url"].startswith("https://127.0.0.1:")
            assert LabHostHandle(lab, host.name).run_ps("$result = $env:COMPUTERNAME") == host.name.upper()
        assert all(row["running"] for row in lab.status())
        network = client.networks.get(document["network"])
        assert len(network.attrs["Containers"] or client.networks.get(network.id).attrs["Containers"]) == 2
    finally:
        assert sorted(lab.down()) == ["Hyper-v-prim", "Hyper-v-repl"]
    assert not [c for c in client.containers.list(all=True) if c.id in {h["container"] for h in document["hosts"]}]
    assert not client.networks.list(names=[document["network"]])


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["walkthrough", "root-not-trusted-on-replica", "missing-hosts-entry", "firewall-rule-disabled"],
)
def test_scenario_on_the_docker_backend(name: str) -> None:
    """The walkthrough and three failure scenarios with each host in its own container.

    Replication crosses the lab network between containers; each failure must show up exactly as the
    scenario file expects (same step, host and error id as on the process backend).
    """
    from hvrepl.scenario.model import load_scenario  # noqa: PLC0415 - only here
    from hvrepl.scenario.runner import run_scenario  # noqa: PLC0415 - same

    path = Path(__file__).resolve().parents[2] / "scenarios" / f"{name}.yaml"
    result = run_scenario(load_scenario(path), backend="docker")
    assert result.passed, f"[{result.phase}] {result.reason}"
