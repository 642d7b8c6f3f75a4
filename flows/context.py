"""What every flow is given, and what it gives back when the presenter must pause.

A flow never reaches for Flask: it is handed a `Context` (the OAuth client, this browser's session as a
plain mapping, the trace's notes, the signer) and an `Approval` for the back-channel call it would send.
Without presenter mode the approval is `SEND`; with it, a call is sent only once a screen has shown it
and its Continue came back for that very call (views/presenter.py's gate), and until then the flow
returns `Pending`: the prepared call, not sent, for the screen to show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from oauth.calls import PreparedCall
from oauth.client import OAuthClient
from oauth.resource_server import ResourceServer
from signing import Signer
from tracing.model import Exchange

from .keys import Session


class TraceNotes(Protocol):
    """What a flow tells this browser's trace (tracing/recorder.py in the app; the calls the client sends
    are recorded by the recorder's own observer)."""

    def start_new(self, keep_login: str = "") -> None: ...
    def note_exchange(self, exchange: Exchange) -> None: ...
    def note_redirect(self, name: str, url: str) -> None: ...
    def probes(self) -> AbstractContextManager[None]: ...


class Approval(Protocol):
    """Whether a prepared call may be sent now."""

    @property
    def continued(self) -> bool:
        """A presenter screen's Continue brought this request (an approval was asked for)."""
        ...

    def approves(self, call: PreparedCall) -> bool: ...


class _Send:
    """No presenter: every call is sent as soon as it is prepared."""

    continued = False

    def approves(self, call: PreparedCall) -> bool:
        return True


SEND: Approval = _Send()


@dataclass(frozen=True)
class Pending:
    """The presenter pauses before `call`: it is prepared, not sent. `changed`: a Continue came back for a
    different call (the session's tokens or the provider's endpoints changed since the screen showed it);
    `expires_at` (epoch seconds): when what the call carries expires (the code of a paused exchange)."""

    call: PreparedCall
    changed: bool = False
    expires_at: float | None = None


def pause(call: PreparedCall, approval: Approval, expires_at: float | None = None) -> Pending | None:
    """None when `call` may be sent now, else the Pending the presenter shows."""
    if approval.approves(call):
        return None
    return Pending(call, changed=approval.continued, expires_at=expires_at)


@dataclass(frozen=True)
class Context:
    """One request's flows: the provider's client, this browser's session, its trace, and this server's signer.

    `renew` gives the browser a new identity at sign-in (a new session id, a new anti-forgery token: no
    session fixation); `grace_seconds` is the app client's refresh-token RetryGracePeriodSeconds, when known."""

    client: OAuthClient
    session: Session
    trace: TraceNotes
    signer: Signer
    resource: ResourceServer
    renew: Callable[[], None]
    grace_seconds: int | None = None
    now: Callable[[], float] | None = None  # this server's clock (None: time.time, read at each call)

    def clock(self) -> int:
        """Now, in epoch seconds."""
        return int(self.now() if self.now is not None else time.time())
