"""Refresh-token rotation (issue 22, item 1): the local provider's RefreshTokenRotation, over real HTTP,
checked against botocore's model; and the client's record of a rotation (fingerprints, never tokens)."""

from __future__ import annotations

import html
import json
import logging
import re
import time
import types

import botocore.session
import pytest
import requests

from flows.keys import SCREEN, SIGN_IN
from local_cognito import create_provider_app
from local_cognito.rotation import RotationConfigError, normalize, rotation_of
from local_cognito.settings import default_pool, ensure_pool_file
from oauth.rotation import REPLAY_KEEP_SECONDS, fingerprint, rotation_outcome


def web_client(stack) -> dict:
    return stack.pool_config["clients"][0]


def rotate(stack, grace: int | None = None) -> None:
    setting = {"Feature": "ENABLED"} if grace is None else {"Feature": "ENABLED", "RetryGracePeriodSeconds": grace}
    web_client(stack)["RefreshTokenRotation"] = setting


def at(stack, moment: float) -> None:
    stack.pool.clock = lambda: moment


def refresh(stack, token: str) -> requests.Response:
    client = web_client(stack)
    return requests.post(
        stack.provider_url + "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(client["client_id"], client["client_secret"]),
        timeout=5,
    )


def first_refresh_token(stack, http) -> str:
    return stack.login_tokens(http)["refresh_token"]


def refused(response: requests.Response) -> bool:
    return response.status_code == 400 and response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid Refresh Token",
    }


# -- the pool file's field, as AWS names it --------------------------------------------------------------


def test_field_names_and_limits_are_botocores():
    model = botocore.session.get_session().get_service_model("cognito-idp")
    client_input = model.operation_model("CreateUserPoolClient").input_shape
    shape = client_input.members["RefreshTokenRotation"]
    assert shape.name == "RefreshTokenRotationType"
    assert shape.required_members == ["Feature"]
    assert shape.members["Feature"].enum == ["ENABLED", "DISABLED"]
    grace = shape.members["RetryGracePeriodSeconds"].metadata
    assert (grace["min"], grace["max"]) == (0, 60)
    assert (
        "RefreshTokenRotation"
        in model.operation_model("DescribeUserPoolClient").output_shape.members["UserPoolClient"].members
    )


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({"Feature": "ON"}, "Feature must be ENABLED or DISABLED"),
        ({"RetryGracePeriodSeconds": 5}, "Feature must be ENABLED or DISABLED (it is required)"),
        ({"Feature": "ENABLED", "RetryGracePeriodSeconds": 61}, "RetryGracePeriodSeconds must be a whole number"),
        ({"Feature": "ENABLED", "RetryGracePeriodSeconds": -1}, "from 0 to 60"),
        ({"Feature": "ENABLED", "RetryGracePeriodSeconds": True}, "from 0 to 60"),
        ({"Feature": "ENABLED", "RetryGracePeriodSeconds": 1.5}, "from 0 to 60"),
        ({"Feature": "ENABLED", "GracePeriod": 5}, "unknown field(s) ['GracePeriod']"),
        ("ENABLED", "must be an object"),
    ],
)
def test_a_malformed_setting_is_refused_when_the_pool_loads(tmp_path, setting, says):
    pool = default_pool("http://localhost:5000")
    pool["clients"][0]["RefreshTokenRotation"] = setting
    with pytest.raises(RotationConfigError) as refused_:
        create_provider_app(pool, tmp_path / "keys")
    assert says in str(refused_.value) and "cognito-flow-lab" in str(refused_.value)


def test_older_pool_files_are_brought_to_aws_names(tmp_path):
    path = tmp_path / "pool.json"
    pool = default_pool("http://localhost:5000")
    for client in pool["clients"]:
        del client["RefreshTokenRotation"]
        client["refresh_token_rotation"] = False
    pool["clients"][0]["refresh_token_rotation"] = True
    path.write_text(json.dumps(pool))
    written = ensure_pool_file(path, "http://localhost:5000")
    assert written["clients"][0]["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    assert written["clients"][1]["RefreshTokenRotation"]["Feature"] == "DISABLED"
    assert "refresh_token_rotation" not in json.loads(path.read_text())["clients"][0]
    assert rotation_of(normalize({"name": "x"})).enabled is False  # absent: rotation off, as at AWS


# -- the provider, over HTTP -------------------------------------------------------------------------------


def test_without_rotation_no_new_refresh_token_and_the_old_one_keeps_working(stack, http):
    token = first_refresh_token(stack, http)
    for _ in range(2):
        answer = refresh(stack, token)
        assert answer.status_code == 200 and "refresh_token" not in answer.json()


def test_rotation_without_grace_refuses_the_old_token_at_once(stack, http):
    rotate(stack, 0)
    old = first_refresh_token(stack, http)
    answer = refresh(stack, old)
    assert answer.status_code == 200
    new = answer.json()["refresh_token"]
    assert new != old and {"access_token", "id_token"} <= answer.json().keys()
    assert refused(refresh(stack, old))
    assert refresh(stack, new).status_code == 200


def test_grace_period_keeps_the_old_token_then_refuses_it(stack, http):
    rotate(stack, 30)
    start = stack.pool.clock()
    old = first_refresh_token(stack, http)
    at(stack, start + 1)
    first = refresh(stack, old).json()["refresh_token"]
    at(stack, start + 30)  # a client-side retry inside the grace period: works, another new token
    retry = refresh(stack, old)
    assert retry.status_code == 200 and retry.json()["refresh_token"] not in (old, first)
    at(stack, start + 31)  # the grace ran from the first rotation (1 s): not extended by the retry
    assert refused(refresh(stack, old))
    assert refresh(stack, first).status_code == 200


def test_the_new_token_lives_only_for_the_rest_of_the_original(stack, http):
    rotate(stack, 0)
    start = stack.pool.clock()
    old = first_refresh_token(stack, http)
    expires = stack.pool.refresh_tokens[old].expires
    at(stack, start + 86400)  # a day later
    new = refresh(stack, old).json()["refresh_token"]
    assert stack.pool.refresh_tokens[new].expires == expires  # not a fresh 30 days
    at(stack, expires - 1)
    newer = refresh(stack, new).json()["refresh_token"]
    at(stack, expires + 1)
    assert refused(refresh(stack, newer))


def test_revoking_the_new_token_ends_the_old_one_in_its_grace(stack, http):
    rotate(stack, 60)
    old = first_refresh_token(stack, http)
    new = refresh(stack, old).json()["refresh_token"]
    client = web_client(stack)
    revoked = requests.post(
        stack.provider_url + "/oauth2/revoke",
        data={"token": new},
        auth=(client["client_id"], client["client_secret"]),
        timeout=5,
    )
    assert revoked.status_code == 200
    assert refused(refresh(stack, old)) and refused(refresh(stack, new))


# -- the client's record ------------------------------------------------------------------------------------


def test_rotation_outcome_tells_tokens_apart_without_them():
    outcome = rotation_outcome("old-token", {"refresh_token": "new-token"}, now=1000, grace_seconds=20)
    assert outcome.rotated and outcome.grace_ends == 1020
    assert outcome.old == fingerprint("old-token") != outcome.new == fingerprint("new-token")
    assert outcome.old.startswith("…") and len(outcome.old) == 5
    assert "old-token" not in json.dumps(outcome.as_dict()) and "new-token" not in json.dumps(outcome.as_dict())
    echoed = rotation_outcome("same", {"refresh_token": "same"}, now=1000, grace_seconds=20)
    assert not echoed.rotated and echoed.grace_ends is None
    unknown = rotation_outcome("a", {"refresh_token": "b"}, now=1000, grace_seconds=None)
    assert unknown.rotated and unknown.grace_ends is None
    assert rotation_outcome("a", {}, now=1000, grace_seconds=5).new is None


def stored_session(stack, http) -> dict:
    return stack.app.config["SESSION_CACHELIB"].get("flowlab:" + http.cookies["flowlab_session"])


def stored_sign_in(stack, http) -> dict:
    return stored_session(stack, http)[SIGN_IN]


def test_the_app_keeps_the_new_token_and_records_the_rotation(make_stack, http):
    stack = make_stack(refresh_token_grace_seconds=15)
    rotate(stack, 15)
    old = first_refresh_token(stack, http)
    stack.post(http, "/refresh")
    record = stored_sign_in(stack, http)
    new = record["refresh_token"]
    assert new != old  # the app holds the token the provider rotated to
    rotation = stored_session(stack, http)[SCREEN]["last_refresh"]["rotation"]  # the dashboard's screen state
    assert rotation["rotated"] and rotation["old"] == fingerprint(old) and rotation["new"] == fingerprint(new)
    assert rotation["grace_seconds"] == 15 and rotation["grace_ends"] == rotation["at"] + 15
    at(stack, stack.pool.clock() + 20)  # the old one's grace is over (and iat stays in the app's leeway)
    assert refused(refresh(stack, old))
    assert stack.post(http, "/refresh").status_code == 302
    shown = [
        http.get(stack.url + path).text for path in ("/dashboard", "/api/session", "/trace", "/trace.md", "/trace.har")
    ]
    for page in shown:
        assert old not in page and new not in page


def test_the_grace_comes_from_the_setting_or_the_local_pool_file(make_stack):
    assert make_stack({"REFRESH_TOKEN_GRACE_SECONDS": "45"}).settings.refresh_token_grace_seconds == 45
    assert make_stack().settings.refresh_token_grace_seconds is None  # the default pool does not rotate


# -- the screens: the rotation, the grace countdown, the replay of the rotated-out token ----------------------


def dashboard_text(stack, http) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", http.get(stack.url + "/dashboard").text))


def later(monkeypatch, seconds: float) -> None:
    """The app's clock `seconds` ahead (the flows' clock that counts the grace down, the views that drop the old
    token and show the countdown)."""
    real = time.time
    ahead = types.SimpleNamespace(time=lambda: real() + seconds)
    for module in ("flows.context", "views.signin", "views.dashboard"):
        monkeypatch.setattr(f"{module}.time", ahead)


def test_the_dashboard_tells_the_tokens_apart_and_counts_the_grace_down(make_stack, http):
    stack = make_stack(refresh_token_grace_seconds=60)
    rotate(stack, 60)
    old = first_refresh_token(stack, http)
    assert stack.post(http, "/refresh").status_code == 302
    new = stored_sign_in(stack, http)["refresh_token"]
    page = http.get(stack.url + "/dashboard").text
    panel = re.search(r'<div class="rotation" id="rotation" data-wait="(\d+)">(.*?)\n</div>', page, re.S)
    assert panel, page
    assert 55 <= int(panel.group(1)) <= 60  # seconds of grace left, counted down by static/rotation.js
    shown = html.unescape(re.sub(r"<[^>]+>", " ", panel.group(2)))
    assert f"Sent {fingerprint(old)} , got back {fingerprint(new)}" in " ".join(shown.split())
    assert "grace period (60 s)" in shown and re.search(r"\d+ s left", shown)
    assert re.search(r'<button type="submit" class="button small danger" id="replay-old" disabled>', page)
    assert old not in page and new not in page
    # inside the grace the server refuses to replay: the provider would still take the old token
    early = stack.post(http, "/refresh/replay-old")
    assert early.status_code == 409 and "still in its grace period" in html.unescape(early.text)
    assert stored_sign_in(stack, http)["rotated_out"] == old  # still held for the replay


def test_the_replayed_old_token_is_refused_and_then_forgotten(make_stack, http, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    stack = make_stack(refresh_token_grace_seconds=0)
    rotate(stack, 0)
    old = first_refresh_token(stack, http)
    stack.post(http, "/refresh")
    new = stored_sign_in(stack, http)["refresh_token"]
    assert "The grace is over: the provider now refuses the old token." in dashboard_text(stack, http)
    answer = stack.post(http, "/refresh/replay-old")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/dashboard#rotation")
    shown = " ".join(dashboard_text(stack, http).split())
    refused = "refused by the provider, HTTP 400 invalid_grant (Invalid Refresh Token)"
    assert f"Replayed {fingerprint(old)} : {refused}" in shown
    assert f"while the token that replaced it still works: {fingerprint(new)} ." in shown
    record = stored_sign_in(stack, http)
    assert record["rotated_out"] is None and record["refresh_token"] == new  # dropped; the new one kept
    assert stored_session(stack, http)[SCREEN]["last_refresh"]["replay"]["status"] == 400
    again = stack.post(http, "/refresh/replay-old")
    assert again.status_code == 400 and "No rotated-out refresh token to replay" in html.unescape(again.text)
    assert stack.post(http, "/refresh").status_code == 302  # the new token still refreshes
    for path in ("/dashboard", "/api/session", "/trace", "/trace.md", "/trace.har", "/postman.json"):
        page = http.get(stack.url + path).text
        assert old not in page and new not in page, path
    assert old not in caplog.text and new not in caplog.text
    assert "$REFRESH_TOKEN" in http.get(stack.url + "/trace.md").text
    trace = html.unescape(http.get(stack.url + "/trace").text)
    assert "Replay the rotated-out refresh token (as a thief with a copy would)" in trace
    assert "by the rotation replay" in trace  # grouped with the tool's own probes: its refusal is expected


def test_the_replay_pauses_in_presenter_mode_showing_a_placeholder(make_stack, http):
    stack = make_stack(refresh_token_grace_seconds=0)
    rotate(stack, 0)
    old = first_refresh_token(stack, http)
    stack.post(http, "/refresh")
    http.get(stack.url + "/presenter?on=1&next=/dashboard")
    screen = stack.post(http, "/refresh/replay-old")
    assert screen.status_code == 200 and "Replay the rotated-out refresh token" in screen.text
    assert "$REFRESH_TOKEN" in screen.text.replace("<wbr>", "") and old not in screen.text
    assert stored_sign_in(stack, http)["rotated_out"] == old  # nothing sent yet


def test_an_unknown_grace_waits_cognitos_maximum(make_stack, http, monkeypatch):
    stack = make_stack(refresh_token_grace_seconds=None)  # a real pool without REFRESH_TOKEN_GRACE_SECONDS
    rotate(stack, 0)
    first_refresh_token(stack, http)
    stack.post(http, "/refresh")
    text = " ".join(dashboard_text(stack, http).split())
    assert "it waits Cognito's maximum, 60 s" in text
    assert stack.post(http, "/refresh/replay-old").status_code == 409
    later(monkeypatch, 61)
    assert stack.post(http, "/refresh/replay-old").status_code == 302
    assert "refused by the provider, HTTP 400 invalid_grant" in dashboard_text(stack, http)


def test_the_old_token_is_dropped_unused_some_minutes_after_its_grace(make_stack, http, monkeypatch):
    stack = make_stack(refresh_token_grace_seconds=0)
    rotate(stack, 0)
    first_refresh_token(stack, http)
    stack.post(http, "/refresh")
    later(monkeypatch, REPLAY_KEEP_SECONDS - 5)
    assert stored_sign_in(stack, http)["rotated_out"]  # a presenter's pause of some minutes: still there
    later(monkeypatch, REPLAY_KEEP_SECONDS + 1)
    http.get(stack.url + "/dashboard")  # any signed-in request forgets it
    assert stored_sign_in(stack, http)["rotated_out"] is None
    assert "Replay the old refresh token" not in http.get(stack.url + "/dashboard").text


def test_no_rotation_no_panel_and_revoking_forgets_the_old_token(make_stack, http):
    stack = make_stack()
    first_refresh_token(stack, http)
    stack.post(http, "/refresh")
    assert 'id="rotation"' not in http.get(stack.url + "/dashboard").text
    rotating = make_stack(refresh_token_grace_seconds=30)
    rotate(rotating, 30)
    with requests.Session() as other:
        first_refresh_token(rotating, other)
        rotating.post(other, "/refresh")
        assert stored_sign_in(rotating, other)["rotated_out"]
        rotating.post(other, "/revoke")
        assert stored_sign_in(rotating, other)["rotated_out"] is None


def page_text(stack, http, path: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", http.get(stack.url + path).text)).split())


def test_the_revocation_lab_and_compare_say_what_rotation_protects_against(make_stack, http):
    stack = make_stack(refresh_token_grace_seconds=20)
    stack.login(http)
    lab = page_text(stack, http, "/revocation")
    assert "Revocation and refresh-token rotation" in lab
    assert "a copy of the old token, from a log, a backup, a stolen cookie jar or browser storage, is refused" in lab
    assert "It does not stop a thief who uses a copy first" in lab
    assert "For this app: rotation is on for this app client, grace 20 s ." in lab
    compare = page_text(stack, http, "/compare")
    assert "If the refresh token is copied" in compare
    assert "refresh-token rotation is on for this app client, grace 20 s" in compare
    assert "there is no refresh token: the implicit flow never returns one" not in compare  # implicit not run yet
    plain = make_stack()
    with requests.Session() as other:
        plain.login(other)
        assert "off for this app client (its RefreshTokenRotation in the local provider's pool file)" in page_text(
            plain, other, "/revocation"
        )
