"""Cognito's lockout after repeated wrong passwords, as AWS documents it for user pools.

"After five failed unauthenticated or IAM-authorized sign-in attempts with a password, Amazon Cognito
locks out your user for one second. The lockout duration then doubles after each additional one
failed attempt, up to a maximum of approximately 15 minutes. Attempts made during a lockout period
generate a Password attempts exceeded exception, and don't affect the duration of subsequent lockout
periods. For a cumulative number of failed sign-in attempts n, not including Password attempts
exceeded exceptions, Amazon Cognito locks out your user for 2^(n-5) seconds. To reset the lockout to
its n=0 initial state, your user must either sign in successfully after a lockout period expires, or
not initiate any sign-in attempts for 15 consecutive minutes at any time after a lockout."
  https://docs.aws.amazon.com/cognito/latest/developerguide/authentication.html#authentication-flow-lockout-behavior
(see tests/fixtures/cognito/README.md for how this text was checked, and what no source settles).

Here: n counts per user name (case-insensitive, as the pool's user names are), whether or not the
user exists, so that a lockout reveals nothing about who has an account; "approximately 15 minutes"
is taken as 900 s. State lives in memory, bounded in size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_ATTEMPTS = 5
MAX_LOCKOUT = 15 * 60  # seconds: "up to a maximum of approximately 15 minutes"
QUIET_RESET = 15 * 60  # no attempt for this long after a lockout: back to n=0
MAX_TRACKED = 10_000  # user names with failures kept at once (the oldest quiet ones go first)
EXCEEDED = "Password attempts exceeded"  # Cognito's message (NotAuthorizedException)


@dataclass
class _Record:
    failures: int = 0  # n: failed attempts, not counting those refused during a lockout
    locked_until: float = 0.0
    last_attempt: float = 0.0


class Lockouts:
    """Failed sign-ins per user name, and whether a name is locked out now."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def _record(self, username: str, now: float) -> _Record:
        key = username.strip().lower()
        record = self._records.get(key)
        if record is None:
            if len(self._records) >= MAX_TRACKED:
                oldest = min(self._records, key=lambda k: self._records[k].last_attempt)
                del self._records[oldest]
            record = self._records[key] = _Record()
        elif record.locked_until and now - record.last_attempt >= QUIET_RESET:
            record.failures, record.locked_until = 0, 0.0  # 15 quiet minutes after a lockout
        return record

    def locked(self, username: str) -> bool:
        """True while a lockout runs: the attempt is refused whatever the password, and not counted."""
        now = self.clock()
        with self._lock:
            record = self._record(username, now)
            record.last_attempt = now
            return now < record.locked_until

    def failed(self, username: str) -> None:
        """A wrong password: the n-th failure from the fifth on locks the name out for 2^(n-5) s."""
        now = self.clock()
        with self._lock:
            record = self._record(username, now)
            record.failures += 1
            record.last_attempt = now
            if record.failures >= FREE_ATTEMPTS:
                record.locked_until = now + min(2.0 ** (record.failures - FREE_ATTEMPTS), MAX_LOCKOUT)

    def succeeded(self, username: str) -> None:
        """A sign-in after any lockout expired: back to n=0."""
        with self._lock:
            self._records.pop(username.strip().lower(), None)
