"""A token's life from the dashboard: refresh, userinfo, revoke (and its lab), API calls."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from lab.causes import likely_cause
from lab.display import shorten_response
from lab.lifecycle import claim_diff
from oauth.client import is_jwt
from oauth.errors import IdentityMismatch, ProviderRefused, SubjectMismatch, TokenRejected
from oauth.http import ProviderError
from oauth.kept import KeptVerification
from oauth.rotation import rotation_outcome
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
    confirmed = request.form.get("confirmed") == "1"
    if presenter.presenting() and not (confirmed and presenter.is_the_shown_call(call)):
        return presenter.call_screen(
            title="Refresh the tokens",
            call=call,  # Continue prepares it again from the session and sends it only if it is this one
            changed=confirmed,
            expect="New access and ID tokens with new iat and exp; auth_time stays. A new refresh token comes "
            "back only if the client rotates refresh tokens.",
            action=url_for("lifecycle.refresh"),
            fields={"confirmed": "1"},
        )
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
    confirmed = request.form.get("confirmed") == "1"
    if presenter.presenting() and not (confirmed and presenter.is_the_shown_call(call)):
        return presenter.call_screen(
            title="Revoke the refresh token",
            call=call,  # Continue prepares it again from the session and sends it only if it is this one
            changed=confirmed,
            expect="The provider answers 200 with an empty body, and every token from this sign-in is revoked "
            "at the provider. The access token you hold still verifies offline until it expires: the "
            "revocation lab shows both.",
            action=url_for("lifecycle.revoke"),
            fields={"confirmed": "1"},
        )
    client.send(call)
    auth.refresh_revoked = True
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
    return render_template("revocation.html", auth=auth, lab=lab)


@bp.post("/call-api")
@login_required
def call_api() -> Response:
    """Call this app's own /api/me with a token from the session, and keep the exchange to show."""
    auth = current()
    kind = "id" if request.form.get("token") == "id" else "access"
    token = auth.id_token if kind == "id" else auth.access_token
    if not token:
        return problem(400, "No such token", "This sign-in has no ID token.")
    auth.api_call = {"token": kind, **api.call_api_traced(token)}
    _save(auth, "api")
    return _to_dashboard("api")
