"""acr_values / max_age and the acr / amr claims (issue 22, item 5), as AWS documents them for managed
login (local_cognito/stepup.py cites the pages): the local provider over real HTTP, and the app's client
accepting and keeping the claims."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import botocore.session
import pytest
import requests
from jose import jws

from local_cognito.stepup import AcrConfigError, level_names, totp, totp_matches
from tests.support import VERIFIER, authorize_params

LOA1, LOA4 = "urn:cognito:loa:1", "urn:cognito:loa:4"


def authorize_url(stack, **changes: str) -> str:
    params = authorize_params(stack, stack.pool_config["clients"][0], **changes)
    return stack.provider_url + "/oauth2/authorize?" + urlencode(params)


def hidden_form(page: str) -> dict:
    return {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def enter_code(http, stack, location: str, code: str) -> requests.Response:
    assert urlsplit(location).path == "/login/totp", location
    page = http.get(location if location.startswith("http") else stack.provider_url + location)
    assert page.status_code == 200 and "Enter your authenticator code" in page.text
    return http.post(
        stack.provider_url + "/login/totp", data={**hidden_form(page.text), "code": code}, allow_redirects=False
    )


def current_code(stack, username: str = "demo") -> str:
    return totp(stack.pool.user(username)["totp_secret"], stack.pool.clock())


def redeem(stack, location: str) -> dict:
    query = parse_qs(urlsplit(location).query)
    assert "code" in query, location
    client = stack.pool_config["clients"][0]
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": stack.url + "/callback",
        "code_verifier": VERIFIER,
    }
    answer = requests.post(
        stack.provider_url + "/oauth2/token", data=form, auth=(client["client_id"], client["client_secret"]), timeout=5
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def claims(token: str) -> dict:
    return json.loads(jws.get_unverified_claims(token))


# -- what the pages say, held in-process ----------------------------------------------------------------


def test_totp_matches_rfc_6238_test_vectors():
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, 59) == "287082" and totp(secret, 1111111109) == "081804"  # RFC 6238 App. B (6 digits)
    assert totp_matches(secret, "287082", 59 + 30) and not totp_matches(secret, "287082", 59 + 90)


def test_level_names_follow_acr_configuration():
    assert level_names({})[4] == LOA4
    renamed = level_names({"AcrConfiguration": {"Level2": {"AcrValue": "urn:my:loa:2"}}})
    assert renamed[2] == "urn:my:loa:2" and renamed[1] == LOA1
    for bad in ({"Level2": {"AcrValue": LOA1}}, {"Level5": {"AcrValue": "x"}}, {"Level1": {"AcrValue": "a b"}}):
        with pytest.raises(AcrConfigError):
            level_names({"AcrConfiguration": bad})
    model = botocore.session.get_session().get_service_model("cognito-idp")
    shape = model.operation_model("CreateUserPool").input_shape.members["AcrConfiguration"]
    assert shape.type_name == "map" and shape.value.members.keys() >= {"AcrValue"}


# -- the provider, over HTTP -------------------------------------------------------------------------------


def test_password_only_sign_in_reports_level_1(stack, http):
    location = stack.sign_in_at_provider(
        http, authorize_url(stack, acr_values=f"{LOA4} {LOA1}"), "alice", "FlowLab-alice-1"
    )
    tokens = redeem(stack, location)  # alice has no authenticator: the first level she can meet is 1
    for token in (tokens["id_token"], tokens["access_token"]):
        assert claims(token)["acr"] == LOA1 and claims(token)["amr"] == ["pwd"]


def test_level_4_asks_for_the_authenticator_code(stack, http):
    after_password = stack.sign_in_at_provider(http, authorize_url(stack, acr_values=LOA4))
    wrong = enter_code(http, stack, after_password, "000000" if current_code(stack) != "000000" else "111111")
    assert wrong.status_code == 400 and "Incorrect code" in wrong.text
    right = enter_code(http, stack, after_password, current_code(stack))
    assert right.status_code == 302
    tokens = redeem(stack, right.headers["Location"])
    id_claims = claims(tokens["id_token"])
    assert id_claims["acr"] == LOA4 and id_claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims(tokens["access_token"])["acr"] == LOA4
    client = stack.pool_config["clients"][0]
    again = requests.post(
        stack.provider_url + "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client["client_id"], client["client_secret"]),
        timeout=5,
    ).json()
    assert claims(again["id_token"])["acr"] == LOA4 and claims(again["access_token"])["amr"] == ["pwd", "otp", "mfa"]


def test_step_up_from_a_level_1_session_asks_only_for_the_code(stack, http):
    first = redeem(stack, stack.sign_in_at_provider(http, authorize_url(stack, acr_values=LOA1)))
    stack.pool.clock = (lambda real: lambda: real() + 40)(stack.pool.clock)
    step = http.get(authorize_url(stack, acr_values=LOA4), allow_redirects=False)
    assert urlsplit(step.headers["Location"]).path == "/login/totp"  # no password form: a step up
    done = enter_code(http, stack, step.headers["Location"], current_code(stack))
    stepped = claims(redeem(stack, done.headers["Location"])["id_token"])
    assert stepped["acr"] == LOA4 and stepped["auth_time"] > claims(first["id_token"])["auth_time"]
    silent = http.get(authorize_url(stack, acr_values=LOA4), allow_redirects=False)  # already met
    assert "code=" in silent.headers["Location"]


def test_an_unreachable_level_is_refused(stack, http):
    location = stack.sign_in_at_provider(http, authorize_url(stack, acr_values=LOA4), "alice", "FlowLab-alice-1")
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(stack.url + "/callback?")
    assert query["error"] == ["unmet_authentication_requirements"] and query["state"] == ["st-1"]


def test_unknown_levels_and_no_acr_values_add_no_claims(stack, http):
    tokens = redeem(stack, stack.sign_in_at_provider(http, authorize_url(stack, acr_values="urn:other:gold")))
    assert "acr" not in claims(tokens["id_token"]) and "amr" not in claims(tokens["access_token"])
    plain = redeem(stack, stack.sign_in_at_provider(http, authorize_url(stack)))
    assert "acr" not in claims(plain["id_token"])


def test_max_age_forces_a_fresh_sign_in(stack, http):
    redeem(stack, stack.sign_in_at_provider(http, authorize_url(stack)))
    stack.pool.clock = (lambda real: lambda: real() + 120)(stack.pool.clock)
    fresh_enough = http.get(authorize_url(stack, max_age="600"), allow_redirects=False)
    assert "code=" in fresh_enough.headers["Location"]
    too_old = http.get(authorize_url(stack, max_age="60"), allow_redirects=False)
    assert urlsplit(too_old.headers["Location"]).path == "/login"  # the password form again
    bad = http.get(authorize_url(stack, max_age="-1"), allow_redirects=False)
    assert parse_qs(urlsplit(bad.headers["Location"]).query)["error"] == ["invalid_request"]


def test_guessing_codes_ends_the_sign_in(stack, http):
    after_password = stack.sign_in_at_provider(http, authorize_url(stack, acr_values=LOA4))
    wrong = "000000" if current_code(stack) != "000000" else "111111"
    for _ in range(4):
        assert enter_code(http, stack, after_password, wrong).status_code == 400
    last = enter_code(http, stack, after_password, wrong)
    assert last.status_code == 302 and urlsplit(last.headers["Location"]).path == "/login"
    assert stack.pool.sessions == {}


def test_a_lite_pool_ignores_acr_values(make_stack, http):
    stack = make_stack(edit_pool=lambda pool: pool.update(UserPoolTier="LITE"))
    tokens = redeem(stack, stack.sign_in_at_provider(http, authorize_url(stack, acr_values=LOA4)))
    assert "acr" not in claims(tokens["id_token"])


# -- the client ----------------------------------------------------------------------------------------------


def test_the_app_accepts_and_keeps_acr_and_amr(stack, http):
    start = stack.start_login(http) + "&" + urlencode({"acr_values": LOA4})
    after_password = stack.sign_in_at_provider(http, start)
    back = enter_code(http, stack, after_password, current_code(stack)).headers["Location"]
    assert http.get(back, allow_redirects=False).status_code == 302
    session = stack.session_json(http)
    assert session["id_token_claims"]["acr"] == LOA4 and session["access_token_claims"]["amr"] == ["pwd", "otp", "mfa"]
    page = http.get(stack.url + "/dashboard").text
    bad = re.findall(r"class=\"check bad\" data-check=\"(\w+)\".{0,400}", page, re.S)
    assert not bad, bad  # every check of the tokens passes, and the claims are listed
    assert 'data-claim="acr"' in page and 'data-claim="amr"' in page
