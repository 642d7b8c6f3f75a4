"""Token lifetimes (issue 23, item 16): the local provider's AccessTokenValidity, IdTokenValidity and
RefreshTokenValidity with TokenValidityUnits, as Cognito's app-client settings name them, checked against
botocore's model; the minted tokens follow them over real HTTP; LOCAL_TOKEN_MINUTES starts a demo with
tokens that expire in minutes."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import botocore.session
import pytest
import requests
from jose import jwt

from local_cognito import create_provider_app
from local_cognito.lifetimes import (
    LifetimeConfigError,
    LifetimeSettingError,
    apply_minutes,
    lifetimes_of,
    minutes_from_env,
    normalize,
)
from local_cognito.settings import default_pool, ensure_pool_file
from tests.support import launch_app, wait_until_healthy


def web_client(pool: dict) -> dict:
    return pool["clients"][0]


def lived(token: str) -> int:
    claims = jwt.get_unverified_claims(token)
    return claims["exp"] - claims["iat"]


# -- the pool file's fields, as AWS names them -------------------------------------------------------------


def test_field_names_limits_and_defaults_are_botocores():
    model = botocore.session.get_session().get_service_model("cognito-idp")
    members = model.operation_model("CreateUserPoolClient").input_shape.members
    for name in ("AccessTokenValidity", "IdTokenValidity"):
        assert (members[name].metadata["min"], members[name].metadata["max"]) == (1, 86400)
    assert (members["RefreshTokenValidity"].metadata["min"], members["RefreshTokenValidity"].metadata["max"]) == (
        0,
        315360000,
    )
    assert "overrides the value with the default value of 30 days" in members["RefreshTokenValidity"].documentation
    units = members["TokenValidityUnits"].members
    assert list(units) == ["AccessToken", "IdToken", "RefreshToken"]
    assert units["AccessToken"].enum == ["seconds", "minutes", "hours", "days"]
    assert "can range from five minutes to one day" in units["AccessToken"].documentation
    assert "can range from five minutes to one day" in units["IdToken"].documentation
    assert "can range from 60 minutes to 10 years" in units["RefreshToken"].documentation
    access_unit, refresh_unit = units["AccessToken"].documentation, units["RefreshToken"].documentation
    assert "default <code>AccessTokenValidity</code> time unit is <code>hours</code>" in access_unit
    assert "default <code>RefreshTokenValidity</code> time unit is <code>days</code>" in refresh_unit
    described = model.operation_model("DescribeUserPoolClient").output_shape.members["UserPoolClient"].members
    assert {"AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits"} <= set(described)
    # what the provider takes as its limits and defaults is what the model says
    assert lifetimes_of({}) == lifetimes_of({"TokenValidityUnits": {}})
    assert (lifetimes_of({}).access, lifetimes_of({}).id, lifetimes_of({}).refresh) == (3600, 3600, 30 * 86400)
    assert lifetimes_of({"RefreshTokenValidity": 0}).refresh == 30 * 86400


def test_a_new_pool_file_uses_aws_names():
    for client in default_pool("http://localhost:5000")["clients"]:
        assert client["AccessTokenValidity"] == client["IdTokenValidity"] == 60
        assert client["RefreshTokenValidity"] == 30
        assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}
        assert not {"access_token_minutes", "id_token_minutes", "refresh_token_days"} & set(client)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
            "AccessTokenValidity is 4 minutes, outside Cognito's limits for access tokens: 5 minutes to 1 day",
        ),
        (
            {"IdTokenValidity": 25},
            "IdTokenValidity is 25 hours (TokenValidityUnits.IdToken is not set, so the unit is hours), outside "
            "Cognito's limits for ID tokens: 5 minutes to 1 day",
        ),
        (
            {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
            "RefreshTokenValidity is 59 minutes, outside Cognito's limits for refresh tokens: 60 minutes to 10 years",
        ),
        ({"RefreshTokenValidity": 3651}, "RefreshTokenValidity is 3651 days"),
        ({"AccessTokenValidity": "60"}, "AccessTokenValidity must be a whole number of hours, not '60'"),
        ({"AccessTokenValidity": True}, "AccessTokenValidity must be a whole number"),
        ({"IdTokenValidity": 1.5}, "IdTokenValidity must be a whole number"),
        ({"TokenValidityUnits": {"AccessToken": "weeks"}}, "TokenValidityUnits.AccessToken must be one of seconds"),
        ({"TokenValidityUnits": {"Access": "hours"}}, "TokenValidityUnits has unknown field(s) ['Access']"),
        ({"TokenValidityUnits": "minutes"}, "TokenValidityUnits must be an object"),
    ],
)
def test_a_lifetime_outside_cognitos_limits_is_refused_when_the_pool_loads(tmp_path, fields, says):
    pool = default_pool("http://localhost:5000")
    client = web_client(pool)
    for name in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits"):
        client.pop(name)
    client.update(fields)
    with pytest.raises(LifetimeConfigError) as refused:
        create_provider_app(pool, tmp_path / "keys")
    assert says in str(refused.value) and str(refused.value).startswith("cognito-flow-lab: ")
    assert "\n" not in str(refused.value)


def test_older_pool_files_are_brought_to_aws_names(tmp_path):
    path = tmp_path / "pool.json"
    pool = default_pool("http://localhost:5000")
    for client in pool["clients"]:
        for name in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits"):
            del client[name]
        client.update(access_token_minutes=60, id_token_minutes=60, refresh_token_days=30)
    web_client(pool).update(access_token_minutes=15, id_token_minutes=20, refresh_token_days=2)
    path.write_text(json.dumps(pool))
    written = ensure_pool_file(path, "http://localhost:5000")
    client = web_client(json.loads(path.read_text()))
    assert {k: client[k] for k in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity")} == {
        "AccessTokenValidity": 15,
        "IdTokenValidity": 20,
        "RefreshTokenValidity": 2,
    }
    assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}
    assert not {"access_token_minutes", "id_token_minutes", "refresh_token_days"} & set(client)
    assert lifetimes_of(web_client(written)).access == 15 * 60
    assert lifetimes_of(normalize({"access_token_minutes": 30, "AccessTokenValidity": 2})).access == 7200  # AWS wins


def test_an_older_file_with_a_lifetime_cognito_refuses_stops_the_load(tmp_path):
    path = tmp_path / "pool.json"
    pool = default_pool("http://localhost:5000")
    client = web_client(pool)
    for name in ("AccessTokenValidity", "TokenValidityUnits"):
        del client[name]
    client["access_token_minutes"] = 2
    path.write_text(json.dumps(pool))
    with pytest.raises(LifetimeConfigError, match="AccessTokenValidity is 2 minutes, outside Cognito's limits"):
        ensure_pool_file(path, "http://localhost:5000")


# -- the provider mints what the settings say, over HTTP --------------------------------------------------


def test_minted_tokens_follow_the_clients_settings(make_stack, http):
    def short(pool: dict) -> None:
        web_client(pool).update(
            AccessTokenValidity=5,
            IdTokenValidity=600,
            RefreshTokenValidity=2,
            TokenValidityUnits={"AccessToken": "minutes", "IdToken": "seconds", "RefreshToken": "hours"},
        )

    stack = make_stack(edit_pool=short)
    start = int(time.time())
    stack.pool.clock = lambda: start
    tokens = stack.login_tokens(http)
    assert lived(tokens["access_token"]) == 300 and tokens["expires_in"] == 300
    assert lived(tokens["id_token"]) == 600
    client = web_client(stack.pool_config)

    def refresh() -> requests.Response:
        return requests.post(
            stack.provider_url + "/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(client["client_id"], client["client_secret"]),
            timeout=5,
        )

    stack.pool.clock = lambda: start + 7199  # the refresh token lives 2 hours
    fresh = refresh()
    assert fresh.status_code == 200 and lived(fresh.json()["access_token"]) == 300
    stack.pool.clock = lambda: start + 7201
    assert refresh().json() == {"error": "invalid_grant", "error_description": "Invalid Refresh Token"}


def test_the_dashboard_counts_down_minutes_with_short_lifetimes(make_stack, http):
    stack = make_stack(edit_pool=lambda pool: apply_minutes(pool, 5))
    stack.login(http)
    claims = stack.session_json(http)["access_token_claims"]
    assert claims["exp"] - claims["iat"] == 300
    page = http.get(stack.url + "/dashboard").text
    assert f'data-access-exp="{claims["exp"]}"' in page  # the page's countdown runs to this exp


# -- LOCAL_TOKEN_MINUTES: one line to start a demo with short lifetimes -------------------------------------


@pytest.mark.parametrize("raw", ["4", "1441", "five", "5.5", "-5", "0"])
def test_local_token_minutes_outside_cognitos_limits_is_refused(raw):
    with pytest.raises(LifetimeSettingError) as refused:
        minutes_from_env({"LOCAL_TOKEN_MINUTES": raw})
    assert str(refused.value) == (
        f"LOCAL_TOKEN_MINUTES={raw!r} must be a whole number of minutes from 5 to 1440: Cognito allows access and "
        "ID tokens 5 minutes to 1 day (AccessTokenValidity, IdTokenValidity)."
    )
    assert minutes_from_env({"LOCAL_TOKEN_MINUTES": " "}) is None and minutes_from_env({}) is None


def test_make_run_with_local_token_minutes_mints_five_minute_tokens(tmp_path):
    """`LOCAL_TOKEN_MINUTES=5 make run`: the banner says so, and a sign-in gets tokens that live 5 minutes;
    the pool file keeps its own lifetimes."""
    proc, out, env = launch_app(tmp_path, LOCAL_TOKEN_MINUTES="5")
    try:
        provider = f"http://127.0.0.1:{env['LOCAL_COGNITO_PORT']}"
        wait_until_healthy(env["PORT"])
        pool = json.loads(Path(env["LOCAL_COGNITO_FILE"]).read_text())
        client = web_client(pool)
        answer = requests.post(  # the machine client: a token without a browser, from the same pool
            provider + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(pool["clients"][1]["client_id"], pool["clients"][1]["client_secret"]),
            timeout=5,
        ).json()
        banner = out.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert answer["expires_in"] == 300 and lived(answer["access_token"]) == 300
    assert "Tokens:    access 5 min, ID 5 min, refresh 30 days (LOCAL_TOKEN_MINUTES=5)" in banner
    assert client["AccessTokenValidity"] == 60 and client["TokenValidityUnits"]["AccessToken"] == "minutes"


def test_make_run_with_a_local_token_minutes_cognito_refuses_stops_with_one_line(tmp_path):
    proc, out, _ = launch_app(tmp_path, LOCAL_TOKEN_MINUTES="2")
    assert proc.wait(timeout=30) != 0
    lines = [line for line in out.read_text().splitlines() if line.strip()]
    assert lines == [
        "Configuration error: LOCAL_TOKEN_MINUTES='2' must be a whole number of minutes from 5 to 1440: Cognito "
        "allows access and ID tokens 5 minutes to 1 day (AccessTokenValidity, IdTokenValidity)."
    ]
    assert re.search(r"Traceback", out.read_text()) is None
