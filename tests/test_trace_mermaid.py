"""Issue 23, item 19: the trace as a Mermaid sequence diagram (`/trace.mmd`, and Copy on the trace page).

The output is checked by Mermaid itself: the `mermaid` package (npm, pinned in tests/mermaid), loaded into
headless Chromium, parses it and renders it, and the rendered messages are read back: one per step, the
labels exactly as written (`;`, `#`, quotes and `-->` included), the same participants. Redaction is
checked over real HTTP after a real sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.support.browser import sign_in
from tracing.mermaid import label_text, sequence_diagram
from tracing.model import Step

MERMAID = Path(__file__).parent / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
ARROW = re.compile(r"^    (Browser|App|Provider|API)(-->>|->>)(Browser|App|Provider|API): (.*)$", re.M)


@pytest.fixture(scope="module")
def mermaid_page(browser: Browser) -> Iterator[Page]:
    """A blank page with Mermaid loaded (no network: the script is injected from the npm package). One for
    the module: Mermaid is 5.7 MB of script, about 2 s of Chromium's time to load, and each render replaces
    what the last one drew (`render` reads back only its own diagram)."""
    assert MERMAID.is_file(), "mermaid is missing: run `make test` (npm ci in tests/mermaid)"
    context = browser.new_context()
    page = context.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><head><title>m</title></head><body><div id="out"></div></body></html>'
    )
    page.add_script_tag(path=str(MERMAID))
    page.evaluate("() => mermaid.initialize({startOnLoad: false, securityLevel: 'strict'})")
    yield page
    context.close()


def render(page: Page, text: str) -> dict:
    """Mermaid's parse and render of `text`: the diagram type, each message's text, the participants."""
    return page.evaluate(
        """async (text) => {
            const parsed = await mermaid.parse(text);
            const {svg} = await mermaid.render('diagram' + Date.now(), text);
            const out = document.getElementById('out');
            out.innerHTML = svg;  // the SVG Mermaid made (sanitised, securityLevel strict), read back below
            return {
                type: parsed.diagramType,
                messages: [...out.querySelectorAll('.messageText')].map(e => e.textContent),
                actors: [...new Set([...out.querySelectorAll('text.actor')].map(e => e.textContent))].sort(),
            };
        }""",
        text,
    )


def parse_error(page: Page, text: str) -> str:
    return page.evaluate(
        "async (text) => { try { await mermaid.parse(text); return ''; } catch (e) { return String(e.message); } }",
        text,
    )


HOSTILE = 'x;y "quoted" --> A->>B %%c :style:x;;& <b>bold</b>'  # what a URL's path may carry (no `#`)
LABEL = 'x;y #35; "q" --> A->>B %%c :style:x#1; & <b>b</b> #'  # what a label may carry


def hostile_steps() -> list[Step]:
    return [
        Step(name="authorize", method="GET", url="http://p/oauth2/authorize?code=SECRET", kind="browser",
             source="browser", target="provider"),
        Step(name="token", method="POST", url="http://p/oauth2/token", status=200),
        Step(name="api_call", method="GET", url="http://api.example/" + HOSTILE.replace(" ", "%20"), status=418,
             source="app", target="api"),
        Step(name="api", method="GET", url="http://app/api/me", status=401, source="app", target="app"),
        Step(name="doctor", method="GET", url="http://p/.well-known/x", status=200, probe=True),
    ]  # fmt: skip


@pytest.mark.browser
def test_mermaid_parses_and_renders_every_step_with_its_label_as_written(mermaid_page):
    steps = hostile_steps()
    text = sequence_diagram(steps, {})
    shown = render(mermaid_page, text)
    assert shown["type"] == "sequence"
    assert shown["actors"] == ["API", "App", "Browser", "Provider"]
    assert shown["messages"] == [
        "authorize: GET /oauth2/authorize → redirect",
        "code exchange: POST /oauth2/token → 200",
        "call another API: GET /" + HOSTILE.replace(" ", "%20") + " → 418",
        "call the API: GET /api/me → 401",
        "probe: doctor probe: GET /.well-known/x → 200",
    ]
    assert "SECRET" not in text  # a URL's query never reaches the diagram
    line = "sequenceDiagram\n    App->>API: " + label_text(LABEL) + "\n"
    assert render(mermaid_page, line)["messages"] == [LABEL]


@pytest.mark.browser
def test_without_the_escapes_the_same_labels_break_mermaid(mermaid_page):
    """The escapes are needed: written raw, `;` ends the statement and `#` starts an entity."""
    raw = "sequenceDiagram\n    App->>API: GET /x;y\n"
    assert parse_error(mermaid_page, raw) != "" or render(mermaid_page, raw)["messages"] != ["GET /x;y"]
    escaped = "sequenceDiagram\n    App->>API: " + label_text("GET /x;y") + "\n"
    assert render(mermaid_page, escaped)["messages"] == ["GET /x;y"]


@pytest.mark.browser
def test_an_empty_trace_is_still_a_diagram(mermaid_page):
    shown = render(mermaid_page, sequence_diagram([], {}))
    assert shown["type"] == "sequence" and shown["messages"] == []
    assert shown["actors"] == ["App", "Browser", "Provider"]


def test_labels_are_one_line_with_mermaids_specials_as_entity_codes():
    assert label_text('a;b#c"d-->e%f:g&h<i>\nj\tk') == "a#59;b#35;c#quot;d--#gt;e#37;f#58;g#amp;h#lt;i#gt; j k"
    assert len(label_text("x" * 500)) == 160 and label_text("x" * 500).endswith("…")
    lines = ARROW.findall(sequence_diagram(hostile_steps(), {}))
    assert [(a, arrow, b) for a, arrow, b, _ in lines] == [
        ("Browser", "-->>", "Provider"),  # through the browser: dotted
        ("App", "->>", "Provider"),
        ("App", "->>", "API"),
        ("App", "->>", "App"),
        ("App", "->>", "Provider"),
    ]
    for *_, label in lines:
        assert not re.search(r'[;"<>%&#:]', re.sub(r"#(\d+|quot|amp|lt|gt);", "", label)), label


def test_trace_mmd_after_a_sign_in_is_redacted_like_the_other_exports(stack, http):
    tokens = stack.login_tokens(http)
    stack.post(http, "/refresh")
    stack.post(http, "/call-api", token="access")
    response = http.get(stack.url + "/trace.mmd")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Disposition"] == 'attachment; filename="trace.mmd"'
    text = response.text
    arrows = ARROW.findall(text)
    labels = [label for *_, label in arrows]
    assert "code exchange#58; POST /oauth2/token → 200" in labels
    assert "refresh#58; POST /oauth2/token → 200" in labels
    assert "call the API#58; GET /api/me → 200" in labels
    assert any(label.startswith("back with a code#58; GET /callback") for label in labels)
    page = http.get(stack.url + "/trace").text
    assert len(arrows) == page.count('<li class="step ')  # one arrow per step of the trace page
    for secret in (
        stack.settings.client.client_secret,
        tokens["access_token"],
        tokens["id_token"],
        tokens["refresh_token"],
        tokens["access_token"][-20:],
    ):
        assert secret not in text
    assert "code=" not in text and "state=" not in text and "?" not in text


@pytest.mark.browser
def test_the_trace_pages_copy_button_copies_the_diagram_mermaid_renders(stack, browser, mermaid_page):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, device_scale_factor=1.5)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page = context.new_page()
    try:
        page.goto(stack.url + "/login")
        sign_in(page, stack)
        page.wait_for_url(re.compile(r".*/dashboard"))
        page.goto(stack.url + "/trace")
        button = page.locator("#copy-mermaid")
        box = button.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768, box  # on the projector's first screen
        button.click()
        page.wait_for_function("() => document.getElementById('copy-mermaid').textContent === 'Copied'")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        exported = page.request.get(stack.url + "/trace.mmd").text()
    finally:
        context.close()
    assert copied == exported
    shown = render(mermaid_page, copied)
    assert shown["type"] == "sequence" and len(shown["messages"]) == len(ARROW.findall(copied)) >= 4
    assert "code exchange: POST /oauth2/token → 200" in shown["messages"]
