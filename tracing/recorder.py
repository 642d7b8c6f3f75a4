"""Record every HTTP exchange of a browser session into its trace.

The trace lives in its own server-side store (files or Redis, like sessions), under a random,
server-signed id. A browser with a session has the trace whose id its session records: a trace id
in a cookie is never adopted, so an id the server signed for someone else and planted in this
browser (cookies ignore ports: a page on another port of the same host can set one) receives none
of its steps. The `flowlab_trace` cookie carries the same id; without a session it is read only for
a trace a sign-out (or a timeout) left behind, signed for that purpose. The trace is separate from
the login session, so the logout step can be recorded while the login session itself is destroyed.
Steps are redacted before they are stored (see tracing/redact.py). This is the package's only
module that imports Flask, and it imports nothing of views/ or config.py: what it needs of them (the
signer, where the session keeps its trace id, the user's refresh token, this request's state) is
handed to `install` in a `Wiring`. Its hooks (`note_session`, `start_clock`, `flush`) are placed by
views/hooks.py, the one ordered list of the app's request hooks.

Bounds: nothing is written for a request that came without a session and starts no sign-in;
a step's URL, header values and bodies are cut at fixed sizes, and one trace keeps at most
MAX_STEPS steps and MAX_TRACE_BYTES bytes (the oldest steps drop first). A sign-in starts a new
trace that keeps only that sign-in's own steps; a sign-out starts an empty one.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from flask import Flask, current_app, has_request_context, request, session
from werkzeug.wrappers import Response

from oauth.http import Http, Reply
from signing import Signer

from .model import Exchange, Step, Trace
from .redact import MAX_BODY, AppSecrets, Redactor
from .stores import JsonRedisStore, KeyValueStore, LockedFileStore

TRACE_COOKIE = "flowlab_trace"
MAX_STEPS = 60
TRACE_TTL = 8 * 3600
MAX_URL = 2048
MAX_HEADER = 2048
MAX_TRACE_BYTES = 256 * 1024
CUT = "…(cut)"


class TraceStore:
    """Traces by id, stored as plain dicts: {"next": int, "steps": [...], "vault": {"step.index": full token}}."""

    def __init__(self, cache: KeyValueStore):
        self.cache = cache

    def load(self, trace_id: str | None) -> dict[str, Any]:
        """The stored record as it is (a new, empty one when there is none)."""
        record = self.cache.get(f"t:{trace_id}") if trace_id else None
        return record if isinstance(record, dict) else {"next": 1, "steps": [], "vault": {}}

    def read(self, trace_id: str | None) -> Trace:
        """The stored record as a Trace (unreadable parts of an odd record left out)."""
        return Trace.from_record(self.load(trace_id))

    def save(self, trace_id: str, trace: Trace) -> None:
        """Store a whole trace (a new one: its id was just made)."""
        self.cache.set(f"t:{trace_id}", trace.to_record(), timeout=TRACE_TTL)

    def append(self, trace_id: str, add: Callable[[Trace], None]) -> None:
        """Add to the stored trace in one atomic update (stores.py): `add` gets the trace as stored now,
        so steps another request appended meanwhile are kept, never written over."""

        def change(record: Any) -> dict[str, Any]:
            trace = Trace.from_record(record if isinstance(record, dict) else None)
            add(trace)
            return trace.to_record()

        self.cache.update(f"t:{trace_id}", change, timeout=TRACE_TTL)

    def delete(self, trace_id: str | None) -> None:
        if trace_id:
            self.cache.delete(f"t:{trace_id}")


class SessionSlot(Protocol):
    """Where the login session records its trace id (views/session_keys.py's TRACE_ID)."""

    def get(self) -> str | None: ...
    def set(self, value: str) -> None: ...


@dataclass
class TraceRequest:
    """What one request noted for its trace: this request's part of the typed per-request state
    (views/request_state.py keeps it in `g`)."""

    started: float | None = None  # when the request began: the start and duration of the steps it records
    had_session: bool = False  # it came with a session (read before a timeout or a sign-out clears it)
    start_id: str | None = None  # the trace id it began with
    pending: list[Pending] = field(default_factory=list)
    probe: bool = False  # calls made now are the tool's own probes
    rotate: bool = False  # a sign-in or sign-out starts a new trace
    keep: str = ""  # ... keeping the steps of the sign-in with this state


@dataclass(frozen=True)
class Wiring:
    """What the recorder is handed at install time, so that tracing/ imports nothing above it."""

    signer: Signer  # signs trace ids (signing.py)
    trace_id: SessionSlot  # where the session records its trace id
    refresh_token: Callable[[], str | None]  # the signed-in user's, redacted wherever it appears
    state: Callable[[], TraceRequest]  # this request's TraceRequest
    secrets: AppSecrets  # the client ids and secrets the redactor hides
    app_url: str  # the URL an incoming request is recorded under
    secure_cookies: bool  # `__Host-` cookies under https


def wiring() -> Wiring:
    found: Wiring = current_app.extensions["trace_wiring"]
    return found


def _state() -> TraceRequest:
    return wiring().state()


def cookie_name() -> str:
    """`__Host-` prefixed under https, like the session cookie."""
    return "__Host-" + TRACE_COOKIE if wiring().secure_cookies else TRACE_COOKIE


BOUND = "trace-id"  # the signature purpose of a trace id recorded in a session
UNBOUND = "trace-id-after-session"  # ... of the trace a sign-out leaves for a browser without a session


def current_trace_id() -> str | None:
    """This browser's trace id: the one its session records; without a session, a sign-out's trace
    from the cookie. A cookie's id is never adopted by a session."""
    wired = wiring()
    bound = wired.trace_id.get()
    if bound is not None:
        return bound if wired.signer.unsign(BOUND, bound) else None
    if session:
        return None
    value = request.cookies.get(cookie_name(), "")
    return value if wired.signer.unsign(UNBOUND, value) else None


def store() -> TraceStore:
    store: TraceStore = current_app.extensions["trace_store"]
    return store


def current_trace() -> Trace:
    """This browser's trace (empty without a valid trace cookie)."""
    return store().read(current_trace_id())


@dataclass(frozen=True)
class ServerCall:
    """A back-channel call the HTTP client made (seen through its observer)."""

    reply: Reply
    probe: bool
    started: float


@dataclass(frozen=True)
class BrowserStep:
    """A step the browser takes (a redirect to the provider, the implicit fragment)."""

    name: str
    url: str
    started: float
    duration_ms: float = 0.0


@dataclass(frozen=True)
class Incoming:
    """This request itself, recorded when its response is known (the callback, the implicit verify).
    `keep_tokens`: False when the tokens it carries must not reach the vault (they show as
    placeholders): the browser-only flow's, which the server never keeps."""

    name: str
    keep_tokens: bool = True


Pending = ServerCall | BrowserStep | Incoming | Exchange  # Exchange: made without the HTTP client


def _pending() -> list[Pending]:
    return _state().pending


def _on_reply(reply: Reply) -> None:
    if has_request_context():
        started = time.time() - reply.elapsed_ms / 1000
        _pending().append(ServerCall(reply, _state().probe or reply.step == "doctor", started))


@contextmanager
def probes() -> Iterator[None]:
    """Calls made inside are the tool's own probes (expected to fail), not steps of a flow."""
    state = _state()
    state.probe = True
    try:
        yield
    finally:
        state.probe = False


def note_redirect(name: str, url: str) -> None:
    """The app is about to send the browser to `url` (authorize, logout)."""
    _pending().append(BrowserStep(name, url, time.time()))


def note_incoming(name: str, keep_tokens: bool = True) -> None:
    """This request is itself a step worth showing (the callback, the implicit verify); with
    `keep_tokens` False its tokens are recorded as placeholders only, never in the vault."""
    _pending().insert(0, Incoming(name, keep_tokens))


def note_browser_step(name: str, url: str, duration_ms: float = 0.0) -> None:
    """A browser step the server only learns about afterwards (the implicit fragment), recorded
    before this request's own step; it began `duration_ms` before this request."""
    began = _state().started
    started = (time.time() if began is None else began) - duration_ms / 1000
    _pending().insert(0, BrowserStep(name, url, started, duration_ms))


def note_exchange(exchange: Exchange) -> None:
    """An exchange made without the HTTP client (the dashboard's in-process API call, the browser-only
    page's reports). Without a `started` time it began `duration_ms` before now."""
    if exchange.started is None:
        exchange = replace(exchange, started=time.time() - exchange.duration_ms / 1000)
    _pending().append(exchange)


def start_new(keep_login: str = "") -> None:
    """Start a new trace under a new id from this request on (at sign-in and sign-out).

    The old trace is deleted. With `keep_login` (the sign-in's state) the new trace keeps that
    sign-in's own steps: the request that sent the browser to authorize, and the callback.
    """
    state = _state()
    state.rotate = True
    state.keep = keep_login


def _login_steps(trace: Trace, state: str) -> Trace:
    def state_of(step: Step) -> str:
        return dict(parse_qsl(urlsplit(step.url).query)).get("state", "")

    start = next(
        (s for s in trace.steps if s.name in ("authorize", "implicit_authorize") and state_of(s) == state),
        None,
    )
    if start is None:
        return Trace(next=trace.next)
    kept = [s for s in trace.steps if (s.req and s.req == start.req) or (s.name == "callback" and state_of(s) == state)]
    ids = {f"{s.id}." for s in kept}
    vault = {k: v for k, v in trace.vault.items() if any(k.startswith(i) for i in ids)}
    return Trace(next=trace.next, steps=kept, vault=vault)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + CUT


def _capped(step: Step) -> Step:
    step.url = _cut(step.url, MAX_URL)
    step.request_headers = {_cut(k, 200): _cut(v, MAX_HEADER) for k, v in list(step.request_headers.items())[:50]}
    step.response_headers = {_cut(k, 200): _cut(v, MAX_HEADER) for k, v in list(step.response_headers.items())[:50]}
    step.request_body = _cut(step.request_body, MAX_BODY)
    step.response_body = _cut(step.response_body, MAX_BODY)
    return step


def _size(trace: Trace) -> int:
    return len(json.dumps(trace.to_record(), ensure_ascii=False).encode())


def _allowed(state: TraceRequest) -> bool:
    """A trace is written only for a browser with a session, or for a request that starts a sign-in."""
    return bool(state.had_session or session)


def _exchange(entry: Pending, response: Response, app_url: str) -> Exchange:
    """The exchange a pending entry stands for."""
    if isinstance(entry, ServerCall):
        r = entry.reply
        return Exchange(
            name=r.step,
            method=r.method,
            url=r.url,
            request_headers=r.request_headers,
            request_body=r.request_body,
            status=r.status,
            response_headers=r.headers,
            response_body=r.body,
            duration_ms=r.elapsed_ms,
            started=entry.started,
        )
    if isinstance(entry, BrowserStep):
        return Exchange(entry.name, "GET", entry.url, duration_ms=entry.duration_ms, started=entry.started)
    if isinstance(entry, Incoming):
        body = request.get_data(cache=True, as_text=True) if request.method == "POST" else ""
        began = _state().started
        return Exchange(
            name=entry.name,
            method=request.method,
            url=app_url + request.full_path.rstrip("?"),
            request_headers={"Content-Type": request.content_type} if request.content_type else {},
            request_body=body,
            status=response.status_code,
            response_headers={
                k: v for k, v in response.headers.items() if k in ("Location", "Content-Type", "X-OAuth-Error")
            },
            response_body=response.get_data(as_text=True) if response.is_json else "",
            duration_ms=(time.time() - began) * 1000 if began else 0.0,
            started=began,
        )
    return entry


def _steps(
    entries: list[Pending], response: Response, redactor: Redactor, app_url: str
) -> list[tuple[Step, list[str]]]:
    """Each entry as a redacted step, with the full tokens its markers stand for."""
    steps = []
    for entry in entries:
        step = Step.from_exchange(redactor, _exchange(entry, response, app_url))
        step.probe = isinstance(entry, ServerCall) and entry.probe
        keep = not (isinstance(entry, Incoming) and not entry.keep_tokens)
        steps.append((step, list(redactor.vault) if keep else []))
        redactor.vault.clear()
    return steps


def _target(wired: Wiring, old_id: str | None, rotate: bool, keep: str) -> tuple[str, Trace | None]:
    """The trace this request writes to: (its id, the new trace to store under it; None: the stored one goes on).

    The id the request began with (`old_id`, read before sign-in or sign-out changed the session) goes
    on, unless the trace rotates (a new one, keeping a sign-in's own steps when `keep` is its state) or
    the id is not of the kind the session now needs: a session only ever writes to the trace it
    records, and a browser left without one gets a sign-out's trace (signed for the cookie alone)."""
    bind = bool(session)
    if rotate:
        old = store().read(old_id)
        store().delete(old_id)
        trace = _login_steps(old, keep) if keep else Trace(next=old.next)
    elif old_id is None or bind != bool(wired.signer.unsign(BOUND, old_id)):
        trace = Trace()  # never continue a trace this session does not record
    else:
        return old_id, None
    trace_id = wired.signer.sign(BOUND if bind else UNBOUND, secrets.token_urlsafe(32))
    if bind:
        wired.trace_id.set(trace_id)
    return trace_id, trace


def _append(trace: Trace, steps: list[tuple[Step, list[str]]]) -> None:
    """Add this request's steps (one request id), then drop the oldest past MAX_STEPS or MAX_TRACE_BYTES."""
    request_id = secrets.token_hex(8)
    for step, vault in steps:
        step.id = trace.next
        step.req = request_id
        trace.next += 1
        trace.steps.append(_capped(step))
        for index, full in enumerate(vault):
            trace.vault[f"{step.id}.{index}"] = full
    dropped = trace.steps[:-MAX_STEPS]
    trace.steps = trace.steps[-MAX_STEPS:]
    while trace.steps and _size(trace) > MAX_TRACE_BYTES:
        dropped.append(trace.steps.pop(0))
    for step in dropped:
        prefix = f"{step.id}."
        trace.vault = {k: v for k, v in trace.vault.items() if not k.startswith(prefix)}


# -- the hooks (placed by views/hooks.py, the app's one ordered list) ---------------------------------
def note_session() -> None:
    """Before anything else can change the session (a timeout clears it): whether this request came
    with one, and the trace id it records."""
    state = _state()
    state.had_session = bool(session)
    state.start_id = current_trace_id()


def start_clock() -> None:
    """When this request began: the start time and duration of the steps it records."""
    _state().started = time.time()


def flush(response: Response) -> Response:
    """After the view: this request's steps, redacted, into its trace (and the trace cookie)."""
    wired, state = wiring(), _state()
    entries, rotate, keep = state.pending, state.rotate, state.keep
    state.pending, state.rotate, state.keep = [], False, ""
    if not entries and not rotate:
        return response
    if not _allowed(state) or (not entries and not session):
        if rotate:  # signed out with nothing to record (a timeout): drop the old trace, store nothing
            store().delete(state.start_id)
            if request.cookies.get(cookie_name()):
                response.delete_cookie(
                    cookie_name(), path="/", secure=wired.secure_cookies, httponly=True, samesite="Lax"
                )
        return response
    redactor = Redactor.for_app(wired.secrets, wired.refresh_token() or "")
    trace_id, new = _target(wired, state.start_id, rotate, keep)
    steps = _steps(entries, response, redactor, wired.app_url)
    if new is None:  # appended to the stored trace in one atomic update: a concurrent request's steps stay
        store().append(trace_id, lambda trace: _append(trace, steps))
        return response
    _append(new, steps)
    if rotate and not keep:  # signed out: no full token of anyone stays behind
        new.vault = {}
    store().save(trace_id, new)
    response.set_cookie(  # a new id: the trace cookie carries it
        cookie_name(), trace_id, max_age=TRACE_TTL, httponly=True, samesite="Lax", secure=wired.secure_cookies, path="/"
    )
    return response


def trace_cache(instance_path: str, redis_client: Any = None) -> KeyValueStore:
    """Where traces are kept: Redis (as JSON) when the sessions are there, else files under instance/traces."""
    if redis_client is not None:
        return JsonRedisStore(redis_client, "flowlab-trace:", TRACE_TTL)
    directory = Path(instance_path) / "traces"
    directory.mkdir(parents=True, exist_ok=True)
    return LockedFileStore(directory, TRACE_TTL)


def install(app: Flask, wired: Wiring, cache: KeyValueStore, http: Http) -> None:
    """Keep traces in `cache` and listen to `http` (the OAuth client's); the hooks are placed by the caller."""
    app.extensions["trace_wiring"] = wired
    app.extensions["trace_store"] = TraceStore(cache)
    http.observers.append(_on_reply)
