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
from dataclasses import asdict, dataclass, replace

from .calls import PreparedCall

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


# -- replaying the rotated-out token (the dashboard's demonstration) ---------------------------------------
# AWS: RetryGracePeriodSeconds is at most 60 (botocore's RefreshTokenRotationType). When the client is not
# told its grace, it waits that long before it replays the old token, so the replay shows the refusal.
MAX_GRACE_SECONDS = 60
# How long after its grace the rotated-out token is still held for the replay button: a presenter may pause a
# few minutes; after that it is dropped unused (it is refused by the provider from its grace's end on anyway).
REPLAY_KEEP_SECONDS = 600


REPLAY_STEP = "refresh_replay"


def as_replay(refresh: PreparedCall) -> PreparedCall:
    """A refresh call with the rotated-out token, named as the replay it is (the trace and its probes say so)."""
    return replace(refresh, step=REPLAY_STEP)


def replay_ready_at(rotation: Mapping[str, object]) -> int:
    """When the rotated-out token's grace is over (epoch seconds): its grace end, or, when the grace is not
    known, the latest it can be (the rotation's time + 60 s)."""
    ends, at = rotation.get("grace_ends"), rotation.get("at")
    if isinstance(ends, int):
        return ends
    return (at if isinstance(at, int) else 0) + MAX_GRACE_SECONDS


def replay_wait(rotation: Mapping[str, object], now: float) -> int:
    """Seconds until a replay of the rotated-out token shows what happens after the grace (0: now)."""
    return max(0, int(replay_ready_at(rotation) - now + 0.999))


def keep_rotated_out(rotation: Mapping[str, object], now: float) -> bool:
    """Whether the rotated-out token may still be held for the replay (until REPLAY_KEEP_SECONDS after its grace)."""
    return bool(rotation.get("rotated")) and now < replay_ready_at(rotation) + REPLAY_KEEP_SECONDS


def replay_record(
    *,
    at: int,
    fingerprint_sent: str | None,
    status: int | None = None,
    error: str = "",
    description: str = "",
    accepted: bool = False,
) -> dict:
    """What a replay of the rotated-out token got, as plain data (a fingerprint, never the token): refused with
    the provider's status and error, accepted (the grace was not over at the provider), or failed (502)."""
    return {
        "at": at,
        "token": fingerprint_sent,
        "accepted": accepted,
        "status": status,
        "error": error,
        "description": description,
    }
