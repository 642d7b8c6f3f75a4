"""Every key this app keeps in the login session, named once, each with a small typed accessor.

The session (Flask-Session: files or Redis) is a plain dict. The sign-in itself lives under `SIGN_IN`
and is read and written only by views/signin.py (`SignIn`); the login transactions live under `TX`
and are handled by oauth/transactions.py, which is given the session and this key name. Every other
view reads and writes its own key through the `Key` below, never by a string of its own:

    AUTO_REFRESH.get()            # the stored value, or None (absent, or not of the key's type)
    AUTO_REFRESH.set(True)
    AFTER_LOGOUT.pop()            # removed, and returned as get() would

A stored value of the wrong type reads as absent (None), never as an error. Templates do not read the
session: they get values passed in, or from signin's context processor.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import session

_T = TypeVar("_T")


@dataclass(frozen=True)
class Key(Generic[_T]):
    """One session key and the type of what it holds."""

    name: str
    kind: type[_T]

    def get(self, store: MutableMapping[str, Any] | None = None) -> _T | None:
        """The value in `store` (this request's session when None), or None: absent or of another type."""
        value = (session if store is None else store).get(self.name)
        return value if isinstance(value, self.kind) else None

    def set(self, value: _T, store: MutableMapping[str, Any] | None = None) -> None:
        (session if store is None else store)[self.name] = value

    def pop(self, store: MutableMapping[str, Any] | None = None) -> _T | None:
        """Remove the key; its value as `get` reads it."""
        value = (session if store is None else store).pop(self.name, None)
        return value if isinstance(value, self.kind) else None


# the sign-in (views/signin.py's SignIn, stored as a plain dict) and the login transactions (one per state)
SIGN_IN = "auth"
TX = "tx"

# the /compare page's record of this browser's last run of each flow (lab/compare.py makes them)
CODE_RUN: Key[dict] = Key("code_run", dict)
IMPLICIT_RUN: Key[dict] = Key("implicit_run", dict)
SPA_RUN: Key[dict] = Key("spa_run", dict)

TRACE_ID: Key[str] = Key("trace_id", str)  # this browser's trace (tracing/recorder.py): bound to the session
SEEN_AT: Key[int] = Key("seen_at", int)  # the last request of a signed-in session (epoch seconds): the idle timeout
PRESENTER_PENDING: Key[dict] = Key("presenter_pending", dict)  # presenter mode: the code exchange, paused
# the sign-in this session completed (its state, an HMAC of its code, where it landed): a callback URL
# opened again (a reload, Back) is recognised, never sent again
COMPLETED_LOGIN: Key[dict] = Key("completed_login", dict)
AFTER_LOGOUT: Key[str] = Key("after_logout", str)  # "switch": /signed-out goes on to sign in again
AUTO_REFRESH: Key[bool] = Key("auto_refresh", bool)  # the dashboard refreshes before the access token expires
MACHINE_TOKEN: Key[str] = Key("machine_token", str)  # /machine: the client-credentials access token
MACHINE_SCOPE: Key[str] = Key("machine_scope", str)  # ... and the scope it was asked for
# the attack lab (views/attacks.py): a run paused in presenter mode (its scripted browsers' cookies, the codes and
# tokens it holds: server-side only), and attack 1's sign-in through this browser with a real provider (its state)
ATTACK_RUN: Key[dict] = Key("attack_run", dict)
ATTACK_TX: Key[dict] = Key("attack_tx", dict)

# what a new sign-in keeps of the session (signin.start clears the rest): a sign-in in progress and the /compare runs
KEPT_ACROSS_LOGIN = (TX, IMPLICIT_RUN.name, SPA_RUN.name)
