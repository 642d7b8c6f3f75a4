"""A bounded cache of already-verified access tokens (the API keeps its answer), for its hot path.

Keyed by SHA-256 of the token (the token itself is never a key), each entry lives until the
token's `exp` at the latest, and the least recently used entry goes first when full. Each entry
remembers the kid that verified it: `get` serves it only while that key is current (in a JWKS
younger than JWKS_MAX_AGE), and `drop_kids` removes the entries of keys the provider dropped.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")


class VerifiedTokenCache(Generic[V]):
    """Values of type V (the API keeps its serialised answer, a str) by token."""

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.time, max_ttl: float = 3600):
        self.max_entries = max_entries
        self.max_ttl = max_ttl
        self.clock = clock
        self._entries: OrderedDict[bytes, tuple[float, V, str | None]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str, key_current: Callable[[str | None], bool] | None = None) -> V | None:
        """The cached answer, if unexpired and (when `key_current` is given) its kid still current."""
        if self.max_entries <= 0:
            return None
        key = self.key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value, kid = entry
            if self.clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        if key_current is not None and not key_current(kid):
            return None  # the JWKS is too old (the caller verifies, which refetches it) or lost the key
        return value

    def put(self, token: str, value: V, exp: float, kid: str | None = None) -> None:
        now = self.clock()
        if self.max_entries <= 0 or exp <= now:
            return
        with self._lock:
            self._entries[self.key(token)] = (min(exp, now + self.max_ttl), value, kid)
            self._entries.move_to_end(self.key(token))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def drop_kids(self, kids: Iterable[str | None]) -> int:
        """Remove every entry verified with one of `kids` (keys that left the JWKS); return how many."""
        gone = set(kids)
        with self._lock:
            stale = [k for k, (_, _, kid) in self._entries.items() if kid in gone]
            for k in stale:
                del self._entries[k]
        return len(stale)

    def __len__(self) -> int:
        return len(self._entries)
