"""README.md and docs/*.md held to the app (issue 23 item 20, issue 20's "Done when").

The README starts with the two commands and the 15-minute demo, before any reference; every relative link
resolves, anchors included; every route, button and screen text the demo names is on the app's screens,
walked in-process in presenter mode as the script walks them; .ci/run runs the README's test command; and
the README stays short, the reference living in docs/.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.support import extract, script_csrf_of

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_LINES = 300  # the README is the two commands, the demo, what it does and pointers: reference goes in docs/
DEMO_TITLE = "A 15-minute demo"


def without_code(text: str) -> str:
    """The markdown with its fenced blocks blanked (their lines kept, so line numbers hold)."""
    return re.sub(r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.M | re.S)


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of each ATX heading outside code blocks."""
    return [(len(m.group(1)), m.group(2).strip()) for m in re.finditer(r"^(#{1,6}) (.+)$", without_code(text), re.M)]


def slug(title: str) -> str:
    """GitHub's anchor for a heading: the text without markup, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    for _, title in headings(text):
        base, n = slug(title), 0
        anchor = base
        while anchor in found:  # a repeated heading gets -1, -2, ... as on GitHub
            n += 1
            anchor = f"{base}-{n}"
        found.add(anchor)
    return found


def links(text: str) -> list[str]:
    """The targets of the markdown links and images outside code (inline code spans blanked first)."""
    prose = re.sub(r"`[^`\n]*`", "", without_code(text))
    return re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", prose)


def section(text: str, title: str) -> str:
    """The text under the level-2 heading `title`, up to the next level-2 heading."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found, f"no section {title!r}"
    return found.group(1)


def test_the_readme_starts_with_the_two_commands():
    text = README.read_text()
    title, rest = text.split("\n", 1)
    assert title == "# Cognito Flow Lab"
    first = re.match(r"\s*```sh\n(.*?)```", rest, re.S)
    assert first, "the first thing after the title is the sh block with the two commands"
    commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
    assert commands == ["make run", "make test"]


def test_the_demo_comes_before_any_reference_section():
    text = README.read_text()
    level_two = [title for level, title in headings(text) if level == 2]
    assert level_two[0] == DEMO_TITLE, level_two
    demo = section(text, DEMO_TITLE)
    before = demo.split("### 0:00")[0].split("Before they arrive")[0]
    assert "](docs/" not in before  # the demo asks for nothing to be read first


def demo_steps() -> list[tuple[int, str]]:
    """(second, title) of each step of the demo, from its `### m:ss title` headings."""
    steps = re.findall(r"^### (\d+):(\d\d) (.+)$", section(README.read_text(), DEMO_TITLE), re.M)
    return [(int(m) * 60 + int(s), title) for m, s, title in steps]


def test_the_demo_fits_15_minutes_and_visits_the_main_screens_in_order():
    steps = demo_steps()
    times = [t for t, _ in steps]
    assert times[0] == 0 and times == sorted(set(times)) and times[-1] < 15 * 60, steps
    titles = " | ".join(title for _, title in steps)
    order = ["Home", "Sign in", "Dashboard", "Refresh", "/trace", "/compare", "/attacks", "/inspect", "Sign out"]
    places = [titles.find(name) for name in order]
    assert -1 not in places and places == sorted(places), (order, titles)


def test_the_demo_says_what_can_derail_it():
    demo = " ".join(section(README.read_text(), DEMO_TITLE).split())
    derail = demo.split("### What can derail it")[1]
    for needle in ("Codes live 5 minutes", "**Sign in again**", "127.0.0.1", "Back and reload", "reloaded"):
        assert needle in derail, needle


def test_the_readme_stays_short_and_points_to_every_docs_page():
    text = README.read_text()
    assert len(text.splitlines()) <= MAX_README_LINES, "move reference material to docs/"
    linked = {target.split("#")[0] for target in links(text)}
    assert {f"docs/{page.name}" for page in DOCS} <= linked


def test_every_relative_link_resolves_and_every_anchor_is_a_heading():
    broken = []
    for page in [README, *DOCS]:
        for target in links(page.read_text()):
            if urlsplit(target).scheme:  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.is_file() or ROOT not in file.parents:
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_the_link_checks_catch_what_they_are_for(tmp_path):
    """The helpers the link test relies on, against known answers (a checker that finds nothing proves nothing)."""
    assert slug("The token inspector: `/inspect` and `flask --app app inspect`") == (
        "the-token-inspector-inspect-and-flask---app-app-inspect"
    )
    assert slug("`acr_values`, `max_age`, `acr` and `amr` (step-up)") == "acr_values-max_age-acr-and-amr-step-up"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}
    assert links("[x](a.md#b) `[y](c.md)` ![z](d.png)\n```\n[w](e.md)\n```\n") == ["a.md#b", "d.png"]


def test_ci_runs_the_readmes_test_command():
    text = README.read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block
    test_command = next(line.split("#")[0].strip() for line in block.group(1).splitlines() if "test" in line)
    ci = (ROOT / ".ci" / "run").read_text()
    run = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert test_command in run, (test_command, run)


# -- the demo, walked ----------------------------------------------------------------------------------------


def page_text(markup: str) -> str:
    """What a reader sees of a page: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def walk_the_demo(stack, http: requests.Session) -> tuple[list[str], list[str]]:
    """The demo's clicks, in order, in presenter mode: the paths it opened and the markup of every page it showed."""
    paths: list[str] = []
    shown: list[str] = []

    def see(response: requests.Response) -> requests.Response:
        assert response.status_code < 400, (response.url, response.status_code, response.text[:300])
        paths.append(urlsplit(response.url).path)
        shown.append(response.text)
        return response

    def get(path: str, **params: str) -> requests.Response:
        response = see(http.get(stack.url + path, params=params))
        assert urlsplit(response.url).path == path or "next" in params, (path, response.url)  # not sent elsewhere
        return response

    def go_on(pause: requests.Response) -> requests.Response:
        """Continue on a presenter pause (the form around its Continue button, not the top bar's Sign out)."""
        form = re.search(r'<form method="post" action="([^"]+)">((?:(?!</form>).)*?id="continue")', pause.text, re.S)
        assert form, pause.text
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
        action = html.unescape(form.group(1))
        return see(http.post(stack.url + action, data={k: html.unescape(v) for k, v in fields.items()}))

    get("/")  # 0:00
    get("/presenter", on="1", next="/")  # 1:00
    authorize = html.unescape(extract(r'id="continue" href="([^"]+)"', get("/login").text))  # paused
    see(http.get(http.get(authorize, allow_redirects=False).headers["Location"]))  # the provider's sign-in form
    back = stack.sign_in_at_provider(http, authorize)
    go_on(see(http.get(back)))  # the exchange pause, then what came back
    dashboard = get("/dashboard")  # 4:00
    id_token = http.post(
        stack.url + "/api/tokens/reveal", json={"which": "id"}, headers={"X-CSRF-Token": script_csrf_of(dashboard.text)}
    ).json()["token"]  # Reveal the ID token, Copy
    go_on(see(stack.post(http, "/refresh")))  # 6:30: the refresh pause, then what came back
    get("/dashboard")
    go_on(see(stack.post(http, "/refresh/replay-old")))  # rotation (no grace here): the replay's pause, the refusal
    assert "invalid_grant" in get("/dashboard").text
    get("/trace")  # 8:30
    get("/compare")  # 10:00
    get("/implicit")  # its authorize pause
    get("/implicit/callback")
    get("/spa")
    get("/spa/callback")
    get("/attacks")  # 12:30
    go_on(see(stack.post(http, "/attacks/2/run")))  # the attacker's pause, then the refusal
    get("/inspect")  # 13:30
    see(stack.post(http, "/inspect", token=id_token))
    leaving = go_on(see(stack.post(http, "/logout")))  # 14:30: revoke, then the provider's logout
    see(http.get(html.unescape(extract(r'id="continue" href="([^"]+)"', leaving.text))))
    return paths, shown


def rotating(pool: dict) -> None:
    """The web app client with refresh-token rotation, as the demo's preparation sets it."""
    pool["clients"][0]["RefreshTokenRotation"] = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}


def test_each_route_the_demo_names_answers_on_the_way(make_stack, http):
    stack = make_stack(edit_pool=rotating, refresh_token_grace_seconds=0)
    paths, shown = walk_the_demo(stack, http)
    named = set(re.findall(r"`(/[\w/.-]*)`", section(README.read_text(), DEMO_TITLE)))
    assert {"/", "/dashboard", "/trace", "/compare", "/attacks", "/inspect"} <= named
    assert named <= set(paths), named - set(paths)
    last = page_text(shown[-1])
    assert "You are signed out. The server-side session was cleared." in last


def phrases(markup: str, mark: str) -> list[str]:
    """The phrases of the demo set in bold (`**`) or italics (`*`), white space collapsed."""
    if mark == "**":
        found = re.findall(r"\*\*(.+?)\*\*", markup, re.S)
    else:
        found = re.findall(r"(?<![*\w])\*(?!\*)([^*]+?)\*(?![*\w])", markup.replace("**", ""), re.S)
    return [" ".join(p.split()) for p in found]


def on_screen(phrase: str, screens: str) -> bool:
    """`…` stands for what the screen fills in, and digits may differ (a countdown); a final stop is the prose's."""
    parts = [re.sub(r"\d+", r"\\d+", re.escape(part.strip())) for part in phrase.rstrip(".:").split("…")]
    return re.search(".*?".join(p for p in parts if p), screens) is not None


def test_every_button_and_screen_text_the_demo_names_is_on_a_screen(make_stack, http):
    """Bold: buttons and links; italics: what a screen says. Each step's is on a page the walk showed (or in its
    template or script: a control the walk did not click); what can derail it, also where views/ words a state
    the walk does not reach (a code that expired on the pause)."""
    from app import _banner

    stack = make_stack(edit_pool=rotating, refresh_token_grace_seconds=0)
    _, shown = walk_the_demo(stack, http)
    markup = [p.read_text() for p in [*(ROOT / "templates").glob("*.html"), *(ROOT / "static").glob("*.js")]]
    banner = _banner(stack.settings, stack.provider_url, [("demo", "x")], "access 5 min")
    screens = " ".join([*map(page_text, shown + markup), banner])
    words = " ".join(page_text(p.read_text()) for p in (ROOT / "views").glob("*.py"))
    steps, derail = section(README.read_text(), DEMO_TITLE).split("### What can derail it")
    walked = phrases(steps, "**") + phrases(steps, "*")
    assert len(walked) > 40, walked
    assert [p for p in walked if not on_screen(p, screens)] == []
    unreached = phrases(derail, "**") + phrases(derail, "*")
    assert len(unreached) > 5, unreached
    assert [p for p in unreached if not on_screen(p, screens + " " + words)] == []


def test_the_phrase_check_finds_what_is_missing():
    screens = "Presenter mode: on The code expires in 3:07 (codes live 5 minutes). Replay the old refresh token …d06c"
    assert on_screen("The code expires in 4:59", screens)
    assert on_screen("Replay the old refresh token …", screens)
    assert not on_screen("Presenter mode: always", screens)
    assert phrases("**Run it** and *Refused: 1 of 1.* not *this* **x**", "*") == ["Refused: 1 of 1.", "this"]


# -- names the docs cite ------------------------------------------------------------------------------------

PROJECT_DIRS = "oauth|flows|views|lab|tracing|attacks|aws_setup|local_cognito|templates|static|scripts|tests|bench|docs"


def cited_paths(text: str) -> set[str]:
    """Project paths a page names (`views/hooks.py`, `tests/fixtures/cognito/README.md`, `flows/`), runtime ones
    (instance/, a virtualenv, node_modules) aside."""
    found = set(re.findall(rf"(?<![\w/.-])((?:{PROJECT_DIRS})/(?:[\w./-]*[\w/])?)", text))
    return {p for p in found if not re.search(r"\.venv|node_modules|__pycache__", p)}


def test_every_project_path_the_docs_name_exists():
    missing = [
        f"{page.name}: {path}"
        for page in [README, *DOCS]
        for path in sorted(cited_paths(page.read_text()))
        if not (ROOT / path).exists()
    ]
    assert missing == []


def test_every_test_the_docs_cite_exists():
    """The design note names the test that holds each rule: each must be there, or the rule holds nothing."""
    cited = {m for page in [README, *DOCS] for m in re.findall(r"(tests/test_\w+\.py)::(test_\w+)", page.read_text())}
    assert len(cited) >= 15
    gone = [f"{f}::{name}" for f, name in cited if f"\ndef {name}(" not in (ROOT / f).read_text()]
    assert gone == []
    bare = {name for page in DOCS for name in re.findall(r"`(test_\w+\.py)`", page.read_text())}
    assert [name for name in sorted(bare) if not (ROOT / "tests" / name).exists()] == []


def test_the_path_reader_finds_a_stale_name():
    assert cited_paths("see views/session_keys.py and `flows/` or tests/ministack/.venv, oauth/x.py.") == {
        "views/session_keys.py",
        "flows/",
        "oauth/x.py",
    }
