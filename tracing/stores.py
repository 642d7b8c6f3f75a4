"""Where traces are kept: files under instance/ (cachelib) or Redis, as JSON.

cachelib's RedisCache pickles what it stores and unpickles what it reads: anyone who can write to
the Redis could run code in the app by storing a pickle under a trace id. The Redis store here
writes JSON and reads it back through the app's JSON guard; a record that is not JSON reads as no
trace. (The file store is cachelib's: only the app's user can write under instance/.)
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

import redis

from oauth import safejson

log = logging.getLogger("flowlab")


class KeyValueStore(Protocol):
    """The part of a cachelib cache the trace store uses."""

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...
    def delete(self, key: str) -> Any: ...


class JsonRedisStore:
    """Plain JSON values under `prefix` in Redis, each with a TTL."""

    def __init__(self, client: redis.Redis, prefix: str, default_timeout: int):
        self.client, self.prefix, self.default_timeout = client, prefix, default_timeout

    def get(self, key: str) -> Any:
        raw = self.client.get(self.prefix + key)
        if raw is None:
            return None
        try:
            return safejson.loads(raw)
        except ValueError:
            log.warning("an unreadable trace record was ignored (not JSON)")
            return None

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return bool(self.client.set(self.prefix + key, data, ex=timeout or self.default_timeout))

    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self.prefix + key))
