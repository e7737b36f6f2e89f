"""A string wrapper for passwords and keys whose repr/str are masked, so secrets cannot leak by printing."""

from __future__ import annotations

import secrets as _random

MASK = "********"


class Secret:
    """Holds a secret value; ``str()``/``repr()`` show a mask, ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself (only to hand it to a transport or a key-wrapping function)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and _random.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))

    def __bool__(self) -> bool:
        return bool(self._value)


def generate_password(length: int = 24) -> Secret:
    """A fresh random password (letters and digits only, so no quoting surprises anywhere)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return Secret("".join(_random.choice(alphabet) for _ in range(length)))
