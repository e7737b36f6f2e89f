"""The registry subsystem: seeded keys, the ``reg`` console command and the Registry provider."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.cmd.api import CmdCall, CmdResult
from simulator.core.errors import NotModelledError, SimError
from simulator.ps import api
from simulator.services import registry
from simulator.services.registry.provider import REGISTRY_PROVIDER
from simulator.services.registry.reg_command import reg
from tests.conftest import make_host
from tests.simulator.fake_session import FakeSession

REPLICATION = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"
REPLICATION_LONG = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"
TCPIP = r"HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"


def run_reg(host, *argv: str, stdin: str = "") -> CmdResult:
    """Run ``reg`` with already-split arguments."""
    return reg(CmdCall(host=host, argv=list(argv), raw_args=" ".join(argv), stdin=stdin))


def invocation(host, name: str = "Get-ItemProperty") -> api.Invocation:
    return api.Invocation(host=host, args={}, session=FakeSession(), name=name)


def provider_call(path: str) -> tuple[api.Provider, str]:
    provider, normalised = api.resolve_provider(path)
    assert provider is REGISTRY_PROVIDER
    return provider, normalised


class TestSeed:
    def test_os_version_follows_topology(self, tmp_path):
        """ProductName and CurrentBuild follow the topology's Windows Server version."""
        for os_version, product, build in (("2016", "2016", "14393"), ("2022", "2022", "20348")):
            host = make_host(tmp_path / os_version, {"name": "HV1", "os": os_version})
            out = run_reg(host, "query", r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "/v", "CurrentBuild")
            assert f"REG_SZ    {build}" in out.stdout
            name = run_reg(host, "query", r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "/v", "ProductName")
            assert f"Windows Server {product} Datacenter" in name.stdout

    def test_identity_values_from_topology(self, tmp_path):
        """Tcpip Hostname keeps the topology's casing; NV Domain holds the suffix ('' when none)."""
        host = make_host(tmp_path / "h", {"name": "Hyper-v-rep", "dns_suffix": "lab.local"})
        node = registry.tree(host).key(TCPIP.replace("HKLM:", "HKLM"))
        assert node["values"]["hostname"]["data"] == "Hyper-v-rep"
        assert node["values"]["nv domain"]["data"] == "lab.local"
        active = registry.tree(host).key(r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName")
        assert active["values"]["computername"]["data"] == "HYPER-V-REP"

    def test_replication_key_absent_until_created(self, sim_host):
        """Virtualization exists on a fresh host, its Replication subkey does not."""
        assert run_reg(sim_host, "query", REPLICATION.rsplit("\\", 1)[0]).exit_code == 0
        missing = run_reg(sim_host, "query", REPLICATION)
        assert missing.exit_code == 1
        assert missing.stderr == "ERROR: The system was unable to find the specified registry key or value.\r\n"


class TestRegCommand:
    def test_recipe_revocation_value(self, sim_host):
        """The recipe's literal reg add creates the key and value; reg query shows 0x1."""
        added = run_reg(sim_host, "add", REPLICATION, "/v", "DisableCertRevocationCheck", "/d", "1",
                        "/t", "REG_DWORD", "/f")
        assert (added.exit_code, added.stdout) == (0, "The operation completed successfully.\r\n\r\n")
        shown = run_reg(sim_host, "query", REPLICATION, "/v", "DisableCertRevocationCheck")
        assert shown.exit_code == 0
        assert shown.stdout == f"\r\n{REPLICATION_LONG}\r\n    DisableCertRevocationCheck    REG_DWORD    0x1\r\n\r\n"

    def test_state_survives_reopen(self, tmp_path):
        """A value written by reg is durable: reopening the host from disk still has it."""
        host = make_host(tmp_path / "h")
        run_reg(host, "add", REPLICATION, "/v", "X", "/t", "REG_QWORD", "/d", "0x10", "/f")
        reopened = type(host).open(tmp_path / "h")
        assert "REG_QWORD    0x10" in run_reg(reopened, "query", REPLICATION, "/v", "X").stdout

    def test_query_listing_shows_values_then_subkeys(self, sim_host):
        """reg query KEY lists the key's values, a blank line, then each subkey's full name."""
        run_reg(sim_host, "add", r"HKLM\SOFTWARE\T", "/v", "A", "/d", "text", "/f")
        run_reg(sim_host, "add", r"HKLM\SOFTWARE\T", "/v", "M", "/t", "REG_MULTI_SZ", "/d", r"a\0b", "/f")
        run_reg(sim_host, "add", r"HKLM\SOFTWARE\T", "/v", "B", "/t", "REG_BINARY", "/d", "0aff", "/f")
        run_reg(sim_host, "add", r"HKLM\SOFTWARE\T\Sub", "/f")
        out = run_reg(sim_host, "query", r"HKLM\SOFTWARE\T").stdout
        assert out == (
            "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\T\r\n"
            "    A    REG_SZ    text\r\n    M    REG_MULTI_SZ    a\\0b\r\n    B    REG_BINARY    0AFF\r\n"
            "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\T\\Sub\r\n"
        )

    def test_default_value(self, sim_host):
        """/ve reads '(value not set)' until the default value is written."""
        run_reg(sim_host, "add", r"HKLM\SOFTWARE\T", "/f")
        assert "(Default)    REG_SZ    (value not set)" in run_reg(sim_host, "query", r"HKLM\SOFTWARE\T", "/ve").stdout
        run_reg(sim_host, "add", r"HKLM\SOFTWARE\T", "/ve", "/d", "hello", "/f")
        assert "(Default)    REG_SZ    hello" in run_reg(sim_host, "query", r"HKLM\SOFTWARE\T", "/ve").stdout

    def test_overwrite_without_f_is_cancelled(self, sim_host):
        """Without /f and nothing piped in, the overwrite prompt answers No: nothing changes."""
        run_reg(sim_host, "add", REPLICATION, "/v", "V", "/t", "REG_DWORD", "/d", "1", "/f")
        refused = run_reg(sim_host, "add", REPLICATION, "/v", "V", "/t", "REG_DWORD", "/d", "2")
        assert refused.exit_code == 1
        assert refused.stdout.startswith("Value V exists, overwrite(Yes/No)? ")
        assert "0x1" in run_reg(sim_host, "query", REPLICATION, "/v", "V").stdout
        accepted = run_reg(sim_host, "add", REPLICATION, "/v", "V", "/t", "REG_DWORD", "/d", "2", stdin="y\r\n")
        assert accepted.exit_code == 0
        assert "0x2" in run_reg(sim_host, "query", REPLICATION, "/v", "V").stdout

    def test_delete_value_and_key(self, sim_host):
        """reg delete /v removes one value, reg delete KEY /f the whole key."""
        run_reg(sim_host, "add", REPLICATION, "/v", "V", "/d", "x", "/f")
        assert run_reg(sim_host, "delete", REPLICATION, "/v", "V").exit_code == 1  # prompt, answered No
        assert run_reg(sim_host, "delete", REPLICATION, "/v", "V", "/f").exit_code == 0
        assert run_reg(sim_host, "query", REPLICATION, "/v", "V").exit_code == 1
        assert run_reg(sim_host, "delete", REPLICATION, "/f").exit_code == 0
        assert run_reg(sim_host, "query", REPLICATION).exit_code == 1
        assert run_reg(sim_host, "delete", REPLICATION, "/f").stderr.startswith("ERROR: The system was unable")

    @pytest.mark.parametrize(
        "argv",
        [
            ("add",),
            ("add", REPLICATION, "/v"),
            ("add", REPLICATION, "/v", "a", "/ve"),
            ("add", REPLICATION, "/x"),
            ("add", REPLICATION, "/t", "REG_DWORD", "/d", "abc", "/f"),
            ("add", REPLICATION, "/t", "REG_WHATEVER", "/f"),
            ("query", REPLICATION, "extra", "/f"),
            ("delete", REPLICATION, "/v", "a", "/va"),
        ],
    )
    def test_invalid_syntax(self, sim_host, argv):
        """Malformed command lines get reg's 'Invalid syntax' with a usage hint, exit 1, no change."""
        result = run_reg(sim_host, *argv)
        assert result.exit_code == 1
        assert result.stderr.startswith("ERROR: Invalid syntax.\r\nType \"REG ")
        assert run_reg(sim_host, "query", REPLICATION).exit_code == 1

    def test_other_hives_not_modelled(self, sim_host):
        """HKCU is a real hive the simulator does not model: a loud error, exit 1."""
        result = run_reg(sim_host, "add", r"HKCU\Software\X", "/f")
        assert result.exit_code == 1
        assert "not modelled by the simulator" in result.stderr
        assert run_reg(sim_host, "query", r"NOPE\X").stderr.startswith("ERROR: Invalid key name.")

    def test_long_root_name_and_case(self, sim_host):
        """HKEY_LOCAL_MACHINE and any letter case name the same key."""
        run_reg(sim_host, "add", r"HKEY_LOCAL_MACHINE\SOFTWARE\Foo", "/v", "Bar", "/d", "1", "/f")
        assert "Bar    REG_SZ    1" in run_reg(sim_host, "query", r"hklm\software\FOO", "/v", "bar").stdout


# --------------------------------------------------------------------- property-based model check
names = st.sampled_from(["A", "a", "B", "Long Name"])
keys = st.sampled_from([r"HKLM\SOFTWARE\P", r"HKLM\SOFTWARE\P\Q", r"HKLM\SOFTWARE\p\q\R"])
operations = st.one_of(
    st.tuples(st.just("add"), keys, names, st.integers(0, 2**32 - 1)),
    st.tuples(st.just("delete_value"), keys, names, st.just(0)),
    st.tuples(st.just("delete_key"), keys, names, st.just(0)),
)


@given(st.lists(operations, max_size=12))
def test_reg_agrees_with_dict_model(tmp_path_factory, ops):
    """Any sequence of reg add / reg delete leaves the same values a case-insensitive dict model has."""
    host = make_host(tmp_path_factory.mktemp("h"))
    model: dict[str, dict[str, int]] = {}

    def under(key: str) -> list[str]:
        return [k for k in model if k == key.lower() or k.startswith(key.lower() + "\\")]

    for op, key, name, data in ops:
        if op == "add":
            result = run_reg(host, "add", key, "/v", name, "/t", "REG_DWORD", "/d", str(data), "/f")
            parts = key.lower().split("\\")
            for depth in range(3, len(parts) + 1):
                model.setdefault("\\".join(parts[:depth]), {})
            model[key.lower()][name.lower()] = data
            assert result.exit_code == 0
        elif op == "delete_value":
            result = run_reg(host, "delete", key, "/v", name, "/f")
            expected_ok = key.lower() in model and name.lower() in model[key.lower()]
            assert result.exit_code == (0 if expected_ok else 1)
            if expected_ok:
                del model[key.lower()][name.lower()]
        else:
            result = run_reg(host, "delete", key, "/f")
            assert result.exit_code == (0 if key.lower() in model else 1)
            for k in under(key):
                del model[k]
    for key in (r"HKLM\SOFTWARE\P", r"HKLM\SOFTWARE\P\Q", r"HKLM\SOFTWARE\P\Q\R"):
        listing = run_reg(host, "query", key)
        assert (listing.exit_code == 0) == (key.lower() in model)
        for name in ("A", "B", "Long Name"):
            shown = run_reg(host, "query", key, "/v", name)
            expected = model.get(key.lower(), {}).get(name.lower())
            if expected is None:
                assert shown.exit_code == 1
            else:
                assert f"REG_DWORD    0x{expected:x}\r\n" in shown.stdout


# --------------------------------------------------------------------- the Registry provider
class TestProvider:
    def test_path_forms_resolve_to_the_same_key(self, sim_host):
        """HKLM:\\, Registry::HKEY_LOCAL_MACHINE\\ and the provider-qualified form all find the key."""
        for path in (TCPIP, r"Registry::HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters",
                     "Microsoft.PowerShell.Core\\Registry::HKLM/SYSTEM/CurrentControlSet/Services/Tcpip/Parameters/"):
            provider, normalised = provider_call(path)
            assert provider.exists(invocation(sim_host), normalised)
            [item] = provider.get_item(invocation(sim_host), normalised)
            assert item.get("Name") == r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
            assert "NV Domain" in item.get("Property")

    def test_get_item_property_values_and_paths(self, sim_host):
        """Get-ItemProperty gives the values (DWORD as signed Int32, EXPAND_SZ expanded) and PS* paths."""
        provider, path = provider_call(TCPIP)
        inv = invocation(sim_host, "Set-ItemProperty")
        provider.set_item_property(inv, path, "Big", 0xFFFFFFFF, "DWord", create=False, force=False)
        [props] = provider.get_item_property(invocation(sim_host), path, None)
        assert props.get("Hostname") == "Hyper-v-prim"
        assert props.get("Big") == -1
        assert props.get("DataBasePath") == r"C:\Windows\System32\drivers\etc"
        assert props.get("PSPath") == ("Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SYSTEM\\"
                                       "CurrentControlSet\\Services\\Tcpip\\Parameters")
        assert props.get("PSChildName") == "Parameters"
        assert props.get("PSParentPath").endswith(r"Services\Tcpip")
        assert str(props.get("PSProvider").text()) == "Microsoft.PowerShell.Core\\Registry"

    def test_missing_path_error(self, sim_host):
        """A missing key: "Cannot find path … because it does not exist." with PathNotFound."""
        provider, path = provider_call(r"HKLM:\X")
        with pytest.raises(SimError) as caught:
            provider.get_item_property(invocation(sim_host, "Get-ItemProperty"), path, None)
        assert caught.value.message == r"Cannot find path 'HKLM:\X' because it does not exist."
        assert caught.value.fully_qualified_error_id.startswith("PathNotFound,Microsoft.PowerShell.Commands.")
        assert caught.value.exception_type == "System.Management.Automation.ItemNotFoundException"
        assert not provider.exists(invocation(sim_host), path)

    def test_missing_property_is_non_terminating_error(self, sim_host):
        """-Name of a value that does not exist writes "Property … does not exist at path …"."""
        provider, path = provider_call(TCPIP)
        inv = invocation(sim_host)
        assert provider.get_item_property(inv, path, ["Nope"]) == []
        [error] = inv.session.errors  # type: ignore[attr-defined]
        assert error.message.startswith("Property Nope does not exist at path HKEY_LOCAL_MACHINE\\SYSTEM")
        [only] = provider.get_item_property(invocation(sim_host), path, ["NV *"])
        assert set(only.names()) >= {"NV Hostname", "NV Domain"}
        assert not only.has("Hostname")

    def test_set_item_property_sets_nv_domain(self, sim_host):
        """The fact sheet's Set-ItemProperty "NV Domain" keeps REG_SZ and shows in reg query."""
        provider, path = provider_call(TCPIP)
        provider.set_item_property(invocation(sim_host, "Set-ItemProperty"), path, "NV Domain", "lab.local",
                                   None, create=False, force=False)
        out = run_reg(sim_host, "query", TCPIP.replace("HKLM:", "HKLM"), "/v", "NV Domain").stdout
        assert "NV Domain    REG_SZ    lab.local" in out

    def test_set_keeps_existing_kind_and_infers_new(self, sim_host):
        """Without -Type an existing DWORD stays DWORD ('7' -> 7); a new int becomes DWORD, a str REG_SZ."""
        provider, path = provider_call(r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System")
        inv = invocation(sim_host, "Set-ItemProperty")
        provider.set_item_property(inv, path, "EnableLUA", "7", None, create=False, force=False)
        provider.set_item_property(inv, path, "NewInt", 3, None, create=False, force=False)
        provider.set_item_property(inv, path, "NewText", "3", None, create=False, force=False)
        query = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System"
        assert "EnableLUA    REG_DWORD    0x7" in run_reg(sim_host, "query", query, "/v", "EnableLUA").stdout
        assert "NewInt    REG_DWORD    0x3" in run_reg(sim_host, "query", query, "/v", "NewInt").stdout
        assert "NewText    REG_SZ    3" in run_reg(sim_host, "query", query, "/v", "NewText").stdout

    def test_new_item_property_refuses_existing(self, sim_host):
        """New-ItemProperty on an existing value: "The property already exists." unless -Force."""
        provider, path = provider_call(r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System")
        inv = invocation(sim_host, "New-ItemProperty")
        made = provider.set_item_property(inv, path, "LocalAccountTokenFilterPolicy", 1, "DWord",
                                          create=True, force=False)
        assert made.get("LocalAccountTokenFilterPolicy") == 1
        with pytest.raises(SimError) as caught:
            provider.set_item_property(inv, path, "LocalAccountTokenFilterPolicy", 0, "DWord",
                                       create=True, force=False)
        assert caught.value.message == "The property already exists."
        assert caught.value.fully_qualified_error_id == (
            "System.IO.IOException,Microsoft.PowerShell.Commands.NewItemPropertyCommand")
        provider.set_item_property(inv, path, "LocalAccountTokenFilterPolicy", 0, "DWord", create=True, force=True)
        [props] = provider.get_item_property(invocation(sim_host), path, ["LocalAccountTokenFilterPolicy"])
        assert props.get("LocalAccountTokenFilterPolicy") == 0

    def test_new_item_and_remove(self, sim_host):
        """New-Item -Force creates parents; without -Force an existing key is an error; Remove-Item deletes."""
        provider, path = provider_call(REPLICATION.replace("HKLM", "HKLM:") + r"\Deep\Er")
        inv = invocation(sim_host, "New-Item")
        with pytest.raises(SimError) as info:
            provider.new_item(inv, path, None, None, force=False)
        assert info.value.fully_qualified_error_id == "PathNotFound,Microsoft.PowerShell.Commands.NewItemCommand"
        assert r"Replication\Deep' because it does not exist." in info.value.message  # the missing parent
        key = provider.new_item(inv, path, None, "dflt", force=True)
        assert key.get("Name").endswith(r"Replication\Deep\Er")
        with pytest.raises(SimError, match=r"A key at this path already exists\."):
            provider.new_item(inv, path, None, None, force=False)
        assert "(Default)    REG_SZ    dflt" in run_reg(sim_host, "query", REPLICATION + r"\Deep\Er", "/ve").stdout
        top, top_path = provider_call(REPLICATION.replace("HKLM", "HKLM:"))
        with pytest.raises(SimError) as children:
            top.remove_item(invocation(sim_host, "Remove-Item"), top_path, recurse=False, force=False)
        assert "has children and the Recurse parameter was not specified" in children.value.message
        assert "NonInteractive mode" in children.value.message  # a remote session cannot answer the prompt
        top.remove_item(invocation(sim_host, "Remove-Item"), top_path, recurse=True, force=False)
        assert not top.exists(invocation(sim_host), top_path)

    def test_child_items(self, sim_host):
        """Get-ChildItem lists direct subkeys; -Recurse all descendants."""
        provider, path = provider_call(r"HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName")
        direct = provider.get_child_items(invocation(sim_host), path, recurse=False)
        assert [k.get("PSChildName") for k in direct] == ["ActiveComputerName", "ComputerName"]
        everything = provider.get_child_items(invocation(sim_host), r"HKLM:\SYSTEM\CurrentControlSet", recurse=True)
        assert len(everything) > len(direct)

    def test_remove_item_property_and_key_methods(self, sim_host):
        """Remove-ItemProperty deletes; the key object's methods read the live key."""
        provider, path = provider_call(TCPIP)
        [key] = provider.get_item(invocation(sim_host), path)
        assert key.methods["getvalue"]("NV Hostname") == "Hyper-v-prim"
        assert str(key.methods["getvaluekind"]("EnableICMPRedirect")) == "DWord"
        provider.remove_item_property(invocation(sim_host, "Remove-ItemProperty"), path, "EnableICMPRedirect")
        assert key.methods["getvalue"]("EnableICMPRedirect") is None
        with pytest.raises(SimError, match="Property EnableICMPRedirect does not exist"):
            provider.remove_item_property(invocation(sim_host, "Remove-ItemProperty"), path, "EnableICMPRedirect")

    def test_not_modelled(self, sim_host):
        """HKCU: and wildcards in registry paths fail loudly."""
        provider, path = provider_call(r"HKCU:\Software")
        with pytest.raises(NotModelledError, match=r"^not modelled.*HKEY_CURRENT_USER registry hive"):
            provider.exists(invocation(sim_host), path)
        with pytest.raises(NotModelledError, match=r"^not modelled.*wildcards in registry paths"):
            provider.get_item(invocation(sim_host), provider.normalise(r"HKLM:\SOFTWARE\*"))

    def test_bad_dword_value(self, sim_host):
        """A DWord that is not a number is refused and nothing is written."""
        provider, path = provider_call(TCPIP)
        with pytest.raises(SimError, match="Cannot convert value"):
            provider.set_item_property(invocation(sim_host, "Set-ItemProperty"), path, "X", "abc", "DWord",
                                       create=False, force=False)
        assert run_reg(sim_host, "query", TCPIP.replace("HKLM:", "HKLM"), "/v", "X").exit_code == 1


# --------------------------------------------------------------------- through the cmd.exe layer
class TestThroughCmdExe:
    def test_recipe_line_verbatim(self, sim_host):
        """The fact sheet's reg line, quoted as written, run by the simulated cmd.exe, then queried."""
        from simulator.cmd.cmdline import ShellContext  # noqa: PLC0415 - built by another helper; import late
        from simulator.cmd.execute import run_command_line  # noqa: PLC0415 - same

        context = ShellContext(host=sim_host, env={})
        line = (r'reg add "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication" '
                r"/v DisableCertRevocationCheck /d 1 /t REG_DWORD /f && reg query "
                r'"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"')
        outcome = run_command_line(context, line)
        assert outcome.exit_code == 0, outcome.stderr
        text = outcome.stdout.decode("cp437")
        assert text.startswith("The operation completed successfully.\r\n")
        assert "    DisableCertRevocationCheck    REG_DWORD    0x1\r\n" in text

    def test_piped_yes_answers_the_prompt(self, sim_host):
        """``echo y | reg delete KEY`` confirms the deletion prompt."""
        from simulator.cmd.cmdline import ShellContext  # noqa: PLC0415 - built by another helper; import late
        from simulator.cmd.execute import run_command_line  # noqa: PLC0415 - same

        context = ShellContext(host=sim_host, env={})
        run_command_line(context, rf'reg add "{REPLICATION}" /f')
        outcome = run_command_line(context, rf'echo y| reg delete "{REPLICATION}"')
        assert outcome.exit_code == 0, outcome.stderr
        assert run_reg(sim_host, "query", REPLICATION).exit_code == 1


# --------------------------------------------------------------------- over WinRM (a real host process)
@pytest.mark.slow
def test_recipe_over_winrm(tmp_path):
    """pywinrm's run_cmd against a started host: reg add, reg query, hostname and ipconfig /all."""
    import winrm  # noqa: PLC0415 - third-party client, only for this test

    from simulator.launcher import start_host  # noqa: PLC0415 - built by another helper; import late

    topology = {"name": "Hyper-v-prim", "os": "2016", "dns_suffix": "lab.local", "address": "192.168.101.209"}
    with start_host(tmp_path / "host", "Hyper-v-prim", topology=topology) as host:
        session = winrm.Session(host.info["winrm"]["https_url"], auth=(host.info["username"], host.info["password"]),
                                transport="ssl", ca_trust_path=host.info["ca_bundle"])
        added = session.run_cmd("reg", ["add", f'"{REPLICATION}"', "/v", "DisableCertRevocationCheck",
                                        "/d", "1", "/t", "REG_DWORD", "/f"])
        assert added.status_code == 0, added.std_err
        queried = session.run_cmd("reg", ["query", f'"{REPLICATION}"', "/v", "DisableCertRevocationCheck"])
        assert b"    DisableCertRevocationCheck    REG_DWORD    0x1\r\n" in queried.std_out
        assert session.run_cmd("hostname").std_out == b"Hyper-v-prim\r\n"
        assert b"Primary Dns Suffix  . . . . . . . : lab.local\r\n" in session.run_cmd("ipconfig", ["/all"]).std_out
        missing = session.run_cmd("reg", ["query", r"HKLM\SOFTWARE\Nope"])
        assert missing.status_code == 1
        assert missing.std_err.startswith(b"ERROR: The system was unable to find")


# --------------------------------------------------------------------- through the PowerShell interpreter
class TestThroughPowerShell:
    """The recipe's registry steps as scripts, run by the simulator's PowerShell (run_script)."""

    @staticmethod
    def ps(host, script: str):
        from simulator.ps.runner import run_script  # noqa: PLC0415 - built by another helper; import late

        return run_script(host, script)

    def test_suffix_and_revocation_steps(self, sim_host):
        """Set-ItemProperty NV Domain, New-Item -Force + New-ItemProperty DWORD; reg query sees both."""
        result = self.ps(sim_host, (
            f'Set-ItemProperty "{TCPIP}" -Name "NV Domain" -Value "lab.local"\n'
            'New-Item "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Replication" -Force '
            "| Out-Null\n"
            'New-ItemProperty "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Replication" '
            "-Name DisableCertRevocationCheck -Value 1 -PropertyType DWord -Force | Out-Null\n"
            'Get-ItemPropertyValue "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\'
            'Replication" -Name DisableCertRevocationCheck\n'
        ))
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "1\r\n"
        assert "0x1" in run_reg(sim_host, "query", REPLICATION, "/v", "DisableCertRevocationCheck").stdout
        assert "lab.local" in run_reg(sim_host, "query", TCPIP.replace("HKLM:", "HKLM"), "/v", "NV Domain").stdout

    def test_errors_reach_the_script(self, sim_host):
        """A missing key and an existing property surface with Windows' FullyQualifiedErrorIds in catch."""
        result = self.ps(sim_host, (
            "try { Get-ItemProperty HKLM:\\X -ErrorAction Stop } catch { $_.FullyQualifiedErrorId }\n"
            f'try {{ New-ItemProperty "{TCPIP}" -Name Hostname -Value x -ErrorAction Stop }} '
            "catch { $_.Exception.Message }\n"
            f'(Test-Path "{TCPIP}"), (Test-Path "{TCPIP}\\Nope")\n'
        ))
        assert result.stdout.split("\r\n")[:4] == [
            "PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand",
            "The property already exists.",
            "True",
            "False",
        ]


def test_new_item_force_wipes_existing_key(sim_host):
    """As on Windows (PowerShell issue #5444), New-Item -Force on an existing key re-creates it empty."""
    run_reg(sim_host, "add", REPLICATION, "/v", "DisableCertRevocationCheck", "/t", "REG_DWORD", "/d", "1", "/f")
    provider, path = provider_call(REPLICATION.replace("HKLM", "HKLM:"))
    provider.new_item(invocation(sim_host, "New-Item"), path, None, None, force=True)
    assert run_reg(sim_host, "query", REPLICATION).exit_code == 0
    assert run_reg(sim_host, "query", REPLICATION, "/v", "DisableCertRevocationCheck").exit_code == 1


kinds_and_values = st.one_of(
    st.tuples(st.just("DWord"), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just("QWord"), st.integers(-(2**63), 2**63 - 1)),
    st.tuples(st.just("String"), st.text(st.characters(codec="ascii", exclude_characters="\0\r\n"), max_size=12)),
    st.tuples(st.just("MultiString"), st.lists(st.text(st.characters(codec="ascii", exclude_characters="\0"),
                                                        min_size=1, max_size=5), max_size=3)),
    st.tuples(st.just("Binary"), st.binary(max_size=8)),
)
REG_TYPES = {"DWord": "REG_DWORD", "QWord": "REG_QWORD", "String": "REG_SZ", "MultiString": "REG_MULTI_SZ",
             "Binary": "REG_BINARY"}


@given(kinds_and_values)
def test_provider_round_trip_and_reg_view(tmp_path_factory, kind_and_value):
    """Whatever Set-ItemProperty -Type writes, Get-ItemProperty reads back unchanged and reg shows its type."""
    kind, value = kind_and_value
    host = make_host(tmp_path_factory.mktemp("h"))
    provider, path = provider_call(r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization")
    provider.set_item_property(invocation(host, "Set-ItemProperty"), path, "V", value, kind, create=False, force=False)
    [props] = provider.get_item_property(invocation(host), path, ["V"])
    assert props.get("V") == value
    shown = run_reg(host, "query", r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization", "/v", "V")
    assert f"    V    {REG_TYPES[kind]}    " in shown.stdout


@pytest.mark.parametrize(("argv", "what"), [
    (("query", REPLICATION, "/f", "x"), "reg query /f"),
    (("add", REPLICATION, "/reg:32", "/f"), "/reg:32"),
    (("export", REPLICATION, "x.reg"), "reg export"),
    (("add", r"\\other\HKLM\SOFTWARE\X", "/f"), "remote registry keys"),
])
def test_real_but_unmodelled_reg_forms(sim_host, argv, what):
    """Real reg.exe features the simulator does not model fail loudly with exit code 1."""
    result = run_reg(sim_host, *argv)
    assert result.exit_code == 1
    assert result.stderr.startswith("ERROR: not modelled by the simulator:")
    assert what in result.stderr
