"""The docker backend: each lab host a container on the lab's own bridge network, with a fixed address.

No registry is needed: the image is built from ``ci/lab-rootfs.Dockerfile`` (``FROM scratch``, then a tarball
holding only a root-fs skeleton: bin/lib/lib64/sbin links into usr, empty etc tmp proc sys dev; ``docker import``
of the same tarball where hvrepl is installed without its ci/ folder); each container runs with the machine's
``/usr``, the Python installation and the project (with its virtualenv) bind-mounted read-only, and its
own state folder read-write at the same path as outside. WinRM is published on 127.0.0.1 (a free port
fixed when the container is made, so a restarted host keeps its URL);
hosts reach each other at their container addresses (see :mod:`hvrepl.lab.container_entry`).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import random
import socket
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import yaml

import hvrepl
from hvrepl.lab.labfile import LabError, host_topology, write_lab_file

log = logging.getLogger(__name__)

IMAGE = "hvrepl-lab-rootfs"
IMAGE_TAG = "2"  # 2: built from ci/lab-rootfs.Dockerfile (1 was imported)
LAB_DOCKERFILE = Path(hvrepl.__file__).resolve().parents[1] / "ci" / "lab-rootfs.Dockerfile"
READY_PREFIX = "hvsim ready "
START_TIMEOUT = 120.0
SUBNET_ATTEMPTS = 8
PORT_ATTEMPTS = 4


def _client() -> Any:
    try:
        import docker  # noqa: PLC0415 - optional dependency (pip install 'hvrepl[docker]')
    except ImportError:
        raise LabError("the docker backend needs the docker SDK: pip install 'hvrepl[docker]'") from None
    try:
        return docker.from_env()
    except docker.errors.DockerException as exc:
        raise LabError(f"cannot reach the Docker engine ({exc}); start dockerd (see ci/docker-engine.sh)") from None


def rootfs_tarball() -> bytes:
    """The root-fs skeleton: usr-merged links and empty system folders, nothing else."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for link, target in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"), ("sbin", "usr/sbin")):
            info = tarfile.TarInfo(link)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
        for folder, mode in (("etc", 0o755), ("tmp", 0o1777), ("proc", 0o555), ("sys", 0o555), ("dev", 0o755),
                             ("usr", 0o755), ("root", 0o700)):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            tar.addfile(info)
        hosts = b"127.0.0.1 localhost\n"
        info = tarfile.TarInfo("etc/hosts")
        info.size = len(hosts)
        tar.addfile(info, io.BytesIO(hosts))
    return buffer.getvalue()


def ensure_image(client: Any) -> str:
    """Build the skeleton image once from ci/lab-rootfs.Dockerfile (FROM scratch: nothing is pulled); an installed
    hvrepl without the repository's ci/ folder imports the same skeleton tarball instead."""
    name = f"{IMAGE}:{IMAGE_TAG}"
    try:
        client.images.get(name)
        return name
    except Exception:  # docker.errors.ImageNotFound; the SDK is imported lazily
        log.info("image %s not found; making it locally", name)
    dockerfile = LAB_DOCKERFILE
    if dockerfile.is_file():
        client.images.build(fileobj=io.BytesIO(_build_context(dockerfile.read_bytes())), custom_context=True,
                            tag=name, rm=True, pull=False, labels={"hvrepl.lab": "1"})
        log.info("built image %s from %s", name, dockerfile)
    else:
        client.api.import_image_from_data(rootfs_tarball(), repository=IMAGE, tag=IMAGE_TAG)
        log.info("imported image %s", name)
    return name


def _build_context(dockerfile: bytes) -> bytes:
    """A docker build context: the Dockerfile and the skeleton as rootfs.tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member, data in (("Dockerfile", dockerfile), ("rootfs.tar", rootfs_tarball())):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _mounts(state_dir: Path, lab_file: Path, with_python: bool = True) -> dict[str, dict[str, str]]:
    """Read-only system and project mounts, plus this host's own state folder only (a peer's folder must
    not be visible: hosts that see a peer's folder read its loopback port map instead of dialling it)."""
    project = Path(hvrepl.__file__).resolve().parents[1]
    sources = {Path("/usr"), Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), project} \
        if with_python else set()
    binds = {str(p): {"bind": str(p), "mode": "ro"} for p in sorted(sources)
             if not any(p != q and q in p.parents for q in sources)}
    binds[str(state_dir)] = {"bind": str(state_dir), "mode": "rw"}
    binds[str(lab_file)] = {"bind": str(lab_file), "mode": "ro"}
    return binds


def _network(client: Any, name: str) -> tuple[Any, str]:
    import docker  # noqa: PLC0415 - optional dependency

    for _ in range(SUBNET_ATTEMPTS):
        # ASSUMPTION: some 172.31.x.0/24 is free on the machine; a clash is retried with another one.
        subnet = f"172.31.{random.randint(1, 254)}"  # noqa: S311 - address spreading, not security
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=f"{subnet}.0/24")])
        try:
            return client.networks.create(name, driver="bridge", ipam=ipam, labels={"hvrepl.lab": "1"}), subnet
        except docker.errors.APIError as exc:
            log.info("network %s on %s.0/24 refused (%s); trying another subnet", name, subnet, exc)
    raise LabError("could not create a Docker network for the lab (no free 172.31.x.0/24 subnet)")


def start(directory: Path, topology: dict[str, Any], image: str | None = None) -> dict[str, Any]:
    """Start one container per host; returns the lab document (also written to lab.json).

    ``image``: a complete image with hvrepl installed (ci/Dockerfile, ``FROM python:3.11-slim``) for machines
    that can pull; None = the skeleton image with this machine's Python and project mounted read-only.
    """
    client = _client()
    python = "python" if image else str(Path(sys.executable))
    image = image or ensure_image(client)
    full_image = python == "python"
    tag = hashlib.sha256(str(directory).encode()).hexdigest()[:10]
    network_name = f"hvrepl-lab-{tag}"
    _network_object, subnet = _network(client, network_name)
    entries = []
    for index, host in enumerate(topology["hosts"]):
        state_dir = directory / host["name"]
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        (state_dir / "host.json").unlink(missing_ok=True)
        (state_dir / "topology.yaml").write_text(yaml.safe_dump(host_topology(host), sort_keys=False),
                                                 encoding="utf-8")
        entries.append({**{k: v for k, v in host_topology(host).items() if k != "address"},
                        "virtual_address": host["address"], "address": f"{subnet}.{10 + index}",
                        "state_dir": str(state_dir)})
    document: dict[str, Any] = {"backend": "docker", "network": network_name, "hosts": entries}
    lab_file = write_lab_file(directory, document)
    try:
        for entry in entries:
            binds = _mounts(Path(entry["state_dir"]), lab_file, with_python=not full_image)
            _create(client, image, python, network_name, entry, lab_file, binds, tag)
        for entry in entries:
            _wait_ready(client, entry)
    except BaseException as exc:
        stop(document)
        if type(exc).__module__.startswith("docker"):
            raise LabError(f"Docker refused to start the lab: {exc}") from None
        raise
    write_lab_file(directory, document)
    return document


def _create(client: Any, image: str, python: str, network_name: str, entry: dict[str, Any], lab_file: Path,
            binds: dict[str, dict[str, str]], tag: str) -> None:
    api = client.api
    state_dir = entry["state_dir"]
    command = [python, "-m", "hvrepl.lab.container_entry", "--name", entry["name"],
               "--state-dir", state_dir, "--topology", f"{state_dir}/topology.yaml", "--lab-file", str(lab_file),
               "--address", entry["address"]]
    for attempt in range(PORT_ATTEMPTS):
        # a fixed published port (not Docker's random one, which changes at every start): after host-down and
        # host-up the host is back at the same WinRM URL, as a rebooted server is
        host_config = api.create_host_config(binds=binds, port_bindings={5986: ("127.0.0.1", _free_port())})
        networking = api.create_networking_config({network_name: api.create_endpoint_config(
            ipv4_address=entry["address"])})
        container = api.create_container(image, command=command, name=f"hvrepl-{tag}-{entry['name'].lower()}",
                                         host_config=host_config, networking_config=networking, ports=[5986],
                                         environment={"HOME": "/root", "PYTHONUNBUFFERED": "1",
                                                      "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin"},
                                         working_dir="/root", labels={"hvrepl.lab": "1"})
        entry["container"] = str(container["Id"])  # recorded first: a failed start is still cleaned up
        try:
            api.start(container["Id"])
            return
        except Exception as exc:  # docker.errors.APIError (imported lazily): the port was taken meanwhile
            if "port" not in str(exc).lower() or attempt == PORT_ATTEMPTS - 1:
                raise
            log.info("published port taken (%s); trying another", exc)
            api.remove_container(container["Id"], force=True)


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(client: Any, entry: dict[str, Any], starts: int = 1) -> None:
    """Wait for the container's ``starts``-th ready line (a restarted container keeps its earlier log)."""
    api = client.api
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        logs = api.logs(entry["container"], stdout=True, stderr=True).decode(errors="replace")
        if logs.count(READY_PREFIX) >= starts:
            break
        if api.inspect_container(entry["container"])["State"]["Status"] == "exited":
            raise LabError(f"container of {entry['name']} exited before it was ready; its log ends:\n{logs[-3000:]}")
        time.sleep(0.2)
    else:
        raise LabError(f"container of {entry['name']} was not ready within {START_TIMEOUT:.0f} s")
    info = json.loads((Path(entry["state_dir"]) / "host.json").read_text(encoding="utf-8"))
    published = api.port(entry["container"], 5986)[0]
    base = f"https://{published['HostIp']}:{published['HostPort']}"
    entry.update({
        "fqdn": info.get("fqdn"), "os": info.get("os", entry.get("os")),
        "winrm": {"url": f"{base}/wsman", "auth": "basic", "username": info["username"], "password": info["password"],
                  "ca_bundle": info["ca_bundle"]},
        "control_url": f"{base}/_sim",
        "ports": {"5986": int(published["HostPort"])},  # published on 127.0.0.1; hosts reach each other on 443
    })


def stop_host(entry: dict[str, Any], *, hard: bool = False) -> None:
    """Stop one host's container, keeping it (and its state folder) for :func:`start_host`."""
    api = _client().api
    if hard:
        api.kill(entry["container"])
    else:
        api.stop(entry["container"], timeout=15)
    api.wait(entry["container"], timeout=30)


def start_host(entry: dict[str, Any]) -> None:
    """Start a stopped host's container again: same network address; WinRM may be published on a new port."""
    client = _client()
    api = client.api
    starts = api.logs(entry["container"], stdout=True, stderr=True).decode(errors="replace").count(READY_PREFIX)
    (Path(entry["state_dir"]) / "host.json").unlink(missing_ok=True)
    api.start(entry["container"])
    _wait_ready(client, entry, starts + 1)


def stop(document: dict[str, Any]) -> list[str]:
    """Stop and remove the lab's containers and its network; returns the hosts that were running."""
    client = _client()
    stopped = []
    for entry in document.get("hosts", []):
        container = entry.get("container")
        if not container:
            continue
        try:
            state = client.api.inspect_container(container)["State"]["Status"]
            client.api.stop(container, timeout=15)
            client.api.remove_container(container, force=True)
            if state == "running":
                stopped.append(str(entry["name"]))
        except Exception as exc:  # docker.errors.NotFound: already gone
            log.info("container of %s: %s", entry.get("name"), exc)
    if document.get("network"):
        try:
            client.networks.get(document["network"]).remove()
        except Exception as exc:  # docker.errors.NotFound
            log.info("network %s: %s", document["network"], exc)
    return stopped
