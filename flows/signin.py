"""A sign-in completed, a callback opened again, and a sign-out: the code flow's server side, without Flask.

`complete_sign_in` trades the callback's code (a prepared call the presenter may pause before), verifies
the ID token with the sign-in preset, and only then stores the sign-in; `resume_sign_in` is the paused
exchange's Continue; `opened_again` recognises a callback URL of this browser's own sign-in opened once
more (a reload, Back); `sign_out` revokes the refresh token (a call the presenter may pause before) and
clears the session.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

from lab.compare import code_run_record
from lab.remembered import remembered
from oauth import transactions
from oauth.client import is_jwt
from oauth.errors import ClientError, ProviderRefused
from oauth.http import ProviderError
from oauth.kept import KeptVerification
from oauth.tokens import Check
from oauth.transactions import Transaction

from .context import Approval, Context, Pending, pause
from .keys import CODE_RUN, COMPLETED_LOGIN, PRESENTER_PENDING, SEEN_AT
from .state import Screen, SignIn, start

log = logging.getLogger("flowlab")


@dataclass(frozen=True)
class SignedIn:
    """The sign-in is stored: `tokens` is the token endpoint's answer (the presenter shows it, the refresh
    token hidden), `next` where the browser goes now."""

    user: SignIn
    tokens: dict[str, Any]
    next: str


@dataclass(frozen=True)
class IdTokenRejected:
    """The ID token failed a check: nothing was stored."""

    failure: Check


@dataclass(frozen=True)
class CodeExpired:
    """The provider refused a code that waited on the presenter's pause longer than it lives."""

    lifetime: int
    waited: int
    next: str


@dataclass(frozen=True)
class NothingToContinue:
    """Continue with no paused sign-in in this session."""


@dataclass(frozen=True)
class CompletedAgain:
    """The callback of the sign-in this session completed, opened again with the same code (a reload, Back):
    nothing is sent again; `next` is where that sign-in landed."""

    next: str


@dataclass(frozen=True)
class SignedInAlready:
    """A callback of this session's completed sign-in with a new code (the provider's form used again after
    Back): the user is signed in already."""


SignInOutcome = SignedIn | IdTokenRejected | Pending


def _code_mac(ctx: Context, code: str) -> str:
    return ctx.signer.mac("completed-code", code.encode())


def complete_sign_in(
    ctx: Context, tx: Transaction, code: str, approval: Approval, arrived: object = None
) -> SignInOutcome:
    """Send the code exchange (once approved), verify the ID token, and only then store the tokens.

    `arrived`: when the code reached the callback (epoch seconds), which a pause keeps with the code (never
    the call, which may hold the client secret): the screen counts the code's life down from it."""
    client = ctx.client
    arrived = arrived if isinstance(arrived, int) else ctx.clock()
    call = client.prepare_exchange(code, tx)
    lifetime = client.code_lifetime()
    pending = pause(call, approval, arrived + lifetime if lifetime else None)
    if pending is not None:
        PRESENTER_PENDING.set({"code": code, "state": tx.state, "code_at": arrived, **tx.as_dict()}, ctx.session)
        return pending
    tokens = client.exchange(call, tx.scope)
    preset = client.presets.sign_in
    result = None
    if tokens.get("id_token"):
        result = preset.verify_id(tokens["id_token"], nonce=tx.nonce, access_token=tokens["access_token"])
        if result.failure is not None:
            return IdTokenRejected(result.failure)
    # the access token is for the resource server (RFC 6749 §1.4): its checks are kept for the dashboard,
    # and a failed one does not refuse the sign-in
    access = preset.verify_access(tokens["access_token"]) if is_jwt(tokens["access_token"]) else None
    now = ctx.clock()
    user = SignIn.from_tokens(
        tokens,
        result.claims if result else {},
        id_checks=KeptVerification.of(result) if result else None,
        access_checks=KeptVerification.of(access) if access else None,
        flow="code",
        now=now,
    )
    skipped = remembered((result.claims if result else {}).get("auth_time"), tx.created)  # the provider's own session
    user.remembered = skipped.as_dict() if skipped else None
    session, config = ctx.session, client.config
    start(session, user)
    Screen.for_tokens(tokens).save(session)
    CODE_RUN.set(code_run_record(tokens, config.client_auth, bool(config.client_secret), list(config.scopes)), session)
    SEEN_AT.set(now, session)
    ctx.renew()
    ctx.trace.start_new(keep_login=tx.state)  # a new trace, keeping only this sign-in's own steps
    COMPLETED_LOGIN.set({"state": tx.state, "code": _code_mac(ctx, code), "next": tx.next}, session)
    return SignedIn(user, tokens, tx.next)


def resume_sign_in(ctx: Context, approval: Approval) -> SignInOutcome | CodeExpired | NothingToContinue:
    """The paused code exchange, resumed with the very call the screen showed (else paused again)."""
    pending = PRESENTER_PENDING.pop(ctx.session)
    if pending is None or "code" not in pending:
        return NothingToContinue()
    code = pending.pop("code")
    arrived = pending.pop("code_at", None)
    tx = Transaction(**pending)
    try:
        return complete_sign_in(ctx, tx, code, approval, arrived)
    except ProviderRefused as exc:
        lifetime = ctx.client.code_lifetime()
        waited = ctx.clock() - arrived if isinstance(arrived, int) else 0
        if exc.error != "invalid_grant" or not lifetime or waited <= lifetime:
            raise
        return CodeExpired(lifetime, waited, tx.next)


def opened_again(
    ctx: Context, state: str | None, code: str, approval: Approval, presenting: bool
) -> Pending | SignInOutcome | CompletedAgain | SignedInAlready | None:
    """A callback whose state was used already, in this browser: the paused exchange reloaded (the pause
    again), or the callback of the sign-in this session completed, opened again. None: not this browser's."""
    pending = PRESENTER_PENDING.get(ctx.session)
    if pending and presenting and pending.get("state") == state and pending.get("code") == code:
        arrived = pending.get("code_at")
        tx = Transaction(**{k: v for k, v in pending.items() if k not in ("code", "code_at")})
        return complete_sign_in(ctx, tx, code, approval, arrived)
    done = COMPLETED_LOGIN.get(ctx.session)
    if not done or not state or done.get("state") != state or SignIn.from_session(ctx.session) is None:
        return None
    if hmac.compare_digest(str(done.get("code", "")), _code_mac(ctx, code)):
        return CompletedAgain(transactions.safe_next(done.get("next")))
    return SignedInAlready()


@dataclass(frozen=True)
class SignedOut:
    """The session is cleared. `revoked`: the refresh token was revoked (the provider answered 200);
    `revoke_error`: why it was not (None when nothing needed revoking or it worked); `logout_url`: the
    provider's sign-out for the browser (None when it has none, or discovery failed)."""

    revoked: bool
    revoke_error: ClientError | None
    logout_url: str | None


def sign_out(ctx: Context, return_to: str, approval: Approval) -> SignedOut | Pending:
    """Revoke the refresh token (once approved), clear the session and start an empty trace.

    A refresh token that cannot be revoked (the provider refuses, fails, or has no revocation endpoint)
    does not stop the sign-out: the session is cleared anyway, and `revoke_error` says why."""
    client = ctx.client
    user = SignIn.from_session(ctx.session)
    revoked: bool = False
    failed: ClientError | None = None
    if user and user.refresh_token and not user.refresh_revoked:
        try:
            call = client.prepare_revoke(user.refresh_token)
        except ProviderError as exc:  # nothing to pause for: signing out goes on
            call, failed = None, exc
        if call is not None:
            pending = pause(call, approval)
            if pending is not None:
                return pending
            try:
                client.send(call)
                revoked = True
            except ClientError as exc:
                log.warning("logout: could not revoke the refresh token: %s", exc)
                failed = exc
    try:
        logout = client.logout_url(return_to, user.id_token if user else None)
    except ProviderError:
        logout = None
    ctx.session.clear()
    ctx.trace.start_new()  # nothing of the signed-out user stays readable at this browser
    if logout:
        ctx.trace.note_redirect("logout", logout)
    return SignedOut(revoked, failed, logout)
