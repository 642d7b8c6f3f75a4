"""Small renderings for people."""

from __future__ import annotations


def shorten(token: str, keep: int = 12) -> str:
    """`eyJraWQiOi…Q3x9` — enough to recognise a token, not to use it."""
    if len(token) <= 2 * keep + 1:
        return token[:4] + "…"
    return f"{token[:keep]}…{token[-4:]}"
