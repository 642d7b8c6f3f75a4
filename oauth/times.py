"""NumericDate values (RFC 7519 §2) and how a check's detail says them: '2026-11-26 13:51:28 UTC (in 57 min)'."""

from __future__ import annotations

import math
import time
from typing import TypeGuard


def is_time(value: object) -> TypeGuard[int | float]:
    """A JSON number (not a boolean), finite."""
    return type(value) is int or (type(value) is float and math.isfinite(value))


def humanize_delta(seconds: float) -> str:
    """'in 57 min', '3 h ago' — rough on purpose, for people."""
    future = seconds >= 0
    s = abs(int(seconds))
    if s < 90:
        text = f"{s} s"
    elif s < 90 * 60:
        text = f"{round(s / 60)} min"
    elif s < 48 * 3600:
        text = f"{round(s / 3600)} h"
    else:
        text = f"{round(s / 86400)} days"
    return f"in {text}" if future else f"{text} ago"


def format_time(value: object, now: float | None = None) -> str:
    if not is_time(value):
        return repr(value)
    now = time.time() if now is None else now
    try:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(value)))
    except (OverflowError, OSError, ValueError):
        return f"{value} (out of range)"
    return f"{stamp} ({humanize_delta(float(value) - now)})"
