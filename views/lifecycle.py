"""A token's life from the dashboard: refresh, userinfo, revoke (and its lab), API calls."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from lab.causes import likely_cause
from lab.display import shorten_response
from lab.lifecycle import claim_diff, diff_summary
from lab.rotation import GRACE, PROTECTS, client_rotation
from lab.scopes import scope_refusal
from oauth.client import is_jwt
from oauth.errors import IdentityMismatch, ProviderRefused, SubjectMismatch, TokenRejected
from oauth.http import ProviderError
from oauth.kept import KeptVerification
from oauth.rotation import as_replay, fingerprint, replay_record, replay_wait, rotation_outcome
from oauth.tokens import CheckName
from tracing import recorder

from . import api, oauth_client, presenter, settings, unverified_claims
from .dashboard import render_dashboard
from .errors import problem
from .session_keys import AUTO_REFRESH
from .signin import SignIn, current, login_required

bp = Blueprint("lifecycle", __name__)


def _save(auth: SignIn, action: str | None = None) -> None:
    """Store the sign-in; `action` names the lifecycle result the dashboard shows (the latest only)."""
    auth.save(session, action)


def _refusal(exc: ProviderRefused) -> dict:
    """A refused lifecycle call, as the provider said it: its real HTTP status, error and likely cause."""
    return {
        "ok": False,
        "at": int(time.time()),
        "status": exc.status,
        "error": exc.error,
        "description": exc.description,
        "cause": likely_cause(exc.error, exc.step),
    }


def _to_dashboard(anchor: str = "lifecycle") -> Response:
    return redirect(url_for("dashboard.dashboard", _anchor=anchor))


def _claims(token: str | None) -> dict:
    return unverified_claims(token) or {}


@bp.post("/refresh")
@login_required
def refresh() -> Response | str:
    auth = current()
    if not auth.refresh_token:
        return problem(400, "No refresh token", "This sign-in returned no refresh token to use.")
    client = oauth_client()
    call = client.prepare_refresh(auth.refresh_token)
    paused = presenter.pause_before(
        call,
        title="Refresh the tokens",
        expect="New access and ID tokens with new iat and exp; auth_time stays. A new refresh token comes "
        "back only if the client rotates refresh tokens.",
        action=url_for("lifecycle.refresh"),
    )
    if paused is not None:  # presenter mode: the call is shown first (see presenter.pause_before)
        return paused
    before_id, before_access = _claims(auth.id_token), _claims(auth.access_token)
    try:
        tokens = client.send(call)
    except ProviderRefused as exc:
        auth.last_refresh = _refusal(exc)
        _save(auth, "refresh")
        return render_dashboard(auth, 400)  # the refusal shows inline, with a way forward
    new_id = tokens.get("id_token")
    id_checks = auth.id_checks
    if new_id:
        try:  # every check (no nonce: a refreshed ID token has none), and the sign-in's verified iss and sub
            verified = client.verify_refreshed_id_token(
                new_id, access_token=tokens["access_token"], sub=auth.sub, iss=auth.iss or client.config.issuer
            )
        except IdentityMismatch:
            return problem(
                400,
                "The refreshed ID token is for someone else",
                "Its iss or sub differs from the sign-in's.",
            )
        except TokenRejected as exc:
            return problem(
                400,
                "The refreshed ID token failed verification",
                f"Check '{exc.check}' failed: {exc.detail}.",
            )
        id_checks = KeptVerification.of(verified)  # the dashboard now shows the refresh's checks
    access = tokens["access_token"]
    access_checks = KeptVerification.of(client.presets.refresh.verify_access(access)) if is_jwt(access) else None
    rotation = rotation_outcome(
        auth.refresh_token, tokens, now=int(time.time()), grace_seconds=settings().refresh_token_grace_seconds
    )
    rotated = rotation.rotated
    auth.rotated_out = auth.refresh_token if rotated else None  # held only for the replay button
    auth.access_token, auth.access_checks = access, access_checks
    auth.id_token, auth.id_checks = new_id or auth.id_token, id_checks
    auth.refresh_token = tokens.get("refresh_token") or auth.refresh_token
    auth.token_response = shorten_response(tokens)
    auth.last_refresh = {
        "ok": True,
        "at": int(time.time()),
        "rotated": rotated,
        "rotation": rotation.as_dict(),  # fingerprints and times only, never a token
        "returned": sorted(k for k in ("access_token", "id_token", "refresh_token") if tokens.get(k)),
        "id_diff": claim_diff(before_id, _claims(new_id)) if new_id else [],
        "access_diff": claim_diff(before_access, _claims(tokens["access_token"])),
    }
    for kind in ("id", "access"):  # one sentence each: did anything but exp and iat move?
        rows = auth.last_refresh[f"{kind}_diff"]
        auth.last_refresh[f"{kind}_summary"] = diff_summary(rows) if rows else ""
    _save(auth, "refresh")
    if presenter.presenting():
        return presenter.came_back_screen(
            title="What came back from the refresh",
            fields=tokens,
            expect="The app verified the new ID token and replaced the session's tokens. The dashboard shows "
            "which claims changed."
            + (
                ""
                if rotated
                else " No refresh_token came back: this client does not rotate them, so the old one stays valid."
            ),
            go_url=url_for("dashboard.dashboard", _anchor="lifecycle"),
        )
    return _to_dashboard()


@bp.post("/refresh/replay-old")
@login_required
def replay_old() -> Response | str:
    """Send the refresh token a rotation replaced, once its grace is over: the provider's refusal is what
    rotation protects against. The old token is dropped before the call, whatever the answer."""
    auth = current()
    rotation = (auth.last_refresh or {}).get("rotation") or {}
    if not auth.rotated_out or not rotation.get("rotated"):
        return problem(
            400,
            "No rotated-out refresh token to replay",
            "The app holds a replaced refresh token only after a refresh that rotated it, until it is replayed "
            "or a few minutes after its grace period.",
            action=(url_for("dashboard.dashboard", _anchor="lifecycle"), "Back to the dashboard"),
        )
    now = time.time()
    if wait := replay_wait(rotation, now):
        return problem(
            409,
            "The old refresh token is still in its grace period",
            f"The provider still accepts it for {wait} s more, so a replay now would only mint more tokens. "
            "Replay it when the countdown ends.",
            action=(url_for("dashboard.dashboard", _anchor="rotation"), "Back to the countdown"),
        )
    client = oauth_client()
    call = as_replay(client.prepare_refresh(auth.rotated_out))
    paused = presenter.pause_before(
        call,
        title="Replay the rotated-out refresh token",
        expect="400 invalid_grant: after its grace period the provider refuses a refresh token that rotation "
        "replaced. A copy of it (from a log, a backup, a stolen cookie jar) is now worthless.",
        action=url_for("lifecycle.replay_old"),
    )
    if paused is not None:  # presenter mode: the call is shown first (see presenter.pause_before)
        return paused
    sent, auth.rotated_out = fingerprint(auth.rotated_out), None
    try:
        with recorder.probes():  # an expected refusal: shown with the tool's own probes in the trace
            client.send(call)
    except ProviderRefused as exc:
        replay = replay_record(
            at=int(now), fingerprint_sent=sent, status=exc.status, error=exc.error, description=exc.description
        )
    except ProviderError as exc:
        replay = replay_record(
            at=int(now), fingerprint_sent=sent, status=502, error="provider_error", description=exc.message
        )
    else:  # the provider's grace was longer than the app was told: its new tokens are not kept
        replay = replay_record(at=int(now), fingerprint_sent=sent, accepted=True)
    if auth.last_refresh is not None:
        auth.last_refresh = {**auth.last_refresh, "replay": replay}
    _save(auth, "refresh")
    return _to_dashboard("rotation")


@bp.post("/auto-refresh")
@login_required
def auto_refresh() -> Response:
    AUTO_REFRESH.set(request.form.get("enabled") == "1")
    return _to_dashboard()


@bp.post("/userinfo")
@login_required
def userinfo() -> Response | str:
    auth = current()
    try:
        info = oauth_client().userinfo_for(auth.access_token, auth.sub)
    except ProviderRefused as exc:
        auth.userinfo = _refusal(exc)
        _save(auth, "userinfo")
        return render_dashboard(auth, 400)
    except SubjectMismatch as exc:
        auth.userinfo = {"ok": False, "at": int(time.time()), "error": "sub mismatch"}
        _save(auth, "userinfo")
        return problem(
            400,
            "userInfo answered for a different user",
            f"Its sub {str(exc.got)[:80]!r} differs from the ID token's sub {exc.expected!r}; "
            "the response was discarded.",
            hint="A provider must never do this (OIDC Core §5.3.2); a proxy or a mix-up may be at work.",
            error="invalid_userinfo",
        )
    strings = sorted(k for k, v in info.items() if k.endswith("_verified") and isinstance(v, str))
    auth.userinfo = {"ok": True, "at": int(time.time()), "claims": info, "string_flags": strings}
    _save(auth, "userinfo")
    return _to_dashboard("userinfo")


@bp.post("/revoke")
@login_required
def revoke() -> Response | str:
    auth = current()
    if not auth.refresh_token:
        return problem(400, "No refresh token", "There is no refresh token to revoke.")
    client = oauth_client()
    call = client.prepare_revoke(auth.refresh_token)
    paused = presenter.pause_before(
        call,
        title="Revoke the refresh token",
        expect="The provider answers 200 with an empty body, and every token from this sign-in is revoked "
        "at the provider. The access token you hold still verifies offline until it expires: the "
        "revocation lab shows both.",
        action=url_for("lifecycle.revoke"),
    )
    if paused is not None:  # presenter mode: the call is shown first (see presenter.pause_before)
        return paused
    client.send(call)
    auth.refresh_revoked = True
    auth.rotated_out = None  # revoking a refresh token ends every token of the sign-in: nothing left to replay
    _save(auth, "revoke")
    if presenter.presenting():
        return presenter.came_back_screen(
            title="What came back from the revocation",
            fields={},
            expect="Nothing else: revocation answers 200 with an empty body. Next, the revocation lab tries "
            "the revoked tokens offline and at the provider.",
            go_url=url_for("lifecycle.revocation"),
        )
    return redirect(url_for("lifecycle.revocation"))


def _attempt(call: Callable[[], object]) -> dict:
    try:
        call()
    except ProviderRefused as exc:
        return {"ok": False, "status": exc.status, "error": exc.error, "description": exc.description}
    except ProviderError as exc:
        return {"ok": False, "status": 502, "error": "provider_error", "description": exc.message}
    return {"ok": True}


@bp.get("/revocation")
@login_required
def revocation() -> str:
    auth = current()
    client = oauth_client()
    lab = None
    if auth.refresh_revoked:
        offline = client.presets.stored.verify_access(auth.access_token)
        refresh_token = auth.refresh_token or ""
        with recorder.probes():  # expected refusals: shown as the lab's probes in the trace
            attempts = {
                "refresh": _attempt(lambda: client.refresh(refresh_token)),
                "userinfo": _attempt(lambda: client.userinfo(auth.access_token)),
            }
        lab = {
            "offline": offline,
            "exp": exp.detail if (exp := offline.check(CheckName.EXP)) else "",
            **attempts,
        }
    s = settings()
    rotation = {
        "protects": PROTECTS,
        "grace": GRACE,
        "client": client_rotation(s.refresh_token_grace_seconds, s.local_provider),
    }
    return render_template("revocation.html", auth=auth, lab=lab, rotation=rotation)


@bp.post("/call-api")
@login_required
def call_api() -> Response:
    """Call this app's own /api/me with a token from the session, and keep the exchange to show."""
    auth = current()
    kind = "id" if request.form.get("token") == "id" else "access"
    token = auth.id_token if kind == "id" else auth.access_token
    if not token:
        return problem(400, "No such token", "This sign-in has no ID token.")
    answer = api.call_api_traced(token)
    challenge = answer["headers"].get("WWW-Authenticate", "")
    why = scope_refusal(answer["status"], challenge, _claims(token).get("scope"))  # a 403 names the missing scope
    auth.api_call = {"token": kind, **answer, "scope_refusal": why}
    _save(auth, "api")
    return _to_dashboard("api")
