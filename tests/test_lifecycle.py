"""Refresh, userinfo, revoke, logout, switch user and session timeouts, over real HTTP."""

from __future__ import annotations

import re
import time
import types
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest

from flows.keys import SIGN_IN
from oauth.grants import logout_url
from tests.support import answer, extract


def refresh_token_of(stack) -> str:
    (token,) = [t for t, g in stack.pool.refresh_tokens.items() if not g.revoked]
    return token


def shift_provider_clock(stack, seconds: int) -> None:
    real = stack.pool.clock
    stack.pool.clock = lambda: real() + seconds


def test_refresh_without_rotation_shows_the_diff(stack, http):
    stack.login(http)
    before = stack.session_json(http)
    shift_provider_clock(stack, 30)  # within the verifier's 60 s leeway for iat
    response = stack.post(http, "/refresh")
    assert response.status_code == 302
    after = stack.session_json(http)
    assert after["access_token_claims"]["jti"] != before["access_token_claims"]["jti"]
    assert after["id_token_claims"]["iat"] > before["id_token_claims"]["iat"]
    page = http.get(stack.url + "/dashboard").text
    assert "not rotated (the same one stays valid)" in page
    statuses = {name: status for status, name in re.findall(r'<tr class="(\w+)" data-claim="([^"]+)">', page)}
    assert statuses["iat"] == "changed" and statuses["exp"] == "changed"
    assert statuses["auth_time"] == "same" and statuses["origin_jti"] == "same"
    assert len([g for g in stack.pool.refresh_tokens.values() if not g.revoked]) == 1
    assert 'class="check bad"' not in page  # the refreshed tokens verify


def test_the_refresh_diff_says_times_in_words_and_that_only_the_times_moved(stack, http):
    start = int(time.time())
    stack.pool.clock = lambda: start  # a stopped clock: the new tokens are exactly 30 s younger
    stack.login(http)
    stack.pool.clock = lambda: start + 30
    stack.post(http, "/refresh")
    after = stack.session_json(http)["access_token_claims"]
    page = http.get(stack.url + "/dashboard").text
    access = page[page.index('data-diff="Access token"') :]
    exp = extract(r'<tr class="changed" data-claim="exp">(.*?)</tr>', access, re.S)
    clock = time.strftime("%H:%M:%S UTC", time.gmtime(after["exp"]))
    assert f'{after["exp"]}</code> <span class="when">({clock}, iat + 1 h)</span>' in exp
    assert "moved 30 s later" in exp
    summary = "Nothing but exp and iat moved (this token&#39;s own jti is new): who you are"
    assert summary in extract(r'<p class="diff-summary">(.*?)</p>', access, re.S)
    assert "the nonce is gone" in extract(r'<p class="diff-summary">(.*?)</p>', page, re.S)  # the ID token's


def test_refresh_with_rotation(stack, http):
    stack.pool_config["clients"][0]["RefreshTokenRotation"] = {"Feature": "ENABLED"}
    stack.login(http)
    first = refresh_token_of(stack)
    stack.post(http, "/refresh")
    second = refresh_token_of(stack)
    assert second != first and stack.pool.refresh_tokens[first].revoked
    assert "rotated (a new one replaced the old)" in http.get(stack.url + "/dashboard").text
    stack.post(http, "/refresh")  # the session now holds the new refresh token, which works
    assert refresh_token_of(stack) not in (first, second)


def test_revoke_then_lab_then_refresh_fails(stack, http):
    stack.login(http)
    token = refresh_token_of(stack)
    response = stack.post(http, "/revoke")
    assert response.headers["Location"].endswith("/revocation")
    assert stack.pool.refresh_tokens[token].revoked
    lab = http.get(stack.url + "/revocation").text
    assert "Still valid" in lab
    assert re.search(r'data-attempt="refresh">.*?refused: HTTP 400 <code>invalid_grant</code>', lab, re.S)
    assert re.search(r'data-attempt="userInfo">.*?refused: HTTP 401 <code>invalid_token</code>', lab, re.S)
    refused = stack.post(http, "/refresh")
    assert refused.status_code == 400
    assert "The refresh was refused" in refused.text and "Sign in again" in refused.text
    assert token not in refused.text
    assert "Refresh and userInfo now fail" in lab and "did not revoke" not in lab


def test_the_revocation_lab_says_what_a_provider_that_did_not_revoke_left_working(stack, http):
    """A provider that forgot the sign-in (the local provider after a restart) or keeps access tokens working: the
    lab's verdict follows its rows, never "now fail" beside a row that still works."""
    stack.login(http)
    token = refresh_token_of(stack)
    stack.post(http, "/revoke")
    grant = stack.pool.refresh_tokens[token]
    grant.revoked = False  # as if the provider never revoked anything
    stack.pool.revoked_origins.discard(grant.origin_jti)
    lab = http.get(stack.url + "/revocation").text
    assert re.search(r'data-attempt="userInfo">.*?still works', lab, re.S)
    verdict = " ".join(re.sub(r"<[^>]+>", " ", re.search(r'id="lab-verdict".*?</p>', lab, re.S).group(0)).split())
    assert "now fail" not in verdict
    assert "The revoked refresh token still works, and so does the access token at userInfo" in verdict
    assert "this provider did not revoke them" in verdict


def _refresh_answers(stack, change) -> None:
    """The provider's refresh answer carries an ID token changed by `change` (signed with its real key)."""

    def rewrite(body):
        body["id_token"] = stack.resign(body["id_token"], change)
        return body

    stack.rewriter.rewrite = rewrite


def test_refreshed_id_token_for_someone_else_is_refused(stack, http):
    stack.login(http)
    before = stack.session_json(http)
    _refresh_answers(stack, lambda c: c.update(sub="someone-else"))
    response = stack.post(http, "/refresh")
    assert response.status_code == 400
    assert "The refreshed ID token is for someone else" in response.text
    assert "Its iss or sub differs from the sign-in&#39;s." in response.text
    assert stack.session_json(http) == before  # nothing of the refused answer was stored


def test_refreshed_id_token_failing_a_check_is_refused(stack, http):
    stack.login(http)
    before = stack.session_json(http)
    _refresh_answers(stack, lambda c: c.update(aud="another-app-client"))
    response = stack.post(http, "/refresh")
    assert response.status_code == 400
    assert "The refreshed ID token failed verification" in response.text
    assert "Check &#39;aud&#39; failed" in response.text
    assert stack.session_json(http) == before


def test_userinfo_shows_result_and_string_flags(stack, http):
    stack.login(http)
    stack.post(http, "/userinfo")
    (call,) = stack.steps("userinfo")
    assert call.request_headers["Authorization"].startswith("Bearer ey")
    assert "access_token" not in call.url
    page = http.get(stack.url + "/dashboard").text
    userinfo = page.split('id="userinfo"')[1]
    assert '"email_verified": "true"' in userinfo  # shown as the string it is
    assert "<code>email_verified</code> as\n      <strong>strings</strong>" in userinfo


def test_userinfo_with_another_sub_is_rejected(stack, http):
    stack.login(http)
    stack.rewriter.faults["/oauth2/userInfo"] = answer('{"sub": "someone-else", "email": "x@example.com"}')
    response = stack.post(http, "/userinfo")
    assert response.status_code == 400
    assert "userInfo answered for a different user" in response.text
    assert "x@example.com" not in http.get(stack.url + "/dashboard").text


def test_logout_revokes_clears_and_ends_the_provider_session(stack, http):
    stack.login(http)
    token = refresh_token_of(stack)
    response = stack.post(http, "/logout")
    location = response.headers["Location"]
    q = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert location.startswith(stack.provider_url + "/logout?")
    assert q == {"client_id": stack.settings.client.client_id, "logout_uri": stack.url + "/signed-out"}
    assert stack.pool.refresh_tokens[token].revoked
    assert stack.session_json(http)["authenticated"] is False
    back = http.get(location, allow_redirects=False)  # the provider ends its own session
    assert back.headers["Location"] == stack.url + "/signed-out"
    assert stack.pool.sessions == {}
    home = http.get(back.headers["Location"])
    assert "You are signed out" in home.text
    again = stack.start_login(http)  # no provider session: the login form shows again
    assert http.get(again, allow_redirects=False).headers["Location"].startswith(stack.provider_url + "/login?")


def test_logout_url_for_cognito_and_for_standard_oidc():
    cognito = logout_url(
        end_session_endpoint="https://d.auth.eu-west-1.amazoncognito.com/logout",
        is_cognito=True,
        client_id="abc",
        return_to="http://localhost:5000/signed-out",
        id_token="ey.x.y",
    )
    assert cognito == (
        "https://d.auth.eu-west-1.amazoncognito.com/logout?client_id=abc"
        "&logout_uri=http%3A%2F%2Flocalhost%3A5000%2Fsigned-out"
    )
    oidc = logout_url(
        end_session_endpoint="https://op.example/session/end",
        is_cognito=False,
        client_id="abc",
        return_to="http://localhost:5000/signed-out",
        id_token="ey.x.y",
    )
    q = parse_qs(urlsplit(oidc).query)
    assert q["post_logout_redirect_uri"] == ["http://localhost:5000/signed-out"] and q["id_token_hint"] == ["ey.x.y"]
    assert logout_url(end_session_endpoint="", is_cognito=True, client_id="a", return_to="r") is None


def test_cross_site_get_logout_only_asks(stack, http):
    stack.login(http)
    response = http.get(stack.url + "/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200 and "Sign out?" in response.text
    assert stack.session_json(http)["authenticated"] is True
    forged = http.post(stack.url + "/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403
    assert stack.session_json(http)["authenticated"] is True


def test_sign_in_as_someone_else(stack, http):
    stack.login(http)
    response = stack.post(http, "/switch-user")
    provider_logout = response.headers["Location"]
    back = http.get(provider_logout, allow_redirects=False).headers["Location"]
    login = http.get(back, allow_redirects=False).headers["Location"]
    assert login == "/login?prompt=login"
    authorize = stack.start_login(http, login)
    assert parse_qs(urlsplit(authorize).query)["prompt"] == ["login"]
    callback = stack.sign_in_at_provider(http, authorize, "alice", "FlowLab-alice-1")
    http.get(callback)
    assert stack.session_json(http)["id_token_claims"]["cognito:username"] == "alice"


@pytest.fixture
def clock(monkeypatch):
    """Move the app's clock (session timeouts) without touching the servers' threads."""
    now = [time.time()]
    monkeypatch.setattr("views.guards.time", types.SimpleNamespace(time=lambda: now[0]))
    return now


def test_idle_timeout_signs_out_with_a_message(make_stack, http, clock):
    stack = make_stack({"SESSION_IDLE_MINUTES": "5"})
    stack.login(http)
    clock[0] += 4 * 60
    assert http.get(stack.url + "/dashboard").status_code == 200  # activity resets the idle clock
    clock[0] += 4 * 60
    assert http.get(stack.url + "/dashboard").status_code == 200
    clock[0] += 6 * 60
    response = http.get(stack.url + "/dashboard", allow_redirects=False)
    assert response.headers["Location"] == "/?expired=idle"
    assert "idle for too long" in http.get(stack.url + response.headers["Location"]).text
    assert stack.session_json(http)["authenticated"] is False


def test_absolute_timeout_even_while_active(make_stack, http, clock):
    stack = make_stack({"SESSION_MAX_HOURS": "1", "SESSION_IDLE_MINUTES": "30"})
    stack.login(http)
    for _ in range(3):
        clock[0] += 19 * 60
        assert http.get(stack.url + "/dashboard").status_code == 200
    clock[0] += 4 * 60

    response = http.get(stack.url + "/dashboard", allow_redirects=False)
    assert response.headers["Location"] == "/?expired=max"
    assert stack.session_json(http)["authenticated"] is False


def test_revoke_uses_http_basic_even_when_the_token_endpoint_uses_post(make_stack, http):
    """Cognito's revocation endpoint documents client authentication by the Authorization header only."""
    stack = make_stack({"OAUTH_CLIENT_AUTH": "client_secret_post"})
    stack.login(http)
    token = refresh_token_of(stack)
    (exchange,) = stack.steps("token")
    assert "client_secret=" in exchange.request_body  # the token endpoint got body credentials
    stack.post(http, "/revoke")
    assert stack.pool.refresh_tokens[token].revoked
    (revoke,) = stack.steps("revoke")
    assert revoke.status == 200 and revoke.request_headers["Authorization"].startswith("Basic ")
    assert "client_secret" not in revoke.request_body and "client_id" not in revoke.request_body


def test_sign_in_as_someone_else_on_a_classic_hosted_ui_that_ignores_prompt(stack, http):
    """Cognito honours prompt=login only with managed login; switch-user logs out first, so it
    works on the classic hosted UI too (here: the provider never sees `prompt`)."""
    provider = stack.rewriter.app

    def classic_hosted_ui(environ, start_response):
        query = [(k, v) for k, v in parse_qsl(environ.get("QUERY_STRING", "")) if k != "prompt"]
        environ["QUERY_STRING"] = urlencode(query)
        return provider(environ, start_response)

    stack.rewriter.faults["/oauth2/authorize"] = classic_hosted_ui
    stack.login(http)
    response = stack.post(http, "/switch-user")
    back = http.get(response.headers["Location"], allow_redirects=False).headers["Location"]
    login = http.get(back, allow_redirects=False).headers["Location"]
    authorize = stack.start_login(http, login)
    # the provider's session is gone, so the sign-in form appears instead of a silent sign-in as before
    first = http.get(authorize, allow_redirects=False)
    assert first.headers["Location"].startswith(stack.provider_url + "/login")
    callback = stack.sign_in_at_provider(http, authorize, "alice", "FlowLab-alice-1")
    http.get(callback)
    assert stack.session_json(http)["id_token_claims"]["cognito:username"] == "alice"


# -- the nonce and issuer the sign-in keeps (views/signin.py's SignIn), as stored server-side --------------


def edit_stored_sign_in(stack, http, change) -> None:
    """The sign-in as the app stored it (Flask-Session's cachelib store), changed by `change`: a record
    written by an older version, or one this version never writes."""
    cache = stack.app.config["SESSION_CACHELIB"]
    key = "flowlab:" + http.cookies["flowlab_session"]
    data = cache.get(key)
    change(data[SIGN_IN])
    cache.set(key, data)


def stored_sign_in(stack, http) -> dict:
    return stack.app.config["SESSION_CACHELIB"].get("flowlab:" + http.cookies["flowlab_session"])[SIGN_IN]


def nonce_check(page: str) -> str:
    found = re.search(r'<li class="check (\w+)" data-check="nonce">', page)
    assert found, "the dashboard shows no nonce check"
    return found.group(1)


def test_the_sign_in_keeps_its_verified_issuer_and_the_checks_it_made(stack, http):
    stack.login(http)
    stored = stored_sign_in(stack, http)
    assert stored["iss"] == stack.settings.client.issuer and "nonce" not in stored  # the nonce was used up at sign-in
    kept = {c["name"]: c for c in stored["id_checks"]}
    assert kept["nonce"] == {"name": "nonce", "passed": True, "detail": "matches the one sent at login"}
    assert [c["name"] for c in stored["access_checks"]][:3] == ["structure", "alg", "signature"]
    assert nonce_check(http.get(stack.url + "/dashboard").text) == "ok"
    shift_provider_clock(stack, 30)
    assert stack.post(http, "/refresh").status_code == 302
    stored = stored_sign_in(stack, http)
    assert "nonce" not in {c["name"] for c in stored["id_checks"]}  # the refresh's own checks now
    assert 'data-check="nonce"' not in http.get(stack.url + "/dashboard").text  # skipped: a refreshed one has none


def test_the_dashboard_shows_the_checks_the_sign_in_made_and_never_makes_them_again(stack, http):
    stack.login(http)

    def failed_at_sign_in(stored: dict) -> None:  # as if the sign-in had kept a failed nonce check
        for check in stored["id_checks"]:
            if check["name"] == "nonce":
                check.update(passed=False, detail="nonce 'someone-elses' is not the one sent")

    edit_stored_sign_in(stack, http, failed_at_sign_in)
    page = http.get(stack.url + "/dashboard").text
    assert nonce_check(page) == "bad"
    assert re.search(r'data-check="nonce">.*?failed: nonce \S+ is not the one sent', page, re.S)
    assert re.search(r'data-check="exp">.*?passed: expires \S+ \S+ UTC \(in 60 min\)', page, re.S)  # the clock, now


def test_a_sign_in_stored_before_its_checks_were_kept_is_signed_out(stack, http):
    stack.login(http)
    shift_provider_clock(stack, 30)
    stack.post(http, "/refresh")

    def without_iss(stored: dict) -> None:  # the layout before `iss` was kept
        del stored["iss"]

    edit_stored_sign_in(stack, http, without_iss)
    page = http.get(stack.url + "/dashboard").text
    assert 'data-check="nonce"' not in page and 'class="check bad"' not in page
    assert stack.post(http, "/refresh").status_code == 302  # no stored iss: the configured issuer is the sign-in's

    def legacy(stored: dict) -> None:  # the layout before the checks were kept: the tokens, a nonce
        del stored["id_checks"], stored["access_checks"]
        stored.update(nonce=None, id_token_refreshed=True)

    edit_stored_sign_in(stack, http, legacy)
    assert http.get(stack.url + "/dashboard", allow_redirects=False).headers["Location"] == "/?login_required=1"
    assert stack.session_json(http)["authenticated"] is False  # never tokens shown unverified


def test_a_refreshed_id_token_from_another_issuer_than_the_stored_one_is_refused(stack, http):
    stack.login(http)
    edit_stored_sign_in(stack, http, lambda s: s.update(iss="https://elsewhere.example"))
    before = stack.session_json(http)
    response = stack.post(http, "/refresh")
    assert response.status_code == 400
    assert "The refreshed ID token is for someone else" in response.text
    assert "Its iss or sub differs from the sign-in&#39;s." in response.text
    assert stack.session_json(http) == before  # nothing of the refused answer was stored
    assert stored_sign_in(stack, http)["iss"] == "https://elsewhere.example"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (answer('{"error": "invalid_request"}', 400), "HTTP 400 invalid_request"),
        (answer("down for maintenance", 503, "text/plain"), "answered HTTP 503"),
    ],
)
def test_sign_out_says_when_the_revoke_before_it_failed(stack, http, fault, reason):
    """The session is cleared anyway, and the home page says the refresh token was not revoked and why
    (before, only the server log knew)."""
    stack.login(http)
    token = refresh_token_of(stack)
    stack.rewriter.faults["/oauth2/revoke"] = fault
    provider_logout = stack.post(http, "/logout").headers["Location"]
    assert stack.session_json(http)["authenticated"] is False
    back = http.get(provider_logout, allow_redirects=False).headers["Location"]
    home = http.get(back)
    assert "You are signed out" in home.text
    note = re.search(r'<p class="notice bad-text" id="revoke-failed"[^>]*>(.*?)</p>', home.text, re.S)
    assert note, home.text
    assert "The refresh token was not revoked" in note.group(1) and reason in note.group(1)
    assert token not in home.text and not stack.pool.refresh_tokens[token].revoked
    assert "revoke-failed" not in http.get(stack.url + "/?signed_out=1").text  # said once


def test_a_planted_revoke_failure_note_is_ignored(stack, http):
    """The note travels in a signed cookie: one planted by another site (or port) shows nothing."""
    http.cookies.set("flowlab_signout_note", "Call +1 555 0100 to restore your account")
    assert "555" not in http.get(stack.url + "/?signed_out=1").text


def test_sign_in_as_someone_else_says_when_the_revoke_failed(stack, http):
    stack.login(http)
    stack.rewriter.faults["/oauth2/revoke"] = answer('{"error": "invalid_request"}', 400)
    provider_logout = stack.post(http, "/switch-user").headers["Location"]
    back = http.get(provider_logout, allow_redirects=False).headers["Location"]
    login = http.get(back, allow_redirects=False).headers["Location"]
    callback = stack.sign_in_at_provider(http, stack.start_login(http, login), "alice", "FlowLab-alice-1")
    dashboard = http.get(callback)
    assert 'Signed in as <span id="who">alice' in dashboard.text
    assert "The refresh token was not revoked: the provider answered HTTP 400 invalid_request" in dashboard.text
