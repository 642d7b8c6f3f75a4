"""Issue 23.12: the jargon of the first screens is explained where it appears, in a short phrase, and
linked to its entry on /glossary; the precise term stays."""

from __future__ import annotations

import re
from html import unescape

from lab.glossary import BY_SLUG, TERMS, link_terms
from tests.support import csrf_of

JARGON = ["back-channel", "client-secret-basic", "cachelib", "bff", "rfc-9700", "local-provider"]


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def linked(html: str, slug: str) -> bool:
    return f'href="/glossary#{slug}"' in html


def test_the_glossary_explains_each_term(stack, http):
    page = http.get(stack.url + "/glossary")
    assert page.status_code == 200
    for term in TERMS:
        assert f'id="{term.slug}"' in page.text, term.slug
        assert term.term in text(page.text) and term.phrase in text(page.text), term.slug
    assert set(JARGON) <= set(BY_SLUG)
    assert "`" not in text(page.text)  # backticked names are shown as code, not as Markdown
    assert "<code>Authorization: Basic</code>" in page.text and "<code>make run</code>" in page.text


def test_code_spans_escape_first_and_leave_an_unpaired_backtick():
    from lab.glossary import code_spans

    assert str(code_spans("a `<b>` c")) == "a <code>&lt;b&gt;</code> c"
    assert str(code_spans("one ` alone")) == "one ` alone"


def test_the_first_screens_explain_their_jargon_where_it_appears(stack, http, signed_in):
    home = http.get(stack.url + "/").text
    assert linked(home, "client-secret-basic")
    assert "client_secret_basic (the secret sent in an HTTP Basic header)" in text(home)
    assert linked(home, "local-provider")  # the badge in the top bar
    badge = re.search(r'<a class="provider-badge"[^>]*>(.*?)</a>', home, re.S)
    assert badge and text(badge.group(1)) == "Local provider"

    dashboard = http.get(stack.url + "/dashboard").text
    assert linked(dashboard, "back-channel") and "back channel (server to server)" in text(dashboard)
    assert linked(dashboard, "cachelib") and "cachelib: files on this server" in text(dashboard)
    assert linked(dashboard, "bff") and "backend-for-frontend: it keeps the tokens on the server" in text(dashboard)

    compare = http.get(stack.url + "/compare").text
    assert linked(compare, "rfc-9700") and "RFC 9700 §2.1.2 (the IETF's OAuth security best practice)" in text(compare)
    implicit = http.get(stack.url + "/implicit/callback").text
    assert linked(implicit, "rfc-9700") and "the IETF's OAuth security best practice" in text(implicit)
    spa = http.get(stack.url + "/spa/callback").text
    assert linked(spa, "bff")
    machine = http.post(stack.url + "/machine", data={"csrf_token": csrf_of(http.get(stack.url + "/machine").text)})
    assert linked(machine.text, "back-channel") and "back channel (server to server)" in text(machine.text)


def test_terms_are_linked_once_and_text_stays_escaped():
    html = link_terms("the back channel <b>and</b> the back channel, then client_secret_basic")
    assert html.count('href="/glossary#back-channel"') == 1
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert 'href="/glossary#client-secret-basic"' in html
    assert link_terms("a front-channel-ish word") == "a front-channel-ish word"  # whole terms only
