"""Refresh-token rotation as the client sees it: did a refresh replace the refresh token, and until when
does the old one still work? Both tokens are told apart by fingerprints, never shown.

With rotation on, Cognito's refresh answer carries a new `refresh_token`, and the one sent stays usable
for the app client's `RefreshTokenRotation.RetryGracePeriodSeconds` (0-60 s), then is refused with
`invalid_grant` (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RefreshTokenRotationType.html).
The token answer does not say how long that grace is: the client knows it only from its own settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass

FINGERPRINT_DIGITS = 4


def fingerprint(token: str) -> str:
    """ "…" + the last hex digits of the token's SHA-256: enough to tell two tokens apart on a screen, in
    a log or a trace, and nothing of the token itself."""
    return "…" + hashlib.sha256(token.encode()).hexdigest()[-FINGERPRINT_DIGITS:]


@dataclass(frozen=True)
class RotationOutcome:
    """What one refresh did to the refresh token, as plain data (fingerprints and epoch seconds)."""

    rotated: bool  # a new, different refresh token came back
    at: int  # when the answer came (epoch seconds)
    old: str | None  # the fingerprint of the refresh token that was sent
    new: str | None  # the fingerprint of the one that came back (None: none came back)
    grace_seconds: int | None  # how long the old one still works; None: the client was not told
    grace_ends: int | None  # at + grace_seconds when rotated and known, else None

    def as_dict(self) -> dict:
        return asdict(self)


def rotation_outcome(
    sent: str | None, answer: Mapping[str, object], *, now: int, grace_seconds: int | None
) -> RotationOutcome:
    """The rotation seen in a refresh `answer` to the refresh token `sent`. A provider that echoes the
    same refresh token back did not rotate it."""
    came_back = answer.get("refresh_token")
    new = came_back if isinstance(came_back, str) and came_back else None
    rotated = new is not None and new != sent
    grace = grace_seconds if rotated else None
    return RotationOutcome(
        rotated=rotated,
        at=now,
        old=fingerprint(sent) if sent else None,
        new=fingerprint(new) if new else None,
        grace_seconds=grace,
        grace_ends=now + grace if grace is not None else None,
    )
