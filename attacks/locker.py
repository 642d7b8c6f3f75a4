"""The attacker's captured access token, kept until it has expired (attack 8's expired-token request).

No provider mints an expired token on demand (Cognito's shortest access-token lifetime is 5 minutes), so
the lab keeps the attacker's own token from a run, in this process's memory only, one per issuer, and a
later run replays it once it has expired. Only the attacker's (the second demo user's) token is ever kept,
never the signed-in user's.
"""

from __future__ import annotations

import threading
import time

MAX_ISSUERS = 8
_lock = threading.Lock()
_kept: dict[str, tuple[str, int]] = {}  # issuer -> (token, exp)


def keep(issuer: str, token: str, exp: int) -> None:
    """Keep the attacker's token for `issuer`, unless the one kept already expires first."""
    with _lock:
        if issuer in _kept and _kept[issuer][1] <= exp:
            return
        while issuer not in _kept and len(_kept) >= MAX_ISSUERS:
            _kept.pop(next(iter(_kept)))
        _kept[issuer] = (token, exp)


def expired(issuer: str, leeway: int, now: float | None = None) -> tuple[str | None, int | None]:
    """(the kept token, None) once it has expired beyond `leeway`; (None, when it will be) before; (None, None)
    when none is kept."""
    now = time.time() if now is None else now
    with _lock:
        token, exp = _kept.get(issuer, (None, None))
    if token is None or exp is None:
        return None, None
    return (token, None) if now > exp + leeway else (None, exp + leeway)


def used(issuer: str, token: str) -> None:
    """The expired token was replayed: forget it (the next run keeps a new one)."""
    with _lock:
        if _kept.get(issuer, ("",))[0] == token:
            del _kept[issuer]
