"""One list of what the app needs of a pool and its app clients (lab/pool_rules.py): `cognito setup`
creates it, `cognito inspect` and the setup doctor check it, each with the rule's own fix; and every fix
they give names only settings config.py accepts. In-process: no servers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from aws_setup import clients
from aws_setup.inspect import Findings, _client
from lab import doctor, pool_rules
from oauth.authorize_probe import AuthorizeAnswer
from oauth.config import ClientConfig

ROOT = Path(__file__).resolve().parent.parent
SETTING = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
APP = "http://localhost:5000"


def string_constants(path: Path) -> list[str]:
    return [
        n.value
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def accepted_settings() -> set[str]:
    """The setting names config.py reads (every upper-case name among its strings)."""
    return {name for text in string_constants(ROOT / "config.py") for name in SETTING.findall(text)}


def test_config_reads_the_settings_we_expect():
    assert {"OAUTH_CLIENT_SECRET", "COGNITO_DOMAIN", "COGNITO_ISSUER_TYPE", "OAUTH_PUBLIC_CLIENT_ID", "APP_URL"} <= (
        accepted_settings()
    )


@pytest.mark.parametrize(
    "source", ["lab/pool_rules.py", "lab/doctor.py", "aws_setup/inspect.py", "aws_setup/cognito.py"]
)
def test_every_fix_names_only_settings_config_accepts(source):
    sentences = [text for text in string_constants(ROOT / source) if " " in text]  # not keys or __all__ names
    named = {name for text in sentences for name in SETTING.findall(text)}
    assert named <= accepted_settings(), named - accepted_settings()


def test_each_rule_has_a_need_a_fix_and_a_severity():
    names = [rule.name for rule in pool_rules.RULES]
    assert len(names) == len(set(names))
    for rule in pool_rules.RULES:
        assert rule.need and rule.fix and rule.severity in ("fail", "warn"), rule.name


def test_every_client_setting_a_rule_concerns_is_one_setup_sets():
    wanted = {**clients.web_client_settings(APP), **clients.public_client_settings(APP)}
    for rule in pool_rules.RULES:
        if rule.field:
            assert rule.field in wanted, rule.name
            assert rule.field in (*clients.ADDITIVE, *clients.OWNED), rule.name  # and repairs when it drifts


def test_inspect_and_the_doctor_give_the_rules_fix():
    """A callback URL the client does not allow: the same fix from `cognito inspect` and from the doctor."""
    uri = APP + "/callback"
    out = Findings()
    _client(out, {"CallbackURLs": [], "AllowedOAuthFlows": [], "AllowedOAuthScopes": []}, APP)
    by_text = {text: (status, fix) for status, text, fix in out.items}
    assert by_text[f"callback URL {uri} is not allowed"] == ("fail", pool_rules.fix("callback_url", uri=uri))
    assert by_text["authorization code grant is off"] == ("fail", pool_rules.fix("code_grant"))
    assert by_text["implicit grant is off"] == ("warn", pool_rules.fix("implicit_grant"))
    config = ClientConfig(issuer="https://id.example", client_id="c", client_secret="s", app_url=APP)
    mismatch = AuthorizeAnswer("redirect_mismatch", 400)
    found = doctor._read_probe(config, None, mismatch, "redirect_uri", "code", uri, True)
    assert (found.status, found.fix) == ("fail", pool_rules.fix("callback_url", uri=uri))
    refused = AuthorizeAnswer("refused", 302, location=uri + "?error=unauthorized_client", error="unauthorized_client")
    found = doctor._read_probe(config, None, refused, "implicit_redirect_uri", "token", uri, False)
    assert found.status == "warn" and found.fix.endswith(pool_rules.fix("implicit_grant")[1:])
