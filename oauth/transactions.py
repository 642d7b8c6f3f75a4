"""Login transactions: one per `state`, so two tabs never clobber each other.

Each holds the nonce, the PKCE verifier and where to land; it expires after 10
minutes and is removed on first use.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import MutableMapping
from dataclasses import dataclass

TX_TTL = 600
MAX_PENDING = 8


@dataclass(frozen=True)
class Transaction:
    state: str
    nonce: str
    verifier: str
    flow: str
    next: str
    created: float
    scope: str | None = None  # the scopes the authorize request asked for (None: the configured ones)

    @property
    def challenge(self) -> str:
        return pkce_challenge(self.verifier)

    def as_dict(self) -> dict:
        return {
            "nonce": self.nonce,
            "verifier": self.verifier,
            "flow": self.flow,
            "next": self.next,
            "created": self.created,
            "scope": self.scope,
        }


def pkce_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Accept a local absolute path only (no scheme, host, `//` or backslash tricks)."""
    if not value or not isinstance(value, str) or len(value) > 512:
        return default
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    return value


def _prune(pending: dict, now: float) -> None:
    for state in [s for s, tx in pending.items() if now - tx.get("created", 0) > TX_TTL]:
        del pending[state]
    while len(pending) >= MAX_PENDING:
        oldest = min(pending, key=lambda s: pending[s].get("created", 0))
        del pending[oldest]


def begin(
    store: MutableMapping, flow: str, next_path: str | None = None, now: float | None = None, *, key: str
) -> Transaction:
    """Start a login transaction and record it in `store[key]` under its state (`key`: the caller names
    where the pending transactions live; the app's is views/session_keys.py's TX)."""
    now = time.time() if now is None else now
    tx = Transaction(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),
        flow=flow,
        next=safe_next(next_path),
        created=now,
    )
    pending = dict(store.get(key) or {})
    _prune(pending, now)
    pending[tx.state] = tx.as_dict()
    store[key] = pending
    return tx


def take(
    store: MutableMapping, state: str | None, flow: str, now: float | None = None, *, key: str
) -> Transaction | None:
    """Remove and return the transaction for `state` in `store[key]`, or None if unknown, used or expired."""
    if not state or not isinstance(state, str) or len(state) > 256:
        return None
    now = time.time() if now is None else now
    pending = dict(store.get(key) or {})
    data = pending.pop(state, None)
    if data is None:
        return None  # nothing to remove: an unknown state writes nothing (no session for a stranger)
    store[key] = pending
    if data.get("flow") != flow or now - data.get("created", 0) > TX_TTL:
        return None
    return Transaction(state=state, **data)


def put(store: MutableMapping, tx: Transaction, *, key: str) -> None:
    """Record an already-made transaction (the authorize panel moves one to the flow it sends)."""
    pending = dict(store.get(key) or {})
    _prune(pending, tx.created)
    pending[tx.state] = tx.as_dict()
    store[key] = pending
