"""Two served simulated hosts set up by the recipe's own PowerShell over pywinrm, for the issue-4 acceptance tests.

Everything a test does to a host goes through WinRM (pywinrm ``run_ps``); the control plane (``/_sim``, bearer
control token from host.json) is used only for what Windows has no API for: faults, the clock, snapshots
and event assertions.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import winrm

from simulator.launcher import RunningHost, start_host

log = logging.getLogger(__name__)

PRIMARY = "Hyper-v-prim"
REPLICA = "Hyper-v-repl"
PRIMARY_FQDN = "hyper-v-prim.test.net"
REPLICA_FQDN = "hyper-v-repl.test.net"
PRIMARY_VIRTUAL = "192.168.101.209"
REPLICA_VIRTUAL = "192.168.101.213"
STORAGE = "D:\\Replica"
VMMS_LOG = "Microsoft-Windows-Hyper-V-VMMS-Admin"
BASELINE = "acceptance4-base"
HOSTS_FILE = "C:\\Windows\\System32\\drivers\\etc\\hosts"
REVOCATION_KEY = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Replication"
HTTPS_RULE_DISPLAY = "Hyper-V Replica HTTPS Listener (TCP-In)"
SUCCESS = "The connection to the specified Replica server with the specified parameters was successful."


@dataclass
class PsResult:
    """What pywinrm returned for one script (stdout/stderr decoded)."""

    status: int
    out: str
    err: str

    def json(self) -> Any:
        """The script's stdout parsed as JSON."""
        return json.loads(self.out)


def topology(name: str, virtual: str, vms: list[dict[str, Any]]) -> dict[str, Any]:
    """A workgroup host whose primary DNS suffix is already set (issue 4 starts after identity)."""
    return {"name": name, "os": "2016", "dns_suffix": "test.net", "address": virtual, "drives": ["C", "D"],
            "vms": vms}


PRIMARY_VMS: list[dict[str, Any]] = [
    {"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": 4}]},
    {"name": "VM02", "generation": 2, "state": "Running", "disks": [{"name": "VM02.vhdx", "size_mb": 4}],
     "checkpoints": [{"name": "before-update"}]},
    {"name": "VM03", "generation": 2, "state": "Running",
     "disks": [{"name": "VM03-system.vhdx", "size_mb": 4}, {"name": "VM03-paging.vhdx", "size_mb": 4}]},
]


@dataclass
class Lab:
    """The two running hosts, their certificate thumbprints and pywinrm sessions."""

    directory: Path
    hosts: dict[str, RunningHost]
    thumbprints: dict[str, str] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, winrm.Session] = field(default_factory=dict)

    def session(self, name: str) -> winrm.Session:
        """A pywinrm Basic-over-HTTPS session to the host (server certificate verified)."""
        if name not in self.sessions:
            info = self.hosts[name].info
            self.sessions[name] = winrm.Session(info["winrm"]["https_url"], auth=(info["username"], info["password"]),
                                                transport="ssl", ca_trust_path=info["ca_bundle"],
                                                read_timeout_sec=120, operation_timeout_sec=100)
        return self.sessions[name]

    def ps(self, name: str, script: str) -> PsResult:
        """Run PowerShell on a host through pywinrm."""
        response = self.session(name).run_ps("$ProgressPreference = 'SilentlyContinue'\n" + script)
        return PsResult(response.status_code, response.std_out.decode("utf-8", "replace").strip(),
                        response.std_err.decode("utf-8", "replace").strip())

    def ok(self, name: str, script: str) -> str:
        """Run PowerShell that must succeed; its stdout."""
        result = self.ps(name, script)
        assert result.status == 0, f"{name}: {script}\n{result.err}"
        return result.out

    def control(self, name: str, path: str, body: dict[str, Any] | None = None, *, method: str = "POST") -> Any:
        """Call the host's control plane (``/_sim/<path>``) with the bearer token; the JSON answer."""
        info = self.hosts[name].info
        base = info["control_url"].rstrip("/")
        response = httpx.request(method, f"{base}/{path.lstrip('/')}", json=body, timeout=120,
                                 headers={"Authorization": f"Bearer {info['control_token']}"},
                                 verify=ssl.create_default_context(cafile=info["ca_bundle"]))
        response.raise_for_status()
        return response.json()

    def advance(self, seconds: float, *, hosts: tuple[str, ...] = (PRIMARY, REPLICA)) -> None:
        """Move both hosts' clocks forward together and run the cycles that fell due."""
        for name in hosts:
            self.control(name, "replication/clock/advance", {"seconds": seconds})

    def events(self, name: str, since: int = 0) -> list[dict[str, Any]]:
        """Hyper-V-VMMS-Admin records of a host as the control plane sees them."""
        return list(self.control(name, f"events?since={since}&log_name={VMMS_LOG}", method="GET"))

    def restore(self) -> None:
        """Put both hosts back to the state right after the recipe."""
        for name in self.hosts:
            self.control(name, "replication/network/restore", {"peer": None})
            self.control(name, "restore", {"name": BASELINE})

    def stop(self) -> None:
        """Stop both host processes."""
        for host in self.hosts.values():
            host.stop()


def start_lab(directory: Path) -> Lab:
    """Start the primary (VM01, VM02 with a checkpoint, VM03 with two disks) and the empty replica, both knowing
    the other."""
    octet = random.randint(2, 250)  # spreads parallel labs over loopback addresses
    spec = {PRIMARY: (PRIMARY_VIRTUAL, f"127.78.{octet}.9", topology(PRIMARY, PRIMARY_VIRTUAL, PRIMARY_VMS)),
            REPLICA: (REPLICA_VIRTUAL, f"127.78.{octet}.13", topology(REPLICA, REPLICA_VIRTUAL, []))}
    lab_file = directory / "lab.json"
    entries = [{**topo, "name": name, "address": bind, "virtual_address": virtual,
                "state_dir": str(directory / name)} for name, (virtual, bind, topo) in spec.items()]
    lab_file.write_text(json.dumps({"backend": "process", "hosts": entries}), encoding="utf-8")
    lab = Lab(directory, {})
    try:
        for name, (_virtual, bind, topo) in spec.items():
            lab.hosts[name] = start_host(directory / name, name, topology=topo, address=bind, lab_file=lab_file)
    except Exception:
        lab.stop()
        raise
    return lab


def _copy_file(lab: Lab, source: str, target: str, path: str) -> None:
    """Carry a small file from one host to the other through pywinrm (base64 in, base64 out)."""
    encoded = lab.ok(source, f"[Convert]::ToBase64String([IO.File]::ReadAllBytes('{path}'))")
    base64.b64decode(encoded, validate=True)
    lab.ok(target, f"[IO.File]::WriteAllBytes('{path}', [Convert]::FromBase64String('{encoded}'))")


def run_recipe(lab: Lab) -> None:
    """The fact sheet's recipe (§9) on both hosts, so that either may be primary (reverse needs both)."""
    hosts_lines = f"{PRIMARY_VIRTUAL} {PRIMARY_FQDN}`r`n{REPLICA_VIRTUAL} {REPLICA_FQDN}"
    fqdns = {PRIMARY: PRIMARY_FQDN, REPLICA: REPLICA_FQDN}
    for name, fqdn in fqdns.items():
        lab.ok(name, f'Add-Content -Path {HOSTS_FILE} -Value "{hosts_lines}"')
        lab.thumbprints[name] = lab.ok(
            name, f"(New-SelfSignedCertificate -DnsName '{fqdn}' -CertStoreLocation Cert:\\LocalMachine\\My "
                  "-TestRoot).Thumbprint")
        root = lab.ok(name, "(Get-ChildItem Cert:\\LocalMachine\\CA | Where-Object { $_.Subject -like "
                            "'CN=CertReq Test Root*' }).Thumbprint")
        lab.roots[name] = root
        lab.ok(name, f"Move-Item -Path Cert:\\LocalMachine\\CA\\{root} -Destination Cert:\\LocalMachine\\Root; "
                     f"Export-Certificate -Cert Cert:\\LocalMachine\\Root\\{root} -FilePath C:\\{name}-root.cer "
                     "| Out-Null")
    for source, target in ((PRIMARY, REPLICA), (REPLICA, PRIMARY)):
        _copy_file(lab, source, target, f"C:\\{source}-root.cer")
        lab.ok(target, f"Import-Certificate -FilePath C:\\{source}-root.cer "
                       "-CertStoreLocation Cert:\\LocalMachine\\Root | Out-Null")
    for name, fqdn in fqdns.items():
        peer = PRIMARY_FQDN if name == REPLICA else REPLICA_FQDN
        lab.ok(name, f"New-Item -Path '{REVOCATION_KEY}' -Force | Out-Null; New-ItemProperty -Path "
                     f"'{REVOCATION_KEY}' -Name DisableCertRevocationCheck -Value 1 -PropertyType DWord -Force "
                     "| Out-Null")
        lab.ok(name, f"Enable-NetFirewallRule -DisplayName '{HTTPS_RULE_DISPLAY}'")
        lab.ok(name, f"New-Item -ItemType Directory -Path {STORAGE} -Force | Out-Null; "
                     "Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Certificate "
                     f"-CertificateThumbprint '{lab.thumbprints[name]}' -CertificateAuthenticationPort 443 "
                     "-ReplicationAllowedFromAnyServer $false; "
                     f"New-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{peer}' "
                     f"-ReplicaStorageLocation {STORAGE} -TrustGroup lab | Out-Null")
        log.info("recipe done on %s (%s)", name, fqdn)
    for name in lab.hosts:
        lab.control(name, "snapshot", {"name": BASELINE})
