"""Values only this server can issue: an HMAC of a value under the app's secret key, one key per purpose.

Neutral ground (no Flask, nothing of the app's folders): views/antiforgery.py signs its cookie and
derives its token with it, the presenter and the callback MAC what they must recognise, and
tracing/recorder.py, given a Signer at install time, signs trace ids.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_SIGNED = 200  # a signed value longer than this was not issued here


class Signer:
    """HMAC-SHA256 under a key derived from the secret for each purpose, so that a value signed for
    one purpose (a trace id) is never accepted for another (the anti-forgery cookie)."""

    def __init__(self, secret: str | bytes):
        self._secret = secret.encode() if isinstance(secret, str) else secret

    def _key(self, purpose: str) -> bytes:
        return hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()

    def mac(self, purpose: str, value: bytes) -> str:
        """An HMAC of `value` under this server's key for `purpose`: it reveals nothing of the value."""
        return hmac.new(self._key(purpose), value, hashlib.sha256).hexdigest()

    def sign(self, purpose: str, value: str) -> str:
        """`value.signature`: a value only this server can issue."""
        return f"{value}.{self.mac(purpose, value.encode())}"

    def unsign(self, purpose: str, signed: str | None) -> str | None:
        """The value inside `signed`, or None when this server did not issue it for `purpose`."""
        if not signed or len(signed) > MAX_SIGNED or "." not in signed:
            return None
        value, _, signature = signed.rpartition(".")
        if not value or not hmac.compare_digest(signature.encode(), self.mac(purpose, value.encode()).encode()):
            return None
        return value
