"""NumericDate values (RFC 7519 §2) and how a check's detail says them: '2026-11-26 13:51:28 UTC (in 57 min)'."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
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


def parse_moment(text: str) -> float:
    """A moment to check a token at: epoch seconds (`1617955000`, `1617955000.5`) or ISO 8601
    (`2021-04-09T08:00:00Z`, `2021-04-09 08:00:00+02:00`; UTC when it names no offset). ValueError says why."""
    value = text.strip()
    if not value:
        raise ValueError("the time is empty")
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds) or not -62135596800 <= seconds <= 253402300799:  # years 1 to 9999
            raise ValueError(f"{value!r} is not a time this app can read (epoch seconds of years 1 to 9999)")
        return seconds
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"{value[:60]!r} is neither epoch seconds nor ISO 8601 (such as 2021-04-09T08:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
