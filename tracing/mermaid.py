"""The trace as a Mermaid sequence diagram (`/trace.mmd`), which GitHub and most wikis render.

One arrow per step, between the parties of its lanes (Browser, App, Provider, and API for a call to
another API), labelled with what it was, its method, its path and its status. Only the path of a URL
is shown (never its query or fragment, where codes and tokens travel), from the redacted step with its
token markers shortened, as every other export. Each label is escaped for Mermaid: its statement
separator `;`, its comment and entity character `#`, `%`, `:`, quotes, angle brackets (so `-->` or `->>`
in a label is never an arrow) and `&` become Mermaid's entity codes (`#59;`), which it shows as the
character itself (https://mermaid.js.org/syntax/sequenceDiagram.html#entity-codes-to-escape-characters).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from lab.steps import ARROW_LABELS

from .markers import shorten_markers
from .model import Step

PARTIES = {"browser": "Browser", "app": "App", "provider": "Provider", "api": "API"}
# Mermaid's entity codes: `#` first, since every code starts with it
# (`:` too: Mermaid's entity pre-pass strips the last `;` of a line where `style` or `classDef` precedes a `:`)
ESCAPES = {"#": "#35;", ";": "#59;", ":": "#58;", "%": "#37;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;"}
LABEL_LIMIT = 160


def label_text(text: str) -> str:
    """`text` as a Mermaid message shows it literally: one line, special characters as entity codes."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if len(flat) > LABEL_LIMIT:
        flat = flat[: LABEL_LIMIT - 1] + "…"
    return "".join(ESCAPES.get(ch, ch) for ch in flat)


def _party(lane: str) -> str:
    return PARTIES.get(lane, "App")


def arrow_line(step: Step, vault: Mapping[str, str]) -> str:
    """One step as one Mermaid message: dotted through the browser (front channel), solid server to server."""
    path = urlsplit(shorten_markers(step.url, vault, step)).path or "/"
    status = str(step.status) if step.status else ("redirect" if step.kind == "browser" else "no answer")
    what = ARROW_LABELS.get(step.name, step.name)
    if step.probe:
        what = "probe: " + what
    arrow = "-->>" if step.kind == "browser" else "->>"
    text = label_text(f"{what}: {step.method} {path} → {status}")
    return f"    {_party(step.source)}{arrow}{_party(step.target)}: {text}"


def sequence_diagram(steps: list[Step], vault: Mapping[str, str]) -> str:
    """The whole trace as a `sequenceDiagram`, numbered in the order the steps happened."""
    used = {lane for step in steps for lane in (step.source, step.target)}
    parties = ["Browser", "App", "Provider"] + (["API"] if "api" in used else [])
    lines = [
        "%% Cognito Flow Lab trace. Secrets are placeholders, tokens are shortened, URLs show their path only.",
        "sequenceDiagram",
        "    autonumber",
        *(f"    participant {name}" for name in parties),
    ]
    if not steps:
        lines.append("    Note over Browser,Provider: No exchanges yet")
    else:
        lines.append(
            "    Note over Browser,Provider: dotted arrows go through the browser (front channel), "
            "solid ones server to server (back channel)"
        )
        lines += [arrow_line(step, vault) for step in steps]
    return "\n".join(lines) + "\n"
