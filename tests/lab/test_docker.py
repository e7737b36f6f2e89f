"""The docker backend: containers from a locally imported skeleton image, WinRM published on loopback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hvrepl.cli import main
from hvrepl.errors import HvreplError
from hvrepl.lab.docker_backend import rootfs_tarball
from hvrepl.lab.lab import Lab, parse_duration
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
    ["walkthrough", "root-not-trusted-on-replica", "missing-hosts-entry", "firewall-rule-disabled",
     "replica-powered-off"],
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


def _clock(lab: Lab, name: str) -> dt.datetime:
    return dt.datetime.fromisoformat(str(lab.control(name).get("/health")["time"]))


@pytest.mark.docker
@pytest.mark.slow
def test_docker_lab_actions_and_faults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On the docker backend, through the CLI and the Lab API: status, snapshot/restore, reset, clock advance,
    link cut, revoke, disk full, and host-down stopping the container (WinRM refused) then host-up bringing
    it back with its files, its address and the clock it missed."""
    import docker  # noqa: PLC0415 - docker tests only

    lab_dir = str(tmp_path / "lab")
    cli = ["lab", "--state-dir", lab_dir]
    assert main([*cli, "up", "--backend", "docker"]) == 0
    lab = Lab.open(lab_dir)
    try:
        assert main([*cli, "status"]) == 0
        prim, repl = LabHostHandle(lab, "Hyper-v-prim"), LabHostHandle(lab, "Hyper-v-repl")
        marker = "C:\\docker-lab-marker.txt"
        repl.run_ps(f"New-Item -Path '{marker}' -ItemType File -Value 'kept' | Out-Null")
        assert main([*cli, "snapshot", "s1"]) == 0
        before = _clock(lab, "Hyper-v-prim")
        assert main([*cli, "clock", "advance", "2d"]) == 0
        assert (_clock(lab, "Hyper-v-prim") - before).total_seconds() >= parse_duration("2d")
        assert main([*cli, "restore", "s1"]) == 0
        assert (_clock(lab, "Hyper-v-prim") - before).total_seconds() < 3600

        assert main([*cli, "fault", "cut", "Hyper-v-prim", "Hyper-v-repl"]) == 0
        assert "192.168.101.213" in {r["name"]: r for r in lab.status()}["Hyper-v-prim"]["faults"]["cut"]
        made = prim.run_ps("$c = New-SelfSignedCertificate -DnsName 'revoked.test.net' "
                           "-CertStoreLocation Cert:\\LocalMachine\\My; $result = $c.Thumbprint")
        assert main([*cli, "fault", "revoke", "Hyper-v-repl", "--thumbprint", made]) == 0
        assert lab.state("Hyper-v-repl")["certs"]["revoked"]
        assert main([*cli, "fault", "disk-full", "Hyper-v-repl", "--capacity-bytes", "1024"]) == 0

        container = docker.from_env().containers.get(lab.host("Hyper-v-repl").entry["container"])
        assert main([*cli, "fault", "host-down", "Hyper-v-repl"]) == 0
        container.reload()
        assert container.status == "exited"
        with pytest.raises(HvreplError):
            LabHostHandle(Lab.open(lab_dir), "Hyper-v-repl").run_ps("$result = 1")
        capsys.readouterr()
        assert main([*cli, "status"]) == 1
        assert "powered-off" in capsys.readouterr().out
        assert main([*cli, "clock", "advance", "1d"]) == 0
        assert main([*cli, "fault", "host-up", "Hyper-v-repl"]) == 0
        lab = Lab.open(lab_dir)
        back = LabHostHandle(lab, "Hyper-v-repl")
        assert back.run_ps(f"$result = [string](Get-Content -Path '{marker}')") == "kept"
        assert abs((_clock(lab, "Hyper-v-prim") - _clock(lab, "Hyper-v-repl")).total_seconds()) < 60
        assert lab.host("Hyper-v-repl").entry["address"] == repl.entry.entry["address"]
        assert back.winrm["url"] == repl.winrm["url"]  # same published port: the same WinRM URL after a restart

        assert main([*cli, "reset"]) == 0
        assert back.run_ps(f"$result = Test-Path -Path '{marker}'") is False
        assert all(not r["faults"]["cut"] for r in lab.status())
    finally:
        assert main([*cli, "down"]) == 0
    assert not [c for c in docker.from_env().containers.list(all=True)
                if c.id in {h.entry["container"] for h in lab.hosts}]


class _Recorder:
    """Records every docker SDK call made through it; ``get`` (an image lookup) finds nothing."""

    def __init__(self, calls: list[tuple[str, dict[str, object]]]) -> None:
        self.calls = calls

    def __getattr__(self, name: str) -> object:
        def record(*args: object, **kwargs: object) -> None:
            self.calls.append((name, kwargs))
            if name == "get":
                raise LookupError("no such image")  # what the SDK's ImageNotFound stands for
        return record


def _fake_client(calls: list[tuple[str, dict[str, object]]]) -> object:
    return type("FakeClient", (), {"images": _Recorder(calls), "api": _Recorder(calls)})()


def test_missing_image_is_built_from_the_ci_dockerfile_never_pulled() -> None:
    """Without the image, ensure_image builds ci/lab-rootfs.Dockerfile (FROM scratch) with pull off: the
    context holds that Dockerfile and the skeleton tarball, nothing else; no pull call is made."""
    import io  # noqa: PLC0415 - only here
    import tarfile  # noqa: PLC0415 - same

    from hvrepl.lab.docker_backend import IMAGE, IMAGE_TAG, LAB_DOCKERFILE, ensure_image  # noqa: PLC0415 - same

    calls: list[tuple[str, dict[str, object]]] = []
    assert ensure_image(_fake_client(calls)) == f"{IMAGE}:{IMAGE_TAG}"
    assert [name for name, _ in calls] == ["get", "build"]
    build = calls[1][1]
    assert (build["pull"], build["tag"], build["custom_context"]) == (False, f"{IMAGE}:{IMAGE_TAG}", True)
    context = build["fileobj"]
    assert isinstance(context, io.BytesIO)
    with tarfile.open(fileobj=context) as tar:
        assert sorted(tar.getnames()) == ["Dockerfile", "rootfs.tar"]
        dockerfile = tar.extractfile("Dockerfile")
        assert dockerfile is not None
        text = dockerfile.read().decode()
        rootfs = tar.extractfile("rootfs.tar")
        assert rootfs is not None and rootfs.read() == rootfs_tarball()
    assert text == LAB_DOCKERFILE.read_text(encoding="utf-8")
    assert [line.split()[0] for line in text.splitlines() if line and not line.startswith("#")] == [
        "FROM", "ADD", "LABEL"] and "FROM scratch" in text


def test_without_the_ci_folder_the_skeleton_is_imported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An installed hvrepl without the repository's ci/ folder imports the same skeleton; still no pull."""
    from hvrepl.lab import docker_backend  # noqa: PLC0415 - only here

    monkeypatch.setattr(docker_backend, "LAB_DOCKERFILE", tmp_path / "absent.Dockerfile")
    calls: list[tuple[str, dict[str, object]]] = []
    docker_backend.ensure_image(_fake_client(calls))
    assert [name for name, _ in calls] == ["get", "import_image_from_data"]
    assert calls[1][1] == {"repository": docker_backend.IMAGE, "tag": docker_backend.IMAGE_TAG}
