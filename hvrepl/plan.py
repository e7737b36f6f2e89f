"""The declarative plan (YAML), validated completely before any host is contacted.

Every rule failure becomes one line "FILE: FIELD: rule" in a single ConfigError (exit code 2).

Example::

    primary:  {name: Hyper-v-prim, dns_suffix: test.net, address: 192.168.101.209}
    replica:  {name: Hyper-v-repl, dns_suffix: test.net, address: 192.168.101.213}
    certificates: {mode: testroot}      # testroot | private-ca (validity_days) | existing (thumbprints)
    revocation_check: disable           # disable | keep
    replica_server: {storage_location: 'D:\\Hyper-V\\Replica', trust_group: Replication, port: 443}
    vms:
      - {name: VM01, frequency_seconds: 300, recovery_points: 24, vss_frequency_hours: 4}
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hvrepl.errors import ConfigError

NETBIOS_ILLEGAL = set('\\/:*?"<>|,~!@#$%^&\'(){}_ ')
DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
WINDOWS_ABSOLUTE_PATH = re.compile(r'^[A-Za-z]:\\(?:[^<>:"/\\|?*\x00-\x1f]+\\?)*$')
VM_NAME_ILLEGAL = set('\\/:*?"<>|')
REPLICATION_FREQUENCIES = (30, 300, 900)


def check_netbios_name(value: str) -> str:
    """NetBIOS computer name: 1-15 characters, none of the illegal ones, not all digits."""
    if not value:
        raise ValueError("NetBIOS name must not be empty")
    if len(value) > 15:
        raise ValueError(f"NetBIOS name must be at most 15 characters (got {len(value)})")
    bad = sorted({ch for ch in value if ch in NETBIOS_ILLEGAL})
    if bad:
        raise ValueError(f"NetBIOS name contains illegal characters {''.join(bad)!r}")
    if value.isdigit():
        raise ValueError("NetBIOS name must not consist only of digits")
    if not value.isascii() or not value.isprintable():
        raise ValueError("NetBIOS name must use printable ASCII characters")
    return value


def check_dns_suffix(value: str) -> str:
    """A DNS suffix: dot-separated labels of letters, digits and hyphens, total at most 253."""
    if len(value) > 253 or value.endswith(".") or not value:
        raise ValueError("DNS suffix must be 1-253 characters without a trailing dot")
    for label in value.split("."):
        if not DNS_LABEL.match(label):
            raise ValueError(f"DNS suffix label {label!r} is not valid (letters, digits, hyphens; 1-63)")
    return value.lower()


def check_windows_path(value: str) -> str:
    """An absolute Windows path with a drive letter (D:\\Hyper-V\\Replica)."""
    if not WINDOWS_ABSOLUTE_PATH.match(value):
        raise ValueError(f"must be an absolute Windows path like D:\\Hyper-V\\Replica (got {value!r})")
    return value.rstrip("\\") if len(value) > 3 else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HostSpec(_Strict):
    """One Hyper-V host: its NetBIOS name, primary DNS suffix and (lab-virtual or real) IPv4 address."""

    name: str
    dns_suffix: str
    address: str

    _name = field_validator("name")(check_netbios_name)
    _suffix = field_validator("dns_suffix")(check_dns_suffix)

    @field_validator("address")
    @classmethod
    def _ipv4(cls, value: str) -> str:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError(f"address must be an IPv4 address (got {value!r})") from None
        return value

    @property
    def fqdn(self) -> str:
        """The host's fully qualified name: name.suffix, lower case."""
        return f"{self.name}.{self.dns_suffix}".lower()


class Certificates(_Strict):
    """How the host certificates are obtained."""

    mode: Literal["testroot", "private-ca", "existing"] = "testroot"
    thumbprints: dict[str, str] | None = None
    validity_days: Annotated[int, Field(ge=1, le=3650)] = 365
    renew_within_days: Annotated[int, Field(ge=0, le=365)] = 30

    @field_validator("thumbprints")
    @classmethod
    def _thumbprints(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        out = {}
        for host, thumb in value.items():
            clean = thumb.replace(" ", "").upper()
            if not re.fullmatch(r"[0-9A-F]{40}", clean):
                raise ValueError(f"thumbprint for {host!r} must be 40 hexadecimal digits")
            out[host] = clean
        return out

    @model_validator(mode="after")
    def _existing_needs_thumbprints(self) -> Certificates:
        if self.mode == "existing" and not self.thumbprints:
            raise ValueError("mode 'existing' needs thumbprints: {<host name>: <thumbprint>} for both hosts")
        if self.mode != "existing" and self.thumbprints:
            raise ValueError("thumbprints are only used with mode 'existing'")
        return self


class ReplicaServer(_Strict):
    """Replica server settings applied on both hosts (both receive, so reverse replication works)."""

    storage_location: str
    trust_group: Annotated[str, Field(min_length=1, max_length=64)] = "Replication"
    port: Annotated[int, Field(ge=1, le=65535)] = 443

    _path = field_validator("storage_location")(check_windows_path)


class VMSpec(_Strict):
    """Replication settings for one VM on the primary."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    frequency_seconds: int = 300
    recovery_points: Annotated[int, Field(ge=0, le=24)] = 0
    vss_frequency_hours: Annotated[int, Field(ge=1, le=12)] | None = None
    initial_replication: Literal["network"] = "network"

    @field_validator("name")
    @classmethod
    def _vm_name(cls, value: str) -> str:
        bad = sorted({ch for ch in value if ch in VM_NAME_ILLEGAL})
        if bad:
            raise ValueError(f"VM name contains illegal characters {''.join(bad)!r}")
        if "[" in value or "]" in value:
            # Hyper-V allows them, but -Name/-VMName treat [...] as a wildcard set: 'web[1]' would select 'web1'.
            raise ValueError("VM name contains '[' or ']', which Hyper-V cmdlets read as a wildcard (so another "
                             "VM could be selected); rename the VM without brackets")
        if value != value.strip():
            raise ValueError("VM name must not start or end with spaces")
        return value

    @field_validator("frequency_seconds")
    @classmethod
    def _frequency(cls, value: int) -> int:
        if value not in REPLICATION_FREQUENCIES:
            raise ValueError(f"frequency_seconds must be one of 30, 300, 900 (got {value})")
        return value

    @model_validator(mode="after")
    def _vss_needs_points(self) -> VMSpec:
        if self.vss_frequency_hours is not None and self.recovery_points == 0:
            raise ValueError("vss_frequency_hours is only meaningful with recovery_points > 0")
        return self


class Plan(_Strict):
    """The whole desired state of one primary/replica pair."""

    primary: HostSpec
    replica: HostSpec
    certificates: Certificates = Certificates()
    revocation_check: Literal["disable", "keep"] = "disable"
    replica_server: ReplicaServer
    vms: list[VMSpec] = []

    @model_validator(mode="after")
    def _cross_checks(self) -> Plan:
        if self.primary.name.lower() == self.replica.name.lower():
            raise ValueError("primary and replica must be different hosts")
        if self.primary.address == self.replica.address:
            raise ValueError("primary and replica must have different addresses")
        names = [vm.name.lower() for vm in self.vms]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"VM names listed twice: {', '.join(duplicates)}")
        thumbs = self.certificates.thumbprints
        if thumbs is not None:
            missing = [h.name for h in (self.primary, self.replica) if h.name not in thumbs]
            if missing:
                raise ValueError(f"certificates.thumbprints lacks {', '.join(missing)}")
        return self

    def hosts(self) -> tuple[HostSpec, HostSpec]:
        """Primary and replica, in that order."""
        return (self.primary, self.replica)

    def peer_of(self, host: HostSpec) -> HostSpec:
        """The other host of the pair."""
        return self.replica if host is self.primary else self.primary


def _format_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif str(item).startswith(("function-after", "function-", "literal[", "int", "constrained")):
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(plan)"


def validation_messages(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, rule) pairs from a pydantic error, without pydantic's internal noise."""
    out = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        out.append((_format_location(tuple(err.get("loc", ()))), message))
    return out


def parse_plan(data: object, *, source: str = "<plan>") -> Plan:
    """Validate already-loaded plan data; raise one ConfigError listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError("the plan must be a mapping (primary, replica, …)", file=source)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {field}: {rule}" for field, rule in validation_messages(exc)]
        err = ConfigError("\n".join(lines))
        err.file = source
        raise err from None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the plan: {exc.strerror}", file=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from None
    return parse_plan(data, source=str(path))
