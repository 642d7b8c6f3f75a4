"""The tracing package in-process (no servers): a step to and from its stored form, odd stored
records, the redactor, marker segments and the macro that renders them, exports from Step
objects, and the recorder's typed entries."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import jinja2
from flask import Flask

from lab.display import shorten
from oauth.http import Reply
from signing import Signer
from tracing import exports, recorder
from tracing.markers import Segment, marked, segments, shorten_markers
from tracing.model import Exchange, Step, Trace
from tracing.page import trace_page
from tracing.redact import BASIC_PLACEHOLDER, Redactor

ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbl91c2UiOiJhY2Nlc3MifQ.c2lnbmF0dXJlLWFjY2Vzcy10b2tlbg"
ID = "eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbl91c2UiOiJpZCJ9.c2lnbmF0dXJlLWlkLXRva2Vu"
SECRET = "s3cr3t-client-secret"
REFRESH = "refresh-token-opaque-value"
STORED_KEYS = [
    "name",
    "title",
    "kind",
    "from",
    "to",
    "method",
    "url",
    "request_headers",
    "request_body",
    "status",
    "response_headers",
    "response_body",
    "duration_ms",
    "tag",
    "at",
    "started",
]


def redactor() -> Redactor:
    return Redactor("client-1", secrets=[SECRET, ""], refresh_tokens=[REFRESH, ""])


def token_exchange(**changes) -> Exchange:
    values = {
        "name": "token",
        "method": "POST",
        "url": "https://auth.example/oauth2/token",
        "request_headers": {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic Y2xpZW50"},
        "request_body": f"grant_type=authorization_code&code=abc&code_verifier=v&client_secret={SECRET}",
        "status": 200,
        "response_headers": {"Content-Type": "application/json"},
        "response_body": json.dumps({"access_token": ACCESS, "id_token": ID, "refresh_token": REFRESH}).encode(),
        "duration_ms": 12.345,
        "started": 1_800_000_000.25,
    }
    return Exchange(**{**values, **changes})


def stored_step(redact: Redactor | None = None) -> Step:
    step = Step.from_exchange(redact or redactor(), token_exchange())
    step.id, step.req = 3, "0123456789abcdef"
    return step


# -- the model ------------------------------------------------------------------------------------
def test_a_step_keeps_the_stored_form_traces_have_always_had():
    step = stored_step()
    stored = step.to_dict()
    assert list(stored) == [*STORED_KEYS, "id", "req"]  # no "probe" unless it is one
    assert stored["from"] == "app" and stored["to"] == "provider" and stored["kind"] == "server"
    assert stored["title"] == "Exchange the code for tokens (back channel)"
    assert stored["duration_ms"] == 12.3 and stored["started"] == 1_800_000_000.25
    assert stored["at"] == "2027-01-15T08:00:00Z"
    assert json.loads(json.dumps(stored)) == stored  # plain JSON (and msgpack) values only
    assert Step.from_dict(stored) == step and Step.from_dict(stored).to_dict() == stored
    step.probe = True
    assert list(step.to_dict())[-3:] == ["probe", "id", "req"] and Step.from_dict(step.to_dict()).probe is True


def test_a_trace_round_trips_through_its_record():
    trace = Trace(next=5, steps=[stored_step()], vault={"3.0": ACCESS, "3.1": ID})
    record = trace.to_record()
    assert set(record) == {"next", "steps", "vault"} and isinstance(record["steps"][0], dict)
    assert Trace.from_record(record) == trace and Trace.from_record(record).to_record() == record


def test_an_odd_stored_record_loads_what_it_can():
    good = stored_step().to_dict()
    odd = [
        "not a step",
        {**good, "id": "7"},  # no integer id: dropped
        {**good, "id": True},
        {**good, "name": None},
        {
            **good,
            "id": 9,
            "from": "mars",
            "kind": 5,
            "status": "200",
            "request_headers": {"A": 1, "B": "b"},
            "response_headers": ["x"],
            "response_body": None,
            "duration_ms": "slow",
            "started": "yesterday",
            "probe": "yes",
            "tag": ["x"],
        },
    ]
    trace = Trace.from_record({"next": "x", "steps": [good, *odd], "vault": {"3.0": ACCESS, "9.0": 5, 1: "x"}})
    assert [s.id for s in trace.steps] == [3, 9] and trace.next == 10
    assert trace.vault == {"3.0": ACCESS}
    odd_step = trace.steps[1]
    assert (odd_step.source, odd_step.target, odd_step.kind) == ("app", "provider", "server")
    assert odd_step.status == 0 and odd_step.request_headers == {"B": "b"} and odd_step.response_headers == {}
    assert odd_step.response_body == "" and odd_step.duration_ms == 0.0 and odd_step.started is None
    assert odd_step.probe is False and odd_step.tag == ""
    for record in (None, [], "x", {"steps": "x", "vault": []}, {"steps": [{}]}):
        assert Trace.from_record(record) == Trace()
    # what an odd step still gives: exports and segments, with its markers shown as plain text
    assert "curl -sS -X POST" in exports.curl(odd_step)
    assert exports.markdown(trace.steps, trace.vault).startswith("# OAuth trace")
    assert len(exports.har(trace.steps, trace.vault)["log"]["entries"]) == 2
    assert segments("[[token:0:0123456789abcdef]]", odd_step, trace.vault, set())[0].key == ""


# -- the redactor ---------------------------------------------------------------------------------
def test_the_redactor_hides_secrets_and_marks_tokens():
    redact = redactor()
    step = stored_step(redact)
    marker = f"[[token:0:{redact.tag}]]"
    assert redact.vault == [ACCESS, ID]
    assert step.request_headers["Authorization"] == BASIC_PLACEHOLDER
    assert step.request_body == (
        "grant_type=authorization_code&code=$CODE&code_verifier=$CODE_VERIFIER&client_secret=$CLIENT_SECRET"
    )
    body = json.loads(step.response_body)
    assert body == {"access_token": marker, "id_token": f"[[token:1:{redact.tag}]]", "refresh_token": "$REFRESH_TOKEN"}
    text = json.dumps(step.to_dict())
    for secret in (SECRET, REFRESH, ACCESS, ID):
        assert secret not in text
    assert redact.text(f"again {ACCESS}") == f"again {marker}"  # one vault entry per token
    revoke = Step.from_exchange(redactor(), token_exchange(name="revoke", request_body=f"token={REFRESH}&x=1"))
    assert revoke.request_body == "token=$REFRESH_TOKEN&x=1"
    url = redactor().url(f"https://app.example/cb#id_token={ID}&state=s")
    assert "[[token:0:" in url and ID not in url
    headers = redactor().headers({"Authorization": f"Bearer {ACCESS}", "X-Count": 3})
    assert headers["Authorization"].startswith("Bearer [[token:0:") and headers["X-Count"] == "3"


def test_a_marker_counts_only_with_the_steps_own_tag():
    step = stored_step()
    own = f"[[token:0:{step.tag}]]"
    text = f"[[token:0]] [[token:0:deadbeefdeadbeef]] {own}"
    assert step.marker_re().findall(text) == ["0"]
    assert Step(name="x", method="GET", url="", tag="[0-9a-f]{16}").marker_re().findall(text) == []


# -- markers: segments, the macro, shortened text --------------------------------------------------
def test_segments_cut_a_text_at_the_steps_own_markers():
    step = stored_step()
    tag = step.tag
    vault = {"3.0": ACCESS, "3.1": ID}
    text = f'{{"access_token": "[[token:0:{tag}]]", "id_token": "[[token:1:{tag}]]", "x": "[[token:2:{tag}]]"}}'
    cut = segments(text, step, vault, {ID})
    assert cut[0] == Segment(text='{"access_token": "')
    assert cut[1] == Segment(key="3.0", short=shorten(ACCESS), revealable=False)
    assert cut[3] == Segment(key="3.1", short=shorten(ID), revealable=True)
    assert cut[5] == Segment(key="3.2", short="$ACCESS_TOKEN")  # its full value is gone
    assert cut[-1] == Segment(text='"}')
    assert segments(f'"id_token": "[[token:4:{tag}]]"', step, {}, {ID})[1].short == "$ID_TOKEN"
    assert segments("", step, vault, {ID}) == [] and segments("plain", step, vault, set()) == [Segment(text="plain")]
    assert shorten_markers(text, vault, step) == (
        f'{{"access_token": "{shorten(ACCESS)}", "id_token": "{shorten(ID)}", "x": "$ACCESS_TOKEN"}}'
    )


def render_marks(cut: list[Segment]) -> str:
    templates = Path(__file__).resolve().parent.parent / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True)
    return env.from_string('{% from "_trace.html" import marks %}{{ marks(cut) }}').render(cut=cut)


def test_the_marks_macro_escapes_text_and_offers_reveal_for_own_tokens_only():
    step = stored_step()
    tag = step.tag
    text = f'<b>"a" & b</b> [[token:0:{tag}]] [[token:1:{tag}]] [[token:0]]'
    html = render_marks(segments(text, step, {"3.0": ACCESS, "3.1": ID}, {ACCESS}))
    assert html == (
        "&lt;b&gt;&#34;a&#34; &amp; b&lt;/b&gt; "
        f'<span class="tok" data-token="3.0">{shorten(ACCESS)}</span>'
        '<button type="button" class="reveal" data-token="3.0">reveal</button> '
        f'<span class="tok" data-token="3.1">{shorten(ID)}</span> [[token:0]]'
    )
    assert render_marks([]) == ""


def test_marked_step_covers_every_text_the_page_shows():
    redact = redactor()
    step = Step.from_exchange(redact, token_exchange(url=f"https://auth.example/logout?id_token_hint={ID}&x=1"))
    step.id = 3
    view = marked(step, {"3.0": ID}, {ID})
    assert [s.key for s in view.url if s.key] == ["3.0"]
    assert [name for name, _, _ in view.params][:2] == ["id_token_hint", "x"]
    assert view.params[0][1][0].revealable and "the ID token" in view.params[0][2]
    assert [k for k, _ in view.request_headers] == ["Content-Type", "Authorization"]
    assert view.response_headers == [("Content-Type", [Segment(text="application/json")])]


# -- exports from Step objects ---------------------------------------------------------------------
def test_exports_from_step_objects_shorten_tokens_and_keep_placeholders():
    redact = redactor()
    token = stored_step(redact)
    api = Step.from_exchange(
        redact,
        Exchange("api", "GET", "https://app.example/api/me", request_headers={"Authorization": f"Bearer {ACCESS}"}),
    )
    api.id = 4
    vault = {"3.0": ACCESS, "3.1": ID, "4.0": ACCESS}
    curl = exports.curl(api)
    assert '-H "Authorization: Bearer $ACCESS_TOKEN"' in curl and ACCESS not in curl
    curl = exports.curl(token)
    assert '-u "$CLIENT_ID:$CLIENT_SECRET"' in curl and '--data-urlencode "code=$CODE"' in curl
    log = exports.har([token, api], vault)["log"]
    text = json.dumps(log)
    assert ACCESS not in text and ID not in text and SECRET not in text and REFRESH not in text
    assert shorten(ACCESS) in log["entries"][0]["response"]["content"]["text"]
    assert log["entries"][0]["startedDateTime"] == "2027-01-15T08:00:00.250Z"
    assert log["entries"][1]["comment"] == "Call the protected API"
    md = exports.markdown([token, api], {})
    assert "## 2. Call the protected API" in md and "$ACCESS_TOKEN" in md and "$ID_TOKEN" in md


# -- the recorder's typed entries --------------------------------------------------------------------
class _Slot:
    """A session's trace-id slot, outside any session."""

    value: str | None = None

    def get(self) -> str | None:
        return self.value

    def set(self, value: str) -> None:
        self.value = value


def test_the_recorder_turns_each_typed_entry_into_a_redacted_step():
    app = Flask(__name__)
    state = recorder.TraceRequest()
    app.extensions["trace_wiring"] = recorder.Wiring(  # what install hands it: no views/, no config.py
        signer=Signer("k"),
        trace_id=_Slot(),
        refresh_token=lambda: None,
        state=lambda: state,
        secrets=SimpleNamespace(client_id="client-1", client_secret=SECRET, m2m_client_secret=""),
        app_url="https://app.example",
        secure_cookies=True,
    )
    reply = Reply(
        "userinfo",
        "GET",
        "https://auth.example/oauth2/userInfo",
        200,
        {"Content-Type": "application/json"},
        b'{"sub": "s"}',
        8.0,
        request_headers={"Authorization": f"Bearer {ACCESS}"},
    )
    with app.test_request_context("/x"):
        state.started = 1_800_000_000.0
        recorder.note_exchange(Exchange("api", "GET", "https://app.example/api/me", duration_ms=5.0))
        recorder.note_redirect("authorize", f"https://auth.example/oauth2/authorize?state=s&id_token_hint={ID}")
        recorder.note_browser_step("implicit_callback", f"https://app.example/cb#access_token={ACCESS}", 100.0)
        with recorder.probes():
            recorder._on_reply(reply)
        pending = list(state.pending)
        assert [type(e).__name__ for e in pending] == ["BrowserStep", "Exchange", "BrowserStep", "ServerCall"]
        exchange = pending[1]
        assert isinstance(exchange, Exchange) and exchange.started is not None  # noted "now" minus its duration
        redact = redactor()
        steps = recorder._steps(pending, app.response_class(), redact, "https://app.example")
    names = [(step.name, step.kind, step.probe) for step, _ in steps]
    assert names == [
        ("implicit_callback", "browser", False),
        ("api", "server", False),
        ("authorize", "browser", False),
        ("userinfo", "server", True),
    ]
    assert [vault for _, vault in steps] == [[ACCESS], [], [ID], [ACCESS]]  # each step's own tokens
    assert steps[0][0].started == 1_799_999_999.9 and steps[0][0].duration_ms == 100.0


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_oauth_never_imports_tracing_and_only_the_recorder_imports_flask():
    root = Path(__file__).resolve().parent.parent
    for path in (root / "oauth").glob("*.py"):
        assert "tracing" not in imported_modules(path), path
    for path in (root / "tracing").glob("*.py"):
        web = {"flask", "werkzeug", "views"} & imported_modules(path)
        assert not web or path.name == "recorder.py", (path, web)


def test_the_page_groups_consecutive_probes_and_names_likely_causes():
    redact = redactor()

    def make(name: str, probe: bool = False, **changes) -> Step:
        step = Step.from_exchange(redact, token_exchange(name=name, **changes))
        step.probe = probe
        return step

    refused = {"status": 400, "response_body": b'{"error": "invalid_grant"}'}
    steps = [
        make("authorize", method="GET", url="https://auth.example/oauth2/authorize?state=s", status=0),
        make("doctor", True, **refused),
        make("doctor", True),
        make("refresh", True, **refused),
        make("token"),
    ]
    for number, step in enumerate(steps, 1):
        step.id = number
    page = trace_page(Trace(next=6, steps=steps), set())
    assert [(item.probe, item.source, len(item.views)) for item in page.items] == [
        (False, "", 1),
        (True, "the setup doctor", 2),
        (True, "the revocation lab", 1),
        (False, "", 1),
    ]
    assert page.arrows[0] == ("browser", "provider", "authorize (redirect)\nGET /oauth2/authorize", "front")
    assert page.arrows[1] == ("app", "provider", "2 probes by the setup doctor", "back probe")
    assert page.arrows[3] == ("app", "provider", "code exchange → 200\nPOST /oauth2/token", "back")
    assert page.views[1].cause.startswith("invalid_grant: ") and page.views[2].cause == ""
    assert page.views[0].curl == "" and page.views[4].curl.startswith("curl -sS -X POST")
