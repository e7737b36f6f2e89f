"""The ``reg`` console command (reg.exe): ``add``, ``query`` and ``delete`` over the registry model.

Output, prompts and error texts follow reg.exe on Windows Server (CRLF line ends, four-space
columns in ``query`` listings, exit code 0 on success and 1 on failure).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from simulator.cmd.api import CmdCall, CmdResult, cmd_command
from simulator.services.registry.model import (
    BINARY_TYPES,
    INTEGER_TYPES,
    VALUE_TYPES,
    KeyNotFoundError,
    RegistryTree,
    RootNotModelledError,
    UnknownRootError,
    ValueNotFoundError,
    decode_data,
)

log = logging.getLogger(__name__)

CRLF = "\r\n"
# ASSUMPTION: reg.exe ends its success line with an empty line (two CRLFs), as seen in captured outputs.
SUCCESS = "The operation completed successfully." + CRLF + CRLF
NOT_FOUND = "ERROR: The system was unable to find the specified registry key or value." + CRLF
SUBCOMMANDS_NOT_MODELLED = ("copy", "save", "restore", "load", "unload", "compare", "export", "import", "flags")

# Which switches take an argument, per subcommand; other switches are flags.
SWITCHES: dict[str, dict[str, bool]] = {
    "add": {"/v": True, "/ve": False, "/t": True, "/s": True, "/d": True, "/f": False, "/reg:64": False},
    "query": {"/v": True, "/ve": False, "/s": False, "/reg:64": False},
    "delete": {"/v": True, "/ve": False, "/va": False, "/f": False, "/reg:64": False},
}
NOT_MODELLED_SWITCHES = {"/reg:32": "the 32-bit registry view (/reg:32)", "/z": "reg query /z",
                         "/se": "reg query /se", "/f": "reg query /f (search)", "/t": "reg query /t",
                         "/k": "reg query /k", "/c": "reg query /c", "/e": "reg query /e"}


class RegSyntaxError(Exception):
    """The command line is not valid ``reg`` syntax."""


class RegNotModelledError(Exception):
    """Valid ``reg`` syntax for something the simulator does not model."""


@dataclass
class RegArgs:
    """A parsed ``reg`` command line."""

    key: str
    options: dict[str, str | None] = field(default_factory=dict)

    def has(self, switch: str) -> bool:
        """Whether ``switch`` (e.g. ``/f``) was given."""
        return switch in self.options


def parse_args(subcommand: str, argv: list[str]) -> RegArgs:
    """Parse the arguments after ``reg <subcommand>``.

    Raises:
        RegSyntaxError: unknown or repeated switches, a missing key or switch argument.
        RegNotModelledError: remote keys and switches the simulator does not model.
    """
    known = SWITCHES[subcommand]
    key: str | None = None
    options: dict[str, str | None] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        lowered = arg.lower()
        # ASSUMPTION: only '/' introduces a switch, as in reg.exe's documented syntax.
        if lowered.startswith("/"):
            if lowered not in known:
                if lowered in NOT_MODELLED_SWITCHES and (subcommand == "query" or lowered == "/reg:32"):
                    raise RegNotModelledError(NOT_MODELLED_SWITCHES[lowered])
                raise RegSyntaxError(arg)
            if lowered in options:
                raise RegSyntaxError(arg)
            if known[lowered]:
                index += 1
                if index >= len(argv):
                    raise RegSyntaxError(arg)
                options[lowered] = argv[index]
            else:
                options[lowered] = None
        elif key is None:
            key = arg
        else:
            raise RegSyntaxError(arg)
        index += 1
    if key is None:
        raise RegSyntaxError("missing key")
    if key.startswith("\\\\"):
        raise RegNotModelledError("remote registry keys (\\\\computer\\…)")
    exclusive = [s for s in ("/v", "/ve", "/va") if s in options]
    if len(exclusive) > 1:
        raise RegSyntaxError(" ".join(exclusive))
    if "/s" in options and subcommand == "add" and (options.get("/t") or "").upper() != "REG_MULTI_SZ":
        raise RegSyntaxError("/s")
    return RegArgs(key=key, options=options)


def parse_data(value_type: str, text: str, separator: str) -> object:
    """Convert ``/d`` text to the value's data as reg.exe does.

    Raises:
        RegSyntaxError: for data the type cannot hold.
    """
    if value_type in INTEGER_TYPES:
        if not text:
            return 0
        try:
            number = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise RegSyntaxError(text) from None
        if not 0 <= number <= INTEGER_TYPES[value_type]:
            raise RegSyntaxError(text)
        return number
    if value_type == "REG_MULTI_SZ":
        return [part for part in text.split(separator)] if text else []
    if value_type in BINARY_TYPES:
        digits = text if len(text) % 2 == 0 else "0" + text
        try:
            return bytes.fromhex(digits)
        except ValueError:
            raise RegSyntaxError(text) from None
    return text


def format_data(value: dict[str, Any]) -> str:
    """A value's data as ``reg query`` prints it."""
    data = decode_data(value)
    if value["type"] in INTEGER_TYPES:
        return f"0x{data:x}"
    if value["type"] == "REG_MULTI_SZ":
        return "\\0".join(data)
    if value["type"] in BINARY_TYPES:
        return data.hex().upper()
    return str(data)


def value_line(value: dict[str, Any]) -> str:
    """One ``reg query`` value line: four-space indent and columns."""
    name = value["name"] or "(Default)"
    return f"    {name}    {value['type']}    {format_data(value)}{CRLF}"


def usage_error(subcommand: str) -> CmdResult:
    """``ERROR: Invalid syntax.`` with reg.exe's usage hint."""
    return CmdResult(stderr=f'ERROR: Invalid syntax.{CRLF}Type "REG {subcommand.upper()} /?" for usage.{CRLF}',
                     exit_code=1)


def not_modelled(what: str) -> CmdResult:
    """reg's error line for something real that the simulator does not model."""
    return CmdResult(stderr=f"ERROR: not modelled by the simulator: {what}{CRLF}", exit_code=1)


def confirmed(call: CmdCall) -> bool:
    """The answer to a Yes/No prompt, read from the piped input.

    ASSUMPTION: under WinRS with nothing piped in, the prompt reads end of input, which reg.exe
    takes as "No": the operation is cancelled ("The operation was canceled by the user.") and
    nothing changes (exit code 1).
    """
    return call.stdin.strip().lower().startswith("y")


@cmd_command("reg", summary="reg add / query / delete on HKLM",
             not_modelled="copy, save, restore, load, unload, compare, export, import, flags; remote keys; "
                          "hives other than HKLM; /reg:32; query /f /t /k /c /e /z /se")
def reg(call: CmdCall) -> CmdResult:
    """Run ``reg <subcommand> …``. Not modelled: see the registration's not_modelled list."""
    if any(arg in ("/?", "-?") for arg in call.argv[:2]):  # reg /?, reg add /?
        return not_modelled("reg usage text (/?)")
    if not call.argv:
        return CmdResult(stderr=f'ERROR: Invalid syntax.{CRLF}Type "REG /?" for usage.{CRLF}', exit_code=1)
    subcommand = call.argv[0].lower()
    if subcommand in SUBCOMMANDS_NOT_MODELLED:
        return not_modelled(f"reg {subcommand}")
    if subcommand not in SWITCHES:
        return CmdResult(stderr=f'ERROR: Invalid syntax.{CRLF}Type "REG /?" for usage.{CRLF}', exit_code=1)
    try:
        args = parse_args(subcommand, call.argv[1:])
        with call.host.transaction():
            tree = RegistryTree(call.host.state)
            if subcommand == "add":
                return reg_add(call, tree, args)
            if subcommand == "query":
                return reg_query(tree, args)
            return reg_delete(call, tree, args)
    except RegSyntaxError:
        return usage_error(subcommand)
    except RegNotModelledError as exc:
        return not_modelled(str(exc))
    except UnknownRootError:
        return CmdResult(stderr=f'ERROR: Invalid key name.{CRLF}Type "REG {subcommand.upper()} /?" for usage.{CRLF}',
                         exit_code=1)
    except RootNotModelledError as exc:
        return not_modelled(f"the {exc} registry hive (only HKEY_LOCAL_MACHINE is modelled)")
    except (KeyNotFoundError, ValueNotFoundError):
        return CmdResult(stderr=NOT_FOUND, exit_code=1)


def reg_add(call: CmdCall, tree: RegistryTree, args: RegArgs) -> CmdResult:
    """``reg add <key> [/v name | /ve] [/t type] [/s sep] [/d data] [/f]``."""
    value_type = (args.options.get("/t") or "REG_SZ").upper()
    if value_type not in VALUE_TYPES:
        raise RegSyntaxError(value_type)
    separator = args.options.get("/s") or "\\0"
    if len(separator) != 1 and separator != "\\0":
        raise RegSyntaxError(separator)
    data = parse_data(value_type, args.options.get("/d") or "", separator)
    writes_value = args.has("/v") or args.has("/ve") or args.has("/d") or args.has("/t")
    name = args.options.get("/v") or ""
    existing_node = tree.find_key(args.key)
    if not writes_value:
        tree.create_key(args.key)
        return CmdResult(stdout=SUCCESS)
    stdout = ""
    if existing_node is not None and tree.find_value(existing_node, name) is not None and not args.has("/f"):
        stdout = f"Value {name or '(Default)'} exists, overwrite(Yes/No)? "
        if not confirmed(call):
            return CmdResult(stdout=stdout + CRLF + "The operation was canceled by the user." + CRLF, exit_code=1)
    node, _ = tree.create_key(args.key)
    tree.set_value(node, name, value_type, data)
    log.debug("reg add %s value %r (%s)", args.key, name, value_type)
    return CmdResult(stdout=stdout + SUCCESS)


def reg_query(tree: RegistryTree, args: RegArgs) -> CmdResult:
    """``reg query <key> [/v name | /ve] [/s]``."""
    node = tree.key(args.key)
    name_filter = args.options.get("/v") if args.has("/v") else ("" if args.has("/ve") else None)
    full_name = tree.canonical_name(args.key)
    if name_filter is None and not args.has("/s"):
        # ASSUMPTION: the key's own name heads the listing only when it has values; subkeys follow.
        out = CRLF
        values = tree.values(node)
        if values:
            out += full_name + CRLF + "".join(value_line(v) for v in values) + CRLF
        out += "".join(f"{full_name}\\{child['name']}{CRLF}" for child in tree.subkeys(node))
        return CmdResult(stdout=out)
    if name_filter is None:
        out = ""
        for key_name, key_node in tree.walk(args.key):
            out += CRLF + key_name + CRLF + "".join(value_line(v) for v in tree.values(key_node))
        return CmdResult(stdout=out + CRLF)
    if not args.has("/s"):
        value = tree.find_value(node, name_filter)
        if value is None:
            if name_filter == "":
                unset = "    (Default)    REG_SZ    (value not set)"
                return CmdResult(stdout=f"{CRLF}{full_name}{CRLF}{unset}{CRLF}{CRLF}")
            raise ValueNotFoundError(name_filter)
        return CmdResult(stdout=CRLF + full_name + CRLF + value_line(value) + CRLF)
    out, matches = "", 0
    for key_name, key_node in tree.walk(args.key):
        value = tree.find_value(key_node, name_filter)
        if value is not None:
            matches += 1
            out += CRLF + key_name + CRLF + value_line(value)
    if not matches:
        raise ValueNotFoundError(name_filter)
    return CmdResult(stdout=f"{out}{CRLF}End of search: {matches} match(es) found.{CRLF}")


def reg_delete(call: CmdCall, tree: RegistryTree, args: RegArgs) -> CmdResult:
    """``reg delete <key> [/v name | /ve | /va] [/f]``."""
    node = tree.key(args.key)
    if args.has("/v") or args.has("/ve"):
        name = args.options.get("/v") or ""
        if tree.find_value(node, name) is None:
            raise ValueNotFoundError(name)
        prompt = f"Delete the registry value {name or '(Default)'} (Yes/No)? "
    elif args.has("/va"):
        prompt = f"Delete all values under the registry key {args.key} (Yes/No)? "
    else:
        if not tree.split_parts(args.key):
            raise RegSyntaxError(args.key)
        prompt = f"Delete the registry key {args.key} (Yes/No)? "
    stdout = ""
    if not args.has("/f"):
        stdout = prompt
        if not confirmed(call):
            return CmdResult(stdout=stdout + CRLF + "The operation was canceled by the user." + CRLF, exit_code=1)
    if args.has("/v") or args.has("/ve"):
        tree.delete_value(node, args.options.get("/v") or "")
    elif args.has("/va"):
        node["values"].clear()
    else:
        tree.delete_key(args.key)
    return CmdResult(stdout=stdout + SUCCESS)
