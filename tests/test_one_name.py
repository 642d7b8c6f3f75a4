"""Issue 23.13: one name per thing across the pages, the README and docs/, and the CLI's help. Each banned variant
is a name this app once used for something that has another name everywhere else."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from tests.support import offline_app

ROOT = Path(__file__).resolve().parents[1]

# (variant, the one name to use instead)
BANNED = [
    (r"(?i)(?<!classic )hosted[ -]ui", "managed login (the classic hosted UI is only AWS's older version)"),
    (r"\b(?:id token|Id token|Id Token|ID Token|ID-Token)\b", "ID token"),
    (r"(?<!Cognito )\bFlow Lab\b", "Cognito Flow Lab (the product name, in the header and every title)"),
    (r"(?i)code \+ PKCE \+ secret|browser-only code \+ PKCE|run entirely in the browser", "the three flows' names"),
    (r"Sign in \((?:authorization code|implicit, legacy|code \+ PKCE in the browser)\)", "Sign in with <flow name>"),
    (
        r"Implicit grant:|(?i:the code flow again|the implicit flow again)",
        "Implicit (legacy), Authorization code + PKCE",
    ),
    (r"(?i:client-credentials (?:grant|flow|token))|\bClient-credentials\b", "client credentials"),
]
FLOWS = ["Authorization code + PKCE", "Implicit (legacy)", "Code + PKCE in the browser"]


def sources() -> dict[str, str]:
    files = [*ROOT.glob("templates/*.html"), *ROOT.glob("static/*.js"), ROOT / "README.md", *ROOT.glob("docs/*.md")]
    return {str(f.relative_to(ROOT)): f.read_text() for f in files}


def cli_help(tmp_path: Path) -> dict[str, str]:
    """The help text of every flask command this app adds, and of each of their subcommands."""
    app = offline_app(tmp_path)
    runner = app.test_cli_runner()
    texts: dict[str, str] = {}
    for name, command in app.cli.commands.items():
        paths = [[name]]
        if isinstance(command, click.Group):
            paths += [[name, sub] for sub in command.commands]
        for path in paths:
            result = runner.invoke(args=[*path, "--help"])
            assert result.exit_code == 0, result.output
            texts["flask " + " ".join(path)] = result.output
    assert {"flask token client-credentials", "flask inspect", "flask cognito setup"} <= set(texts)
    return texts


@pytest.mark.parametrize(("variant", "name"), BANNED, ids=[b[1].split(" (")[0] for b in BANNED])
def test_no_other_name_for_a_thing(variant: str, name: str, tmp_path):
    found = [
        f"{where}: {match.group(0)!r}"
        for where, text in {**sources(), **cli_help(tmp_path)}.items()
        for match in re.finditer(variant, text)
    ]
    assert found == [], f"use {name!r}: {found}"


def test_the_pages_name_the_three_flows_alike(stack, http, signed_in):
    home = http.get(stack.url + "/").text
    for flow in FLOWS:
        assert f"Sign in with {flow[0].lower() + flow[1:]}" in home, flow
    compare = http.get(stack.url + "/compare").text
    for flow in FLOWS:
        assert f"<th>{flow}" in compare, flow
    dashboard = http.get(stack.url + "/dashboard").text
    assert "<dt>Flow</dt><dd>Authorization code + PKCE</dd>" in dashboard
    assert "<title>Code + PKCE in the browser · Cognito Flow Lab</title>" in http.get(stack.url + "/spa").text
    assert "<title>Implicit (legacy) · Cognito Flow Lab</title>" in http.get(stack.url + "/implicit/callback").text
    assert "Cognito Flow Lab</a>" in home  # the header names the product as every title does
