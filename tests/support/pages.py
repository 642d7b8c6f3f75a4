"""Reading values out of the app's pages in tests."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# The anti-forgery token (one per browser, the same on every page) is written two ways: as the hidden
# field every form posts, and as the data-csrf attribute the page's script sends in X-CSRF-Token.
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SCRIPT_CSRF = re.compile(r'data-csrf="([^"]+)"')


def extract(pattern: str | re.Pattern[str], text: str, flags: int = 0) -> str:
    """The first group of `pattern`'s first match in `text`; the test fails when nothing matches."""
    found = re.search(pattern, text, flags)
    assert found, f"no match for {pattern!r}"
    return found.group(1)


def csrf_of(html: str, where: str = "the page") -> str:
    """The anti-forgery token a form on the page posts (its hidden csrf_token field)."""
    found = FORM_CSRF.search(html)
    assert found, f"{where} has no form carrying the anti-forgery token"
    return found.group(1)


def script_csrf_of(html: str, where: str = "the page") -> str:
    """The anti-forgery token the page hands its script (the data-csrf attribute)."""
    found = SCRIPT_CSRF.search(html)
    assert found, f"{where} carries no anti-forgery token"
    return found.group(1)


@dataclass
class Screen:
    """A presenter call screen as the page shows it: what the call is, and what Continue posts."""

    title: str
    method: str
    endpoint: str
    rows: list[tuple[str, str]]
    action: str
    fields: dict[str, str]
    page: str


def read_screen(page: str) -> Screen:
    """The presenter call screen in `page` (the test fails when the page is no such screen)."""

    def text(fragment: str) -> str:
        return html.unescape(fragment.replace("<wbr>", ""))

    title = re.search(r'<section class="presenter[^"]*" id="presenter">.*?<h1>(.*?)</h1>', page, re.S)
    request = re.search(r'<p class="request"><span class="method">(.*?)</span> <code>(.*?)</code>', page)
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert title and request and form, page
    rows = re.findall(r'<tr data-param="([^"]+)"><th scope="row"><code>[^<]*</code></th><td><code>(.*?)</code>', page)
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    return Screen(
        title=text(title.group(1)),
        method=request.group(1),
        endpoint=text(request.group(2)),
        rows=[(text(k), text(v)) for k, v in rows],
        action=html.unescape(form.group(1)),
        fields={k: html.unescape(v) for k, v in fields.items()},
        page=page,
    )


def visible_text(page: str) -> str:
    """A page's text as a reader sees it: tags dropped (a glossary link inside a sentence), entities decoded,
    runs of white space as one space."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
