"""The registry as a pure key tree kept in ``host.state["registry"]``, shared by the provider and ``reg``.

Keys and value names are case-insensitive and case-preserving, as on Windows. Each key is a JSON
node ``{"name": str, "keys": {lower: node}, "values": {lower: {"name", "type", "data"}}}``; value
data is stored JSON-compatibly: strings for REG_SZ/REG_EXPAND_SZ, unsigned ints for REG_DWORD/
REG_QWORD, a list of strings for REG_MULTI_SZ and lower-case hex text for REG_BINARY/REG_NONE.
The default value of a key is the value named ``""``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Short and long root key names; only HKEY_LOCAL_MACHINE is modelled.
ROOTS: dict[str, str] = {
    "hklm": "HKEY_LOCAL_MACHINE",
    "hkey_local_machine": "HKEY_LOCAL_MACHINE",
    "hkcu": "HKEY_CURRENT_USER",
    "hkey_current_user": "HKEY_CURRENT_USER",
    "hkcr": "HKEY_CLASSES_ROOT",
    "hkey_classes_root": "HKEY_CLASSES_ROOT",
    "hku": "HKEY_USERS",
    "hkey_users": "HKEY_USERS",
    "hkcc": "HKEY_CURRENT_CONFIG",
    "hkey_current_config": "HKEY_CURRENT_CONFIG",
}
MODELLED_ROOT = "HKEY_LOCAL_MACHINE"

VALUE_TYPES = ("REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY", "REG_NONE")
STRING_TYPES = ("REG_SZ", "REG_EXPAND_SZ")
INTEGER_TYPES = {"REG_DWORD": 0xFFFFFFFF, "REG_QWORD": 0xFFFFFFFFFFFFFFFF}
BINARY_TYPES = ("REG_BINARY", "REG_NONE")


class KeyNotFoundError(LookupError):
    """A key (or one of its parents) does not exist."""


class ValueNotFoundError(LookupError):
    """A value does not exist in an existing key."""


class UnknownRootError(ValueError):
    """The path does not start with a root key name Windows knows."""


class RootNotModelledError(ValueError):
    """A real root key (HKCU, HKCR …) that the simulator does not model."""


def new_node(name: str) -> dict[str, Any]:
    """An empty key node."""
    return {"name": name, "keys": {}, "values": {}}


def split_key_path(path: str) -> tuple[str, list[str]]:
    """Split ``HKLM\\A\\B`` (or ``HKEY_LOCAL_MACHINE\\A\\B``) into the long root name and parts.

    Raises:
        UnknownRootError: for a root Windows does not have.
    """
    parts = [p for p in path.replace("/", "\\").split("\\") if p]
    if not parts:
        raise UnknownRootError(path)
    root = ROOTS.get(parts[0].lower())
    if root is None:
        raise UnknownRootError(path)
    return root, parts[1:]


def encode_data(value_type: str, data: Any) -> Any:
    """Convert Python data to the stored form for ``value_type`` (validated)."""
    if value_type in STRING_TYPES:
        return str(data)
    if value_type in INTEGER_TYPES:
        number = int(data)
        if not 0 <= number <= INTEGER_TYPES[value_type]:
            msg = f"{number} does not fit in {value_type}"
            raise ValueError(msg)
        return number
    if value_type == "REG_MULTI_SZ":
        return [str(item) for item in data]
    if value_type in BINARY_TYPES:
        return bytes(data).hex()
    msg = f"unknown registry value type {value_type!r}"
    raise ValueError(msg)


def decode_data(value: dict[str, Any]) -> Any:
    """The Python form of a stored value: str, int, list[str] or bytes."""
    if value["type"] in BINARY_TYPES:
        return bytes.fromhex(value["data"])
    if value["type"] == "REG_MULTI_SZ":
        return list(value["data"])
    return value["data"]


class RegistryTree:
    """Operations on the registry section of one host's state (call mutators inside a transaction)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.roots: dict[str, Any] = state.setdefault("registry", {})
        self.roots.setdefault(MODELLED_ROOT, new_node(MODELLED_ROOT))

    # ------------------------------------------------------------------ keys
    def _root(self, path: str) -> tuple[dict[str, Any], list[str]]:
        root, parts = split_key_path(path)
        if root != MODELLED_ROOT:
            raise RootNotModelledError(root)
        return self.roots[root], parts

    def split_parts(self, path: str) -> list[str]:
        """The key names under the (modelled) root, e.g. ``["SOFTWARE", "Microsoft"]``."""
        return self._root(path)[1]

    def find_key(self, path: str) -> dict[str, Any] | None:
        """The node of an existing key, or None."""
        node, parts = self._root(path)
        for part in parts:
            child = node["keys"].get(part.lower())
            if child is None:
                return None
            node = child
        return node

    def key(self, path: str) -> dict[str, Any]:
        """The node of an existing key.

        Raises:
            KeyNotFoundError: when it does not exist.
        """
        node = self.find_key(path)
        if node is None:
            raise KeyNotFoundError(path)
        return node

    def canonical_name(self, path: str) -> str:
        """``HKEY_LOCAL_MACHINE\\…`` with each existing part in its stored casing."""
        node, parts = self._root(path)
        names = [node["name"]]
        for part in parts:
            child = node["keys"].get(part.lower()) if node is not None else None
            names.append(child["name"] if child is not None else part)
            node = child
        return "\\".join(names)

    def create_key(self, path: str, *, parents: bool = True) -> tuple[dict[str, Any], bool]:
        """Create the key (and its parents when ``parents``); returns (node, created).

        Raises:
            KeyNotFoundError: when the parent is missing and ``parents`` is False.
        """
        node, parts = self._root(path)
        created = False
        for index, part in enumerate(parts):
            child = node["keys"].get(part.lower())
            if child is None:
                if not parents and index < len(parts) - 1:
                    raise KeyNotFoundError(path)
                child = node["keys"][part.lower()] = new_node(part)
                created = True
            node = child
        return node, created

    def delete_key(self, path: str) -> None:
        """Delete a key with everything under it.

        Raises:
            KeyNotFoundError: when it does not exist (a root key cannot be deleted either).
        """
        _, parts = self._root(path)
        if not parts:
            raise KeyNotFoundError(path)
        parent = self.key("\\".join([MODELLED_ROOT, *parts[:-1]]))
        if parts[-1].lower() not in parent["keys"]:
            raise KeyNotFoundError(path)
        del parent["keys"][parts[-1].lower()]

    @staticmethod
    def subkeys(node: dict[str, Any]) -> list[dict[str, Any]]:
        """Child key nodes, sorted by name as regedit and ``reg query`` list them."""
        return sorted(node["keys"].values(), key=lambda child: child["name"].lower())

    def walk(self, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (full name, node) for the key and every key under it, depth first."""
        start = self.key(path)
        stack = [(self.canonical_name(path), start)]
        while stack:
            name, node = stack.pop()
            yield name, node
            stack.extend((f"{name}\\{child['name']}", child) for child in reversed(self.subkeys(node)))

    # ------------------------------------------------------------------ values
    @staticmethod
    def values(node: dict[str, Any]) -> list[dict[str, Any]]:
        """The key's values in creation order (the order RegEnumValue gives on a fresh key)."""
        return list(node["values"].values())

    @staticmethod
    def find_value(node: dict[str, Any], name: str) -> dict[str, Any] | None:
        """A value by name (``""`` = the default value), or None."""
        value: dict[str, Any] | None = node["values"].get(name.lower())
        return value

    @staticmethod
    def set_value(node: dict[str, Any], name: str, value_type: str, data: Any) -> dict[str, Any]:
        """Create or replace a value; an existing value keeps the casing of its name."""
        existing = node["values"].get(name.lower())
        stored = {"name": existing["name"] if existing else name, "type": value_type,
                  "data": encode_data(value_type, data)}
        node["values"][name.lower()] = stored
        return stored

    @staticmethod
    def delete_value(node: dict[str, Any], name: str) -> None:
        """Delete a value.

        Raises:
            ValueNotFoundError: when the key has no such value.
        """
        if name.lower() not in node["values"]:
            raise ValueNotFoundError(name)
        del node["values"][name.lower()]
