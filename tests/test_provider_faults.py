"""A provider that fails: each case gives a clear 502 page, stores nothing, and the app lives on."""

from __future__ import annotations

import json

import pytest

from tests.support import answer


def huge(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return (b"x" * 65536 for _ in range(40))  # 2.5 MiB, streamed


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        pytest.param(answer("{}", delay=1.5), "did not answer within", marks=pytest.mark.live),  # a timeout
        (answer('{"error":"boom"}', status=500), "HTTP 500"),
        (answer("<html>Service Unavailable</html>", status=503, mimetype="text/html"), "HTTP 503"),
        (answer("<html>ok</html>", mimetype="text/html"), "not JSON"),
        (answer("[1, 2]"), "not an object"),
        (answer(json.dumps({"token_type": "Bearer"})), "without an access_token"),
        (answer(json.dumps({"access_token": "a", "token_type": "mac"})), "not Bearer"),
        (answer('{"nonsense": true}', status=400), "without an OAuth error"),
        (huge, "over 1024 KiB"),
    ],
)
def test_token_endpoint_faults(make_stack, http, fault, message):
    stack = make_stack(http_timeout=0.5)
    stack.rewriter.faults["/oauth2/token"] = fault
    response = stack.login(http)
    assert response.status_code == 502
    assert "The identity provider failed" in response.text and message in response.text
    assert "Traceback" not in response.text
    assert stack.session_json(http)["authenticated"] is False
    # the app keeps serving: the home page still answers
    assert http.get(stack.url + "/").status_code == 200


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (answer("not json", mimetype="text/plain"), "not JSON"),
        (answer("{}", status=404), "HTTP 404"),
        (answer(json.dumps({"issuer": "https://evil.example"})), "is not the configured issuer"),
    ],
)
def test_discovery_faults_stop_login_before_anything_is_stored(make_stack, http, document, message):
    stack = make_stack()
    stack.rewriter.faults["/us-east-1_LocalDemo/.well-known/openid-configuration"] = document
    response = http.get(stack.url + "/login", allow_redirects=False)
    assert response.status_code == 502 and message in response.text
    assert stack.app.config["SESSION_COOKIE_NAME"] not in response.headers.get("Set-Cookie", "")


def test_broken_jwks_is_a_provider_failure(make_stack, http):
    stack = make_stack()
    stack.rewriter.faults["/us-east-1_LocalDemo/.well-known/jwks.json"] = answer('{"keys": 5}')
    response = stack.login(http)
    assert response.status_code == 502 and "unusable JWKS" in response.text
    assert stack.session_json(http)["authenticated"] is False


def test_provider_down(make_stack, http):
    stack = make_stack()
    stack.provider_server.stop()
    response = http.get(stack.url + "/login", allow_redirects=False)
    assert response.status_code == 502
    assert "could not be reached" in response.text


def test_json_with_the_wrong_content_type_is_refused(make_stack, http):
    stack = make_stack()
    stack.rewriter.faults["/oauth2/token"] = answer(
        '{"access_token": "a", "token_type": "Bearer"}', mimetype="text/html"
    )
    response = stack.login(http)
    assert response.status_code == 502 and "Content-Type text/html" in response.text
    assert stack.session_json(http)["authenticated"] is False


@pytest.mark.parametrize(
    ("path", "fault", "message"),
    [
        pytest.param("/oauth2/userInfo", answer("{}", delay=1.5), "did not answer within", marks=pytest.mark.live),
        ("/oauth2/userInfo", answer("oops", status=500, mimetype="text/plain"), "HTTP 500"),
        ("/oauth2/revoke", answer("<html></html>", status=503, mimetype="text/html"), "HTTP 503"),
    ],
)
def test_lifecycle_calls_fail_cleanly(make_stack, http, path, fault, message):
    stack = make_stack(http_timeout=0.5)
    stack.login(http)
    csrf = stack.form_csrf(http, "/dashboard")
    stack.rewriter.faults[path] = fault
    action = "/userinfo" if "userInfo" in path else "/revoke"
    response = http.post(stack.url + action, data={"csrf_token": csrf})
    assert response.status_code == 502 and message in response.text
    assert stack.session_json(http)["authenticated"] is True  # the session is as it was


@pytest.mark.live  # the app's server threads and the client's timeout
def test_other_users_are_served_while_the_provider_hangs(make_stack):
    import threading

    import requests

    stack = make_stack(http_timeout=2)
    stack.rewriter.faults["/oauth2/token"] = answer("{}", delay=3)
    results = []

    def stuck_login():
        with requests.Session() as s:
            results.append(stack.login(s).status_code)

    thread = threading.Thread(target=stuck_login)
    thread.start()
    for _ in range(5):  # meanwhile, other users get their pages at once
        assert requests.get(stack.url + "/", timeout=1).status_code == 200
    thread.join(timeout=15)
    assert results == [502]
