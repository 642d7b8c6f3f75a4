"""Reading values out of the app's pages in tests."""

from __future__ import annotations

import re


def extract(pattern: str | re.Pattern[str], text: str, flags: int = 0) -> str:
    """The first group of `pattern`'s first match in `text`; the test fails when nothing matches."""
    found = re.search(pattern, text, flags)
    assert found, f"no match for {pattern!r}"
    return found.group(1)
