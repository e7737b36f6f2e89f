"""Account name matching, Basic checks, NTLM handshakes and the encryption framing, in process."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import spnego

from simulator.wsman import encryption
from simulator.wsman.auth import Account, Authenticator, write_ntlm_user_file

ACCOUNT = Account("Administrator", "Sim-Secret-Password-9a", "HYPER-V-PRIM")


@pytest.mark.parametrize(
    ("user", "accepted"),
    [("Administrator", True), ("administrator", True), (".\\Administrator", True),
     ("HYPER-V-PRIM\\Administrator", True), ("Administrator@hyper-v-prim", True),
     ("OTHER\\Administrator", False), ("Guest", False), ("", False)],
)
def test_account_name_forms(user: str, accepted: bool) -> None:
    assert ACCOUNT.matches(user) is accepted


def test_basic_needs_the_right_password_and_https() -> None:
    auth = Authenticator(ACCOUNT, allow_unencrypted=False)
    good = "Basic " + base64.b64encode(b".\\Administrator:Sim-Secret-Password-9a").decode()
    bad = "Basic " + base64.b64encode(b"Administrator:Sim-Secret-Password-9b").decode()
    assert auth.authenticate((1, "a", 2), good, secure=True).user == "Administrator"
    assert auth.authenticate((1, "a", 2), bad, secure=True).user is None
    assert auth.authenticate((1, "a", 2), good, secure=False).user is None  # AllowUnencrypted=false
    assert auth.authenticate((1, "a", 2), "Basic !!!", secure=True).user is None
    assert auth.offered_schemes(secure=False) == ["Negotiate"]


def _handshake(auth: Authenticator, key: tuple[int, str, int], password: str) -> tuple[object, str | None]:
    client = spnego.client("Administrator", password, hostname="host", protocol="ntlm")
    negotiate = client.step()
    assert negotiate is not None
    first = auth.authenticate(key, "Negotiate " + base64.b64encode(negotiate).decode(), secure=False)
    assert first.challenge
    authenticate = client.step(first.challenge)
    assert authenticate is not None
    second = auth.authenticate(key, "Negotiate " + base64.b64encode(authenticate).decode(), secure=False)
    return client, second.user


def test_ntlm_authenticates_the_connection_until_it_closes(tmp_path: Path) -> None:
    write_ntlm_user_file(tmp_path / "users", ACCOUNT)
    auth = Authenticator(ACCOUNT, allow_unencrypted=False)
    key = (5985, "127.0.0.1", 40000)
    client, user = _handshake(auth, key, ACCOUNT.password)
    assert user == "Administrator"
    decision = auth.authenticate(key, None, secure=False)  # later requests carry no header
    assert decision.user == "Administrator"
    plain = b"<s:Envelope>payload</s:Envelope>"
    wrapped = client.wrap_winrm(plain)  # type: ignore[attr-defined]
    body = (b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(plain)).encode()
            + b"\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n"
            + len(wrapped.header).to_bytes(4, "little") + wrapped.header + wrapped.data + b"--Encrypted Boundary--\r\n")
    assert encryption.decrypt(decision.context, body) == plain
    with pytest.raises(encryption.EncryptionError):
        encryption.decrypt(decision.context, body.replace(b"Length=", b"Length=1"))
    with pytest.raises(encryption.EncryptionError):
        encryption.decrypt(decision.context, b"--Encrypted Boundary\r\njunk")
    auth.forget(key)  # the connection closed
    assert auth.authenticate(key, None, secure=False).user is None


def test_ntlm_wrong_password_is_refused(tmp_path: Path) -> None:
    write_ntlm_user_file(tmp_path / "users", ACCOUNT)
    auth = Authenticator(ACCOUNT, allow_unencrypted=False)
    _, user = _handshake(auth, (5985, "127.0.0.1", 40001), "wrong")
    assert user is None
    assert (tmp_path / "users").stat().st_mode & 0o077 == 0
