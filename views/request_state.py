"""What one request carries from hook to view to hook: one typed object in `g`, never loose attributes.

    state = request_state.current()   # made on first use in a request (the session opens before any hook)
    state.user                         # the signed-in user, behind login_required (signin.current())

Each field names the module that writes it; nothing else writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import g

from tracing.recorder import TraceRequest

if TYPE_CHECKING:
    from .signin import SignIn


@dataclass
class RequestState:
    user: SignIn | None = None  # views/signin.py: the sign-in of a view behind login_required
    csrf_seed: str | None = None  # views/antiforgery.py: a new anti-forgery cookie value issued now
    connect_src: tuple[str, ...] = ()  # views/spa.py: origins this page may fetch() (app.py's CSP adds them)
    store_down: bool = False  # views/session_guard.py: the session store failed as the session opened
    trace: TraceRequest = field(default_factory=TraceRequest)  # tracing/recorder.py: this request's steps


def current() -> RequestState:
    """This request's state (a new one on first use)."""
    state = g.get("state")
    if not isinstance(state, RequestState):
        state = g.state = RequestState()
    return state


def trace() -> TraceRequest:
    """The recorder's part (handed to tracing/recorder.py at install time)."""
    return current().trace
