"""The suite's own caches (tests/conftest.py) change nothing but time: each URL rule gets the builder werkzeug
would compile for it, and each botocore session keeps a loader of its own."""

from __future__ import annotations

import boto3
from werkzeug.routing.rules import Rule

from tests.support import build_stack


def test_each_rule_of_two_apps_gets_the_builder_werkzeug_compiles_for_it(tmp_path, key_dir):
    werkzeugs_own = Rule._compile_builder.__wrapped__
    first, second = (build_stack(tmp_path / name, key_dir, live=False) for name in ("a", "b"))
    rules = [
        rule
        for stack in (first, second)
        for rule in (*stack.app.url_map.iter_rules(), *stack.provider_app.url_map.iter_rules())
    ]
    assert len(rules) > 100
    for rule in rules:
        for append_unknown in (False, True):
            kept = Rule._compile_builder(rule, append_unknown).__code__
            assert kept == werkzeugs_own(rule, append_unknown).__code__, rule.rule
    # a rule of the second app builds with its own converters: the same URLs as the first app's
    with first.app.test_request_context(), second.app.test_request_context():
        for endpoint in ("static", "dashboard.dashboard"):
            assert first.app.url_for(endpoint, **({"filename": "a b.css"} if endpoint == "static" else {})) == (
                second.app.url_for(endpoint, **({"filename": "a b.css"} if endpoint == "static" else {}))
            )


def test_botocore_sessions_keep_their_own_loader_and_share_only_the_parsed_files():
    one, two = boto3.session.Session(), boto3.session.Session()
    loaders = [s._session.get_component("data_loader") for s in (one, two)]
    assert loaders[0] is not loaders[1]
    assert loaders[0].search_paths == loaders[1].search_paths  # boto3's data path added once to each
    one.client("cognito-idp", region_name="eu-west-1")
    assert loaders[0]._cache is loaders[1]._cache
    assert ("list_api_versions", "cognito-idp", "service-2") in loaders[1]._cache  # the second session's view
