"""The editable authorize request: a panel with a live URL preview, then the real redirect."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.wrappers import Response

from flows.keys import TX
from lab import authorize_panel as words
from oauth import authorize_request as panel
from oauth import transactions
from tracing import recorder

from . import oauth_client, presenter, settings
from .errors import problem

bp = Blueprint("authorize_panel", __name__)


@bp.get("/authorize-request")
def page() -> str:
    meta = oauth_client().metadata()  # a clear 502 before anything is stored
    tx = transactions.begin(session, "panel", request.args.get("next"), key=TX)
    s = settings().client
    fixed = {kind: panel.fixed_params(s, tx, kind) for kind in panel.RESPONSE_TYPE_VALUES}
    return render_template(
        "authorize_panel.html",
        endpoint=meta.authorization_endpoint,
        offered=words.choices(s, meta),
        fixed=fixed,
        state=tx.state,
        order=panel.ORDER,
        prompts=words.PROMPTS,
        response_types=words.RESPONSE_TYPES,
        langs=panel.LANGS,
        help=words.PARAM_HELP,
    )


@bp.post("/authorize-request")
def send() -> Response | str:
    tx = transactions.take(session, request.form.get("state"), "panel", key=TX)
    if tx is None:
        return problem(
            400,
            "This authorize request expired or was sent already",
            "Each panel carries its own state, single use, valid 10 minutes.",
            hint="Open the panel again: it makes a fresh state, nonce and PKCE verifier.",
            error="invalid_state",
        )
    client = oauth_client()
    s = settings().client
    offered = words.choices(s, client.metadata())
    params, error = panel.read_form(request.form, offered.scope_names, offered.cognito)
    if error:
        return problem(400, "The authorize request is not valid", error, error="invalid_request")
    response_type = params["response_type"]
    flow = "code" if response_type == "code" else "implicit"
    tx = dataclasses.replace(tx, flow=flow, scope=params["scope"])
    transactions.put(session, tx, key=TX)
    url = panel.build_url(
        client.metadata().authorization_endpoint, {**params, **panel.fixed_params(s, tx, response_type)}
    )
    recorder.note_redirect("authorize" if flow == "code" else "implicit_authorize", url)
    if presenter.presenting():
        return presenter.redirect_screen(
            title="Send the browser to the authorize endpoint (from the panel)",
            url=url,
            expect="The provider checks every parameter; a refused one (invalid_scope, unauthorized_client) comes "
            "back on the callback page, explained.",
        )
    return redirect(url, code=303)
