"""What the lab page shows of a run: the verdict in words, the diagram's rows, each attacker request."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from lab.display import shorten

from .catalogue import ATTACKS, CHECKS, CLIENT, CheckInfo, words
from .model import LANES, Prepared, Refusal, Target
from .record import Entry, curl_of, redactor, shown

SOURCE_NAMES = {CLIENT: "this app (the client)", "provider": "the provider"}


@dataclass(frozen=True)
class Row:
    """One arrow of the diagram: lanes by index, the label, and its kind (attack, handoff, setup, derived)."""

    source: int
    target: int
    label: str
    kind: str


@dataclass
class RequestView:
    """One attacker request as the page lists it (redacted, tokens shortened) with its curl."""

    number: int
    title: str
    sender: str
    request_line: str
    headers: list[tuple[str, str]]
    body: str
    status: int
    answer: str
    refusal: Refusal | None
    check: CheckInfo | None
    curl: str

    @property
    def text(self) -> str:
        """The request as it went on the wire: request line, headers, then the body."""
        lines = [self.request_line, *(f"{k}: {v}" for k, v in self.headers)]
        return "\n".join(lines) + (f"\n\n{self.body}" if self.body else "")


@dataclass
class RunView:
    number: int
    title: str
    outcome: str  # refused | succeeded | not_run | failed
    headline: str
    refusal: Refusal | None
    check: CheckInfo | None
    source: str
    without: str
    simulated: str
    won: str
    rows: list[Row] = field(default_factory=list)
    requests: list[RequestView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _lane(name: str) -> int:
    return LANES.index(name) if name in LANES else LANES.index("app")


def rows(entries: list[Entry]) -> list[Row]:
    """The diagram, from what was recorded: a request sent from the victim's browser on the attacker's
    behalf is drawn as the hand-over (the attacker's link) and the request itself."""
    out = []
    for e in entries:
        label = f"{e.label} · {e.status}" if e.status else e.label
        if e.kind == "attack" and e.source != "attacker":
            out.append(Row(_lane("attacker"), _lane(e.source), "the attacker's link (or swapped value)", "handoff"))
        out.append(Row(_lane(e.source), _lane(e.target), label, e.kind))
    return out


def _request(number: int, entry: Entry) -> RequestView:
    step = entry.step
    assert step is not None
    shorts = entry.shorts or []
    refusal = entry.refusal
    if refusal is not None:
        answer = f"HTTP {refusal.status} {refusal.error}".strip() + (f": {refusal.detail}" if refusal.detail else "")
    else:
        answer = f"HTTP {step.status}, accepted. {entry.accepted}"
    return RequestView(
        number=number,
        title=step.title,
        sender="the attacker" if entry.source == "attacker" else "the victim's browser, on the attacker's link",
        request_line=f"{step.method} {shown(step, shorts, step.url)}",
        headers=[(k, shown(step, shorts, v)) for k, v in step.request_headers.items()],
        body=shown(step, shorts, step.request_body),
        status=step.status,
        answer=answer,
        refusal=refusal,
        check=CHECKS.get(refusal.check) if refusal else None,
        curl=curl_of(step),
    )


def run_view(target: Target, number: int, entries: list[Entry], notes: list[str], failed: str = "") -> RunView:
    """The page's account of a run of attack `number`."""
    info = ATTACKS[number]
    sent = [e for e in entries if e.kind == "attack"]
    won = next((e for e in sent if e.refusal is None), None)
    first = next((e.refusal for e in sent if e.refusal is not None), None)
    check = CHECKS.get(first.check) if first else None
    if failed:
        outcome, headline = "failed", f"The run could not complete: {failed}"
    elif not sent:
        outcome, headline = "not_run", "Nothing was sent."
    elif won is not None:
        outcome, headline = "succeeded", "The attack succeeded: a check that should have refused it did not."
    else:
        outcome = "refused"
        named = ", ".join(dict.fromkeys(CHECKS[e.refusal.check].name for e in sent if e.refusal))
        headline = f"Refused: {len(sent)} of {len(sent)} attacker request{'s' if len(sent) > 1 else ''}, by {named}."

    def say(text: str) -> str:
        return words(text, target.victim_name, target.attacker_name)

    return RunView(
        number=number,
        title=info.title,
        outcome=outcome,
        headline=headline,
        refusal=first,
        check=check,
        source=SOURCE_NAMES.get(first.source, first.source) if first else "",
        without=say(info.without),
        simulated=say(info.simulated),
        won=won.accepted if won else "",
        rows=rows(entries),
        requests=[_request(i, e) for i, e in enumerate(sent, 1)],
        notes=notes,
    )


def screen_rows(target: Target, held: list[str], prepared: Prepared) -> tuple[str, list[tuple[str, str]]]:
    """A paused request for its presenter screen: the endpoint, then each parameter (query, form or JSON
    body) and its credentials header, redacted as the trace redacts, tokens shortened."""
    red = redactor(target, held)
    url = red.url(prepared.url)
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    content_type = dict(prepared.headers).get("Content-Type", "")
    if "json" in content_type:
        try:
            body = json.loads(prepared.body)
        except ValueError:
            body = {}
        pairs += [(k, red.text(str(v))) for k, v in body.items()] if isinstance(body, dict) else []
    elif prepared.body:
        pairs += parse_qsl(red.form(prepared.body), keep_blank_values=True)
    pairs += [(k, red.text(v)) for k, v in prepared.headers if k.lower() == "authorization"]

    def unmark(text: str) -> str:
        for index, token in enumerate(red.vault):
            text = text.replace(f"[[token:{index}:{red.tag}]]", shorten(token))
        return text

    return f"{parts.scheme}://{parts.netloc}{parts.path}", [(k, unmark(v)) for k, v in pairs]
