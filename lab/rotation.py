"""What refresh-token rotation means on the screens: the dashboard's rotation panel (fingerprints, the grace
countdown, the replay of the rotated-out token), and the sentences the revocation lab and /compare share.

Facts behind the words: AWS's RefreshTokenRotationType (Feature, RetryGracePeriodSeconds 0-60, "a successful
request immediately invalidates the submitted refresh token" when the grace is 0) and its refresh-token page
(the new token lives for the rest of the original's lifetime; the token endpoint rotates too):
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RefreshTokenRotationType.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html.
RFC 9700 §4.14.2 asks for rotation (or sender-constrained refresh tokens) for public clients.
"""

from __future__ import annotations

from collections.abc import Mapping

from oauth.rotation import MAX_GRACE_SECONDS, replay_wait

PROTECTS = (
    "Rotation makes every refresh token good for one refresh: once the app has used it (and its grace period "
    "is over), a copy of the old token, from a log, a backup, a stolen cookie jar or browser storage, is refused. "
    "It does not stop a thief who uses a copy first: the app's own next refresh is then refused, which at least "
    "shows the theft. AWS documents no reuse detection (ending the whole sign-in when an old token comes back): "
    "revoke the refresh token to end the sign-in."
)
GRACE = (
    "The grace period (RetryGracePeriodSeconds, 0 to 60 s) keeps the old token working a little longer, so a "
    "client that lost the provider's answer can retry; 0 refuses it at once."
)


def client_rotation(grace_seconds: int | None, local_provider: bool, client: str = "this app client") -> str:
    """This app client's rotation (or `client`'s), as far as the app knows it (REFRESH_TOKEN_GRACE_SECONDS or the
    local pool file): the token answer never says whether a client rotates, only a refresh shows it."""
    if grace_seconds is not None:
        return f"on for {client}, grace {grace_seconds} s"
    if local_provider:
        return f"off for {client} (its RefreshTokenRotation in the local provider's pool file)"
    return (
        "not known to the app (REFRESH_TOKEN_GRACE_SECONDS is unset): a refresh shows whether the provider "
        "rotates; `cognito setup --refresh-token-rotation` turns it on"
    )


def _replay_said(replay: Mapping[str, object]) -> tuple[str, bool]:
    """What the replay got, said after "Replayed <token>:", and whether it is the refusal rotation promises."""
    if replay.get("accepted"):
        return (
            "the provider still accepted it, so its grace period is longer than the app was told "
            "(REFRESH_TOKEN_GRACE_SECONDS). The tokens it answered with were discarded.",
            False,
        )
    status, error, description = replay.get("status"), replay.get("error"), replay.get("description")
    if status == 502:
        return f"the provider failed ({description}); nothing can be said about the old token.", False
    said = f"HTTP {status} {error}" + (f" ({description})" if description else "")
    return (
        f"refused by the provider, {said}. The rotated-out token is dead: a copy of it can no longer mint tokens, "
        "while the token that replaced it still works:",
        True,
    )


def rotation_panel(last_refresh: Mapping[str, object] | None, *, held: bool, now: float) -> dict | None:
    """The dashboard's rotation panel for the latest refresh (None: no successful refresh to show). `held`: the
    app still holds the rotated-out token for the replay button."""
    if not last_refresh or not last_refresh.get("ok"):
        return None
    rotation = last_refresh.get("rotation")
    if not isinstance(rotation, Mapping):
        return None
    rotated = bool(rotation.get("rotated"))
    replay = last_refresh.get("replay")
    said, refused = _replay_said(replay) if isinstance(replay, Mapping) else ("", False)
    grace = rotation.get("grace_seconds")
    return {
        "rotated": rotated,
        "old": rotation.get("old"),
        "new": rotation.get("new"),
        "grace_seconds": grace if isinstance(grace, int) else None,
        "assumed_grace": MAX_GRACE_SECONDS,
        "wait": replay_wait(rotation, now) if rotated else 0,
        "can_replay": rotated and held,
        "replayed": said,  # after "Replayed <the old token's fingerprint>:"
        "refused": refused,  # then "<the new token's fingerprint>"
        "protects": PROTECTS,
    }
