"""The contract between the PowerShell interpreter and the cmdlets of every simulated subsystem.

A subsystem declares a cmdlet with :func:`cmdlet`; the interpreter binds parameters (names,
aliases, positions, pipeline input, type conversion, ``ValidateRange``/``ValidateSet``) from the
:class:`Param` list exactly as PowerShell's binder would, then calls the handler with an
:class:`Invocation`. Handlers raise :class:`~simulator.core.errors.SimError` for failures (or call
``inv.write_error`` for non-terminating ones) and return an iterable of output objects (or None).

Path-based cmdlets (Get-ChildItem, Get-Item, Test-Path, Remove-Item, Copy-Item, Move-Item, New-Item,
Get-Content, Set-Content, Add-Content, Get-/Set-/New-ItemProperty) dispatch on the path to a
:class:`Provider`: FileSystem (``C:\\``), Registry (``HKLM:\\``) and Certificate (``Cert:\\``).

Every handler's docstring ends with a "Not modelled: …" sentence; SIMULATOR_COVERAGE.md is
generated from this registry (``python -m simulator coverage``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from simulator.core.errors import NotModelledError, SimError

if TYPE_CHECKING:
    from simulator.core.host import Host

# Parameter types the binder converts to (Python value in ``Invocation.args``):
#   string -> str          string[] -> list[str]     int -> int        int[] -> list[int]
#   bool -> bool (accepts $true/$false, 1/0; NOT 'true' strings, as PowerShell's binder refuses them)
#   switch -> bool (present or -Switch:$false)       securestring -> SecureString
#   object -> any value    object[] -> list           hashtable -> PSHashtable
#   timespan -> datetime.timedelta ('d.hh:mm:ss', 'hh:mm:ss', or a TimeSpan value)
#   datetime -> aware datetime.datetime              scriptblock -> the interpreter's ScriptBlock
#   byte[] -> bytes
PARAM_TYPES = frozenset(
    {
        "string",
        "string[]",
        "int",
        "int[]",
        "bool",
        "switch",
        "securestring",
        "object",
        "object[]",
        "hashtable",
        "timespan",
        "datetime",
        "scriptblock",
        "byte[]",
    }
)


@dataclass(frozen=True)
class Param:
    """One cmdlet parameter as PowerShell's binder sees it.

    ``validate_set`` values match case-insensitively and are normalised to the listed casing
    (``certificate`` -> ``Certificate``). ``validate_range`` applies to ints (and to each item of
    ``int[]``). Binding errors use PowerShell's own messages and FullyQualifiedErrorIds
    (``ParameterArgumentValidationError``, ``MissingMandatoryParameter``, ``NamedParameterNotFound``,
    ``PositionalParameterNotFound``, ``AmbiguousParameter``, ``CannotConvertArgumentNoMessage``).
    """

    name: str
    type: str = "string"
    position: int | None = None
    mandatory: bool = False
    aliases: tuple[str, ...] = ()
    from_pipeline: bool = False
    from_pipeline_by_property: bool = False
    validate_range: tuple[int, int] | None = None
    validate_set: tuple[str, ...] | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            msg = f"unknown parameter type {self.type!r} for -{self.name}"
            raise ValueError(msg)


class Session(Protocol):
    """What the interpreter offers a running cmdlet (implemented by the interpreter)."""

    def write_error(self, error: SimError) -> None:
        """Write a non-terminating error (becomes terminating under ErrorAction Stop)."""

    def write_warning(self, text: str) -> None:
        """Write to the warning stream."""

    def invoke(self, block: Any, dollar_underscore: Any = None, args: list[Any] | None = None) -> list[Any]:
        """Run a script block with ``$_`` set, returning its output objects."""

    @property
    def location(self) -> str:
        """The current location (``Get-Location``), e.g. ``C:\\Users\\Administrator``."""


@dataclass
class Invocation:
    """One call of a cmdlet handler.

    Attributes:
        host: the simulated host (mutate its state only through ``host.transaction()``, which
            the interpreter already holds while a script runs).
        args: bound parameters by canonical name; switches as bool. Only given parameters appear.
        input: the current pipeline object, for cmdlets that take pipeline input (else None).
        input_objects: every pipeline object, for cmdlets declared ``collects_input=True``.
        session: interpreter services (errors, warnings, script blocks, location).
        name: the name the cmdlet was called by (alias or real name).
    """

    host: Host
    args: dict[str, Any]
    session: Session
    input: Any = None
    input_objects: list[Any] = field(default_factory=list)
    name: str = ""

    def has(self, name: str) -> bool:
        """Whether the parameter was given (by name, alias, position or pipeline)."""
        return name in self.args

    def get(self, name: str, default: Any = None) -> Any:
        """The bound value of a parameter, or ``default``."""
        return self.args.get(name, default)

    def write_error(self, error: SimError) -> None:
        """Shortcut for ``session.write_error``."""
        self.session.write_error(error)


Handler = Callable[[Invocation], Iterable[Any] | None]


@dataclass(frozen=True)
class CmdletSpec:
    """A registered cmdlet.

    ``collects_input``: the handler runs once, after all input arrived (``input_objects``);
    otherwise it runs once per pipeline object when it has pipeline input, or once without.
    ``mutates``: the cmdlet changes host state (used by the coverage list and by tests of
    check-mode purity).
    """

    name: str
    params: tuple[Param, ...]
    handler: Handler
    summary: str
    not_modelled: str
    mutates: bool = False
    collects_input: bool = False
    aliases: tuple[str, ...] = ()
    area: str = ""


CMDLETS: dict[str, CmdletSpec] = {}


def cmdlet(
    name: str,
    *params: Param,
    summary: str,
    not_modelled: str,
    mutates: bool = False,
    collects_input: bool = False,
    aliases: tuple[str, ...] = (),
    area: str = "",
) -> Callable[[Handler], Handler]:
    """Register a handler as the cmdlet ``name`` (and its command aliases, e.g. Get-VMCheckpoint).

    Args:
        name: the cmdlet name, ``Verb-Noun``.
        params: its parameters, in declaration order.
        summary: one line for SIMULATOR_COVERAGE.md.
        not_modelled: what of the real cmdlet is not modelled ("-AsJob, -CimSession"); shown in
            the coverage list. Passing such a parameter is refused loudly by the binder only if
            it is not declared, so declare only what the handler implements.
    """

    def register(handler: Handler) -> Handler:
        spec = CmdletSpec(name, params, handler, summary, not_modelled, mutates, collects_input, aliases, area)
        for key in (name, *aliases):
            if key.lower() in CMDLETS:
                msg = f"cmdlet {key} registered twice"
                raise ValueError(msg)
            CMDLETS[key.lower()] = spec
        return handler

    return register


def find_cmdlet(name: str) -> CmdletSpec | None:
    """The cmdlet registered under ``name`` (any case; module-qualified names accepted)."""
    return CMDLETS.get(name.rsplit("\\", 1)[-1].lower())


# ---------------------------------------------------------------------------------- providers
class Provider:
    """A PowerShell provider behind path-based cmdlets. Override what the provider supports.

    ``path`` arguments are already normalised by :func:`resolve_provider` to the provider's own
    canonical form (see each provider's ``normalise``). Unsupported operations raise
    :class:`NotModelledError` naming the cmdlet and provider.
    """

    name = "Provider"
    prefixes: tuple[str, ...] = ()

    def normalise(self, path: str) -> str:
        """Canonical form of a path this provider owns."""
        return path

    def _no(self, what: str) -> NotModelledError:
        return NotModelledError(f"{what} on the {self.name} provider")

    def get_item(self, inv: Invocation, path: str) -> list[Any]:
        """Get-Item."""
        raise self._no("Get-Item")

    def get_child_items(self, inv: Invocation, path: str, recurse: bool) -> list[Any]:
        """Get-ChildItem."""
        raise self._no("Get-ChildItem")

    def exists(self, inv: Invocation, path: str) -> bool:
        """Test-Path."""
        raise self._no("Test-Path")

    def new_item(self, inv: Invocation, path: str, item_type: str | None, value: Any, force: bool) -> Any:
        """New-Item."""
        raise self._no("New-Item")

    def remove_item(self, inv: Invocation, path: str, recurse: bool, force: bool) -> None:
        """Remove-Item."""
        raise self._no("Remove-Item")

    def copy_item(self, inv: Invocation, path: str, destination: str) -> Any:
        """Copy-Item (destination normalised by the same provider)."""
        raise self._no("Copy-Item")

    def move_item(self, inv: Invocation, path: str, destination: str) -> Any:
        """Move-Item."""
        raise self._no("Move-Item")

    def get_content(self, inv: Invocation, path: str, raw: bool, encoding: str | None) -> list[Any]:
        """Get-Content: lines (or one string with -Raw; bytes with -Encoding Byte)."""
        raise self._no("Get-Content")

    def set_content(
        self, inv: Invocation, path: str, value: list[Any], encoding: str | None, append: bool, no_newline: bool
    ) -> None:
        """Set-Content / Add-Content (``append``)."""
        raise self._no("Set-Content")

    def get_item_property(self, inv: Invocation, path: str, names: list[str] | None) -> list[Any]:
        """Get-ItemProperty."""
        raise self._no("Get-ItemProperty")

    def set_item_property(
        self, inv: Invocation, path: str, name: str, value: Any, property_type: str | None, create: bool, force: bool
    ) -> Any:
        """Set-ItemProperty (create=False) / New-ItemProperty (create=True)."""
        raise self._no("Set-ItemProperty")

    def remove_item_property(self, inv: Invocation, path: str, name: str) -> None:
        """Remove-ItemProperty."""
        raise self._no("Remove-ItemProperty")


PROVIDERS: list[Provider] = []


def register_provider(provider: Provider) -> Provider:
    """Add a provider; its ``prefixes`` (lower-case, e.g. ``("cert:",)``) select it."""
    PROVIDERS.append(provider)
    return provider


def resolve_provider(path: str) -> tuple[Provider, str]:
    """The provider owning ``path`` and the path in its canonical form.

    Raises:
        SimError: ``DriveNotFound`` when no provider owns the path.
    """
    lowered = path.lower()
    for provider in PROVIDERS:
        if any(lowered.startswith(prefix) for prefix in provider.prefixes):
            return provider, provider.normalise(path)
    drive = path.split(":", 1)[0] if ":" in path else path
    raise SimError(
        f"Cannot find drive. A drive with the name '{drive}' does not exist.",
        "DriveNotFound,Microsoft.PowerShell.Commands.GetItemCommand",
        "ObjectNotFound",
        exception_type="System.Management.Automation.DriveNotFoundException",
        target=drive,
    )


# ------------------------------------------------------------------ .NET static members, $env:
StaticMember = Callable[..., Any]
STATIC_MEMBERS: dict[tuple[str, str], StaticMember] = {}


def static_member(type_names: tuple[str, ...], member: str) -> Callable[[StaticMember], StaticMember]:
    """Register ``[Type]::Member(args)`` (or a static property read, called with no args).

    ``type_names`` lists every spelling the type accepts, e.g. ``("System.Net.Dns", "Net.Dns")``;
    the function receives ``(host, *args)``. Matching is case-insensitive.
    """

    def register(fn: StaticMember) -> StaticMember:
        for type_name in type_names:
            STATIC_MEMBERS[(type_name.lower(), member.lower())] = fn
        return fn

    return register


def find_static_member(type_name: str, member: str) -> StaticMember | None:
    """The registered static member, accepting an optional ``System.`` prefix."""
    key = type_name.lower().strip("[]")
    found = STATIC_MEMBERS.get((key, member.lower()))
    if found is None and not key.startswith("system."):
        found = STATIC_MEMBERS.get((f"system.{key}", member.lower()))
    return found


EnvironmentSource = Callable[["Host"], dict[str, str]]
ENVIRONMENT_SOURCES: list[EnvironmentSource] = []


def environment_source(fn: EnvironmentSource) -> EnvironmentSource:
    """Register a function giving ``$env:`` variables (e.g. COMPUTERNAME from the identity subsystem).

    Later sources override earlier ones; the interpreter adds the fixed defaults (SystemRoot …).
    """
    ENVIRONMENT_SOURCES.append(fn)
    return fn
