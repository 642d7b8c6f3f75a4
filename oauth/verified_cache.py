"""A bounded cache of already-verified access tokens (the API keeps its answer), for its hot path.

Keyed by SHA-256 of the token (the token itself is never a key), each entry lives until the
token's `exp` at the latest, and the least recently used entry goes first when full.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class VerifiedTokenCache:
    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.time, max_ttl: float = 3600):
        self.max_entries = max_entries
        self.max_ttl = max_ttl
        self.clock = clock
        self._entries: OrderedDict[bytes, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str) -> object | None:
        if self.max_entries <= 0:
            return None
        key = self.key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if self.clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, token: str, value: object, exp: float) -> None:
        now = self.clock()
        if self.max_entries <= 0 or exp <= now:
            return
        with self._lock:
            self._entries[self.key(token)] = (min(exp, now + self.max_ttl), value)
            self._entries.move_to_end(self.key(token))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
