"""The values PowerShell scripts see: objects with properties, enums, secure strings, hashtables.

Cmdlet handlers return these (or plain Python values: ``str``, ``int``, ``float``, ``bool``,
``None``, ``list``, ``bytes``, timezone-aware ``datetime.datetime``, ``datetime.timedelta``); the
interpreter, ``ConvertTo-Json`` and the output formatter know how to show each of them the way
Windows PowerShell 5.1 does (an enum becomes its integer in JSON, a DateTime ``\\/Date(ms)\\/``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any


class PSObject:
    """A .NET/PowerShell object: ordered properties with case-insensitive names.

    Args:
        type_name: the .NET type name (``Microsoft.HyperV.PowerShell.VirtualMachine``); more names
            can follow (``type_names``), as in ``$obj.PSObject.TypeNames``.
        props: property name -> value, in display order.
        to_string: what ``"$obj"`` / ``.ToString()`` gives (a string or a function of the object).
            Defaults to the type name, as .NET does.
        methods: method name -> function(*args) for ``$obj.Method(args)``; names case-insensitive.
        default_display: the properties the default table/list view shows (all when None).
        hidden: internal data for handlers (never shown, never serialised), e.g. a store reference.
    """

    __slots__ = ("_index", "default_display", "hidden", "methods", "props", "to_string", "type_names")

    def __init__(
        self,
        type_name: str | Iterable[str],
        props: Mapping[str, Any] | None = None,
        *,
        to_string: str | Callable[[PSObject], str] | None = None,
        methods: Mapping[str, Callable[..., Any]] | None = None,
        default_display: Iterable[str] | None = None,
        hidden: Mapping[str, Any] | None = None,
    ) -> None:
        self.type_names: list[str] = [type_name] if isinstance(type_name, str) else list(type_name)
        self.props: dict[str, Any] = dict(props or {})
        self._index: dict[str, str] = {k.lower(): k for k in self.props}
        self.to_string = to_string
        self.methods: dict[str, Callable[..., Any]] = {k.lower(): v for k, v in (methods or {}).items()}
        self.default_display = list(default_display) if default_display is not None else None
        self.hidden: dict[str, Any] = dict(hidden or {})

    @property
    def type_name(self) -> str:
        """The most specific .NET type name."""
        return self.type_names[0]

    def has(self, name: str) -> bool:
        """Whether the object has a property of that name (any case)."""
        return name.lower() in self._index

    def get(self, name: str, default: Any = None) -> Any:
        """Property value by case-insensitive name (PowerShell gives $null for a missing one)."""
        key = self._index.get(name.lower())
        return default if key is None else self.props[key]

    def set(self, name: str, value: Any) -> None:
        """Set (or add, as Add-Member/Select-Object do) a property, keeping its original casing."""
        key = self._index.get(name.lower())
        if key is None:
            key = name
            self._index[name.lower()] = name
        self.props[key] = value

    def names(self) -> list[str]:
        """Property names in order."""
        return list(self.props)

    def text(self) -> str:
        """``.ToString()`` as .NET would give it."""
        if self.to_string is None:
            return self.type_name
        if isinstance(self.to_string, str):
            return self.to_string
        return self.to_string(self)

    def __repr__(self) -> str:
        return f"PSObject({self.type_name!r}, {list(self.props)!r})"


class PSEnum:
    """A .NET enum value: shows as its name, serialises to JSON as its integer (PowerShell 5.1).

    Compares equal to its name (case-insensitive), to its integer, and to another PSEnum of the
    same type and value, so ``$vm.State -eq 'Running'`` works as in PowerShell.
    """

    __slots__ = ("name", "type_name", "value")

    def __init__(self, type_name: str, name: str, value: int) -> None:
        self.type_name = type_name
        self.name = name
        self.value = value

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"PSEnum({self.type_name}.{self.name}={self.value})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PSEnum):
            return self.type_name == other.type_name and self.value == other.value
        if isinstance(other, str):
            return self.name.lower() == other.lower()
        if isinstance(other, int) and not isinstance(other, bool):
            return self.value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.type_name, self.value))


def enum_factory(type_name: str, members: Mapping[str, int]) -> Callable[[str | int], PSEnum]:
    """Make a converter from a name (any case) or an integer to a :class:`PSEnum` of ``type_name``.

    Raises:
        KeyError: for a name or value the enum does not have.
    """
    by_name = {k.lower(): (k, v) for k, v in members.items()}
    by_value = {v: k for k, v in members.items()}

    def make(value: str | int) -> PSEnum:
        if isinstance(value, PSEnum):
            value = value.name
        if isinstance(value, int):
            return PSEnum(type_name, by_value[value], value)
        name, number = by_name[str(value).lower()]
        return PSEnum(type_name, name, number)

    return make


class SecureString:
    """``System.Security.SecureString``: the plain text never shows in repr, str or output."""

    __slots__ = ("_plain",)

    def __init__(self, plain: str) -> None:
        self._plain = plain

    def reveal(self) -> str:
        """The plain text, for handlers that need it (PFX encryption). Never log it."""
        return self._plain

    def __str__(self) -> str:
        return "System.Security.SecureString"

    def __repr__(self) -> str:
        return "SecureString(****)"


class PSHashtable(dict[str, Any]):
    """``@{...}``: a hashtable with case-insensitive string keys that keeps insertion order."""

    def _key(self, key: Any) -> Any:
        if isinstance(key, str):
            for existing in dict.__iter__(self):
                if isinstance(existing, str) and existing.lower() == key.lower():
                    return existing
        return key

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._key(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._key(key), value)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._key(key))

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(self._key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        """Case-insensitive ``get``."""
        return super().get(self._key(key), default)

    def __iter__(self) -> Iterator[str]:
        return super().__iter__()


def is_null(value: Any) -> bool:
    """PowerShell's $null test."""
    return value is None


class NotedString(str):
    """A string carrying note properties, as Get-Content's lines do in Windows PowerShell 5.1.

    Each line Get-Content emits has PSPath, PSParentPath, PSChildName, PSDrive, PSProvider and ReadCount
    attached, so ``Get-Content f | ConvertTo-Json`` gives objects (``{"value": …, "PSPath": …}``), not
    strings — PowerShell stopped serialising them only in 7.2. Everything else sees a plain string;
    ``[string]``, ``"$x"``, ``-replace`` and string methods give plain strings, as in PowerShell.
    """

    notes: dict[str, Any]  # (a str subclass cannot have __slots__ entries)

    @classmethod
    def with_notes(cls, text: str, notes: Mapping[str, Any]) -> NotedString:
        """``text`` with ``notes`` attached (in display order)."""
        made = cls(text)
        made.notes = dict(notes)
        return made

    def as_object(self) -> PSObject:
        """The object ConvertTo-Json sees: the text as ``value``, then the notes."""
        return PSObject("System.String", {"value": str.__str__(self), **self.notes})
