"""The local provider behaves like Cognito's hosted UI (AWS: the Cognito user pools
authorize, token, userInfo, revoke and logout endpoint pages), over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from jose import jws

from local_cognito.settings import DEMO_PASSWORD, DEMO_USERNAME
from tests.support import VERIFIER, authorize_params


@pytest.fixture
def client(stack) -> dict:
    return stack.pool_config["clients"][0]


def authorize(http, stack, params) -> requests.Response:
    return http.get(stack.provider_url + "/oauth2/authorize?" + urlencode(params), allow_redirects=False)


def sign_in(http, stack, params, password=DEMO_PASSWORD) -> str:
    """Authorize, fill the login form if shown; return the Location back to the app."""
    return stack.sign_in_at_provider(
        http, stack.provider_url + "/oauth2/authorize?" + urlencode(params), DEMO_USERNAME, password
    )


def get_code(http, stack, client, **changes) -> str:
    location = sign_in(http, stack, authorize_params(stack, client, **changes))
    return parse_qs(urlsplit(location).query)["code"][0]


def token(stack, client, form, auth="basic") -> requests.Response:
    if auth == "basic":
        return requests.post(
            stack.provider_url + "/oauth2/token",
            data=form,
            auth=(client["client_id"], client["client_secret"]),
        )
    body = {**form, "client_id": client["client_id"], "client_secret": client["client_secret"]}
    return requests.post(stack.provider_url + "/oauth2/token", data=body)


def redeem(stack, client, code, auth="basic", **changes) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": stack.url + "/callback",
        "code_verifier": VERIFIER,
    }
    form.update(changes)
    return token(stack, client, form, auth)


def claims(token_value: str) -> dict:
    return json.loads(jws.get_unverified_claims(token_value))


def test_discovery_and_jwks_live_under_the_issuer_path(stack):
    issuer = stack.settings.client.issuer
    doc = requests.get(issuer + "/.well-known/openid-configuration").json()
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == stack.provider_url + "/oauth2/authorize"
    assert doc["userinfo_endpoint"].endswith("/oauth2/userInfo")
    assert doc["end_session_endpoint"].endswith("/logout")
    keys = requests.get(doc["jwks_uri"]).json()["keys"]
    assert len({k["kid"] for k in keys}) == 2
    assert all(k["alg"] == "RS256" and k["kty"] == "RSA" and k["use"] == "sig" for k in keys)


def test_code_grant_tokens_carry_cognito_claims(stack, http, client):
    body = redeem(stack, client, get_code(http, stack, client)).json()
    assert set(body) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    id_c, at_c = claims(body["id_token"]), claims(body["access_token"])
    assert id_c["aud"] == client["client_id"] and id_c["token_use"] == "id"
    assert id_c["nonce"] == "no-1" and id_c["email_verified"] is True
    for name in (
        "cognito:username",
        "email",
        "auth_time",
        "at_hash",
        "origin_jti",
        "event_id",
        "jti",
        "cognito:groups",
    ):
        assert name in id_c, name
    assert "aud" not in at_c and at_c["client_id"] == client["client_id"]
    assert at_c["token_use"] == "access" and at_c["version"] == 2 and at_c["username"] == "demo"
    assert at_c["scope"] == "openid email profile"
    assert jws.get_unverified_header(body["id_token"])["kid"] != jws.get_unverified_header(body["access_token"])["kid"]


def test_client_secret_post_is_accepted(stack, http, client):
    assert redeem(stack, client, get_code(http, stack, client), auth="post").status_code == 200


def test_unregistered_redirect_uri_shows_redirect_mismatch_page(stack, http, client):
    for params in (
        authorize_params(stack, client, redirect_uri=stack.url + "/callback/"),
        authorize_params(stack, client, client_id="nope"),
    ):
        first = authorize(http, stack, params)
        assert first.status_code == 302
        assert first.headers["Location"].startswith(stack.provider_url + "/error?error=redirect_mismatch")
        page = http.get(first.headers["Location"])
        assert page.status_code == 400 and "redirect_mismatch" in page.text


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "id_token"}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        # issue 21: a scope the client may not use is refused as Cognito does (error_description=invalid_scope)
        ({"scope": "phone unknown"}, "invalid_request"),
    ],
)
def test_authorize_errors_go_back_to_the_app(stack, http, client, changes, error):
    response = authorize(http, stack, authorize_params(stack, client, **changes))
    location = response.headers["Location"]
    assert location.startswith(stack.url + "/callback?")
    q = parse_qs(urlsplit(location).query)
    assert q["error"] == [error] and q["state"] == ["st-1"]


def test_a_scope_the_client_may_not_use_is_refused_not_dropped(stack, http, client):
    """Issue 21 (before: phone was silently dropped and the sign-in went on with openid email)."""
    location = authorize(http, stack, authorize_params(stack, client, scope="openid phone email")).headers["Location"]
    q = parse_qs(urlsplit(location).query)
    assert q["error"] == ["invalid_request"] and q["error_description"] == ["invalid_scope"]
    assert "code" not in q and q["state"] == ["st-1"]


def test_scopes_default_to_all_and_custom_scopes_are_allowed(stack, http, client):
    body = redeem(stack, client, get_code(http, stack, client, scope="openid email flowlab-api/read")).json()
    assert claims(body["access_token"])["scope"] == "openid email flowlab-api/read"
    http.cookies.clear()
    body = redeem(stack, client, get_code(http, stack, client, scope=None)).json()
    assert claims(body["access_token"])["scope"].split() == client["allowed_scopes"]


def test_no_id_token_without_openid(stack, http, client):
    body = redeem(stack, client, get_code(http, stack, client, scope="email")).json()
    assert "id_token" not in body and "access_token" in body


def test_token_endpoint_errors(stack, http, client):
    code = get_code(http, stack, client)
    bad = requests.post(
        stack.provider_url + "/oauth2/token",
        data={"grant_type": "authorization_code"},
        auth=(client["client_id"], "wrong"),
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    mismatch = redeem(stack, client, code, redirect_uri=stack.url + "/other")
    assert mismatch.json() == {"error": "unauthorized_client", "error_description": "invalid_redirect"}
    assert redeem(stack, client, code).json()["error"] == "invalid_grant"  # single use
    assert token(stack, client, {"grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    assert redeem(stack, client, "unknown").headers["Access-Control-Allow-Origin"] == "*"


def test_wrong_code_verifier_is_invalid_grant(stack, http, client):
    response = redeem(stack, client, get_code(http, stack, client), code_verifier="w" * 50)
    assert response.json()["error"] == "invalid_grant"


def test_codes_expire_after_five_minutes(stack, http, client):
    code = get_code(http, stack, client)
    real = stack.pool.clock
    stack.pool.clock = lambda: real() + 301
    assert redeem(stack, client, code).json()["error"] == "invalid_grant"


def test_refresh_without_and_with_rotation(stack, http, client):
    first = redeem(stack, client, get_code(http, stack, client)).json()
    again = token(stack, client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}).json()
    assert "refresh_token" not in again and {"access_token", "id_token"} <= set(again)
    assert claims(again["id_token"])["auth_time"] == claims(first["id_token"])["auth_time"]
    assert claims(again["id_token"])["origin_jti"] == claims(first["id_token"])["origin_jti"]
    client["RefreshTokenRotation"] = {"Feature": "ENABLED"}
    rotated = token(stack, client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}).json()
    assert rotated["refresh_token"] != first["refresh_token"]
    old = token(stack, client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert old.json()["error"] == "invalid_grant"


def test_userinfo_returns_strings_for_verified_flags(stack, http, client):
    body = redeem(stack, client, get_code(http, stack, client)).json()
    info = requests.get(
        stack.provider_url + "/oauth2/userInfo", headers={"Authorization": "Bearer " + body["access_token"]}
    )
    assert info.status_code == 200
    assert info.json()["email_verified"] == "true" and info.json()["sub"] == claims(body["id_token"])["sub"]
    missing = requests.get(stack.provider_url + "/oauth2/userInfo")
    assert missing.status_code == 400 and 'error="invalid_request"' in missing.headers["WWW-Authenticate"]
    bad = requests.get(stack.provider_url + "/oauth2/userInfo", headers={"Authorization": "Bearer " + body["id_token"]})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]


def test_revoke_ends_refresh_and_userinfo(stack, http, client):
    body = redeem(stack, client, get_code(http, stack, client)).json()
    url = stack.provider_url + "/oauth2/revoke"
    auth = (client["client_id"], client["client_secret"])
    assert (
        requests.post(url, data={"token": body["access_token"]}, auth=auth).json()["error"] == "unsupported_token_type"
    )
    done = requests.post(url, data={"token": body["refresh_token"]}, auth=auth)
    assert done.status_code == 200 and done.content == b""
    assert requests.post(url, data={"token": body["refresh_token"]}, auth=auth).status_code == 200
    assert requests.post(url, data={"token": body["refresh_token"]}, auth=(client["client_id"], "x")).status_code == 401
    refresh = token(stack, client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    assert refresh.json()["error"] == "invalid_grant"
    info = requests.get(
        stack.provider_url + "/oauth2/userInfo", headers={"Authorization": "Bearer " + body["access_token"]}
    )
    assert info.status_code == 401


def test_sso_session_and_logout(stack, http, client):
    get_code(http, stack, client)
    silent = authorize(http, stack, authorize_params(stack, client))
    assert silent.headers["Location"].startswith(stack.url + "/callback?code=")  # SSO: no form
    forced = authorize(http, stack, authorize_params(stack, client, prompt="login"))
    assert forced.headers["Location"].startswith(stack.provider_url + "/login?")
    bad = http.get(
        stack.provider_url + "/logout",
        params={"client_id": client["client_id"], "logout_uri": "https://evil.example/"},
        allow_redirects=False,
    )
    assert bad.status_code == 400 and "redirect_mismatch" in bad.text
    out = http.get(
        stack.provider_url + "/logout",
        params={"client_id": client["client_id"], "logout_uri": stack.url + "/"},
        allow_redirects=False,
    )
    assert out.status_code == 302 and out.headers["Location"] == stack.url + "/"
    after = authorize(http, stack, authorize_params(stack, client))
    assert after.headers["Location"].startswith(stack.provider_url + "/login?")
    none = authorize(http, stack, authorize_params(stack, client, prompt="none"))
    assert parse_qs(urlsplit(none.headers["Location"]).query)["error"] == ["login_required"]


def test_wrong_password_shows_cognito_message(stack, http, client):
    page = http.get(stack.provider_url + "/oauth2/authorize?" + urlencode(authorize_params(stack, client)))
    form = dict(parse_qs(urlsplit(page.url).query, keep_blank_values=True))
    form = {k: v[0] for k, v in form.items()}
    form["_csrf"] = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    form.update(username="demo", password="wrong")
    response = http.post(stack.provider_url + "/login", data=form, allow_redirects=False)
    assert response.status_code == 400 and "Incorrect username or password." in response.text


def test_client_credentials_refused_for_a_code_client(stack, client):
    response = token(stack, client, {"grant_type": "client_credentials", "scope": "x/y"})
    assert response.json()["error"] == "unauthorized_client"


def test_at_hash_matches_access_token(stack, http, client):
    body = redeem(stack, client, get_code(http, stack, client)).json()
    digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
    assert claims(body["id_token"])["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _force_change(stack) -> None:
    user = next(u for u in stack.pool_config["users"] if u["username"] == DEMO_USERNAME)
    user["status"] = "FORCE_CHANGE_PASSWORD"


def test_a_user_marked_force_change_password_sets_a_new_one_first(stack, http, client):
    """Issue 21: as after AdminCreateUser with a temporary password, the first sign-in asks for a new one."""
    _force_change(stack)
    first = http.get(stack.provider_url + "/oauth2/authorize?" + urlencode(authorize_params(stack, client)))
    form = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', first.text)}
    asked = http.post(stack.provider_url + "/login", data={**form, "username": "demo", "password": DEMO_PASSWORD})
    assert asked.status_code == 200 and "Change password" in asked.text and "FORCE_CHANGE_PASSWORD" in asked.text
    assert "Location" not in asked.headers  # no code yet
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', asked.text))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    url = stack.provider_url + "/login/new-password"
    weak = http.post(url, data={**fields, "new_password": "short", "confirm_password": "short"})
    assert weak.status_code == 400 and "does not conform to policy" in weak.text
    fields = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', weak.text)}
    differ = http.post(url, data={**fields, "new_password": "Fl0w-New-pass!", "confirm_password": "Fl0w-New-pass?"})
    assert differ.status_code == 400 and "do not match" in differ.text
    fields = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', differ.text)}
    new = {"new_password": "Fl0w-New-pass!", "confirm_password": "Fl0w-New-pass!"}
    done = http.post(url, data={**fields, **new}, allow_redirects=False)
    assert done.status_code == 302 and done.headers["Location"].startswith(stack.url + "/callback?code=")
    # the temporary password is spent: the new one signs in, without another change
    http.cookies.clear()
    assert "code=" in sign_in(http, stack, authorize_params(stack, client), password="Fl0w-New-pass!")


def test_a_password_change_token_is_single_use_and_needs_the_form_cookie(stack, http, client):
    _force_change(stack)
    first = http.get(stack.provider_url + "/oauth2/authorize?" + urlencode(authorize_params(stack, client)))
    form = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', first.text)}
    asked = http.post(stack.provider_url + "/login", data={**form, "username": "demo", "password": DEMO_PASSWORD})
    fields = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', asked.text)}
    new = {"new_password": "Fl0w-New-pass!", "confirm_password": "Fl0w-New-pass!"}
    with requests.Session() as stranger:  # no XSRF cookie: a form posted from elsewhere
        planted = stranger.post(
            stack.provider_url + "/login/new-password", data={**fields, **new}, allow_redirects=False
        )
    assert planted.status_code == 400 and "expired" in planted.text
    done = http.post(stack.provider_url + "/login/new-password", data={**fields, **new}, allow_redirects=False)
    assert done.status_code == 302
    http.cookies.set("XSRF-TOKEN", fields["_csrf"])
    again = http.post(stack.provider_url + "/login/new-password", data={**fields, **new}, allow_redirects=False)
    assert again.status_code == 400 and "expired" in again.text
