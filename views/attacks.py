"""The attack lab (/attacks): each attack run for real, its refusal shown; the runner is attacks/.

Anyone may run the attacks with the local provider (rate-limited, anti-forgery token required); with any
other provider only a signed-in user, only the attacks that need no second user, and only on Run. In
presenter mode a run stops before each attacker request, keeps its state in the (server-side) session,
and Continue sends only the request its screen showed (an HMAC of that request comes back with it).
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, abort, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from attacks import scripts
from attacks.catalogue import ATTACKS, CHECKS, words
from attacks.codeflow import own_sign_in_url
from attacks.model import Prepared, Target
from attacks.present import run_view, screen_rows
from attacks.record import Entry
from attacks.runner import Lab, Pause, RunError, advance, random_value
from flows.keys import ATTACK_RUN, ATTACK_TX
from lab.steps import PARAM_HELP
from oauth.errors import ClientError
from tracing import recorder

from . import antiforgery, oauth_client, presenter, settings, signin
from .errors import problem

bp = Blueprint("attacks", __name__)
SHOWN = "shown_request"
TX_TTL = 600


def _target(with_provider: bool) -> Target:
    """This app as the lab attacks it. The provider's endpoints only when a run needs them (discovery is a
    request to the provider: never made for a page view)."""
    metadata = oauth_client().metadata() if with_provider else None
    user = signin.load()
    s = settings()
    own = user.access_token if user and not s.client.local_provider else ""
    return Target.of(
        s.client,
        metadata,
        demo_users=s.demo_users,
        public_rotation_grace=s.public_refresh_grace_seconds,
        own_access_token=own,
    )


def _cards(target: Target) -> list[dict]:
    signed_in = signin.load() is not None
    return [
        {
            "info": info,
            "story": words(info.story, target.victim_name, target.attacker_name),
            "check": CHECKS[info.check],
            "why_not": scripts.unavailable(number, target, signed_in),
        }
        for number, info in ATTACKS.items()
    ]


def _page(result: object = None, status: int = 200) -> tuple[str, int]:
    target = _target(with_provider=False)
    html = render_template("attacks.html", cards=_cards(target), result=result, target=target)
    return html, status


@bp.get("/attacks")
def page() -> tuple[str, int]:
    return _page()


def _known(number: int) -> None:
    if number not in ATTACKS:
        abort(404)


@bp.post("/attacks/<int:number>/run")
def run(number: int) -> Response | tuple[str, int] | str:
    _known(number)
    why_not = scripts.unavailable(number, _target(with_provider=False), signin.load() is not None)
    if why_not:
        return problem(400, "This attack cannot run here", why_not, error="not_runnable")
    _abandon()
    target = _target(with_provider=True)
    if not target.local and number in scripts.THROUGH_YOUR_BROWSER:
        return _through_your_browser(target)
    return _go(Lab(target, number), target)


def _go(lab: Lab, target: Target, approved: Prepared | None = None) -> Response | tuple[str, int] | str:
    """Run on until the next presenter pause or the end; a run that breaks is cleaned up and said so."""
    moves = scripts.moves(lab.number, target)
    try:
        pause = advance(lab, moves, presenter.presenting(), approved)
    except (RunError, ClientError) as exc:
        return _finish(lab, target, failed=str(exc), status=502 if isinstance(exc, ClientError) else 400)
    if pause is not None:
        ATTACK_RUN.set(lab.state(), session)
        return _screen(lab, target, pause)
    return _finish(lab, target)


def _finish(lab: Lab, target: Target, failed: str = "", status: int = 200) -> tuple[str, int]:
    try:
        traces = lab.clean_up()
    except ClientError as exc:
        traces = []
        lab.notes.append(f"Cleanup did not complete: {exc}.")
    for trace_id in traces:  # the traces this app kept for the scripted browsers
        recorder.store().delete(trace_id)
    return _page(run_view(target, lab.number, lab.entries, lab.notes, failed), status)


def _abandon() -> None:
    """A run paused and never continued: clean up after its scripted browsers before anything else."""
    state = ATTACK_RUN.pop(session)
    ATTACK_TX.pop(session)
    if state and isinstance(state.get("number"), int):
        lab = Lab(_target(with_provider=True), state["number"], state)
        try:
            for trace_id in lab.clean_up():
                recorder.store().delete(trace_id)
        except ClientError:
            pass  # what it held expires on its own (codes in 5 minutes, sessions at their timeouts)


def _mac(prepared: Prepared) -> str:
    return antiforgery.mac("attack-request", url_for("attacks.resume").encode() + b"\n" + prepared.canonical())


def _screen(lab: Lab, target: Target, pause: Pause, changed: bool = False) -> str:
    prepared = pause.prepared
    endpoint, pairs = screen_rows(target, [h[1] for h in lab.held], prepared)
    check = CHECKS[ATTACKS[lab.number].check]
    checker = "the provider" if check.side == "provider" else "this app"
    sender = "the attacker" if prepared.via == "attacker" else "the victim's browser, following the attacker's link"
    return render_template(
        "presenter.html",
        title=f"Attacker: {prepared.title}",
        channel=f"attack {lab.number} · request {pause.index + 1} of {pause.total} · sent by {sender}",
        method=prepared.method,
        endpoint=endpoint,
        params=[(k, v, PARAM_HELP.get(k, "")) for k, v in pairs],
        expect=f"The check meant to refuse it: {check.name} ({checker}: {check.rule}). The lab shows what answers.",
        go_url=None,
        form=(url_for("attacks.resume"), {SHOWN: _mac(prepared)}),
        changed=presenter.CHANGED if changed else "",
        expires_at=None,
        now=time.time(),
        attacker=True,
    )


@bp.post("/attacks/continue")
def resume() -> Response | tuple[str, int] | str:
    """Presenter mode: send the paused attacker request, exactly as its screen showed it, and go on."""
    state = ATTACK_RUN.pop(session)
    if not state or not isinstance(state.get("number"), int) or state["number"] not in ATTACKS:
        return problem(400, "Nothing to continue", "There is no paused attack in this session.")
    target = _target(with_provider=True)
    lab = Lab(target, state["number"], state)
    moves = scripts.moves(lab.number, target)
    if lab.move >= len(moves):
        return _finish(lab, target)
    prepared = moves[lab.move].prepare(lab)
    if prepared is None or not hmac.compare_digest(request.form.get(SHOWN, ""), _mac(prepared)):
        ATTACK_RUN.set(lab.state(), session)
        if prepared is None:
            return _go(lab, target)
        return _screen(lab, target, Pause(prepared, lab.move, len(moves)), changed=True)
    return _go(lab, target, approved=prepared)


# -- attack 1 with a real provider: the user's own browser brings a code back -------------------------------
def _through_your_browser(target: Target) -> Response:
    """Send the browser to sign in through the browser-only client; its redirect back is the lab's
    (`your_code`), recognised by the state kept here."""
    state = random_value()
    ATTACK_TX.set({"state": state, "created": int(time.time())}, session)
    return redirect(own_sign_in_url(target, state))


def your_code() -> Response | None:
    """Before each request (views/hooks.py): the browser-only callback carrying the lab's state brings the
    code of attack 1 with a real provider, which the attacker "steals"; any other request goes on."""
    if request.endpoint != "spa.callback" or "state" not in request.args:
        return None
    pending = ATTACK_TX.get(session)
    if not pending or not hmac.compare_digest(str(pending.get("state", "")), request.args.get("state", "")):
        return None
    ATTACK_TX.pop(session)
    target = _target(with_provider=True)
    code = request.args.get("code", "")
    if not code or time.time() - int(pending.get("created", 0)) > TX_TTL:
        return make_response(_page(run_view(target, 1, [], [], failed="no code came back, or too late"), 400))
    lab = Lab(target, 1)
    lab.values["code_1"] = code
    lab.entries.append(
        Entry("setup", "victim", "provider", "your browser signs in (browser-only client)", "302 → /spa/callback")
    )
    return make_response(_go(lab, target))
