"""The trace page's view model: each step with its marked texts, curl, arrow and likely cause, and
consecutive probe steps grouped into one item (plain data for templates/trace.html, no Flask)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lab.causes import likely_cause
from lab.steps import ARROW_LABELS, DEFAULT_PROBE_SOURCE, PROBE_SOURCES
from oauth import safejson
from oauth.http import header

from . import exports
from .markers import MarkedStep, marked, shorten_markers
from .model import Step, Trace

Arrow = tuple[str, str, str, str]  # (from, to, label, channel) for the sequence macro


@dataclass(frozen=True)
class StepView:
    step: Step
    marked: MarkedStep
    curl: str
    arrow: Arrow
    cause: str


@dataclass
class Item:
    """One entry of the timeline: a step, or a group of consecutive probes by one source."""

    probe: bool
    source: str
    views: list[StepView] = field(default_factory=list)
    arrow: Arrow | None = None


@dataclass(frozen=True)
class TracePage:
    views: list[StepView]
    items: list[Item]
    arrows: list[Arrow]


def arrow(step: Step) -> Arrow:
    """(from, to, label, channel): labelled by step, coloured by channel (front: through the browser)."""
    path = urlsplit(step.url).path
    if path.count("/") > 2:  # /pool/.well-known/jwks.json reads as …/jwks.json on an arrow
        path = "…/" + path.rsplit("/", 1)[1]
    status = str(step.status) if step.status else "no answer"
    label = ARROW_LABELS.get(step.name, step.name)
    if step.kind == "browser" and not step.status:
        text = f"{label} (redirect)\n{step.method} {path}"
    else:
        text = f"{label} → {status}\n{step.method} {path}"
    channel = "front" if step.kind == "browser" else "back"
    source, target = (step.source, step.target) if step.target != "api" else ("app", "app")  # no API lane here
    return source, target, text, channel + (" probe" if step.probe else "")


def cause(step: Step) -> str:
    """The likely cause of an OAuth error in a step's response (JSON body, query or WWW-Authenticate)."""
    error = ""
    try:
        body = safejson.loads(step.response_body) if step.response_body.startswith("{") else {}
        error = body.get("error", "") if isinstance(body, dict) else ""
    except ValueError:
        pass
    if not error:
        error = header(step.response_headers, "X-OAuth-Error") or ""
    if not error:
        challenge = header(step.response_headers, "WWW-Authenticate") or ""
        match = re.search(r'error="?([a-z_]+)', challenge + " " + step.url)
        error = match.group(1) if match else ""
    cause = likely_cause(error, step.name)
    return f"{error}: {cause}" if error and cause else ""


def items(views: list[StepView]) -> list[Item]:
    """Consecutive probe steps by one source (setup doctor, revocation lab, ...) grouped into one item."""
    grouped: list[Item] = []
    for view in views:
        probe = view.step.probe
        source = PROBE_SOURCES.get(view.step.name, DEFAULT_PROBE_SOURCE) if probe else ""
        if probe and grouped and grouped[-1].probe and grouped[-1].source == source:
            grouped[-1].views.append(view)
        else:
            grouped.append(Item(probe, source, [view]))
    for item in grouped:
        if item.probe:
            count = len(item.views)
            item.arrow = ("app", "provider", f"{count} probe{'s' if count != 1 else ''} by {item.source}", "back probe")
        else:
            item.arrow = item.views[0].arrow
    return grouped


def trace_page(trace: Trace, own: Collection[str]) -> TracePage:
    """Everything the trace page shows; `own`: the viewer's current tokens (the ones they may reveal)."""
    views = [
        StepView(
            step=step,
            marked=marked(step, trace.vault, own),
            curl=shorten_markers(exports.curl(step), trace.vault, step) if step.kind == "server" else "",
            arrow=arrow(step),
            cause=cause(step),
        )
        for step in trace.steps
    ]
    grouped = items(views)
    return TracePage(views, grouped, [item.arrow for item in grouped if item.arrow is not None])
