"""Statements the pages make, held to what the app does (issue 23 item 8)."""

from __future__ import annotations

import re
from html import unescape

from tests.support import extract
from tests.test_inspect import code_flow_tokens, inspect


def footer(html: str) -> str:
    return extract(r'<footer class="foot" id="footer">(.*?)</footer>', html, re.S)


def test_the_machine_footer_says_the_token_is_behind_reveal(stack, http):
    stack.login(http)
    page = stack.post(http, "/machine", scope="flowlab-api/read")
    assert page.status_code == 200
    text = footer(page.text)
    assert "shown in full" not in text
    assert "Reveal" in text


def test_a_redirect_in_trace_md_is_a_browser_redirect_not_a_missing_answer(stack, http):
    stack.login(http)
    markdown = http.get(stack.url + "/trace.md").text
    authorize = extract(r"(`GET [^`]*/oauth2/authorize\?[^`]*` → [^\n]*)", markdown)
    assert "no answer" not in authorize and " ms" not in authorize
    assert "→ **browser redirect**" in authorize


def test_the_inspector_says_skipped_once_and_no_offline_claim(stack, http):
    tokens = code_flow_tokens(stack)
    page = unescape(inspect(stack, http, tokens["id_token"]).text)
    skipped = r'data-check="(?:nonce|at_hash)" data-status="skipped">.*?<span class="result">(.*?)</span>'
    results = re.findall(skipped, page, re.S)
    assert len(results) == 2 and all(r.startswith("skipped on purpose:") for r in results), results
    assert "skipped: skipped" not in page
    words = " ".join(page.split())
    assert "works offline" not in words
    assert "fetches the provider's signing keys" in words


def test_the_pool_file_named_is_the_one_in_use(make_stack, http, tmp_path):
    """INSTANCE_PATH and LOCAL_COGNITO_FILE point elsewhere: the provider's sign-in page and the trace's
    placeholders name that file, not instance/local_cognito.json."""
    stack = make_stack()
    pool_file = str(stack.settings.local_pool_file)
    assert pool_file and "instance/local_cognito.json" not in pool_file
    login = http.get(stack.start_login(http))  # the provider's sign-in form
    assert pool_file in unescape(login.text) and "instance/local_cognito.json" not in login.text
    stack.login(http)
    trace = unescape(http.get(stack.url + "/trace").text)
    assert pool_file in trace and "instance/local_cognito.json" not in trace


def test_a_refresh_refused_after_revoke_is_said_once_with_a_refresh_cause(stack, http):
    stack.login(http)
    stack.post(http, "/revoke")
    refused = stack.post(http, "/refresh")
    assert refused.status_code == 400
    text = unescape(refused.text)
    assert text.count("The refresh was refused") == 1
    cause = extract(r'<p class="cause"><strong>Likely cause:</strong> (.*?)</p>', text, re.S)
    assert "revoked" in cause and "code" not in cause and "PKCE" not in cause
