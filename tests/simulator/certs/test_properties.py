"""Property tests: any list of DNS names and any validity window give the certificate asked for."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import SimError
from simulator.ps.runner import run_script
from simulator.services.certs import issue, store
from simulator.services.certs.views import dns_name_objects
from tests.conftest import make_host

from .helpers import call

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
DNS_NAME = st.lists(LABEL, min_size=2, max_size=4).map(".".join)
START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@given(
    names=st.lists(DNS_NAME, min_size=1, max_size=5, unique=True),
    offset_days=st.integers(min_value=-400, max_value=400),
    length_days=st.integers(min_value=1, max_value=3650),
)
def test_issued_certificate_carries_names_and_validity(names: list[str], offset_days: int, length_days: int) -> None:
    not_before = START + dt.timedelta(days=offset_days)
    request = issue.CertRequest(
        subject=issue.parse_subject(names[0]),
        not_before=not_before,
        not_after=not_before + dt.timedelta(days=length_days),
        dns_names=names,
        key_algorithm="ECDSA_nistP256",  # fast keys; RSA is covered by the cmdlet tests
        ekus=[store.CLIENT_AUTH, store.SERVER_AUTH],
    )
    cert, key = issue.issue(request)
    assert issue.format_name(cert.subject) == f"CN={names[0]}"
    assert store.dns_names(cert) == names
    assert [o.text() for o in dns_name_objects(cert)] == names
    assert cert.not_valid_before_utc == not_before
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == length_days
    entry = store.CertEntry(store.thumbprint_of(cert), cert, key)
    inside = not_before + dt.timedelta(days=length_days / 2)
    assert store.usable_for_replication(entry, inside) == []
    assert store.usable_for_replication(entry, not_before - dt.timedelta(seconds=1)) == [
        "the certificate is not yet valid"
    ]
    after = not_before + dt.timedelta(days=length_days, seconds=1)
    assert store.usable_for_replication(entry, after) == ["the certificate has expired"]


SUBJECT_ATTRS = st.sampled_from(["CN", "OU", "O", "L", "S"])
SUBJECT_VALUE = (
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters=',;"=+<>#\\'),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.lists(st.tuples(SUBJECT_ATTRS, SUBJECT_VALUE), min_size=1, max_size=4))
def test_subject_strings_round_trip_in_windows_order(parts: list[tuple[str, str]]) -> None:
    text = ", ".join(f"{k}={v}" for k, v in parts)
    name = issue.parse_subject(text)
    assert issue.format_name(name) == text
    assert isinstance(name, x509.Name)


@pytest.mark.parametrize("text", ["C=USA", "XX=1", "CN=a, =b"])
def test_malformed_subjects_are_refused_as_certenroll_does(text: str) -> None:
    with pytest.raises(issue.RequestError, match="CRYPT_E_INVALID_X500_STRING"):
        issue.parse_subject(text)


@pytest.mark.slow
@given(names=st.lists(DNS_NAME, min_size=1, max_size=4, unique=True), days=st.integers(min_value=1, max_value=3650))
def test_new_self_signed_certificate_for_any_names_and_lifetime(names: list[str], days: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        host = make_host(Path(folder) / "host")
        not_after = host.clock.now() + dt.timedelta(days=days)
        (obj,) = call(
            host,
            "New-SelfSignedCertificate",
            DnsName=names,
            NotAfter=not_after,
            KeyAlgorithm="ECDSA_nistP256",
            CertStoreLocation="Cert:\\LocalMachine\\My",
        )
        entry = store.find_certificate(host, obj.get("Thumbprint"))
        assert entry is not None
        cert = entry.certificate
        assert obj.get("Subject") == f"CN={names[0]}"
        assert store.dns_names(cert) == names
        assert [d.text() for d in obj.get("DnsNameList")] == names
        assert cert.not_valid_after_utc == not_after.replace(microsecond=0)
        assert store.usable_for_replication(entry, host.clock.now()) == []
        assert store.usable_for_replication(entry, not_after + dt.timedelta(seconds=1)) == [
            "the certificate has expired"
        ]


TEXT = st.text(max_size=30)


@pytest.mark.slow
@given(
    subject=st.one_of(st.none(), TEXT),
    names=st.lists(TEXT, max_size=3),
    extensions=st.lists(
        st.one_of(
            TEXT,
            TEXT.map(lambda t: "2.5.29.17={text}" + t),
            TEXT.map(lambda t: "2.5.29.37={text}" + t),
            TEXT.map(lambda t: "2.5.29.19={text}" + t),
        ),
        max_size=2,
    ),
    serial=st.one_of(st.none(), TEXT),
)
def test_any_arguments_give_a_certificate_or_a_windows_error(
    subject: str | None, names: list[str], extensions: list[str], serial: str | None
) -> None:
    args: dict[str, Any] = {"DnsName": names, "TextExtension": extensions, "KeyAlgorithm": "ECDSA_nistP256"}
    if subject is not None:
        args["Subject"] = subject
    if serial is not None:
        args["SerialNumber"] = serial
    with tempfile.TemporaryDirectory() as folder:
        host = make_host(Path(folder) / "host")
        try:
            (obj,) = call(host, "New-SelfSignedCertificate", CertStoreLocation="Cert:\\LocalMachine\\My", **args)
        except SimError:
            assert store.list_certificates(host, "My") == []
            return
        assert store.find_certificate(host, obj.get("Thumbprint")) is not None


def test_empty_eku_text_extension_is_an_invalid_parameter(sim_host) -> None:
    """`-TextExtension '2.5.29.37={text}'` (no OID) is refused with 0x80070057, and no certificate is stored."""
    before = run_script(sim_host, "@(Get-ChildItem Cert:\\LocalMachine\\My).Count").stdout.strip()
    result = run_script(
        sim_host,
        "New-SelfSignedCertificate -DnsName a.test.net -CertStoreLocation Cert:\\LocalMachine\\My "
        "-TextExtension '2.5.29.37={text}'",
    )
    assert result.exit_code != 0
    assert "0x80070057" in result.stderr or "parameter is incorrect" in result.stderr.lower()
    after = run_script(sim_host, "@(Get-ChildItem Cert:\\LocalMachine\\My).Count").stdout.strip()
    assert after == before
