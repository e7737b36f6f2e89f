"""Issue 2: hundreds of generated bad PowerShell scripts, sent through WinRM, each end in a PowerShell error.

Never a 500 or a Python traceback, never a changed host state (``/_sim/state`` before and after). The
generators build scripts that cannot succeed: recipe lines cut inside a quoted string, recipe lines in an
unclosed block, unknown cmdlets with recipe arguments, recipe cmdlets given a value of the wrong type, and
token soup wrapped so that it cannot parse. Plain token soup from read-only words may also succeed; it is
only required not to crash the host or change it.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.launcher import RunningHost
from tests.acceptance.support import CLIENT_MODES, Remote, error_records, error_text, state_of

RECIPE_LINES = [
    'New-SelfSignedCertificate -DnsName "Hyper-v-prim.test.net" -CertStoreLocation "cert:\\LocalMachine\\My" '
    "-TestRoot",
    'Enable-NetFirewallRule -DisplayName "Hyper-V Replica HTTPS Listener (TCP-In)"',
    'Set-ItemProperty -Path "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters" -Name "NV Domain" '
    '-Value "test.net"',
    'Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Certificate '
    '-CertificateAuthenticationPort 443 -ReplicationAllowedFromAnyServer $false -CertificateThumbprint "ABCDEF"',
    'New-VMReplicationAuthorizationEntry -AllowedPrimaryServer "Hyper-v-prim.test.net" '
    '-ReplicaStorageLocation "D:\\Replica" -TrustGroup "grp"',
    'Rename-Computer -NewName "Hyper-v-one" -Force',
    'Add-Content -Path "C:\\Windows\\System32\\drivers\\etc\\hosts" -Value "192.168.101.213 x.test.net"',
]
# (template, what the parameter wants): a letters-only value starting with "zz" fits none of these types
WRONG_TYPES = [
    "Set-VMReplicationServer -CertificateAuthenticationPort {v}",
    "Set-VMReplicationServer -ReplicationEnabled {v}",
    'New-SelfSignedCertificate -DnsName "x.test.net" -CertStoreLocation "cert:\\LocalMachine\\My" -NotAfter {v}',
    "Enable-VMReplication -VMName VM01 -ReplicaServerName x.test.net -ReplicaServerPort {v} "
    "-AuthenticationType Certificate",
    "Set-VMReplication -VMName VM01 -ReplicationFrequencySec {v}",
    "Set-ItemProperty -Path HKLM:\\SOFTWARE -Name x -Value 1 -Type {v}",
    "New-NetFirewallRule -DisplayName x -Direction Inbound -Protocol TCP -LocalPort 443 -Action {v}",
    "Start-Sleep -Seconds {v}",
]
READ_ONLY_WORDS = ["Get-Item", "Get-ChildItem", "Write-Output", "Select-Object", "Where-Object", "ConvertTo-Json",
                   "Get-VM", "Get-NetFirewallRule", "Get-ItemProperty", "Resolve-DnsName", "cert:\\LocalMachine\\My",
                   "C:\\", "HKLM:\\SOFTWARE", "-Name", "-Path", "-Property", "-eq", "-like", "-and", "-not", "+",
                   "*", "=", "$x", "$_", "$null", "$true", "1", "42", "'a'", '"b"', "@(", "@{", "(", ")", "{", "}",
                   "[", "]", "[int]", "|", ";", ",", ".", "::", "%", "?", "`", "#", "<#", "if", "else", "try",
                   "catch", "function", "param", "return", "-ErrorAction", "Stop", "SilentlyContinue"]
# a comment or a line continuation would swallow the unterminated string that makes soup unparsable
NO_COMMENT_WORDS = [w for w in READ_ONLY_WORDS if w not in ("#", "<#", "`")]
WORD = st.text(string.ascii_letters, min_size=1, max_size=12)


@st.composite
def cut_inside_quotes(draw: st.DrawFn) -> str:
    """A recipe line cut right after an opening quote or inside a quoted string: the string never ends."""
    line = draw(st.sampled_from(RECIPE_LINES))
    opening = [i for i, ch in enumerate(line) if ch == '"'][::2]
    start = draw(st.sampled_from(opening))
    end_of_string = line.index('"', start + 1)
    return line[: draw(st.integers(start + 1, end_of_string))]


@st.composite
def unclosed_block(draw: st.DrawFn) -> str:
    """A recipe line inside a block or sub-expression that is never closed."""
    line = draw(st.sampled_from(RECIPE_LINES))
    opener = draw(st.sampled_from(["if ($true) {", "try {", "foreach ($i in 1) {", "& {", "$(", "@(", "function f {"]))
    return f"{opener} {line}"


@st.composite
def unknown_cmdlet(draw: st.DrawFn) -> str:
    """A made-up ``Verb-Zz…`` cmdlet with the arguments of a recipe line."""
    verb = draw(st.sampled_from(["Get", "Set", "New", "Enable", "Remove", "Invoke"]))
    noun = "Zz" + draw(WORD)
    arguments = draw(st.sampled_from(RECIPE_LINES)).split(" ", 1)[1]
    return f"{verb}-{noun} {arguments}"


@st.composite
def wrong_parameter_type(draw: st.DrawFn) -> str:
    """A recipe cmdlet given a word where it needs a number, a boolean, a date or an enum value."""
    return draw(st.sampled_from(WRONG_TYPES)).format(v="zz" + draw(WORD))


@st.composite
def unparsable_soup(draw: st.DrawFn) -> str:
    """Random tokens followed by an unterminated string: the parser must refuse the whole script."""
    tokens = draw(st.lists(st.sampled_from(NO_COMMENT_WORDS) | WORD, min_size=1, max_size=15))
    return " ".join(tokens) + " '" + draw(WORD)


SURELY_FAILING = cut_inside_quotes() | unclosed_block() | unknown_cmdlet() | wrong_parameter_type() | unparsable_soup()
SOUP = st.lists(st.sampled_from(READ_ONLY_WORDS) | WORD, min_size=1, max_size=20).map(" ".join)
CLIENT = st.sampled_from(CLIENT_MODES)
SETTINGS = settings(max_examples=160, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _run(host: RunningHost, mode: tuple[str, str, bool], script: str, cache: dict[Any, Remote]) -> Any:
    if mode not in cache:
        cache[mode] = Remote(host, *mode)
    done = cache[mode].ps(script)
    shown = error_text(done.stderr)
    assert "Traceback" not in shown and "Traceback" not in done.stdout, script
    assert "Internal Server Error" not in shown, script
    return done


@pytest.mark.slow
def test_bad_scripts_end_in_a_powershell_error_and_change_nothing(host: RunningHost) -> None:
    cache: dict[Any, Remote] = {}
    before = state_of(host)

    @SETTINGS
    @given(script=SURELY_FAILING, mode=CLIENT)
    def check(script: str, mode: tuple[str, str, bool]) -> None:
        done = _run(host, mode, script, cache)
        assert done.code != 0, f"{script!r} succeeded"
        assert error_records(done.stderr), script
        assert "FullyQualifiedErrorId" in error_text(done.stderr), script

    check()
    assert state_of(host) == before


@pytest.mark.slow
def test_token_soup_never_crashes_or_changes_the_host(host: RunningHost) -> None:
    cache: dict[Any, Remote] = {}
    before = state_of(host)

    @settings(SETTINGS, max_examples=80)
    @given(script=SOUP, mode=CLIENT)
    def check(script: str, mode: tuple[str, str, bool]) -> None:
        done = _run(host, mode, script, cache)
        assert isinstance(done.code, int)
        if done.code != 0:
            assert "FullyQualifiedErrorId" in error_text(done.stderr), script

    check()
    assert state_of(host) == before


CMD_WORDS = ["hostname", "ipconfig", "/all", "reg", "query", "HKLM\\SOFTWARE", "/v", "/s", "netsh", "advfirewall",
             "firewall", "show", "rule", "name=all", "dir=in", "find", "/c", "/i", '"Hyper-V "', "type",
             "C:\\Windows\\System32\\drivers\\etc\\hosts", "echo", "set", "ver", "%COMPUTERNAME%", "%NOPE%", "&",
             "&&", "||", "|", "^", '"', "(", ")", "<", "nul", "cmd", "/c", "powershell", "-Command", "Get-VM", "x"]
CMD_SOUP = st.lists(st.sampled_from(CMD_WORDS) | WORD, min_size=1, max_size=12).map(" ".join)


@pytest.mark.slow
def test_cmd_soup_never_crashes_or_changes_the_host(host: RunningHost) -> None:
    """Random cmd.exe lines from read-only commands and cmd's operators (no output redirection)."""
    cache: dict[Any, Remote] = {}
    before = state_of(host)

    @settings(SETTINGS, max_examples=50)
    @given(line=CMD_SOUP, mode=CLIENT)
    def check(line: str, mode: tuple[str, str, bool]) -> None:
        if mode not in cache:
            cache[mode] = Remote(host, *mode)
        done = cache[mode].cmd(line)
        assert isinstance(done.code, int)
        assert "Traceback" not in done.stdout + done.stderr, line

    check()
    assert state_of(host) == before
