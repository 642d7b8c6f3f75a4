"""The flows in-process (flows/, issue 20.1): each operation with a dict for a session, a trace that keeps its
notes, and the local provider's real answers, without the app, a server or a browser.

The views' wiring of the same flows (pages, redirects, presenter screens) is tested through the app
(test_login.py, test_lifecycle.py, test_live_demo.py, ...), and end to end over HTTP and in Chromium.
"""

from __future__ import annotations

import json
import time

import pytest
from jose import jws

from flows import api, browser, lifecycle, signin
from flows.context import SEND, Pending
from flows.keys import CODE_RUN, COMPLETED_LOGIN, IMPLICIT_RUN, PRESENTER_PENDING, SCREEN, SEEN_AT, SIGN_IN, SPA_RUN
from flows.state import Screen, SignIn
from oauth.errors import IdentityMismatch, ProviderRefused
from oauth.rotation import fingerprint
from tests.support import answer
from tests.support.flows import Approve, FlowLab, MemorySession, NotYet

COGNITO_CODE_LIFETIME = 300  # Cognito's authorize endpoint page: "valid for five minutes"


def signed_in(lab: FlowLab, username: str = "demo") -> signin.SignedIn:
    tx = lab.begin()
    outcome = signin.complete_sign_in(lab.context(), tx, lab.code_for(tx, username), SEND)
    assert isinstance(outcome, signin.SignedIn), outcome
    return outcome


def user_of(lab: FlowLab) -> SignIn:
    user = SignIn.from_session(lab.session)
    assert user is not None
    return user


# -- a sign-in ------------------------------------------------------------------------------------------
def test_a_sign_in_verifies_then_stores_tokens_and_identity_and_renews_the_session(flow_lab):
    lab = flow_lab
    lab.session.update({"implicit_run": {"verified": True}, "stranger": 1})
    tx = lab.begin(next_url="/compare")
    code = lab.code_for(tx)
    outcome = signin.complete_sign_in(lab.context(), tx, code, SEND)
    assert isinstance(outcome, signin.SignedIn) and outcome.next == "/compare"
    user = user_of(lab)
    claims = json.loads(jws.get_unverified_claims(user.id_token or ""))
    assert user.sub == claims["sub"] and user.iss == lab.config.issuer and user.flow == "code"
    assert user.refresh_token == outcome.tokens["refresh_token"] and user.access_token == outcome.tokens["access_token"]
    assert user.id_checks and all(passed for _, passed, _ in user.id_checks.checks)  # the checks it passed, kept
    assert "stranger" not in lab.session and lab.session["implicit_run"] == {"verified": True}  # kept across login
    assert lab.session.renewed == 1  # a new session id: no fixation
    assert lab.trace.started == [tx.state]  # a new trace keeping this sign-in's own steps
    assert Screen.load(lab.session).token_response["refresh_token"] != user.refresh_token  # shown, never whole
    assert CODE_RUN.get(lab.session)["client_auth"] == "client_secret_basic"
    assert SEEN_AT.get(lab.session) and COMPLETED_LOGIN.get(lab.session)["state"] == tx.state
    assert code not in json.dumps(dict(lab.session))  # the completed sign-in keeps an HMAC of its code, never the code


def test_an_id_token_that_fails_a_check_stores_nothing(flow_lab):
    lab = flow_lab
    tx = lab.begin()
    code = lab.code_for(tx)
    lab.rewriter.rewrite = lambda body: {**body, "id_token": resigned(lab, body["id_token"], nonce="someone-elses")}
    outcome = signin.complete_sign_in(lab.context(), tx, code, SEND)
    assert isinstance(outcome, signin.IdTokenRejected) and outcome.failure.name == "nonce"
    assert SIGN_IN not in lab.session and SCREEN not in lab.session and lab.session.renewed == 0
    assert lab.trace.started == []


def resigned(lab: FlowLab, token: str, **changes) -> str:
    """The token's claims changed, signed again with the provider's own ID-token key."""
    claims = {**json.loads(jws.get_unverified_claims(token)), **changes}
    key = lab.pool.keys.id_key
    return jws.sign(claims, key.signer(), headers={"kid": key.kid}, algorithm="RS256")


# -- the presenter's pause before the code exchange -----------------------------------------------------
def test_the_exchange_pauses_with_the_codes_countdown_and_sends_only_the_call_shown(flow_lab):
    """Issue 23.3: the pause counts down the code's five minutes from when it reached the callback; issue
    19.8: Continue sends the call only if it is the one the screen showed."""
    lab = flow_lab
    tx = lab.begin()
    code = lab.code_for(tx)
    arrived = int(time.time())
    paused = signin.complete_sign_in(lab.context(now=arrived), tx, code, NotYet())
    assert isinstance(paused, Pending) and not paused.changed
    assert paused.expires_at == arrived + COGNITO_CODE_LIFETIME
    assert dict(paused.call.form)["code"] == code and not lab.steps("token")  # shown, not sent
    assert PRESENTER_PENDING.get(lab.session)["code_at"] == arrived  # the code and when it came; never the call
    assert "client_secret" not in json.dumps(PRESENTER_PENDING.get(lab.session))
    other = lab.client.prepare_exchange("another-code", tx)  # a call no screen showed
    again = signin.resume_sign_in(lab.context(now=arrived + 30), Approve(other))
    assert isinstance(again, Pending) and again.changed and not lab.steps("token")  # not sent: paused again
    assert again.expires_at == arrived + COGNITO_CODE_LIFETIME  # still counting from the code's arrival
    done = signin.resume_sign_in(lab.context(), Approve(paused.call))
    assert isinstance(done, signin.SignedIn) and len(lab.steps("token")) == 1
    assert signin.resume_sign_in(lab.context(), Approve(paused.call)) == signin.NothingToContinue()


def test_a_code_that_expired_on_the_pause_is_said_so(flow_lab):
    lab = flow_lab
    tx = lab.begin()
    code = lab.code_for(tx)
    arrived = int(time.time())
    paused = signin.complete_sign_in(lab.context(now=arrived), tx, code, NotYet())
    assert isinstance(paused, Pending)
    provider = lab.pool.clock
    lab.pool.clock = lambda: provider() + 360
    expired = signin.resume_sign_in(lab.context(now=arrived + 360), Approve(paused.call))
    assert expired == signin.CodeExpired(lifetime=COGNITO_CODE_LIFETIME, waited=360, next="/dashboard")
    assert SIGN_IN not in lab.session


def test_a_callback_opened_again_is_recognised_and_never_sent_again(flow_lab):
    lab = flow_lab
    tx = lab.begin()
    code = lab.code_for(tx)
    assert isinstance(signin.complete_sign_in(lab.context(), tx, code, SEND), signin.SignedIn)
    ctx = lab.context()
    assert signin.opened_again(ctx, tx.state, code, SEND, presenting=False) == signin.CompletedAgain("/dashboard")
    assert signin.opened_again(ctx, tx.state, "a-new-code", SEND, False) == signin.SignedInAlready()
    assert signin.opened_again(ctx, "another-state", code, SEND, False) is None
    assert len(lab.steps("token")) == 1


# -- refresh, with its rotation record --------------------------------------------------------------------
def test_a_refresh_replaces_the_tokens_and_records_the_rotation(flow_lab):
    lab = flow_lab
    lab.web_client()["RefreshTokenRotation"] = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 20}
    lab.grace_seconds = 20
    signed_in(lab)
    before = user_of(lab)
    outcome = lifecycle.refresh(lab.context(), user_of(lab), SEND)
    assert isinstance(outcome, lifecycle.Refreshed) and outcome.rotation.rotated
    after = user_of(lab)
    assert after.access_token == outcome.tokens["access_token"] != before.access_token
    assert after.refresh_token == outcome.tokens["refresh_token"] and after.sub == before.sub
    shown = Screen.load(lab.session).last_refresh or {}
    assert shown["ok"] and shown["rotated"] and shown["returned"] == ["access_token", "id_token", "refresh_token"]
    rotation = shown["rotation"]
    assert rotation["old"] != rotation["new"] == fingerprint(after.refresh_token or "")
    assert rotation["grace_seconds"] == 20 and rotation["grace_ends"] == rotation["at"] + 20
    assert {r["name"]: r["status"] for r in shown["access_diff"]}["jti"] == "changed"
    assert before.refresh_token not in json.dumps(shown) and (after.refresh_token or "") not in json.dumps(shown)


def test_a_refused_refresh_keeps_the_tokens_and_says_why(flow_lab):
    lab = flow_lab
    signed_in(lab)
    user = user_of(lab)
    lab.pool.revoke(lab.web_client(), user.refresh_token)
    lab.session.written.clear()
    outcome = lifecycle.refresh(lab.context(), user, SEND)
    assert isinstance(outcome, lifecycle.Refused) and outcome.error.error == "invalid_grant"
    assert user_of(lab) == user and lab.session.written == [SCREEN]  # the sign-in was not written
    refused = Screen.load(lab.session).last_refresh or {}
    assert refused["ok"] is False and refused["status"] == 400 and refused["cause"]


def test_a_refreshed_id_token_for_someone_else_is_not_stored(flow_lab):
    lab = flow_lab
    signed_in(lab)
    user = user_of(lab)
    lab.rewriter.rewrite = lambda body: {**body, "id_token": resigned(lab, body["id_token"], sub="someone-else")}
    outcome = lifecycle.refresh(lab.context(), user, SEND)
    assert isinstance(outcome, lifecycle.RefreshRejected) and isinstance(outcome.reason, IdentityMismatch)
    assert user_of(lab).id_token == user.id_token


def test_a_refresh_pauses_until_its_call_is_approved(flow_lab):
    lab = flow_lab
    signed_in(lab)
    paused = lifecycle.refresh(lab.context(), user_of(lab), NotYet())
    assert isinstance(paused, Pending) and dict(paused.call.form)["grant_type"] == "refresh_token"
    assert not lab.steps("refresh")
    assert isinstance(lifecycle.refresh(lab.context(), user_of(lab), Approve(paused.call)), lifecycle.Refreshed)


def test_no_refresh_token_no_refresh(flow_lab):
    user = SignIn(flow="code", access_token="opaque")
    assert lifecycle.refresh(flow_lab.context(), user, SEND) == lifecycle.NoRefreshToken()
    assert lifecycle.revoke(flow_lab.context(), user, SEND) == lifecycle.NoRefreshToken()


# -- what a dashboard click writes (issue 20.9) --------------------------------------------------------
@pytest.mark.parametrize("action", ["userinfo", "call_api_access", "call_api_id"])
def test_a_dashboard_click_writes_its_screen_state_and_leaves_the_tokens_alone(flow_lab, action):
    lab = flow_lab
    signed_in(lab)
    stored = lab.session[SIGN_IN]
    lab.session.written.clear()
    if action == "userinfo":
        assert isinstance(lifecycle.userinfo(lab.context(), user_of(lab)), lifecycle.UserInfo)
    else:
        api.call_api(lab.context(), user_of(lab), action.removeprefix("call_api_"))
    assert lab.session.written == [SCREEN] and lab.session[SIGN_IN] is stored


# -- userInfo, revoke, the revocation lab, the API call -------------------------------------------------
def test_userinfo_for_the_signed_in_user_is_shown(flow_lab):
    lab = flow_lab
    signed_in(lab)
    outcome = lifecycle.userinfo(lab.context(), user_of(lab))
    assert isinstance(outcome, lifecycle.UserInfo) and outcome.claims["sub"] == user_of(lab).sub
    shown = Screen.load(lab.session)
    assert shown.last_action == "userinfo" and shown.userinfo and shown.userinfo["claims"] == outcome.claims


def test_userinfo_for_someone_else_is_discarded(flow_lab):
    lab = flow_lab
    signed_in(lab)
    lab.rewriter.faults["/oauth2/userInfo"] = answer(json.dumps({"sub": "someone-else"}))
    outcome = lifecycle.userinfo(lab.context(), user_of(lab))
    assert isinstance(outcome, lifecycle.NotThisUser) and outcome.error.got == "someone-else"
    assert (Screen.load(lab.session).userinfo or {}).get("error") == "sub mismatch"


def test_a_revocation_is_kept_and_the_lab_shows_what_still_works(flow_lab):
    lab = flow_lab
    signed_in(lab)
    assert lifecycle.revocation_lab(lab.context(), user_of(lab)) is None  # nothing revoked yet
    assert lifecycle.revoke(lab.context(), user_of(lab), SEND) == lifecycle.Revoked()
    assert user_of(lab).refresh_revoked and Screen.load(lab.session).last_action == "revoke"
    found = lifecycle.revocation_lab(lab.context(), user_of(lab))
    assert found is not None and found.offline.ok  # the access token still verifies offline
    refused = {"ok": False, "status": 400, "error": "invalid_grant", "description": "Invalid Refresh Token"}
    assert found.refresh == refused
    assert found.userinfo["ok"] is False and found.userinfo["status"] == 401
    assert lab.trace.probed == [True] and not lab.trace.probing  # the provider's refusals are the lab's probes


def test_the_api_call_is_answered_by_the_resource_server_and_traced(flow_lab):
    lab = flow_lab
    signed_in(lab)
    shown = api.call_api(lab.context(), user_of(lab), "access")
    assert isinstance(shown, dict) and shown["status"] == 200 and json.loads(shown["body"])["sub"] == user_of(lab).sub
    (exchange,) = lab.trace.exchanges
    assert exchange.url == "http://localhost:5000/api/me" and exchange.status == 200
    assert exchange.request_headers == {"Authorization": f"Bearer {user_of(lab).access_token}"}  # redacted when stored
    refused = api.call_api(lab.context(), user_of(lab), "id")  # an ID token is no access token
    assert isinstance(refused, dict) and refused["status"] == 401 and "WWW-Authenticate" in refused["headers"]
    assert (Screen.load(lab.session).api_call or {})["token"] == "id"
    no_id = SignIn(flow="code", access_token=user_of(lab).access_token)
    assert api.call_api(lab.context(), no_id, "id") == api.NoSuchToken()


# -- sign-out ---------------------------------------------------------------------------------------------
def test_sign_out_revokes_clears_and_starts_an_empty_trace(flow_lab):
    lab = flow_lab
    signed_in(lab)
    refresh_token = user_of(lab).refresh_token
    paused = signin.sign_out(lab.context(), APP_SIGNED_OUT, NotYet())
    assert isinstance(paused, Pending) and dict(paused.call.form)["token"] == refresh_token
    assert SIGN_IN in lab.session and not lab.steps("revoke")  # nothing happens before Continue
    out = signin.sign_out(lab.context(), APP_SIGNED_OUT, Approve(paused.call))
    assert isinstance(out, signin.SignedOut) and out.revoked and out.revoke_error is None
    assert dict(lab.session) == {} and lab.trace.started[-1] == ""
    assert out.logout_url and out.logout_url.startswith(lab.provider.url + "/logout?")
    assert lab.trace.redirects == [("logout", out.logout_url)]
    assert lab.pool.refresh_tokens[refresh_token or ""].revoked  # revoked at the provider


APP_SIGNED_OUT = "http://localhost:5000/signed-out"


def test_a_refused_revocation_still_signs_out_and_says_why(flow_lab):
    lab = flow_lab
    signed_in(lab)
    lab.rewriter.faults["/oauth2/revoke"] = answer(json.dumps({"error": "unsupported_token_type"}), status=400)
    out = signin.sign_out(lab.context(), APP_SIGNED_OUT, SEND)
    assert isinstance(out, signin.SignedOut) and not out.revoked
    assert isinstance(out.revoke_error, ProviderRefused) and out.revoke_error.error == "unsupported_token_type"
    assert dict(lab.session) == {}  # the app's session is gone anyway


# -- the browser flows' verify --------------------------------------------------------------------------
def test_implicit_tokens_are_verified_once_against_this_browsers_sign_in(flow_lab):
    lab = flow_lab
    tx = lab.begin("implicit")
    tokens = lab.implicit_tokens(tx)
    values = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": tx.state}
    outcome = browser.verify_browser_tokens(lab.context(), "implicit", values)
    assert isinstance(outcome, browser.Verified) and outcome.answer["valid"] is True
    assert IMPLICIT_RUN.get(lab.session)["verified"] is True and SIGN_IN not in lab.session  # nothing kept
    replay = browser.verify_browser_tokens(lab.context(), "implicit", values)
    assert replay == browser.NotVerified(browser.UNKNOWN_STATE["implicit"])


def test_tokens_for_another_sign_in_fail_their_nonce_check(flow_lab):
    lab = flow_lab
    mine, theirs = lab.begin("implicit"), lab.begin("implicit")
    tokens = lab.implicit_tokens(theirs)
    values = {"id_token": tokens["id_token"], "access_token": tokens["access_token"], "state": mine.state}
    outcome = browser.verify_browser_tokens(lab.context(), "implicit", values)
    assert isinstance(outcome, browser.NotVerified) and outcome.check == "nonce"
    assert IMPLICIT_RUN.get(lab.session)["verified"] is False


def test_a_browser_only_sign_in_starts_a_new_trace_and_keeps_no_token(flow_lab):
    lab = flow_lab
    tx = lab.begin("spa", "/spa")
    public = lab.config.public_client_id
    args = {
        "response_type": "token",
        "client_id": public,
        "redirect_uri": lab.config.spa_redirect_uri,
        "scope": "openid email profile",
        "nonce": tx.nonce,
        "state": tx.state,
    }
    client, scopes = lab.pool.client(public), ["openid", "email", "profile"]
    assert client is not None
    tokens = lab.pool.implicit_tokens(client, scopes, args, lab.pool.session(lab.pool.start_session("demo")))
    values = {**{k: tokens[k] for k in ("id_token", "access_token")}, "state": tx.state, "received": ["id_token"]}
    outcome = browser.verify_browser_tokens(lab.context(), "spa", values)
    assert isinstance(outcome, browser.Verified), outcome
    assert SPA_RUN.get(lab.session)["verified"] is True and lab.trace.started == [""]
    assert tokens["access_token"] not in json.dumps(dict(lab.session))


def test_a_memory_session_is_a_plain_mapping():
    session = MemorySession()
    session["a"] = 1
    assert dict(session) == {"a": 1} and session.written == ["a"] and session.renewed == 0
