"""The PowerShell Registry provider: ``HKLM:\\…`` and ``Registry::HKEY_LOCAL_MACHINE\\…`` paths.

The generic item cmdlets (Get-Item, Get-ItemProperty, Set-ItemProperty …) dispatch here through
``api.resolve_provider``. Keys are items (``Microsoft.Win32.RegistryKey`` objects); values are
item properties. Errors use the texts and FullyQualifiedErrorIds PowerShell 5.1 gives.
"""

from __future__ import annotations

import fnmatch
import logging
from typing import Any

from simulator.core.errors import NotModelledError, SimError, prompt_refused
from simulator.ps import api
from simulator.ps.objects import PSObject
from simulator.services.registry import ps_values
from simulator.services.registry.model import (
    MODELLED_ROOT,
    KeyNotFoundError,
    RegistryTree,
    RootNotModelledError,
    UnknownRootError,
)

log = logging.getLogger(__name__)

PROVIDER_NAME = "Microsoft.PowerShell.Core\\Registry"
PROVIDER_QUALIFIERS = ("microsoft.powershell.core\\registry::", "registry::")
DRIVES = {"hklm:": "HKEY_LOCAL_MACHINE", "hkcu:": "HKEY_CURRENT_USER"}
DEFAULT_VALUE_NAME = "(default)"


def command_class(inv: api.Invocation, fallback: str) -> str:
    """``Microsoft.PowerShell.Commands.<Verb><Noun>Command`` for the cmdlet being run."""
    spec = api.find_cmdlet(inv.name) if inv.name else None
    name = spec.name if spec is not None else fallback
    return f"Microsoft.PowerShell.Commands.{name.replace('-', '')}Command"


def path_not_found(inv: api.Invocation, path: str, fallback: str) -> SimError:
    """``Cannot find path '…' because it does not exist.`` (ItemNotFoundException)."""
    return SimError(
        f"Cannot find path '{path}' because it does not exist.",
        f"PathNotFound,{command_class(inv, fallback)}",
        "ObjectNotFound",
        exception_type="System.Management.Automation.ItemNotFoundException",
        target=path,
    )


def property_missing(inv: api.Invocation, name: str, key_name: str, fallback: str) -> SimError:
    """``Property X does not exist at path HKEY_LOCAL_MACHINE\\….`` (PSArgumentException)."""
    return SimError(
        f"Property {name} does not exist at path {key_name}.",
        f"System.Management.Automation.PSArgumentException,{command_class(inv, fallback)}",
        "InvalidArgument",
        exception_type="System.Management.Automation.PSArgumentException",
        target=name,
    )


class RegistryProvider(api.Provider):
    """Registry items over :class:`RegistryTree`; only HKEY_LOCAL_MACHINE is modelled."""

    name = "Registry"
    prefixes = (*PROVIDER_QUALIFIERS, *DRIVES)

    def normalise(self, path: str) -> str:
        """The path as written, with ``/`` as ``\\``, doubled and trailing separators removed."""
        text = path.replace("/", "\\")
        head, sep, rest = text.partition("::")
        tail = "\\".join(part for part in (rest if sep else text.partition(":")[2]).split("\\") if part)
        if sep:
            return f"{head}::{tail}"
        return text.partition(":")[0] + ":\\" + tail

    # ------------------------------------------------------------------ paths
    @staticmethod
    def key_path(path: str) -> str:
        """``HKEY_LOCAL_MACHINE\\…`` for a provider path.

        Raises:
            NotModelledError: for wildcards and for hives other than HKLM.
        """
        if any(ch in path for ch in "*?["):
            raise NotModelledError(f"wildcards in registry paths ({path})")
        lowered = path.lower()
        for qualifier in PROVIDER_QUALIFIERS:
            if lowered.startswith(qualifier):
                path = path[len(qualifier):]
                break
        else:
            drive, _, rest = path.partition(":")
            path = DRIVES[drive.lower() + ":"] + "\\" + rest.lstrip("\\")
        try:
            RegistryTree({"registry": {}}).split_parts(path)
        except RootNotModelledError as exc:
            raise NotModelledError(f"the {exc} registry hive (only HKEY_LOCAL_MACHINE is modelled)") from None
        except UnknownRootError:
            raise NotModelledError(f"registry path {path!r} outside the HKEY_* hives") from None
        return path.rstrip("\\")

    def _tree(self, inv: api.Invocation) -> RegistryTree:
        return RegistryTree(inv.host.state)

    def _key(self, inv: api.Invocation, path: str, fallback: str) -> tuple[RegistryTree, dict[str, Any], str]:
        tree = self._tree(inv)
        node = tree.find_key(self.key_path(path))
        if node is None:
            raise path_not_found(inv, path, fallback)
        return tree, node, tree.canonical_name(self.key_path(path))

    @staticmethod
    def ps_paths(full_name: str) -> dict[str, Any]:
        """PSPath, PSParentPath, PSChildName, PSDrive and PSProvider of a key."""
        parent, _, child = full_name.rpartition("\\")
        drive = PSObject("System.Management.Automation.PSDriveInfo",
                         {"Name": "HKLM", "Root": MODELLED_ROOT, "Provider": PROVIDER_NAME}, to_string="HKLM")
        provider = PSObject("System.Management.Automation.ProviderInfo",
                            {"Name": "Registry", "Drives": ["HKLM", "HKCU"]}, to_string=PROVIDER_NAME)
        return {
            "PSPath": f"{PROVIDER_NAME}::{full_name}",
            "PSParentPath": f"{PROVIDER_NAME}::{parent}" if parent else "",
            "PSChildName": child or full_name,
            "PSDrive": drive,
            "PSProvider": provider,
        }

    def key_object(self, inv: api.Invocation, full_name: str, node: dict[str, Any]) -> PSObject:
        """A ``Microsoft.Win32.RegistryKey`` whose methods read the live key."""
        host = inv.host

        def live() -> dict[str, Any]:
            return RegistryTree(host.state).key(full_name)

        def get_value(name: str, default: Any = None) -> Any:
            value = RegistryTree.find_value(live(), name)
            return default if value is None else ps_values.ps_value(host, value)

        def get_value_kind(name: str) -> Any:
            value = RegistryTree.find_value(live(), name)
            if value is None:
                raise SimError(
                    'Exception calling "GetValueKind" with "1" argument(s): '
                    '"The specified registry key does not exist."',
                    "IOException", exception_type="System.Management.Automation.MethodInvocationException")
            return ps_values.kind(value["type"])

        values = RegistryTree.values(node)
        props = {
            "Property": [v["name"] or DEFAULT_VALUE_NAME for v in values],
            **self.ps_paths(full_name),
            "PSIsContainer": True,
            "SubKeyCount": len(node["keys"]),
            "View": "Default",
            "ValueCount": len(values),
            "Name": full_name,
        }
        return PSObject(
            "Microsoft.Win32.RegistryKey", props, to_string=full_name,
            methods={
                "GetValue": get_value,
                "GetValueNames": lambda: [v["name"] for v in RegistryTree.values(live())],
                "GetSubKeyNames": lambda: [c["name"] for c in RegistryTree.subkeys(live())],
                "GetValueKind": get_value_kind,
                "ToString": lambda: full_name,
            },
            default_display=["Name", "Property"],
            hidden={"provider": "Registry", "path": full_name},
        )

    # ------------------------------------------------------------------ items
    def get_item(self, inv: api.Invocation, path: str) -> list[Any]:
        """Get-Item: the key."""
        _, node, full_name = self._key(inv, path, "Get-Item")
        return [self.key_object(inv, full_name, node)]

    def get_child_items(self, inv: api.Invocation, path: str, recurse: bool) -> list[Any]:
        """Get-ChildItem: subkeys (all descendants with -Recurse), sorted by name."""
        tree, _, full_name = self._key(inv, path, "Get-ChildItem")
        found = list(tree.walk(full_name))[1:]
        if not recurse:
            found = [(name, node) for name, node in found if name.count("\\") == full_name.count("\\") + 1]
        return [self.key_object(inv, name, node) for name, node in found]

    def exists(self, inv: api.Invocation, path: str) -> bool:
        """Test-Path: whether the key exists (a value name is not an item)."""
        return self._tree(inv).find_key(self.key_path(path)) is not None

    def new_item(self, inv: api.Invocation, path: str, item_type: str | None, value: Any, force: bool) -> Any:
        """New-Item: create a key; ``-Force`` creates missing parents and re-creates an existing key.

        As on Windows, ``New-Item -Force`` on an existing key replaces it with an empty key
        (its values and subkeys are lost; PowerShell/PowerShell issue #5444); without ``-Force`` an
        existing key is an error.
        """
        if item_type is not None and item_type.lower() != "key":
            raise NotModelledError(f"New-Item -ItemType {item_type} on the Registry provider")
        tree = self._tree(inv)
        key_path = self.key_path(path)
        if not tree.split_parts(key_path):
            raise NotModelledError("creating a registry hive")
        with inv.host.transaction():
            if tree.find_key(key_path) is not None:
                if not force:
                    raise SimError("A key at this path already exists.",
                                   f"System.IO.IOException,{command_class(inv, 'New-Item')}", "ResourceExists",
                                   exception_type="System.IO.IOException", target=path)
                tree.delete_key(key_path)
            parent = key_path.rpartition("\\")[0]
            if not force and tree.find_key(parent) is None:
                raise path_not_found(inv, path.rpartition("\\")[0], "New-Item")
            node, _ = tree.create_key(key_path)
            if value is not None:
                tree.set_value(node, "", "REG_SZ", ps_values.to_registry_data("REG_SZ", value))
            log.debug("New-Item registry key %s", key_path)
        return self.key_object(inv, tree.canonical_name(key_path), node)

    def remove_item(self, inv: api.Invocation, path: str, recurse: bool, force: bool) -> None:
        """Remove-Item: delete a key (``-Recurse`` needed when it has subkeys)."""
        tree, node, full_name = self._key(inv, path, "Remove-Item")
        if node["keys"] and not recurse:
            raise prompt_refused(command_class(inv, "Remove-Item"), path,
                                 f"The item at {path} has children and the Recurse parameter was not specified.")
        with inv.host.transaction():
            try:
                tree.delete_key(full_name)
            except KeyNotFoundError:
                raise NotModelledError("removing a registry hive") from None

    # ------------------------------------------------------------------ properties
    def _property_object(self, inv: api.Invocation, full_name: str, values: list[dict[str, Any]]) -> PSObject:
        props: dict[str, Any] = {
            (v["name"] or DEFAULT_VALUE_NAME): ps_values.ps_value(inv.host, v) for v in values
        }
        props.update(self.ps_paths(full_name))
        return PSObject("System.Management.Automation.PSCustomObject", props)

    def get_item_property(self, inv: api.Invocation, path: str, names: list[str] | None) -> list[Any]:
        """Get-ItemProperty (and Get-ItemPropertyValue): the key's values with the PS* path properties.

        A ``-Name`` without wildcards that matches nothing writes "Property … does not exist".
        """
        _, node, full_name = self._key(inv, path, "Get-ItemProperty")
        values = RegistryTree.values(node)
        if names is None:
            return [self._property_object(inv, full_name, values)]
        chosen: list[dict[str, Any]] = []
        for requested in names:
            pattern = "" if requested.lower() == DEFAULT_VALUE_NAME else requested.lower()
            matched = [v for v in values if fnmatch.fnmatchcase(v["name"].lower(), pattern)]
            if not matched and not any(ch in requested for ch in "*?["):
                inv.write_error(property_missing(inv, requested, full_name, "Get-ItemProperty"))
            chosen.extend(v for v in matched if v not in chosen)
        return [self._property_object(inv, full_name, chosen)] if chosen else []

    def set_item_property(self, inv: api.Invocation, path: str, name: str, value: Any,
                          property_type: str | None, create: bool, force: bool) -> Any:
        """Set-ItemProperty (create=False) / New-ItemProperty (create=True).

        Set-ItemProperty creates a missing value, keeping the kind of an existing one unless
        ``-Type`` is given; New-ItemProperty refuses an existing value unless ``-Force``.
        """
        fallback = "New-ItemProperty" if create else "Set-ItemProperty"
        _, node, full_name = self._key(inv, path, fallback)
        value_name = "" if name.lower() == DEFAULT_VALUE_NAME else name
        existing = RegistryTree.find_value(node, value_name)
        if create and existing is not None and not force:
            raise SimError("The property already exists.", f"System.IO.IOException,{command_class(inv, fallback)}",
                           "ResourceExists", exception_type="System.IO.IOException", target=full_name)
        value_type = ps_values.type_from_kind_name(property_type) if property_type else None
        if value_type is None:
            value_type = existing["type"] if existing is not None and not create else ps_values.inferred_type(value)
        data = ps_values.to_registry_data(value_type, value)
        with inv.host.transaction():
            stored = RegistryTree.set_value(node, value_name, value_type, data)
        log.debug("%s %s value %r (%s)", fallback, full_name, value_name, value_type)
        return self._property_object(inv, full_name, [stored])

    def remove_item_property(self, inv: api.Invocation, path: str, name: str) -> None:
        """Remove-ItemProperty: delete a value ("Property … does not exist" when it is missing)."""
        _, node, full_name = self._key(inv, path, "Remove-ItemProperty")
        value_name = "" if name.lower() == DEFAULT_VALUE_NAME else name
        if RegistryTree.find_value(node, value_name) is None:
            raise property_missing(inv, name, full_name, "Remove-ItemProperty")
        with inv.host.transaction():
            RegistryTree.delete_value(node, value_name)


REGISTRY_PROVIDER = api.register_provider(RegistryProvider())
