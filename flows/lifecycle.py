"""A sign-in's life from the dashboard: refresh, userInfo, revoke and the revocation lab.

Each takes the signed-in user and writes what changed: the sign-in (flows/state.py's SignIn) only when
its tokens change (a refresh, a revocation), the dashboard's screen state (Screen) for what it shows. A
back-channel call the presenter may pause before comes back as `Pending` until it is approved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab.causes import likely_cause
from lab.display import shorten_response
from lab.lifecycle import claim_diff, diff_summary
from oauth.client import is_jwt
from oauth.errors import IdentityMismatch, ProviderRefused, SubjectMismatch, TokenRejected
from oauth.http import ProviderError
from oauth.kept import KeptVerification
from oauth.rotation import RotationOutcome, as_replay, fingerprint, replay_record, replay_wait, rotation_outcome
from oauth.tokens import CheckName, Verification, decode_unverified

from .context import Approval, Context, Pending, pause
from .state import Screen, SignIn


@dataclass(frozen=True)
class NoRefreshToken:
    """This sign-in returned no refresh token to use."""


@dataclass(frozen=True)
class Refreshed:
    """The session holds the new tokens; `tokens` is the provider's answer (the presenter shows it)."""

    tokens: dict[str, Any]
    rotation: RotationOutcome


@dataclass(frozen=True)
class Refused:
    """The provider refused the call; the dashboard shows why, inline (its screen state holds it)."""

    error: ProviderRefused


@dataclass(frozen=True)
class RefreshRejected:
    """The refreshed ID token failed a check, or is someone else's (its iss or sub differs from the
    sign-in's): nothing of the answer was stored."""

    reason: TokenRejected | IdentityMismatch


def refusal(exc: ProviderRefused, now: int) -> dict[str, Any]:
    """A refused lifecycle call, as the provider said it: its real HTTP status, error and likely cause."""
    return {
        "ok": False,
        "at": now,
        "status": exc.status,
        "error": exc.error,
        "description": exc.description,
        "cause": likely_cause(exc.error, exc.step),
    }


def _claims(token: str | None) -> dict:
    """A token's payload read without verifying it (for diffs), or {}."""
    if not token:
        return {}
    try:
        return decode_unverified(token)[1]
    except ValueError:
        return {}


def refresh(
    ctx: Context, user: SignIn, approval: Approval
) -> Refreshed | Refused | RefreshRejected | NoRefreshToken | Pending:
    """grant_type=refresh_token: verify the new ID token (every check; no nonce: a refreshed ID token has
    none) and that it is the sign-in's (its iss and sub), then replace the session's tokens and record what
    changed: the claims of each token, and the refresh token's rotation (oauth/rotation.py)."""
    if not user.refresh_token:
        return NoRefreshToken()
    client, screen = ctx.client, Screen.load(ctx.session)
    call = client.prepare_refresh(user.refresh_token)
    pending = pause(call, approval)
    if pending is not None:
        return pending
    before_id, before_access = _claims(user.id_token), _claims(user.access_token)
    try:
        tokens = client.send(call)
    except ProviderRefused as exc:
        screen.last_refresh = refusal(exc, ctx.clock())
        screen.save(ctx.session, "refresh")
        return Refused(exc)
    new_id = tokens.get("id_token")
    id_checks = user.id_checks
    if new_id:
        try:  # every check, and the sign-in's verified iss and sub
            verified = client.verify_refreshed_id_token(
                new_id, access_token=tokens["access_token"], sub=user.sub, iss=user.iss or client.config.issuer
            )
        except (IdentityMismatch, TokenRejected) as exc:
            return RefreshRejected(exc)
        id_checks = KeptVerification.of(verified)  # the dashboard now shows the refresh's checks
    access = tokens["access_token"]
    access_checks = KeptVerification.of(client.presets.refresh.verify_access(access)) if is_jwt(access) else None
    now = ctx.clock()
    rotation = rotation_outcome(user.refresh_token, tokens, now=now, grace_seconds=ctx.grace_seconds)
    user.rotated_out = user.refresh_token if rotation.rotated else None  # held only for the replay button
    user.access_token, user.access_checks = access, access_checks
    user.id_token, user.id_checks = new_id or user.id_token, id_checks
    user.refresh_token = tokens.get("refresh_token") or user.refresh_token
    user.save(ctx.session)
    screen.token_response = shorten_response(tokens)
    screen.last_refresh = {
        "ok": True,
        "at": now,
        "rotated": rotation.rotated,
        "rotation": rotation.as_dict(),  # fingerprints and times only, never a token
        "returned": sorted(k for k in ("access_token", "id_token", "refresh_token") if tokens.get(k)),
        "id_diff": claim_diff(before_id, _claims(new_id)) if new_id else [],
        "access_diff": claim_diff(before_access, _claims(access)),
    }
    for kind in ("id", "access"):  # one sentence each: did anything but exp and iat move?
        rows = screen.last_refresh[f"{kind}_diff"]
        screen.last_refresh[f"{kind}_summary"] = diff_summary(rows) if rows else ""
    screen.save(ctx.session, "refresh")
    return Refreshed(tokens, rotation)


@dataclass(frozen=True)
class NothingToReplay:
    """No rotated-out refresh token is held: only a refresh that rotated one leaves it, until it is replayed or
    a few minutes after its grace period."""


@dataclass(frozen=True)
class InGrace:
    """The old refresh token is still in its grace period: the provider would accept it for `wait` s more."""

    wait: int


@dataclass(frozen=True)
class Replayed:
    """The rotated-out refresh token was sent once; the screen's replay record says how the provider answered."""

    record: dict[str, Any]


def replay_rotated_out(
    ctx: Context, user: SignIn, approval: Approval
) -> Replayed | InGrace | NothingToReplay | Pending:
    """Send the refresh token a rotation replaced, once its grace is over: the provider's refusal is what
    rotation protects against. The old token is dropped before the call, whatever the answer; tokens the
    provider might still mint for it are never kept."""
    screen = Screen.load(ctx.session)
    rotation = (screen.last_refresh or {}).get("rotation") or {}
    if not user.rotated_out or not rotation.get("rotated"):
        return NothingToReplay()
    now = ctx.clock()
    if wait := replay_wait(rotation, now):
        return InGrace(wait)
    call = as_replay(ctx.client.prepare_refresh(user.rotated_out))
    pending = pause(call, approval)
    if pending is not None:
        return pending
    sent = fingerprint(user.rotated_out)
    user.rotated_out = None
    user.save(ctx.session)
    try:
        with ctx.trace.probes():  # an expected refusal: shown with the tool's own probes in the trace
            ctx.client.send(call)
    except ProviderRefused as exc:
        record = replay_record(
            at=now, fingerprint_sent=sent, status=exc.status, error=exc.error, description=exc.description
        )
    except ProviderError as exc:
        record = replay_record(
            at=now, fingerprint_sent=sent, status=502, error="provider_error", description=exc.message
        )
    else:  # the provider's grace was longer than the app was told: its new tokens are not kept
        record = replay_record(at=now, fingerprint_sent=sent, accepted=True)
    if screen.last_refresh is not None:
        screen.last_refresh = {**screen.last_refresh, "replay": record}
    screen.save(ctx.session, "refresh")
    return Replayed(record)


@dataclass(frozen=True)
class UserInfo:
    """userInfo answered for the signed-in user (its sub is the ID token's)."""

    claims: dict[str, Any]


@dataclass(frozen=True)
class NotThisUser:
    """userInfo answered for someone else (another sub): the answer was discarded."""

    error: SubjectMismatch


def userinfo(ctx: Context, user: SignIn) -> UserInfo | Refused | NotThisUser:
    """GET userInfo with the access token; the dashboard shows its claims (or why it was refused).
    A provider failure (ProviderError) is raised: the app's error page says what failed."""
    screen = Screen.load(ctx.session)
    try:
        info = ctx.client.userinfo_for(user.access_token, user.sub)
    except ProviderRefused as exc:
        screen.userinfo = refusal(exc, ctx.clock())
        screen.save(ctx.session, "userinfo")
        return Refused(exc)
    except SubjectMismatch as exc:
        screen.userinfo = {"ok": False, "at": ctx.clock(), "error": "sub mismatch"}
        screen.save(ctx.session, "userinfo")
        return NotThisUser(exc)
    strings = sorted(k for k, v in info.items() if k.endswith("_verified") and isinstance(v, str))
    screen.userinfo = {"ok": True, "at": ctx.clock(), "claims": info, "string_flags": strings}
    screen.save(ctx.session, "userinfo")
    return UserInfo(info)


@dataclass(frozen=True)
class Revoked:
    """The provider revoked the refresh token (and, at Cognito, every token issued from it)."""


def revoke(ctx: Context, user: SignIn, approval: Approval) -> Revoked | NoRefreshToken | Pending:
    """Revoke the refresh token; the sign-in records that it was (the revocation lab reads it)."""
    if not user.refresh_token:
        return NoRefreshToken()
    call = ctx.client.prepare_revoke(user.refresh_token)
    pending = pause(call, approval)
    if pending is not None:
        return pending
    ctx.client.send(call)
    user.refresh_revoked = True
    user.rotated_out = None  # revoking a refresh token ends every token of the sign-in: nothing left to replay
    user.save(ctx.session)
    Screen.load(ctx.session).save(ctx.session, "revoke")
    return Revoked()


def _attempt(call: Callable[[], object]) -> dict[str, Any]:
    try:
        call()
    except ProviderRefused as exc:
        return {"ok": False, "status": exc.status, "error": exc.error, "description": exc.description}
    except ProviderError as exc:
        return {"ok": False, "status": 502, "error": "provider_error", "description": exc.message}
    return {"ok": True}


@dataclass(frozen=True)
class RevocationLab:
    """After a revocation: the access token still verifies offline (until it expires), while the provider
    refuses the revoked refresh token and, at Cognito, the access token too."""

    offline: Verification
    exp: str  # the offline check's detail on the access token's expiry
    refresh: dict[str, Any]
    userinfo: dict[str, Any]


def revocation_lab(ctx: Context, user: SignIn) -> RevocationLab | None:
    """The revoked tokens tried offline and at the provider (None: nothing was revoked yet). The provider's
    expected refusals are the lab's own probes in the trace."""
    if not user.refresh_revoked:
        return None
    client = ctx.client
    offline = client.presets.stored.verify_access(user.access_token)
    refresh_token = user.refresh_token or ""
    with ctx.trace.probes():
        refreshed = _attempt(lambda: client.refresh(refresh_token))
        info = _attempt(lambda: client.userinfo(user.access_token))
    exp = offline.check(CheckName.EXP)
    return RevocationLab(offline, exp.detail if exp else "", refreshed, info)
