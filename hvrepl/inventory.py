"""Where and how to reach each host (WinRM URL, auth, credentials), kept apart from the plan.

Two sources: the user's inventory YAML (``--target real --inventory FILE``) and a lab's ``lab.json``
(``--target lab --lab DIR``, written by ``hvrepl lab up``). Passwords come from an environment variable,
a prompt (TTY only) or a file, never from the plan; they are held as :class:`Secret`.

Inventory file (``--target real --inventory inventory.yaml``)::

    hosts:
      Hyper-v-prim:
        url: https://192.168.101.209:5986/wsman
        auth: basic                    # basic (HTTPS only) | ntlm
        username: Administrator
        password_env: HVREPL_PRIM_PASSWORD   # or password_prompt: true, or password_file: ~/.prim
        ca_bundle: /etc/hvrepl/prim-winrm.pem
      Hyper-v-repl:
        url: http://192.168.101.213:5985/wsman
        auth: ntlm                     # NTLM with WinRM message encryption over HTTP
        username: Hyper-v-repl\\Administrator
        password_prompt: true
        # server_cert_validation: ignore   # only with a loud warning; never in production
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hvrepl.errors import ConfigError
from hvrepl.plan import Plan, validation_messages
from hvrepl.secrets import Secret

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connection:
    """Everything the transport needs to open a WinRM session to one host."""

    name: str
    url: str
    auth: Literal["basic", "ntlm"]
    username: str
    password: Secret
    ca_bundle: str | None = None
    verify: bool = True
    control_url: str | None = None


class InventoryHost(BaseModel):
    """One host entry of an inventory file."""

    model_config = ConfigDict(extra="forbid")

    url: str
    auth: Literal["basic", "ntlm"] = "basic"
    username: Annotated[str, Field(min_length=1)]
    password_env: str | None = None
    password_prompt: bool = False
    password_file: str | None = None
    ca_bundle: str | None = None
    server_cert_validation: Literal["validate", "ignore"] = "validate"

    @model_validator(mode="after")
    def _one_password_source(self) -> InventoryHost:
        sources = [bool(self.password_env), self.password_prompt, bool(self.password_file)]
        if sum(sources) != 1:
            raise ValueError("give exactly one of password_env, password_prompt: true, password_file")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be http(s)://host:port/wsman (got {self.url!r})")
        if parts.scheme == "http" and self.auth == "basic":
            raise ValueError("basic authentication over plain http would send the password in clear; "
                             "use https or auth: ntlm")
        return self


class InventoryFile(BaseModel):
    """The inventory file: host name -> connection."""

    model_config = ConfigDict(extra="forbid")

    hosts: dict[str, InventoryHost]


def resolve_password(name: str, entry: InventoryHost, *, source: str,
                     environ: Mapping[str, str] | None = None,
                     prompt: Callable[[str], str] | None = None,
                     stdin_is_tty: bool | None = None) -> Secret:
    """Fetch the password from its one configured source."""
    environ = os.environ if environ is None else environ
    field = f"hosts.{name}"
    if entry.password_env:
        value = environ.get(entry.password_env)
        if not value:
            raise ConfigError(f"environment variable {entry.password_env} is not set or empty",
                              file=source, field=f"{field}.password_env")
        return Secret(value)
    if entry.password_file:
        path = Path(entry.password_file).expanduser()
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"cannot read password file {path}: {exc.strerror}",
                              file=source, field=f"{field}.password_file") from None
        if not value:
            raise ConfigError(f"password file {path} is empty", file=source, field=f"{field}.password_file")
        return Secret(value)
    tty = sys.stdin.isatty() if stdin_is_tty is None else stdin_is_tty
    if not tty:
        raise ConfigError("password_prompt needs an interactive terminal (stdin is not a TTY); "
                          "use password_env or password_file instead", file=source, field=f"{field}.password_prompt")
    ask = prompt or getpass.getpass
    return Secret(ask(f"Password for {entry.username} on {name}: "))


def load_inventory(path: str | Path, plan: Plan, **password_options: Any) -> dict[str, Connection]:
    """Read the user's inventory YAML and resolve the connection of both plan hosts."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the inventory: {exc.strerror}", file=source) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=source) from None
    try:
        inventory = InventoryFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{source}: {f}: {r}" for f, r in validation_messages(exc))) from None
    by_lower = {k.lower(): (k, v) for k, v in inventory.hosts.items()}
    out: dict[str, Connection] = {}
    for spec in plan.hosts():
        found = by_lower.get(spec.name.lower()) or by_lower.get(spec.fqdn)
        if found is None:
            raise ConfigError(f"no entry for host {spec.name}", file=source, field="hosts")
        key, entry = found
        password = resolve_password(key, entry, source=source, **password_options)
        verify = entry.server_cert_validation == "validate"
        if not verify:
            log.warning("SERVER CERTIFICATE VALIDATION IS OFF for %s (%s): anyone on the path can read the "
                        "password and every command", spec.name, entry.url)
        out[spec.name] = Connection(name=spec.name, url=entry.url, auth=entry.auth, username=entry.username,
                                    password=password, ca_bundle=entry.ca_bundle, verify=verify)
    return out


def load_lab(lab_dir: str | Path, plan: Plan) -> dict[str, Connection]:
    """Read the connections of a simulated lab from ``DIR/lab.json``."""
    lab_file = Path(lab_dir) / "lab.json"
    source = str(lab_file)
    try:
        data = json.loads(lab_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the lab file ({exc.strerror}); start the lab with `hvrepl lab up`",
                          file=source) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc}", file=source) from None
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, list):
        raise ConfigError("missing 'hosts' list", file=source)
    out: dict[str, Connection] = {}
    for spec in plan.hosts():
        entry = next((h for h in hosts if isinstance(h, dict) and (
            str(h.get("name", "")).lower() == spec.name.lower()
            or str(h.get("fqdn", "")).lower() == spec.fqdn)), None)
        if entry is None:
            raise ConfigError(f"the lab has no host named {spec.name}", file=source, field="hosts")
        winrm = entry.get("winrm") or {}
        try:
            out[spec.name] = Connection(
                name=spec.name, url=str(winrm["url"]), auth=winrm.get("auth", "basic"),
                username=str(winrm["username"]), password=Secret(str(winrm["password"])),
                ca_bundle=winrm.get("ca_bundle"), control_url=entry.get("control_url"))
        except KeyError as exc:
            raise ConfigError(f"host {spec.name} lacks winrm.{exc.args[0]}", file=source) from None
    return out
