"""Token customization (issue 22, item 3): the local provider applies a pre token generation trigger's
answer (V2_0, V3_0) from its pool file, refuses what Cognito would not take, and publishes which claims
came from it; the client reads that record and marks claims; the handler and CLI line of docs/local-provider.md
(where token customization moved from the README) hold."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
import requests
from jose import jws

from lab.customization import customization_marks, is_standard_claim
from local_cognito import create_provider_app
from local_cognito.customization import EXCLUDED_CLAIMS, CustomizationError, load
from local_cognito.settings import default_pool
from oauth.customization import CustomizationRecords, fetch_customization
from oauth.http import Http, ProviderError
from tests.aws_fidelity import _check

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "local-provider.md").read_text()  # "Token customization"


def doc_block(marker: str) -> str:
    found = re.search(rf"<!-- test: {marker} -->\n```\w+\n(.*?)```", DOC, re.S)
    assert found, f"docs/local-provider.md has no block marked {marker}"
    return found.group(1)


def doc_pool_settings() -> dict:
    return json.loads("{" + doc_block("pre-token-pool-file") + "}")


def customize(settings: dict, version: str | None = None):
    def edit(pool: dict) -> None:
        pool.update(json.loads(json.dumps(settings)))
        if version:
            pool["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaVersion"] = version

    return edit


def claims_of(token: str) -> dict:
    return json.loads(jws.get_unverified_claims(token))


def record(stack, token: str) -> requests.Response:
    jti = claims_of(token)["jti"]
    return requests.get(f"{stack.settings.client.issuer}/flowlab/token-customization/{jti}", timeout=5)


# -- at the provider, over HTTP ----------------------------------------------------------------------------


def test_user_tokens_carry_the_triggers_answer_and_the_app_accepts_them(make_stack, http):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V2_0"))
    tokens = stack.login_tokens(http)
    id_claims, access = claims_of(tokens["id_token"]), claims_of(tokens["access_token"])
    assert id_claims["tenant"] == "acme" and id_claims["plan"] == {"tier": "gold", "seats": 5}  # no custom: prefix
    assert "email_verified" not in id_claims and id_claims["cognito:groups"] == ["lab-admins"]
    assert access["tenant"] == "acme" and access["cognito:groups"] == ["lab-admins"]
    assert access["scope"].split() == ["openid", "email", "flowlab-api/read"]  # profile suppressed, read added
    page = http.get(stack.url + "/dashboard").text
    assert 'class="check bad"' not in page  # every check of the customized tokens passes

    id_record = record(stack, tokens["id_token"]).json()
    assert id_record["token_use"] == "id" and id_record["event_version"] == "V2_0"
    assert id_record["trigger_source"] == "TokenGeneration_HostedAuth"
    assert id_record["claims"] == {
        "added": ["tenant", "plan"],
        "overridden": ["cognito:groups"],
        "suppressed": ["email_verified"],
    }
    access_record = record(stack, tokens["access_token"]).json()
    assert access_record["scopes"] == {"added": ["flowlab-api/read"], "suppressed": ["profile"]}
    assert "acme" not in json.dumps(access_record)  # names only, never a value


def test_a_refresh_runs_the_trigger_again(make_stack, http):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V2_0"))
    stack.login_tokens(http)
    seen: dict = {}
    stack.rewriter.rewrite = lambda body: seen.update(body) or body
    stack.post(http, "/refresh")
    assert claims_of(seen["access_token"])["tenant"] == "acme"
    assert record(stack, seen["id_token"]).json()["trigger_source"] == "TokenGeneration_RefreshTokens"


def test_client_credentials_are_customized_by_v3_only(make_stack):
    v2 = make_stack(edit_pool=customize(doc_pool_settings(), "V2_0"))
    plain = v2.client.client_credentials("flowlab-api/write")["access_token"]
    assert "tenant" not in claims_of(plain) and record(v2, plain).status_code == 404

    v3 = make_stack(edit_pool=customize(doc_pool_settings(), "V3_0"))
    token = v3.client.client_credentials("flowlab-api/write")["access_token"]
    machine = claims_of(token)
    assert machine["tenant"] == "acme" and machine["scope"].split() == ["flowlab-api/write", "flowlab-api/read"]
    assert "cognito:groups" not in machine  # no user, no groups to override
    found = record(v3, token).json()
    assert found["trigger_source"] == "TokenGeneration_ClientCredentials" and found["event_version"] == "V3_0"


def test_the_record_endpoint_knows_only_its_own_tokens(stack):
    unknown = stack.settings.client.issuer + "/flowlab/token-customization/nope"
    assert requests.get(unknown, timeout=5).status_code == 404
    other = stack.provider_url + "/us-east-1_Other/flowlab/token-customization/x"
    assert requests.get(other, timeout=5).status_code == 404


# -- refused when the pool file loads ------------------------------------------------------------------


def pool_with(response: dict, version: str = "V2_0", **extra) -> dict:
    pool = default_pool("http://localhost:5000")
    pool["LambdaConfig"] = {"PreTokenGenerationConfig": {"LambdaVersion": version}}
    pool["PreTokenGenerationResponse"] = {"claimsAndScopeOverrideDetails": response}
    pool.update(extra)
    return pool


@pytest.mark.parametrize("claim", sorted(EXCLUDED_CLAIMS))
@pytest.mark.parametrize("field", ["claimsToAddOrOverride", "claimsToSuppress"])
def test_a_claim_cognito_keeps_for_itself_is_refused(tmp_path, claim, field):
    rules = {field: {claim: "x"} if field == "claimsToAddOrOverride" else [claim]}
    with pytest.raises(CustomizationError) as refused:
        create_provider_app(pool_with({"accessTokenGeneration": rules}), tmp_path)
    message = str(refused.value)
    assert f"accessTokenGeneration.{field} names {claim!r}" in message
    assert "does not let a pre token generation trigger" in message


@pytest.mark.parametrize(
    ("pool", "says"),
    [
        (pool_with({}, version="V1_0"), "V1_0 (ID token only) is not simulated"),
        (pool_with({}, version="V4_0"), "LambdaVersion must be V2_0 or V3_0"),
        (pool_with({}, UserPoolTier="LITE"), "need the Essentials or Plus feature plan"),
        (pool_with({"idTokenGeneration": {"claimToSuppress": ["x"]}}), "unknown field(s) ['claimToSuppress']"),
        (pool_with({"idTokenGeneration": {"scopesToAdd": ["a/b"]}}), "scopes are changed in accessTokenGeneration"),
        (pool_with({"accessTokenGeneration": {"claimsToAddOrOverride": {"scope": "a"}}}), "with scopesToAdd"),
        (pool_with({"idTokenGeneration": {"claimsToAddOrOverride": {"email_verified": [True]}}}), "no array"),
        (pool_with({"idTokenGeneration": {"claimsToAddOrOverride": {"n": float("nan")}}}), "not a JSON number"),
        (pool_with({"idTokenGeneration": {"claimsToAddOrOverride": {"n": None}}}), "null is not a claim value"),
        (pool_with({"accessTokenGeneration": {"scopesToAdd": ["two words"]}}), "is not a scope"),
        (pool_with({"groupOverrideDetails": {"groupsToOverride": "admins"}}), "must be a list of non-empty strings"),
        (pool_with({"groupOverrideDetails": {"preferredRole": 3}}), "preferredRole must be a string"),
    ],
)
def test_malformed_rules_are_refused_with_the_field_named(tmp_path, pool, says):
    with pytest.raises(CustomizationError) as refused:
        create_provider_app(pool, tmp_path)
    assert says in str(refused.value)


def test_a_response_without_the_trigger_is_refused_and_no_trigger_means_no_change():
    pool = default_pool("http://localhost:5000")
    pool["PreTokenGenerationResponse"] = {}
    with pytest.raises(CustomizationError, match='add "LambdaConfig"'):
        load(pool)
    assert load(default_pool("http://localhost:5000")) is None


def test_the_provider_stops_with_one_clear_line(tmp_path):
    pool_file = tmp_path / "local_cognito.json"
    pool_file.write_text(json.dumps(pool_with({"idTokenGeneration": {"claimsToSuppress": ["sub"]}})))
    env = {"LOCAL_COGNITO_FILE": str(pool_file), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-m", "local_cognito", "--port", "0", "--instance", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"The pool file {pool_file} cannot be used:" in run.stderr and "names 'sub'" in run.stderr


# -- the client's side ----------------------------------------------------------------------------------


def test_the_client_reads_the_record_and_marks_claims(make_stack, http):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V2_0"))
    tokens = stack.login_tokens(http)
    id_claims = claims_of(tokens["id_token"])
    found = fetch_customization(Http(timeout=5), stack.settings.client.issuer, id_claims["jti"])
    marks = customization_marks(id_claims, "id", found)
    assert marks["exact"] and marks["claims"] == {"tenant": "added", "plan": "added", "cognito:groups": "overridden"}
    assert marks["suppressed"] == ["email_verified"]
    assert fetch_customization(Http(timeout=5), stack.settings.client.issuer, "unknown-jti") is None


def test_without_a_record_only_claims_outside_cognitos_set_are_marked():
    claims = {"sub": "s", "email": "e", "custom:team": "t", "tenant": "acme", "token_use": "id"}
    assert customization_marks(claims, "id", None) == {
        "exact": False,
        "claims": {"tenant": "not standard"},
        "suppressed": [],
        "scopes": {"added": [], "suppressed": []},
    }
    assert not is_standard_claim("email", "access") and is_standard_claim("client_id", "access")


# -- docs/local-provider.md: the Lambda handler and the CLI line -----------------------------------------


def test_the_documented_handler_answers_what_the_pool_file_says():
    namespace: dict = {}
    exec(compile(doc_block("pre-token-handler"), "docs handler", "exec"), namespace)
    event = {"version": "2", "triggerSource": "TokenGeneration_HostedAuth", "request": {}, "response": {}}
    assert namespace["handler"](event, None)["response"] == doc_pool_settings()["PreTokenGenerationResponse"]


def test_the_documented_cli_parameters_fit_botocores_model():
    cli = doc_block("pre-token-cli")
    pool_id = re.search(r"--user-pool-id (\S+)", cli).group(1)
    config = re.search(r"PreTokenGenerationConfig=\{LambdaVersion=(\w+),LambdaArn=([^}]+)\}", cli)
    params = {
        "UserPoolId": pool_id,
        "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": config.group(1), "LambdaArn": config.group(2)}},
    }
    model = botocore.session.get_session().get_service_model("cognito-idp")
    problems: list[str] = []
    _check(model.operation_model("UpdateUserPool").input_shape, params, "UpdateUserPool", problems)
    assert problems == []
    version = model.shape_for("PreTokenGenerationLambdaVersionType")
    assert version.enum == ["V1_0", "V2_0", "V3_0"] and config.group(1) == "V3_0"
    assert f"userpool/{pool_id}" in cli and config.group(2).endswith(":function:flowlab-pre-token")


# -- the screens: the dashboard and /machine mark what customization did ----------------------------------


def token_card(page: str, kind: str) -> str:
    found = re.search(rf'<article class="card token" id="token-{kind}">(.*?)</article>', page, re.S)
    assert found, page
    return found.group(1)


def claim_row(card: str, name: str) -> str:
    found = re.search(rf'<tr data-claim="{re.escape(name)}">(.*?)</tr>', card, re.S)
    assert found, (name, card)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def words(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_the_dashboard_marks_each_claim_and_scope_from_customization(make_stack, http):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V2_0"))
    stack.login(http)
    page = http.get(stack.url + "/dashboard").text
    id_card, access_card = token_card(page, "id"), token_card(page, "access")
    for name in ("tenant", "plan"):
        assert "customized added by customization" in claim_row(id_card, name)
    assert "customized overridden by customization" in claim_row(id_card, "cognito:groups")
    for name in ("sub", "email", "iss", "aud"):
        assert "customized" not in claim_row(id_card, name)
    assert "Suppressed by customization (not in the token): email_verified ." in words(id_card)
    assert "Marked from the local provider's record of this token" in words(id_card)
    assert "customized added by customization" in claim_row(access_card, "tenant")
    scope = claim_row(access_card, "scope")
    assert "scope added by customization: flowlab-api/read" in scope
    assert "suppressed by customization: profile" in scope
    # each token's record is read once and shown in the trace as the lab's own probe
    http.get(stack.url + "/dashboard")
    assert len(stack.steps("token_customization")) == 2
    trace = http.get(stack.url + "/trace").text
    assert "Read the local provider&#39;s record of a token&#39;s customization" in trace


def test_machine_tokens_are_marked_with_v3(make_stack, http):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V3_0"))
    stack.login(http)
    page = stack.post(http, "/machine", scope="flowlab-api/write").text
    result = re.search(r'<section class="card" id="machine-result">(.*)</section>', page, re.S)
    assert result, page
    assert "customized added by customization" in claim_row(result.group(1), "tenant")
    assert "scope added by customization: flowlab-api/read" in claim_row(result.group(1), "scope")


def test_no_customization_no_marks(stack, http):
    stack.login(http)
    page = http.get(stack.url + "/dashboard").text
    assert "customized" not in words(page) and "customization-note" not in page


def test_against_real_cognito_only_claims_outside_its_set_are_marked_and_the_limit_is_said(make_stack, http):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V2_0"), local_provider=False)
    stack.login(http)
    page = http.get(stack.url + "/dashboard").text
    id_card = token_card(page, "id")
    for name in ("tenant", "plan"):
        assert "not a Cognito claim: likely added by a pre token generation trigger" in claim_row(id_card, name)
    assert "customized" not in claim_row(id_card, "cognito:groups")  # an override cannot be seen in the token
    assert "Suppressed by customization" not in words(id_card)
    assert "Against real Cognito the app can mark only claims outside Cognito's own claim set" in words(id_card)
    assert "customized" not in claim_row(token_card(page, "access"), "scope")
    assert stack.steps("token_customization") == []  # Cognito has no such endpoint: never asked


def test_a_record_that_cannot_be_read_falls_back_to_what_the_token_shows(make_stack, http, monkeypatch):
    stack = make_stack(edit_pool=customize(doc_pool_settings(), "V2_0"))
    stack.login(http)

    def down(self, jti: str) -> dict:
        raise ProviderError("token_customization", "did not answer within 5 s (timeout)")

    monkeypatch.setattr(CustomizationRecords, "get", down)
    answer = http.get(stack.url + "/dashboard")
    assert answer.status_code == 200
    id_card = token_card(answer.text, "id")
    assert "The local provider's customization record could not be read (did not answer within 5 s" in words(id_card)
    assert "not a Cognito claim: likely added by a pre token generation trigger" in claim_row(id_card, "tenant")
