"""Issue 15 over HTTP: footers that tell the truth, likely causes, probes, one placeholder set,
both demo users, the CLI's message, and HAR timings."""

from __future__ import annotations

import re
from datetime import datetime

from app import _banner
from tests.support import extract
from tracing.markers import shorten_markers
from tracing.model import Step


def footer(html: str) -> str:
    return extract(r'<footer class="foot" id="footer">(.*?)</footer>', html, re.S)


def test_each_footer_says_what_is_true_of_its_page(stack, http):
    stack.login(http)
    server_side = "Tokens stay in the server-side session"
    for path in ("/", "/dashboard", "/compare", "/doctor"):
        assert server_side in footer(http.get(stack.url + path).text), path
    implicit = footer(http.get(stack.url + "/implicit/callback").text)
    assert server_side not in implicit and "URL fragment" in implicit and "this page's memory" in implicit
    machine = footer(http.get(stack.url + "/machine").text)
    assert server_side not in machine and "Reveal fetches it in full" in machine  # (behind Reveal, issue 23)
    trace = footer(http.get(stack.url + "/trace").text)
    assert server_side not in trace and "shortened" in trace and "reveal" in trace
    assert "only when you press Reveal" in footer(http.get(stack.url + "/dashboard").text)
    inspect = footer(http.get(stack.url + "/inspect").text)
    assert server_side not in inspect and "you paste" in inspect and "never stored" in inspect


def test_likely_cause_for_a_refused_userinfo_and_a_forged_state(stack, http):
    stack.login(http)
    stack.post(http, "/revoke")
    refused = stack.post(http, "/userinfo")
    assert refused.status_code == 400
    assert "HTTP 401" in refused.text and "Likely cause:" in refused.text  # shown inline, the provider's status
    forged = http.get(stack.url + "/callback?code=abc&state=forged")
    assert forged.status_code == 400
    trace = http.get(stack.url + "/trace").text
    steps = re.findall(r'<li class="step [^"]*" id="step-\d+" data-step="([^"]+)">(.*?)</li>', trace, re.S)
    userinfo = [body for name, body in steps if name == "userinfo" and "401" in body]
    assert userinfo and "Likely cause: invalid_token:" in userinfo[-1]
    callback = [body for name, body in steps if name == "callback" and "400" in body]
    assert callback and "Likely cause: invalid_state:" in callback[-1]


def test_doctor_and_revocation_probes_are_marked_in_the_trace(stack, http):
    stack.login(http)
    stack.post(http, "/revoke")
    http.get(stack.url + "/revocation")
    http.get(stack.url + "/revocation")
    http.post(stack.url + "/doctor", data={"csrf_token": stack.csrf(http)})  # the live checks
    trace = http.get(stack.url + "/trace").text
    groups = re.findall(r'<li class="probe-group" data-probes="(\d+)">(.*?)</details>\s*</li>', trace, re.S)
    sources = [("revocation lab" in body, "setup doctor" in body) for _, body in groups]
    assert (True, False) in sources and (False, True) in sources
    lab = next(body for _, body in groups if "revocation lab" in body)
    assert 'class="bad-text cause"' not in lab and "Expected for a probe." in lab
    causes = re.findall(r'<p class="([^"]+)">([^<]*)Likely cause: invalid_grant', trace)
    assert causes and all(c == ("probe-note cause", "Expected for a probe. ") for c in causes)  # no red steps


def test_one_placeholder_set_and_where_each_comes_from(stack, http):
    stack.login(http)
    stack.post(http, "/userinfo")
    page = http.get(stack.url + "/trace").text
    line = re.search(r'<p class="hint placeholders" id="placeholders">(.*?)</p>', page, re.S).group(1)
    for name in ("$CLIENT_ID", "$CLIENT_SECRET", "$ACCESS_TOKEN", "$ID_TOKEN", "$REFRESH_TOKEN", "$CODE"):
        assert name in line
    assert stack.settings.local_pool_file in line  # the file in use (LOCAL_COGNITO_FILE), issue 23
    curl = re.search(r'<pre class="json curl" id="curl-\d+">curl -sS -X GET [^<]*userInfo[^<]*</pre>', page).group(0)
    assert "Bearer $ACCESS_TOKEN" in curl
    assert "$TOKEN" not in re.sub(r"\$(ACCESS|ID|REFRESH)_TOKEN", "", page)
    # a token whose full value is no longer kept gets the same placeholders, never a bare $TOKEN
    record = stack.app.extensions["trace_store"].load(http.cookies.get("flowlab_trace"))
    step = next(s for s in record["steps"] if s["name"] == "token" and s.get("tag"))
    body = shorten_markers(step["response_body"], {}, Step.from_dict(step))
    assert '"access_token": "$ACCESS_TOKEN"' in body and '"id_token": "$ID_TOKEN"' in body
    machine = http.get(stack.url + "/machine").text
    assert "$TOKEN" not in re.sub(r"\$(ACCESS|ID|REFRESH)_TOKEN", "", machine)


def test_both_demo_users_on_home_banner_and_provider_page(stack, http):
    home = http.get(stack.url + "/").text
    banner = _banner(stack.settings, stack.provider_url, list(stack.settings.demo_users))
    authorize = stack.start_login(http)
    login = http.get(authorize)
    for user in stack.pool_config["users"]:
        for text in (home, banner, login.text):
            assert user["username"] in text and user["password"] in text


def test_cli_names_the_options_that_were_given(stack):
    runner = stack.app.test_cli_runner()
    machine = stack.pool_config["clients"][1]
    given = runner.invoke(
        args=["token", "client-credentials", "--client-id", machine["client_id"], "--client-secret", "wrong"]
    )
    assert given.exit_code == 1
    assert "--client-id and --client-secret" in given.output and "M2M_CLIENT_ID" not in given.output
    from_env = runner.invoke(
        args=["token", "client-credentials"], env={"M2M_CLIENT_ID": machine["client_id"], "M2M_CLIENT_SECRET": "wrong"}
    )
    assert from_env.exit_code == 1 and "M2M_CLIENT_ID and M2M_CLIENT_SECRET" in from_env.output


def test_har_uses_real_start_times_and_durations(stack, http):
    stack.login(http)
    entries = http.get(stack.url + "/trace.har").json()["log"]["entries"]
    starts = [datetime.fromisoformat(e["startedDateTime"].replace("Z", "+00:00")) for e in entries]
    assert starts == sorted(starts)
    assert any(s.microsecond for s in starts)  # not whole seconds
    by_comment = {e["comment"]: e for e in entries}
    authorize = by_comment["Browser goes to the authorize endpoint"]
    callback = by_comment["Provider sends the browser back with a code"]
    assert authorize["time"] > 0  # the browser's round trip through the provider's sign-in
    assert callback["time"] > 0  # the app's handling of the callback, token exchange included
    exchange = by_comment["Exchange the code for tokens (back channel)"]
    assert exchange["time"] > 0 and exchange["time"] <= callback["time"]
    stack.post(http, "/call-api", token="access")  # the dashboard's in-process API call is timed too
    entries = http.get(stack.url + "/trace.har").json()["log"]["entries"]
    (api,) = [e for e in entries if e["comment"] == "Call the protected API"]
    assert api["time"] > 0 and api["response"]["status"] == 200
