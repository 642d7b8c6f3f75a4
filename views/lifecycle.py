"""A token's life from the dashboard: refresh, userinfo, revoke (and its lab), API calls. The flows are in
flows/lifecycle.py and flows/api.py; each view reads the request, runs one flow, and answers its outcome."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from flows import api, lifecycle
from flows.context import Pending
from flows.keys import AUTO_REFRESH
from lab.rotation import GRACE, PROTECTS, client_rotation
from oauth.errors import TokenRejected

from . import presenter, settings
from .context import flow_context
from .dashboard import render_dashboard
from .errors import problem
from .signin import current, login_required

bp = Blueprint("lifecycle", __name__)

REFRESH = presenter.Pause(
    name="refresh",
    title="Refresh the tokens",
    expect="New access and ID tokens with new iat and exp; auth_time stays. A new refresh token comes "
    "back only if the client rotates refresh tokens.",
    endpoint="lifecycle.refresh",
)
REPLAY = presenter.Pause(
    name="refresh_replay",
    title="Replay the rotated-out refresh token",
    expect="400 invalid_grant: after its grace period the provider refuses a refresh token that rotation "
    "replaced. A copy of it (from a log, a backup, a stolen cookie jar) is now worthless.",
    endpoint="lifecycle.replay_old",
)
REVOKE = presenter.Pause(
    name="revoke",
    title="Revoke the refresh token",
    expect="The provider answers 200 with an empty body, and every token from this sign-in is revoked "
    "at the provider. The access token you hold still verifies offline until it expires: the "
    "revocation lab shows both.",
    endpoint="lifecycle.revoke",
)


def _to_dashboard(anchor: str = "lifecycle") -> Response:
    return redirect(url_for("dashboard.dashboard", _anchor=anchor))


@bp.post("/refresh")
@login_required
def refresh() -> Response | str:
    ctx, user = flow_context(), current()
    outcome = lifecycle.refresh(ctx, user, presenter.approval(REFRESH))
    if isinstance(outcome, Pending):
        return presenter.call_screen(REFRESH, outcome)
    if isinstance(outcome, lifecycle.NoRefreshToken):
        return problem(400, "No refresh token", "This sign-in returned no refresh token to use.")
    if isinstance(outcome, lifecycle.Refused):
        return render_dashboard(user, 400)  # the refusal shows inline, with a way forward
    if isinstance(outcome, lifecycle.RefreshRejected):
        reason = outcome.reason
        if isinstance(reason, TokenRejected):
            return problem(
                400, "The refreshed ID token failed verification", f"Check '{reason.check}' failed: {reason.detail}."
            )
        return problem(400, "The refreshed ID token is for someone else", "Its iss or sub differs from the sign-in's.")
    same = " No refresh_token came back: this client does not rotate them, so the old one stays valid."
    rotated = (
        " A new refresh_token came back: the client rotates them, so the old one stops working after the grace "
        "period (the dashboard's rotation panel counts it down)."
    )
    return presenter.answered(
        title="What came back from the refresh",
        fields=outcome.tokens,
        expect="The app verified the new ID token and replaced the session's tokens. The dashboard shows "
        "which claims changed." + (rotated if outcome.rotation.rotated else same),
        go_url=url_for("dashboard.dashboard", _anchor="lifecycle"),
        otherwise=_to_dashboard(),
    )


@bp.post("/refresh/replay-old")
@login_required
def replay_old() -> Response | str:
    """Send the refresh token a rotation replaced, once its grace is over: the provider's refusal is what
    rotation protects against (flows/lifecycle.py: replay_rotated_out)."""
    outcome = lifecycle.replay_rotated_out(flow_context(), current(), presenter.approval(REPLAY))
    if isinstance(outcome, Pending):
        return presenter.call_screen(REPLAY, outcome)
    if isinstance(outcome, lifecycle.NothingToReplay):
        return problem(
            400,
            "No rotated-out refresh token to replay",
            "The app holds a replaced refresh token only after a refresh that rotated it, until it is replayed "
            "or a few minutes after its grace period.",
            action=(url_for("dashboard.dashboard", _anchor="lifecycle"), "Back to the dashboard"),
        )
    if isinstance(outcome, lifecycle.InGrace):
        return problem(
            409,
            "The old refresh token is still in its grace period",
            f"The provider still accepts it for {outcome.wait} s more, so a replay now would only mint more tokens. "
            "Replay it when the countdown ends.",
            action=(url_for("dashboard.dashboard", _anchor="rotation"), "Back to the countdown"),
        )
    return _to_dashboard("rotation")


@bp.post("/auto-refresh")
@login_required
def auto_refresh() -> Response:
    AUTO_REFRESH.set(request.form.get("enabled") == "1", session)
    return _to_dashboard()


@bp.post("/userinfo")
@login_required
def userinfo() -> Response | str:
    user = current()
    outcome = lifecycle.userinfo(flow_context(), user)
    if isinstance(outcome, lifecycle.Refused):
        return render_dashboard(user, 400)
    if isinstance(outcome, lifecycle.NotThisUser):
        exc = outcome.error
        return problem(
            400,
            "userInfo answered for a different user",
            f"Its sub {str(exc.got)[:80]!r} differs from the ID token's sub {exc.expected!r}; "
            "the response was discarded.",
            hint="A provider must never do this (OIDC Core §5.3.2); a proxy or a mix-up may be at work.",
            error="invalid_userinfo",
        )
    return _to_dashboard("userinfo")


@bp.post("/revoke")
@login_required
def revoke() -> Response | str:
    ctx, user = flow_context(), current()
    outcome = lifecycle.revoke(ctx, user, presenter.approval(REVOKE))
    if isinstance(outcome, Pending):
        return presenter.call_screen(REVOKE, outcome)
    if isinstance(outcome, lifecycle.NoRefreshToken):
        return problem(400, "No refresh token", "There is no refresh token to revoke.")
    return presenter.answered(
        title="What came back from the revocation",
        fields={},
        expect="Nothing else: revocation answers 200 with an empty body. Next, the revocation lab tries "
        "the revoked tokens offline and at the provider.",
        go_url=url_for("lifecycle.revocation"),
        otherwise=redirect(url_for("lifecycle.revocation")),
    )


@bp.get("/revocation")
@login_required
def revocation() -> str:
    user = current()
    s = settings()
    rotation = {
        "protects": PROTECTS,
        "grace": GRACE,
        "client": client_rotation(s.refresh_token_grace_seconds, s.client.local_provider),
    }
    lab = lifecycle.revocation_lab(flow_context(), user)
    return render_template("revocation.html", auth=user, lab=lab, rotation=rotation)


@bp.post("/call-api")
@login_required
def call_api() -> Response:
    """Call this app's own /api/me with a token from the session, and keep the exchange to show."""
    kind = "id" if request.form.get("token") == "id" else "access"
    if isinstance(api.call_api(flow_context(), current(), kind), api.NoSuchToken):
        return problem(400, "No such token", "This sign-in has no ID token.")
    return _to_dashboard("api")
