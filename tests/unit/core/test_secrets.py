"""Secrets never show themselves."""

from __future__ import annotations

import json

from portfolio_launcher.core.secrets import Secret, redact


def test_secret_hides_in_repr_str_format() -> None:
    s = Secret("AKIA-very-secret-9999")
    for text in (repr(s), str(s), f"{s}", f"{s!r}", json.dumps({"k": str(s)})):
        assert "very-secret" not in text
    assert s.reveal() == "AKIA-very-secret-9999"


def test_redact_masks_longest_first() -> None:
    text = redact("key=abcdef123 and abcdef123456", ["abcdef123", "abcdef123456"])
    assert "abcdef" not in text
    assert text.count("**********") == 2


def test_redact_ignores_tiny_values() -> None:
    assert redact("a b c", ["a"]) == "a b c"
