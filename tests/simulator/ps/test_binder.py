"""Binder properties over every registered cmdlet: binding succeeds or fails with PowerShell's binding errors."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import services
from simulator.core.errors import NotModelledError, ParameterBindingError
from simulator.ps import api
from simulator.ps import builtins as _builtins  # noqa: F401 - registers the interpreter's own cmdlets
from simulator.ps.binder import COMMON_PARAMETERS, Argument, bind_arguments, cmdlet_type
from simulator.ps.objects import SecureString

services.load_all()
SPECS = sorted({spec.name: spec for spec in api.CMDLETS.values()}.values(), key=lambda s: s.name)
KNOWN_FQIDS = {
    "NamedParameterNotFound",
    "AmbiguousParameter",
    "MissingArgument",
    "PositionalParameterNotFound",
    "ParameterArgumentValidationError",
    "ParameterArgumentTransformationError",
    "CannotConvertArgumentNoMessage",
    "ParameterAlreadyBound",
}
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100),
    st.text(max_size=8),
    st.lists(st.text(max_size=3), max_size=3),
    st.just(SecureString("s3cr3t-Zq")),
)


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[api.CmdletSpec, list[Argument]]:
    spec = draw(st.sampled_from(SPECS))
    names = [p.name for p in spec.params] + ["ErrorAction", "Verbose", "Bogus"]
    arguments = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            name = draw(st.sampled_from(names))
            cut = draw(st.integers(1, len(name)))
            arguments.append(Argument(name=name[:cut], text="-" + name[:cut]))
        value = draw(VALUES)
        arguments.append(Argument(value=value, has_value=True, text=str(value)))
    return spec, arguments


@settings(max_examples=300, deadline=None)
@given(command_lines())
def test_binding_fails_only_as_powershell_does(case: tuple[api.CmdletSpec, list[Argument]]) -> None:
    spec, arguments = case
    try:
        bound = bind_arguments(spec, arguments)
    except ParameterBindingError as error:
        kind, _, cmdlet_class = error.fully_qualified_error_id.partition(",")
        assert kind in KNOWN_FQIDS, error.fully_qualified_error_id
        assert cmdlet_class == cmdlet_type(spec)
        assert "s3cr3t-Zq" not in error.message  # a SecureString never shows its text
        return
    except NotModelledError as error:
        assert "WhatIf" in error.message or "-ErrorAction" in error.message
        return
    declared = {p.name for p in spec.params}
    assert set(bound.args) <= declared


def test_every_cmdlet_documents_what_is_not_modelled() -> None:
    for spec in SPECS:
        doc = (spec.handler.__doc__ or "").strip()
        assert "Not modelled" in doc, spec.name


def test_a_parameter_listed_as_not_modelled_is_refused_as_not_modelled() -> None:
    """Windows has the parameter, so the simulator must not answer "A parameter cannot be found"."""
    checked = 0
    for spec in SPECS:
        declared = {p.name.lower() for p in spec.params}
        for name in re.findall(r"(?:^|[\s,;(/])-([A-Za-z][A-Za-z0-9]*)", spec.not_modelled):
            if name.lower() in declared or any(p.name.lower().startswith(name.lower()) for p in spec.params):
                continue  # a declared parameter whose value is what is not modelled, or a prefix of one
            if name.lower() in {c.lower() for c in COMMON_PARAMETERS}:
                continue  # common parameters have their own handling at call time (e.g. -Confirm, -WhatIf)
            with pytest.raises(NotModelledError, match=f"-{name}\\b"):
                bind_arguments(spec, [Argument(name=name, value="x", has_value=True)])
            checked += 1
    assert checked > 50  # the coverage entries name many such parameters


def test_an_unknown_parameter_is_still_a_binding_error() -> None:
    spec = api.find_cmdlet("New-SelfSignedCertificate")
    assert spec is not None
    try:
        bind_arguments(spec, [Argument(name="NoSuchParameter", value="x", has_value=True)])
    except ParameterBindingError as error:
        assert error.fully_qualified_error_id.startswith("NamedParameterNotFound,")
    else:
        raise AssertionError("an unknown parameter was accepted")
