"""A secret string that never shows itself in repr, str, logs or JSON dumps."""

from __future__ import annotations


class Secret:
    """Wraps an API key or token; only `reveal()` gives the value, to the one call needing it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plain value, to hand to a venue client; never log it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str, secrets: list[str]) -> str:
    """Replace every occurrence of each secret value in `text` (long values first)."""
    for value in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(value, "**********")
    return text
