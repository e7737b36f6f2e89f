"""The FileSystem provider through Get-/Set-/Add-Content: 5.1 encodings, CRLF, bytes, errors, capacity."""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.errors import NotModelledError, SimError
from simulator.core.host import Host
from simulator.ps.api import Invocation, find_cmdlet
from simulator.ps.runner import run_script
from simulator.services import filesystem, load_all
from tests.simulator.fake_session import FakeSession

load_all()


def call(host: Host, name: str, session: FakeSession | None = None, **args: Any) -> list[Any]:
    spec = find_cmdlet(name)
    assert spec is not None, name
    with host.transaction():
        return list(spec.handler(Invocation(host, args, session or FakeSession(), name=name)) or [])


def failure(host: Host, name: str, **args: Any) -> SimError:
    """The one non-terminating error a call writes (it must write exactly one)."""
    session = FakeSession()
    call(host, name, session, **args)
    (error,) = session.errors
    return error


def raw_bytes(host: Host, path: str) -> bytes:
    return host.real_path(path).read_bytes()


def test_set_content_default_is_ansi_with_crlf(sim_host: Host) -> None:
    call(sim_host, "Set-Content", Path=["C:\\t.txt"], Value=["héllo", "€uro", "日本"])
    # cp1252 for é (E9) and € (80); characters outside the code page become '?'.
    assert raw_bytes(sim_host, "C:\\t.txt") == b"h\xe9llo\r\n\x80uro\r\n??\r\n"
    assert call(sim_host, "Get-Content", Path=["C:\\t.txt"]) == ["héllo", "€uro", "??"]


@pytest.mark.parametrize(
    ("encoding", "bom", "codec"),
    [
        ("UTF8", codecs.BOM_UTF8, "utf-8"),
        ("Unicode", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("BigEndianUnicode", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("UTF32", codecs.BOM_UTF32_LE, "utf-32-le"),
        ("Ascii", b"", "ascii"),
    ],
)
def test_encodings_write_bom_and_read_back(sim_host: Host, encoding: str, bom: bytes, codec: str) -> None:
    call(sim_host, "Set-Content", Path=["C:\\e.txt"], Value=["line one", "line two"], Encoding=encoding)
    assert raw_bytes(sim_host, "C:\\e.txt") == bom + "line one\r\nline two\r\n".encode(codec)
    # Get-Content without -Encoding detects the BOM and drops it.
    assert call(sim_host, "Get-Content", Path=["C:\\e.txt"]) == ["line one", "line two"]
    assert call(sim_host, "Get-Content", Path=["C:\\e.txt"], Raw=True) == ["line one\r\nline two\r\n"]


def test_ascii_replaces_non_ascii_and_utf8_keeps_it(sim_host: Host) -> None:
    call(sim_host, "Set-Content", Path=["C:\\a.txt"], Value=["é"], Encoding="Ascii")
    assert raw_bytes(sim_host, "C:\\a.txt") == b"?\r\n"
    call(sim_host, "Set-Content", Path=["C:\\u.txt"], Value=["日本"], Encoding="UTF8")
    assert call(sim_host, "Get-Content", Path=["C:\\u.txt"]) == ["日本"]


def test_nonewline_and_add_content_keeps_bom_encoding(sim_host: Host) -> None:
    call(sim_host, "Set-Content", Path=["C:\\n.txt"], Value=["a", "b"], NoNewline=True)
    assert raw_bytes(sim_host, "C:\\n.txt") == b"ab"
    call(sim_host, "Set-Content", Path=["C:\\w.txt"], Value=["first"], Encoding="Unicode")
    call(sim_host, "Add-Content", Path=["C:\\w.txt"], Value=["second"])
    assert raw_bytes(sim_host, "C:\\w.txt") == codecs.BOM_UTF16_LE + "first\r\nsecond\r\n".encode("utf-16-le")
    call(sim_host, "Add-Content", Path=["C:\\new.txt"], Value=["created"])
    assert raw_bytes(sim_host, "C:\\new.txt") == b"created\r\n"


def test_get_content_splits_any_line_break_and_counts(sim_host: Host) -> None:
    sim_host.real_path("C:\\mixed.txt").write_bytes(b"one\r\ntwo\nthree\rfour")
    assert call(sim_host, "Get-Content", Path=["C:\\mixed.txt"]) == ["one", "two", "three", "four"]
    assert call(sim_host, "Get-Content", Path=["C:\\mixed.txt"], TotalCount=2) == ["one", "two"]
    assert call(sim_host, "Get-Content", Path=["C:\\mixed.txt"], Tail=1) == ["four"]
    sim_host.real_path("C:\\empty.txt").write_bytes(b"")
    assert call(sim_host, "Get-Content", Path=["C:\\empty.txt"]) == []
    assert call(sim_host, "Get-Content", Path=["C:\\empty.txt"], Raw=True) == []


def test_byte_round_trip_and_base64(sim_host: Host) -> None:
    payload = bytes(range(256)) * 3
    call(sim_host, "Set-Content", Path=["C:\\blob.pfx"], Value=[payload], Encoding="Byte")
    assert raw_bytes(sim_host, "C:\\blob.pfx") == payload
    (raw,) = call(sim_host, "Get-Content", Path=["C:\\blob.pfx"], Encoding="Byte", Raw=True)
    assert isinstance(raw, bytes)
    assert base64.b64encode(raw) == base64.b64encode(payload)
    each = call(sim_host, "Get-Content", Path=["C:\\blob.pfx"], Encoding="Byte", TotalCount=4)
    assert each == [0, 1, 2, 3]
    call(sim_host, "Set-Content", Path=["C:\\ints.bin"], Value=[72, 105], Encoding="Byte")
    assert raw_bytes(sim_host, "C:\\ints.bin") == b"Hi"
    assert "System.Byte" in failure(sim_host, "Set-Content", Path=["C:\\bad.bin"], Value=[300], Encoding="Byte").message
    assert not sim_host.real_path("C:\\bad.bin").exists()


def test_paths_are_case_insensitive_and_keep_stored_case(sim_host: Host) -> None:
    call(sim_host, "New-Item", Path=["C:\\Data\\Sub"], ItemType="Directory")
    call(sim_host, "Set-Content", Path=["c:/data/sub/File.TXT"], Value=["x"])
    call(sim_host, "Set-Content", Path=["C:\\DATA\\SUB\\file.txt"], Value=["y"])
    names = os.listdir(sim_host.real_path("C:\\Data\\Sub"))
    assert names == ["File.TXT"]
    (item,) = call(sim_host, "Get-Item", Path=["c:\\data\\SUB\\file.txt"])
    assert item.get("FullName") == "C:\\Data\\Sub\\File.TXT"
    assert item.get("PSPath") == "Microsoft.PowerShell.Core\\FileSystem::C:\\Data\\Sub\\File.TXT"
    assert call(sim_host, "Get-Content", Path=["C:\\data\\sub\\FILE.txt"]) == ["y"]


def test_missing_file_error_is_windows_text(sim_host: Host) -> None:
    session = FakeSession()
    assert call(sim_host, "Get-Content", session, Path=["C:\\x"]) == []
    (error,) = session.errors
    assert error.message == "Cannot find path 'C:\\x' because it does not exist."
    assert error.fully_qualified_error_id == "PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand"
    assert error.category == "ObjectNotFound"
    assert error.exception_type == "System.Management.Automation.ItemNotFoundException"
    aliased = FakeSession()
    spec = find_cmdlet("cat")
    assert spec is not None
    list(spec.handler(Invocation(sim_host, {"Path": ["C:\\x"]}, aliased, name="cat")) or [])
    assert aliased.errors[0].fully_qualified_error_id.endswith("GetContentCommand")


def test_write_errors(sim_host: Host) -> None:
    session = FakeSession()
    call(sim_host, "Set-Content", session, Path=["C:\\nope\\x.txt"], Value=["a"])
    call(sim_host, "Set-Content", session, Path=["C:\\Windows"], Value=["a"])
    call(sim_host, "Get-Content", session, Path=["C:\\Windows"])
    call(sim_host, "Get-Content", session, Path=["Q:\\x.txt"])
    messages = [(e.message, e.fully_qualified_error_id) for e in session.errors]
    assert messages == [
        ("Could not find a part of the path 'C:\\nope\\x.txt'.",
         "GetContentWriterDirectoryNotFoundError,Microsoft.PowerShell.Commands.SetContentCommand"),
        ("Access to the path 'C:\\Windows' is denied.",
         "GetContentWriterUnauthorizedAccessError,Microsoft.PowerShell.Commands.SetContentCommand"),
        ("Access to the path 'C:\\Windows' is denied.",
         "GetContentReaderUnauthorizedAccessError,Microsoft.PowerShell.Commands.GetContentCommand"),
        ("Cannot find drive. A drive with the name 'Q' does not exist.",
         "DriveNotFound,Microsoft.PowerShell.Commands.GetContentCommand"),
    ]
    assert not sim_host.real_path("C:\\nope").exists()


def test_illegal_characters_are_refused(sim_host: Host) -> None:
    for bad in ("C:\\a:b.txt", "C:\\pipe|name", "C:\\quote\"d"):
        error = failure(sim_host, "Set-Content", Path=[bad], Value=["x"])
        assert error.message == "Illegal characters in path."
        assert error.fully_qualified_error_id.endswith("SetContentCommand")
    assert call(sim_host, "Test-Path", Path=["C:\\pipe|name"]) == [False]


def test_new_item_existing_file_and_folder(sim_host: Host) -> None:
    call(sim_host, "New-Item", Path=["C:\\f.txt"], Value="v1")
    assert raw_bytes(sim_host, "C:\\f.txt") == b"v1"
    exists_file = failure(sim_host, "New-Item", Path=["C:\\f.txt"], ItemType="File")
    assert exists_file.message == "The file 'C:\\f.txt' already exists."
    assert exists_file.exception_type == "System.IO.IOException"
    (replaced,) = call(sim_host, "New-Item", Path=["C:\\f.txt"], Value="v2", Force=True)
    assert replaced.get("Length") == 2
    assert raw_bytes(sim_host, "C:\\f.txt") == b"v2"
    call(sim_host, "New-Item", Path=["C:\\Folder\\Deep"], ItemType="Directory")
    exists = failure(sim_host, "New-Item", Path=["C:\\folder\\deep"], ItemType="Directory")
    assert exists.fully_qualified_error_id == "DirectoryExist,Microsoft.PowerShell.Commands.NewItemCommand"
    (again,) = call(sim_host, "New-Item", Path=["C:\\folder\\deep"], ItemType="Directory", Force=True)
    assert again.get("FullName") == "C:\\Folder\\Deep"
    assert again.get("PSIsContainer") is True
    with pytest.raises(NotModelledError, match=r"^not modelled.*-ItemType SymbolicLink"):
        call(sim_host, "New-Item", Path=["C:\\link"], ItemType="SymbolicLink", Value="C:\\f.txt")


def test_disk_full_refuses_the_write_and_keeps_the_old_file(sim_host: Host) -> None:
    call(sim_host, "Set-Content", Path=["D:\\keep.txt"], Value=["old"])
    used = filesystem.used_bytes(sim_host, "D")
    with sim_host.transaction():
        filesystem.set_capacity(sim_host, "D", used + 10)
    assert filesystem.free_bytes(sim_host, "D") == 10
    full = failure(sim_host, "Set-Content", Path=["D:\\keep.txt"], Value=["x" * 100])
    assert full.message == "There is not enough space on the disk."
    assert full.hresult_hex == "0x80070070"
    assert raw_bytes(sim_host, "D:\\keep.txt") == b"old\r\n"
    call(sim_host, "Set-Content", Path=["D:\\keep.txt"], Value=["short"])
    assert raw_bytes(sim_host, "D:\\keep.txt") == b"short\r\n"
    assert filesystem.capacity_bytes(sim_host, "C") == 500 * 1024**3


def test_writes_leave_no_temporary_files_and_follow_the_clock(sim_host: Host) -> None:
    with sim_host.transaction():
        sim_host.clock.advance(10 * 86400)
    call(sim_host, "Set-Content", Path=["C:\\Temp.txt"], Value=["x"])
    (item,) = call(sim_host, "Get-Item", Path=["C:\\Temp.txt"])
    written = item.get("LastWriteTime")
    assert isinstance(written, dt.datetime)
    assert written.tzinfo is not None
    assert written - dt.datetime.now(dt.UTC) > dt.timedelta(days=9)
    entries = os.listdir(sim_host.real_path("C:\\"))
    assert "Temp.txt" in entries
    assert not [n for n in entries if n.startswith(".")]


def test_topology_drives_with_capacity(tmp_path: Any) -> None:
    from tests.conftest import make_host  # noqa: PLC0415 - a host with its own topology

    host = make_host(tmp_path / "h", {"name": "H2", "drives": ["C", {"letter": "E", "capacity_gib": 1}], "vms": []})
    assert host.drives == ["C", "E"]
    assert filesystem.capacity_bytes(host, "E") == 1024**3
    call(host, "Set-Content", Path=["E:\\x.txt"], Value=["x"])
    assert host.real_path("E:\\x.txt").read_bytes() == b"x\r\n"


NAMES = st.sampled_from(["a.txt", "B.txt", "c.log"])
LINES = st.lists(st.text(alphabet="abcXYZ019 -", max_size=8), max_size=3)
OPS = st.lists(
    st.tuples(st.sampled_from(["set", "add", "remove"]), NAMES, LINES, st.booleans()),
    max_size=15,
)


@pytest.mark.slow  # a fresh host per example, every step saved durably: several seconds
@settings(max_examples=40)
@given(OPS)
def test_random_write_append_remove_agree_with_a_dict_model(tmp_path_factory: pytest.TempPathFactory,
                                                             ops: list[tuple[str, str, list[str], bool]]) -> None:
    from tests.conftest import make_host  # noqa: PLC0415 - a fresh host per example

    host = make_host(tmp_path_factory.mktemp("fs"), {"name": "P", "vms": []})
    model: dict[str, bytes] = {}
    folder = "C:\\Work"
    call(host, "New-Item", Path=[folder], ItemType="Directory")
    for action, name, lines, upper in ops:
        path = f"{folder}\\{name.upper() if upper else name}"
        key = name.lower()
        session = FakeSession()
        if action == "set":
            call(host, "Set-Content", session, Path=[path], Value=lines)
            model[key] = "".join(line + "\r\n" for line in lines).encode()
        elif action == "add":
            call(host, "Add-Content", session, Path=[path], Value=lines)
            model[key] = model.get(key, b"") + "".join(line + "\r\n" for line in lines).encode()
        else:
            call(host, "Remove-Item", session, Path=[path])
            assert bool(session.errors) == (key not in model)
            model.pop(key, None)
        listed = {i.get("Name").lower(): i.get("Length") for i in call(host, "Get-ChildItem", Path=[folder])}
        assert listed == {k: len(v) for k, v in model.items()}
    for key, data in model.items():
        assert call(host, "Get-Content", Path=[f"{folder}\\{key}"]) == data.decode().split("\r\n")[:-1]


@pytest.mark.parametrize("writer", ["Set-Content", "Add-Content"])
@pytest.mark.parametrize("middle", ["", " | Where-Object { $_ }"])
def test_rewriting_the_file_get_content_still_streams_fails_as_windows(
    sim_host: Host, writer: str, middle: str
) -> None:
    """``Get-Content f | Set-Content f``: the file is open while its lines stream on; the file is unchanged."""
    path = "C:\\t.txt"
    result = run_script(
        sim_host,
        f"Set-Content {path} 'a','b'; Get-Content {path}{middle} | {writer} {path}; $?; "
        f"(Get-Content {path}) -join ','",
    )
    assert result.stdout.split() == ["False", "a,b"]
    assert f"{writer} : The process cannot access the file 'C:\\t.txt' because it is being used by another" in (
        result.stderr.replace("_x000D__x000A_", "").replace("</S><S S=\"Error\">", "")
    )
    assert "GetContentWriterIOError" in result.stderr


@pytest.mark.parametrize(
    "script",
    [
        "(Get-Content C:\\t.txt) | Set-Content C:\\t.txt",  # read to the end first: allowed
        "$lines = Get-Content C:\\t.txt; $lines | Set-Content C:\\t.txt",
        "Get-Content C:\\t.txt | Set-Content C:\\u.txt; Get-Content C:\\u.txt | Set-Content C:\\t.txt",
    ],
)
def test_rewriting_a_file_read_to_the_end_first_works(sim_host: Host, script: str) -> None:
    result = run_script(sim_host, f"Set-Content C:\\t.txt 'a','b'; {script}; (Get-Content C:\\t.txt) -join ','")
    assert result.stderr == ""
    assert result.stdout.split() == ["a,b"]
