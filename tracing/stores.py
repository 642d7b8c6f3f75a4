"""Where traces are kept: files under instance/ (cachelib) or Redis, as JSON; each trace updated atomically.

cachelib's RedisCache pickles what it stores and unpickles what it reads: anyone who can write to
the Redis could run code in the app by storing a pickle under a trace id. The Redis store here
writes JSON and reads it back through the app's JSON guard; a record that is not JSON reads as no
trace. (The file store is cachelib's: only the app's user can write under instance/.)

Two requests of one browser can end at the same moment (a page and its fetch, two tabs, two gunicorn
workers), each with steps for the same trace. `update` is their one read-modify-write: under an exclusive
file lock for the files, under WATCH/MULTI (retried when the trace changed meanwhile) for Redis, so each
request's steps are appended to what the other wrote, never written over it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import redis
from cachelib import FileSystemCache

from oauth import safejson

log = logging.getLogger("flowlab")
Change = Callable[[Any], Any]  # the stored value (None when there is none) -> the value to store


class KeyValueStore(Protocol):
    """What the trace store needs of a store: cachelib's get/set/delete, and an atomic update."""

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...
    def delete(self, key: str) -> Any: ...
    def update(self, key: str, change: Change, timeout: int | None = None) -> Any:
        """Store `change(the stored value)` as one step no other update of `key` interleaves with; return it."""
        ...


class LockedFileStore:
    """cachelib's file store with atomic updates: an update holds an exclusive flock on its key's lock file
    (one of LOCKS, by a hash of the key) from the read to the write, across threads and processes."""

    LOCKS = 64

    def __init__(self, directory: Path, default_timeout: int, threshold: int = 100_000):
        self.cache = FileSystemCache(str(directory), threshold=threshold, mode=0o600, default_timeout=default_timeout)
        self.locks = directory / "locks"
        self.locks.mkdir(mode=0o700, exist_ok=True)

    def get(self, key: str) -> Any:
        return self.cache.get(key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        return self.cache.set(key, value, timeout=timeout)

    def delete(self, key: str) -> bool:
        return self.cache.delete(key)

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        stripe = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % self.LOCKS
        fd = os.open(self.locks / f"{stripe:02d}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # each open() is its own lock holder: threads exclude each other too
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def update(self, key: str, change: Change, timeout: int | None = None) -> Any:
        with self._locked(key):
            value = change(self.cache.get(key))
            self.cache.set(key, value, timeout=timeout)
        return value


class JsonRedisStore:
    """Plain JSON values under `prefix` in Redis, each with a TTL."""

    def __init__(self, client: redis.Redis, prefix: str, default_timeout: int):
        self.client, self.prefix, self.default_timeout = client, prefix, default_timeout

    @staticmethod
    def _decode(raw: bytes | str | None) -> Any:
        if raw is None:
            return None
        try:
            return safejson.loads(raw)
        except ValueError:
            log.warning("an unreadable trace record was ignored (not JSON)")
            return None

    @staticmethod
    def _encode(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def get(self, key: str) -> Any:
        return self._decode(self.client.get(self.prefix + key))

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        return bool(self.client.set(self.prefix + key, self._encode(value), ex=timeout or self.default_timeout))

    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self.prefix + key))

    def update(self, key: str, change: Change, timeout: int | None = None) -> Any:
        """WATCH the key, read it, MULTI/EXEC the new value; redis-py runs it again when the key changed
        between the read and EXEC (another request's update came first)."""
        name = self.prefix + key
        result: list[Any] = []

        def attempt(pipe: redis.client.Pipeline) -> None:
            value = change(self._decode(pipe.get(name)))
            pipe.multi()
            pipe.set(name, self._encode(value), ex=timeout or self.default_timeout)
            result[:] = [value]

        self.client.transaction(attempt, name)
        return result[0]
