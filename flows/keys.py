"""Every key this app keeps in the login session, named once, each with a small typed accessor.

The session (Flask-Session: files or Redis; a dict in the in-process tests) is a plain mapping, handed
to each flow and accessor explicitly: nothing here knows Flask. The sign-in itself lives under `SIGN_IN`
and the dashboard's screen state under `SCREEN`, read and written only through flows/state.py; the login
transactions live under `TX` and are handled by oauth/transactions.py, which is given the session and
this key name. Every other module reads and writes its own key through the `Key` below, never by a
string of its own:

    AUTO_REFRESH.get(session)            # the stored value, or None (absent, or not of the key's type)
    AUTO_REFRESH.set(True, session)
    AFTER_LOGOUT.pop(session)            # removed, and returned as get() would

A stored value of the wrong type reads as absent (None), never as an error. Templates do not read the
session: they get values passed in, or from views/hooks.py's context processor.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")
Session = MutableMapping[str, Any]  # this browser's server-side session, as the flows see it


@dataclass(frozen=True)
class Key(Generic[_T]):
    """One session key and the type of what it holds."""

    name: str
    kind: type[_T]

    def get(self, store: Session) -> _T | None:
        """The value in `store`, or None: absent or of another type."""
        value = store.get(self.name)
        return value if isinstance(value, self.kind) else None

    def set(self, value: _T, store: Session) -> None:
        store[self.name] = value

    def pop(self, store: Session) -> _T | None:
        """Remove the key; its value as `get` reads it."""
        value = store.pop(self.name, None)
        return value if isinstance(value, self.kind) else None


# the sign-in (flows/state.py's SignIn: tokens and identity, stored as a plain dict), the dashboard's screen
# state beside it (flows/state.py's Screen: the latest lifecycle results), and the login transactions
SIGN_IN = "auth"
SCREEN = "dashboard"
TX = "tx"

# the /compare page's record of this browser's last run of each flow (lab/compare.py makes them)
CODE_RUN: Key[dict] = Key("code_run", dict)
IMPLICIT_RUN: Key[dict] = Key("implicit_run", dict)
SPA_RUN: Key[dict] = Key("spa_run", dict)

TRACE_ID: Key[str] = Key("trace_id", str)  # this browser's trace (tracing/recorder.py): bound to the session
SEEN_AT: Key[int] = Key("seen_at", int)  # the last request of a signed-in session (epoch seconds): the idle timeout
PRESENTER_PENDING: Key[dict] = Key("presenter_pending", dict)  # presenter mode: the code exchange, paused
# presenter mode: the last "what came back" screen, as shown (tokens shortened, the refresh token hidden), so
# that its page is a GET after the POST that made the call: Back and reload show it again, never re-post
PRESENTER_SHOWN: Key[dict] = Key("presenter_shown", dict)
# the sign-in this session completed (its state, an HMAC of its code, where it landed): a callback URL
# opened again (a reload, Back) is recognised, never sent again
COMPLETED_LOGIN: Key[dict] = Key("completed_login", dict)
AFTER_LOGOUT: Key[str] = Key("after_logout", str)  # "switch": /signed-out goes on to sign in again
AUTO_REFRESH: Key[bool] = Key("auto_refresh", bool)  # the dashboard refreshes before the access token expires
MACHINE_TOKEN: Key[str] = Key("machine_token", str)  # /machine: the client-credentials access token
MACHINE_SCOPE: Key[str] = Key("machine_scope", str)  # ... and the scope it was asked for
API_CALL: Key[dict] = Key("api_call", dict)  # /call: the last call to another API (lab/api_call.py's result)
# the attack lab (views/attacks.py): a run paused in presenter mode (its scripted browsers' cookies, the codes and
# tokens it holds: server-side only), and attack 1's sign-in through this browser with a real provider (its state)
ATTACK_RUN: Key[dict] = Key("attack_run", dict)
ATTACK_TX: Key[dict] = Key("attack_tx", dict)

# what a new sign-in keeps of the session (flows.signin clears the rest): a sign-in in progress and the /compare runs
KEPT_ACROSS_LOGIN = (TX, IMPLICIT_RUN.name, SPA_RUN.name)
