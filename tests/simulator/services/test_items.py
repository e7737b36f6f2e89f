"""The generic item cmdlets: listing, wildcards, relative paths, PSPath piping, copy/move, other providers."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.core.errors import NotModelledError, SimError
from simulator.core.host import Host
from simulator.ps.api import CMDLETS, Invocation, find_cmdlet
from simulator.ps.objects import PSObject
from simulator.services import load_all
from simulator.services.filesystem.paths import strip_qualifier
from tests.simulator.fake_session import FakeSession

load_all()


def call(host: Host, name: str, session: FakeSession | None = None, input_object: Any = None, **args: Any) -> list[Any]:
    spec = find_cmdlet(name)
    assert spec is not None, name
    inv = Invocation(host, args, session or FakeSession(), input=input_object, name=name)
    with host.transaction():
        return list(spec.handler(inv) or [])


def make_tree(host: Host) -> None:
    """C:\\Tree with two files, a sub-folder holding a log and a text file."""
    call(host, "New-Item", Path=["C:\\Tree\\Sub"], ItemType="Directory")
    for path in ("C:\\Tree\\b.txt", "C:\\Tree\\A.log", "C:\\Tree\\Sub\\c.txt", "C:\\Tree\\Sub\\d.log"):
        call(host, "Set-Content", Path=[path], Value=[path])


def names(items: list[Any]) -> list[str]:
    return [str(i.get("FullName")) if isinstance(i, PSObject) else str(i) for i in items]


def test_get_child_item_lists_folders_first_and_recurses(sim_host: Host) -> None:
    make_tree(sim_host)
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree"])) == [
        "C:\\Tree\\Sub", "C:\\Tree\\A.log", "C:\\Tree\\b.txt",
    ]
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], Recurse=True)) == [
        "C:\\Tree\\Sub", "C:\\Tree\\A.log", "C:\\Tree\\b.txt", "C:\\Tree\\Sub\\c.txt", "C:\\Tree\\Sub\\d.log",
    ]
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], Filter="*.txt", Recurse=True)) == [
        "C:\\Tree\\b.txt", "C:\\Tree\\Sub\\c.txt",
    ]
    assert call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], Recurse=True, Name=True) == [
        "Sub", "A.log", "b.txt", "Sub\\c.txt", "Sub\\d.log",
    ]
    files = call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], File=True)
    assert names(files) == ["C:\\Tree\\A.log", "C:\\Tree\\b.txt"]
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], Directory=True)) == ["C:\\Tree\\Sub"]


def test_listed_items_stringify_to_their_name_as_in_51(sim_host: Host) -> None:
    make_tree(sim_host)
    (got,) = call(sim_host, "Get-Item", Path=["C:\\Tree\\b.txt"])
    listed = [i for i in call(sim_host, "Get-ChildItem", Path=["C:\\Tree"]) if i.get("Name") == "b.txt"]
    assert got.text() == "C:\\Tree\\b.txt"
    assert [i.text() for i in listed] == ["b.txt"]


def test_include_needs_recurse_or_wildcard_as_in_51(sim_host: Host) -> None:
    make_tree(sim_host)
    assert call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], Include=["*.log"]) == []
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree\\*"], Include=["*.log"])) == ["C:\\Tree\\A.log"]
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], Include=["*.log"], Recurse=True)) == [
        "C:\\Tree\\A.log", "C:\\Tree\\Sub\\d.log",
    ]
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree"], Exclude=["*.log"])) == [
        "C:\\Tree\\Sub", "C:\\Tree\\b.txt",
    ]


def test_wildcard_paths_and_remove(sim_host: Host) -> None:
    make_tree(sim_host)
    assert names(call(sim_host, "Get-Item", Path=["C:\\tree\\*.TXT"])) == ["C:\\Tree\\b.txt"]
    assert call(sim_host, "Test-Path", Path=["C:\\Tree\\*.log", "C:\\Tree\\*.none"]) == [True, False]
    quiet = FakeSession()
    call(sim_host, "Remove-Item", quiet, Path=["C:\\Tree\\*.none"])
    assert quiet.errors == []
    call(sim_host, "Remove-Item", Path=["C:\\Tree\\*.log"])
    assert names(call(sim_host, "Get-ChildItem", Path=["C:\\Tree"])) == ["C:\\Tree\\Sub", "C:\\Tree\\b.txt"]
    prompted = FakeSession()  # Windows would ask; a WinRM session cannot answer (as the registry provider)
    call(sim_host, "Remove-Item", prompted, Path=["C:\\Tree\\Sub"])
    assert [e.message for e in prompted.errors] == [
        "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available. "
        "(The item at C:\\Tree\\Sub has children and the Recurse parameter was not specified.)"]
    assert prompted.errors[0].fully_qualified_error_id == (
        "System.Management.Automation.PSInvalidOperationException,Microsoft.PowerShell.Commands.RemoveItemCommand")
    assert call(sim_host, "Test-Path", Path=["C:\\Tree\\Sub"]) == [True]
    call(sim_host, "Remove-Item", Path=["C:\\Tree\\Sub"], Recurse=True)
    assert call(sim_host, "Test-Path", Path=["C:\\Tree\\Sub"]) == [False]
    missing = FakeSession()
    call(sim_host, "Remove-Item", missing, Path=["C:\\Tree\\gone.txt"])
    assert missing.errors[0].fully_qualified_error_id == "PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand"


def test_test_path_path_type(sim_host: Host) -> None:
    make_tree(sim_host)
    assert call(sim_host, "Test-Path", Path=["C:\\Tree"], PathType="Container") == [True]
    assert call(sim_host, "Test-Path", Path=["C:\\Tree"], PathType="Leaf") == [False]
    assert call(sim_host, "Test-Path", Path=["C:\\Tree\\b.txt"], PathType="Leaf") == [True]
    assert call(sim_host, "Test-Path", Path=["Q:\\x"]) == [False]
    assert call(sim_host, "Test-Path", Path=["HKLM:\\SOFTWARE"], PathType="Container") == [True]
    assert call(sim_host, "Test-Path", Path=["HKLM:\\SOFTWARE\\NoSuchKeyAnywhere"]) == [False]


def test_relative_paths_follow_the_session_location(sim_host: Host) -> None:
    make_tree(sim_host)
    here = FakeSession(location="C:\\Tree")
    call(sim_host, "Set-Content", here, Path=["new.txt"], Value=["x"])
    assert sim_host.real_path("C:\\Tree\\new.txt").read_bytes() == b"x\r\n"
    assert call(sim_host, "Get-Content", FakeSession(location="C:\\Tree\\Sub"), Path=["..\\new.txt"]) == ["x"]
    assert call(sim_host, "Get-Content", here, Path=[".\\Sub\\c.txt"]) == ["C:\\Tree\\Sub\\c.txt"]
    assert call(sim_host, "Test-Path", here, Path=["\\Tree\\b.txt"]) == [True]
    (resolved,) = call(sim_host, "Resolve-Path", here, Path=["sub\\C.TXT"])
    assert resolved.get("Path") == "C:\\Tree\\Sub\\c.txt"
    assert resolved.text() == "C:\\Tree\\Sub\\c.txt"
    assert call(sim_host, "Resolve-Path", here, Path=["b.txt"], Relative=True) == [".\\b.txt"]
    (listed,) = call(sim_host, "Get-ChildItem", FakeSession(location="C:\\Tree\\Sub"), Filter="c*")
    assert listed.get("Name") == "c.txt"


def test_items_piped_by_pspath(sim_host: Host) -> None:
    make_tree(sim_host)
    (item,) = call(sim_host, "Get-Item", Path=["C:\\Tree\\b.txt"])
    assert item.get("PSPath") == "Microsoft.PowerShell.Core\\FileSystem::C:\\Tree\\b.txt"
    assert call(sim_host, "Get-Content", LiteralPath=[item.get("PSPath")]) == ["C:\\Tree\\b.txt"]
    call(sim_host, "Remove-Item", input_object=item)
    assert call(sim_host, "Test-Path", Path=["C:\\Tree\\b.txt"]) == [False]
    (registry,) = call(sim_host, "Get-Item",
                       LiteralPath=["Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE"])
    assert registry.get("PSChildName") == "SOFTWARE"


def test_strip_qualifier_forms() -> None:
    assert strip_qualifier("Microsoft.PowerShell.Core\\FileSystem::C:\\x") == "C:\\x"
    assert strip_qualifier("FileSystem::C:\\x") == "C:\\x"
    assert strip_qualifier("Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My\\AB") == (
        "Cert:\\LocalMachine\\My\\AB"
    )
    assert strip_qualifier("Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\X") == (
        "HKLM:\\SOFTWARE\\X"
    )
    assert strip_qualifier("C:\\plain") == "C:\\plain"


def test_copy_and_move(sim_host: Host) -> None:
    make_tree(sim_host)
    call(sim_host, "Copy-Item", Path=["C:\\Tree\\b.txt"], Destination="C:\\Tree\\Sub")
    assert sim_host.real_path("C:\\Tree\\Sub\\b.txt").read_bytes() == b"C:\\Tree\\b.txt\r\n"
    (copied,) = call(sim_host, "Copy-Item", Path=["C:\\Tree\\b.txt"], Destination="D:\\b2.txt", PassThru=True)
    assert copied.get("FullName") == "D:\\b2.txt"
    call(sim_host, "Copy-Item", Path=["C:\\Tree"], Destination="D:\\Copy", Recurse=True)
    assert sim_host.real_path("D:\\Copy\\Sub\\c.txt").exists()
    call(sim_host, "Copy-Item", Path=["C:\\Tree"], Destination="D:\\Shallow")
    assert sim_host.real_path("D:\\Shallow").is_dir()
    assert list(sim_host.real_path("D:\\Shallow").iterdir()) == []
    call(sim_host, "Move-Item", Path=["C:\\Tree\\A.log"], Destination="C:\\Tree\\renamed.log")
    assert call(sim_host, "Test-Path", Path=["C:\\Tree\\A.log", "C:\\Tree\\renamed.log"]) == [False, True]
    call(sim_host, "Move-Item", Path=["C:\\Tree\\renamed.log"], Destination="D:\\")
    assert sim_host.real_path("D:\\renamed.log").read_bytes() == b"C:\\Tree\\A.log\r\n"
    clash = FakeSession()
    call(sim_host, "Move-Item", clash, Path=["D:\\b2.txt"], Destination="C:\\Tree\\Sub\\b.txt")
    assert clash.errors[0].message == "Cannot create a file when that file already exists."
    call(sim_host, "Move-Item", Path=["D:\\b2.txt"], Destination="C:\\Tree\\Sub\\b.txt", Force=True)
    assert not sim_host.real_path("D:\\b2.txt").exists()


def test_rename_item(sim_host: Host) -> None:
    make_tree(sim_host)
    (renamed,) = call(sim_host, "Rename-Item", Path="C:\\Tree\\b.txt", NewName="c.txt", PassThru=True)
    assert renamed.get("FullName") == "C:\\Tree\\c.txt"
    assert call(sim_host, "Test-Path", Path=["C:\\Tree\\b.txt"]) == [False]
    clash = FakeSession()
    call(sim_host, "Rename-Item", clash, Path="C:\\Tree\\c.txt", NewName="A.log")
    assert clash.errors[0].fully_qualified_error_id == (
        "RenameItemIOError,Microsoft.PowerShell.Commands.RenameItemCommand"
    )
    as_path = FakeSession()
    call(sim_host, "Rename-Item", as_path, Path="C:\\Tree\\c.txt", NewName="D:\\x.txt")
    assert as_path.errors[0].message == (
        "Cannot rename the specified target, because it represents a path or device name."
    )
    call(sim_host, "Rename-Item", Path="C:\\Tree\\Sub", NewName="Renamed")
    assert sim_host.real_path("C:\\Tree\\Renamed\\c.txt").exists()


def test_clear_content(sim_host: Host) -> None:
    make_tree(sim_host)
    call(sim_host, "Clear-Content", Path=["C:\\Tree\\*.txt"])
    assert sim_host.real_path("C:\\Tree\\b.txt").read_bytes() == b""
    assert sim_host.real_path("C:\\Tree\\A.log").read_bytes() != b""
    missing = FakeSession()
    call(sim_host, "Clear-Content", missing, Path=["C:\\Tree\\none.txt"])
    assert missing.errors[0].fully_qualified_error_id == (
        "PathNotFound,Microsoft.PowerShell.Commands.ClearContentCommand"
    )
    assert not sim_host.real_path("C:\\Tree\\none.txt").exists()


def test_copy_across_providers_is_refused(sim_host: Host) -> None:
    make_tree(sim_host)
    session = FakeSession()
    call(sim_host, "Copy-Item", session, Path=["C:\\Tree\\b.txt"], Destination="HKLM:\\SOFTWARE")
    assert session.errors[0].fully_qualified_error_id == (
        "CopyItemSourceAndDestinationNotSameProvider,Microsoft.PowerShell.Commands.CopyItemCommand"
    )


def test_get_item_property_on_files_and_registry_value(sim_host: Host) -> None:
    make_tree(sim_host)
    (props,) = call(sim_host, "Get-ItemProperty", Path=["C:\\Tree\\b.txt"], Name=["Length"])
    assert props.get("Length") == len(b"C:\\Tree\\b.txt\r\n")
    assert props.get("PSChildName") == "b.txt"
    assert call(sim_host, "Get-ItemPropertyValue", Path=["C:\\Tree\\b.txt"], Name=["Name", "Extension"]) == [
        "b.txt", ".txt",
    ]
    key = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Replication"
    call(sim_host, "New-Item", Path=[key], Force=True)
    call(sim_host, "New-ItemProperty", Path=[key], Name="DisableCertRevocationCheck", PropertyType="DWord", Value=1)
    assert call(sim_host, "Get-ItemPropertyValue", Path=[key], Name=["DisableCertRevocationCheck"]) == [1]
    call(sim_host, "Set-ItemProperty", Path=[key], Name="DisableCertRevocationCheck", Value=0)
    assert call(sim_host, "Get-ItemPropertyValue", Path=[key], Name=["DisableCertRevocationCheck"]) == [0]
    call(sim_host, "Remove-ItemProperty", Path=[key], Name=["DisableCertRevocationCheck"])
    gone = FakeSession()
    call(sim_host, "Get-ItemPropertyValue", gone, Path=[key], Name=["DisableCertRevocationCheck"])
    assert gone.errors


def test_certificate_provider_through_the_generic_cmdlets(sim_host: Host) -> None:
    stores = call(sim_host, "Get-ChildItem", Path=["Cert:\\LocalMachine"])
    assert {"My", "Root", "CA"} <= {str(s.get("Name")) for s in stores}
    assert call(sim_host, "Test-Path", Path=["Cert:\\LocalMachine\\My"]) == [True]
    assert call(sim_host, "Get-ChildItem", Path=["cert:\\LocalMachine\\My"]) == []


def test_get_file_hash(sim_host: Host) -> None:
    import hashlib  # noqa: PLC0415 - only this test needs it

    make_tree(sim_host)
    data = sim_host.real_path("C:\\Tree\\b.txt").read_bytes()
    (default,) = call(sim_host, "Get-FileHash", Path=["c:\\tree\\B.TXT"])
    assert default.get("Hash") == hashlib.sha256(data).hexdigest().upper()
    # ASSUMPTION: like PowerShell's path resolution, a literal path keeps the casing it was typed with.
    assert (default.get("Algorithm"), default.get("Path")) == ("SHA256", "C:\\tree\\B.TXT")
    (md5,) = call(sim_host, "Get-FileHash", Path=["C:\\Tree\\b.txt"], Algorithm="MD5")
    assert md5.get("Hash") == hashlib.md5(data).hexdigest().upper()
    with pytest.raises(NotModelledError, match=r"^not modelled.*Get-FileHash -Algorithm RIPEMD160"):
        call(sim_host, "Get-FileHash", Path=["C:\\Tree\\b.txt"], Algorithm="RIPEMD160")


def test_out_file_writes_unicode_by_default(sim_host: Host) -> None:
    import codecs  # noqa: PLC0415 - only this test needs it

    call(sim_host, "Out-File", FilePath="C:\\o.txt", InputObject=["one", 2, True])
    assert sim_host.real_path("C:\\o.txt").read_bytes() == codecs.BOM_UTF16_LE + "one\r\n2\r\nTrue\r\n".encode(
        "utf-16-le")
    call(sim_host, "Out-File", FilePath="C:\\o.txt", InputObject=["three"], Append=True)
    assert call(sim_host, "Get-Content", Path=["C:\\o.txt"]) == ["one", "2", "True", "three"]
    call(sim_host, "Out-File", FilePath="C:\\a.txt", InputObject=["x"], Encoding="ascii")
    assert sim_host.real_path("C:\\a.txt").read_bytes() == b"x\r\n"
    with pytest.raises(SimError) as clobber:
        call(sim_host, "Out-File", FilePath="C:\\a.txt", InputObject=["y"], NoClobber=True)
    assert clobber.value.fully_qualified_error_id == "NoClobber,Microsoft.PowerShell.Commands.OutFileCommand"
    assert sim_host.real_path("C:\\a.txt").read_bytes() == b"x\r\n"


def test_get_ps_drive_reports_virtual_capacity(sim_host: Host) -> None:
    (drive,) = call(sim_host, "Get-PSDrive", Name=["D"])
    assert drive.get("Used") + drive.get("Free") == 500 * 1024**3
    assert drive.get("Root") == "D:\\"
    every = [str(d.get("Name")) for d in call(sim_host, "Get-PSDrive")]
    assert {"C", "D", "Cert", "HKLM"} <= set(every)
    session = FakeSession()
    call(sim_host, "Get-PSDrive", session, Name=["Q"])
    assert session.errors[0].fully_qualified_error_id == (
        "GetDriveNoMatchingDrive,Microsoft.PowerShell.Commands.GetPSDriveCommand"
    )


def test_aliases_and_coverage_metadata() -> None:
    for alias, real in (("dir", "Get-ChildItem"), ("gci", "Get-ChildItem"), ("cat", "Get-Content"),
                        ("del", "Remove-Item"), ("rvpa", "Resolve-Path")):
        spec = find_cmdlet(alias)
        assert spec is not None
        assert spec.name == real
    mine = {s.name: s for s in CMDLETS.values() if s.area in {"items", "firewall"}}
    assert set(mine) == {
        "Get-Item", "Get-ChildItem", "Test-Path", "New-Item", "Remove-Item", "Copy-Item", "Move-Item",
        "Resolve-Path", "Get-Content", "Set-Content", "Add-Content", "Get-ItemProperty", "Get-ItemPropertyValue",
        "Set-ItemProperty", "New-ItemProperty", "Remove-ItemProperty", "Get-PSDrive", "Get-NetFirewallRule",
        "Enable-NetFirewallRule", "Disable-NetFirewallRule", "Set-NetFirewallRule", "New-NetFirewallRule",
        "Remove-NetFirewallRule", "Get-NetFirewallPortFilter", "Get-FileHash", "Out-File", "Rename-Item",
        "Clear-Content",
    }
    for spec in mine.values():
        last_line = (spec.handler.__doc__ or "").strip().splitlines()[-1].strip()
        assert last_line.startswith("Not modelled:"), spec.name
        assert spec.not_modelled, spec.name


# ------------------------------------------------------------------ through the PowerShell interpreter
def test_script_file_round_trip_bytes_and_piped_removal(sim_host: Host) -> None:
    from simulator.ps.runner import run_script  # noqa: PLC0415 - the interpreter is another helper's module

    text = run_script(
        sim_host,
        "New-Item -ItemType Directory -Path C:\\Temp\\x -Force | Out-Null\n"
        'Set-Content -Path C:\\Temp\\x\\a.txt -Value "hello","world"\n'
        "(Get-Content C:\\Temp\\x\\a.txt -Raw).Length\n"
        "Get-Content C:\\Temp\\x\\a.txt",
    )
    assert (text.stdout, text.exit_code) == ("14\r\nhello\r\nworld\r\n", 0)
    blob = run_script(
        sim_host,
        '$b = [Convert]::FromBase64String("AQID+g==")\n'
        "Set-Content -Path C:\\Temp\\b.bin -Value $b -Encoding Byte\n"
        "[Convert]::ToBase64String((Get-Content C:\\Temp\\b.bin -Encoding Byte -Raw))",
    )
    assert blob.stdout.strip() == "AQID+g=="
    assert sim_host.real_path("C:\\Temp\\b.bin").read_bytes() == bytes([1, 2, 3, 250])
    removed = run_script(sim_host, "Get-ChildItem C:\\Temp\\x | Remove-Item\nTest-Path C:\\Temp\\x\\a.txt")
    assert (removed.stdout.strip(), removed.stderr) == ("False", "")


def test_script_missing_file_error_record(sim_host: Host) -> None:
    from simulator.ps.runner import run_script  # noqa: PLC0415 - the interpreter is another helper's module

    result = run_script(sim_host, "Get-Content C:\\nope.txt -ErrorAction Stop\n'not reached'")
    assert result.exit_code == 1
    assert "not reached" not in result.stdout
    assert "Cannot find path 'C:\\nope.txt' because it does not exist." in result.stderr
    assert "PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand" in result.stderr
