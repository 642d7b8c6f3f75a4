"""/call: send the signed-in user's access token to another API, one the operator listed (API_CALL_ALLOWLIST),
and show the answer with the trace (oauth/outbound.py has every rule; lab/api_call.py what the page shows)."""

from __future__ import annotations

import time

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from flows.keys import API_CALL
from lab.api_call import result
from oauth import outbound
from tracing import recorder
from tracing.model import Exchange

from . import oauth_client, settings
from .signin import current, login_required

bp = Blueprint("api_call", __name__)


def _form() -> dict[str, str]:
    form = request.form
    return {
        "url": form.get("url", "")[: outbound.MAX_URL + 1],
        "method": form.get("method", "GET"),
        "content_type": form.get("content_type", outbound.CONTENT_TYPES[0]),
        "body": form.get("body", "")[: outbound.MAX_BODY + 1],
    }


def _page(status: int = 200, form: dict[str, str] | None = None, refusal: str = "", failure: str = "") -> Response:
    s = settings()
    last = None if (refusal or failure) else API_CALL.get(session)
    blank = {"url": "", "method": "GET", "content_type": outbound.CONTENT_TYPES[0], "body": ""}
    html = render_template(
        "api_call.html",
        allowlist=[entry.text for entry in s.api_call_allowlist],
        form=form or (last or {}).get("form") or blank,  # the last call's fields: send it again, or change one
        methods=outbound.METHODS,
        content_types=outbound.CONTENT_TYPES,
        limits={"body": outbound.MAX_BODY, "answer_kb": outbound.MAX_ANSWER // 1024, "seconds": outbound.DEADLINE},
        refusal=refusal,
        failure=failure,
        last=last,
    )
    return Response(html, status=status, mimetype="text/html")


def _forbidden() -> tuple[tuple[str, str, int, str], ...]:
    """The provider's own endpoints (from discovery, and its Cognito domain), never called from here."""
    meta = oauth_client().metadata()
    domain = settings().client.cognito_domain
    endpoints = [meta.token_endpoint, meta.revocation_endpoint, meta.userinfo_endpoint]
    return outbound.forbidden_endpoints([*endpoints, domain + "/oauth2/token" if domain else ""])


@bp.get("/call")
@login_required
def page() -> Response:
    return _page()


@bp.post("/call")
@login_required
def send() -> Response:
    auth = current()
    form = _form()
    s = settings()
    began = time.time()
    try:
        target = outbound.check(form["url"], s.api_call_allowlist, _forbidden())
        answer = outbound.send(
            target, outbound.addresses(target), form["method"], auth.access_token, form["body"], form["content_type"]
        )
    except outbound.CallRefused as exc:  # nothing was sent
        return _page(403 if not s.api_call_allowlist else 400, form, refusal=str(exc))
    except outbound.CallFailed as exc:
        recorder.note_exchange(
            Exchange(
                "api_call",
                form["method"],
                target.url.split("#", 1)[0],
                request_headers={"Authorization": f"Bearer {auth.access_token}"},
                request_body=form["body"] if form["method"] == "POST" else "",
                duration_ms=(time.time() - began) * 1000,
                started=began,
            )
        )
        return _page(502, form, failure=f"The API gave no answer: {exc}")
    sent_body = form["body"] if form["method"] == "POST" else ""
    recorder.note_exchange(
        Exchange(
            "api_call",
            form["method"],
            target.url.split("#", 1)[0],
            request_headers=answer.request_headers,
            request_body=sent_body,
            status=answer.status,
            response_headers=dict(answer.headers),
            response_body=answer.body,
            duration_ms=answer.elapsed_ms,
            started=began,
        )
    )
    record = result(target, form["method"], sent_body, answer, (auth.access_token, auth.id_token or ""))
    API_CALL.set({**record, "form": form}, session)
    return redirect(url_for("api_call.page", _anchor="result"), code=303)
