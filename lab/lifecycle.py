"""Small helpers for showing a token's life: claim diffs after a refresh (with times in words next to
their epochs), shortened tokens."""

from __future__ import annotations

import json
import time

from oauth.times import is_time

from .claims import order_claims
from .display import shorten

__all__ = ["NOTES", "claim_diff", "clock_time", "diff_summary", "duration_words", "shorten"]

NOTES = {
    "iat": "a new token was issued",
    "exp": "the new token has its own lifetime",
    "auth_time": "you did not sign in again",
    "origin_jti": "it links every token from this sign-in to the refresh token",
    "jti": "every token has its own id",
    "at_hash": "it is the hash of the new access token",
    "nonce": "a refreshed ID token has none: there was no new authorize request to echo",
}
# What every refresh changes: the new token's times, and what belongs to each token of its own
# (its id, the hash of the access token issued with it, the nonce only a sign-in echoes).
TIMES = ("exp", "iat")
OWN = ("jti", "at_hash", "nonce")
TIME_CLAIMS = ("iat", "exp", "auth_time", "nbf")


def duration_words(seconds: float) -> str:
    """'1 h', '5 min', '4 min 12 s', '30 days': exact to the second below an hour, for people."""
    s = abs(int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        minutes, rest = divmod(s, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    if s < 86400:
        hours, rest = divmod(s, 3600)
        return f"{hours} h" + (f" {rest // 60} min" if rest // 60 else "")
    days, rest = divmod(s, 86400)
    return f"{days} day{'s' if days != 1 else ''}" + (f" {rest // 3600} h" if rest // 3600 else "")


def clock_time(value: float) -> str:
    """'15:06:40 UTC': the time of day of an epoch, in UTC as every page of the app says times."""
    return time.strftime("%H:%M:%S UTC", time.gmtime(value))


def _time_note(name: str, claims: dict) -> str:
    """A time claim in words next to its epoch: '15:06:40 UTC, iat + 1 h'; '' when it is not a time."""
    value, issued = claims.get(name), claims.get("iat")
    if not is_time(value) or not 0 <= value < 253402300800:  # year 9999: what gmtime can say
        return ""
    note = clock_time(value)
    if name != "iat" and is_time(issued):
        gap = value - issued
        if gap == 0:
            note += ", = iat"
        elif name == "auth_time" and gap < 0:
            note += f", {duration_words(gap)} before iat"
        else:
            note += f", iat {'+' if gap > 0 else '−'} {duration_words(gap)}"
    return note


def claim_diff(before: dict, after: dict) -> list[dict]:
    """One row per claim in either token, in reading order: before, after, and whether it changed. Time claims
    carry their time of day and their distance from the token's iat (`before_note`, `after_note`), and a moved
    one says by how much (`moved`)."""
    rows = []
    for name in order_claims(dict.fromkeys([*before, *after])):
        old, new = before.get(name), after.get(name)
        status = (
            "same" if old == new else ("added" if name not in before else "removed" if name not in after else "changed")
        )
        moved = ""
        if status == "changed" and name in TIME_CLAIMS and is_time(old) and is_time(new):
            moved = f"moved {duration_words(new - old)} {'later' if new > old else 'earlier'}"
        rows.append(
            {
                "name": name,
                "before": json.dumps(old) if name in before else "",
                "after": json.dumps(new) if name in after else "",
                "before_note": _time_note(name, before) if name in TIME_CLAIMS and name in before else "",
                "after_note": _time_note(name, after) if name in TIME_CLAIMS and name in after else "",
                "status": status,
                "note": NOTES.get(name, ""),
                "moved": moved,
            }
        )
    return rows


def diff_summary(rows: list[dict]) -> str:
    """One plain sentence over a refresh's claim diff: whether anything but exp and iat (and what each
    token has of its own) moved."""
    status = {r["name"]: r["status"] for r in rows}
    moved = [n for n, s in status.items() if s != "same"]
    other = [n for n in moved if n not in TIMES and n not in OWN]
    if other:
        return f"Not only the times moved: {', '.join(other)} changed too."
    times = " and ".join(n for n in TIMES if n in moved)
    new = [n for n in OWN if status.get(n) in ("changed", "added")]
    gone = [n for n in OWN if status.get(n) == "removed"]
    besides = "; ".join(
        part
        for part in (
            f"this token's own {' and '.join(new)} {'are' if len(new) > 1 else 'is'} new" if new else "",
            f"the {' and '.join(gone)} {'are' if len(gone) > 1 else 'is'} gone" if gone else "",
        )
        if part
    )
    kept = "who you are, your scopes and your sign-in" + (" (auth_time)" if status.get("auth_time") == "same" else "")
    if not times:  # minted in the same second as the tokens it replaced: whole seconds, so the times are equal
        return (
            f"The times did not move (both tokens were minted in the same second){f'; {besides}' if besides else ''}: "
            f"{kept} stay the same."
        )
    return f"Nothing but {times} moved{f' ({besides})' if besides else ''}: {kept} stay the same."
