"""What the fuzz tests share (test_fuzz.py, test_fuzz_beyond.py): Hypothesis settings, hostile values,
token mutations, and the check that a signed-in session survived. The `signed_in` fixture is in conftest.py."""

from __future__ import annotations

import base64
import json
import os

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from .stack import Stack

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
claim_names = st.sampled_from(
    [
        "iss",
        "aud",
        "azp",
        "sub",
        "exp",
        "iat",
        "nbf",
        "auth_time",
        "token_use",
        "client_id",
        "scope",
        "nonce",
        "at_hash",
        "username",
        "cognito:username",
        "cognito:groups",
        "email",
        "jti",
        "origin_jti",
    ]
) | st.text(max_size=12)
claims = st.dictionaries(claim_names, json_values, max_size=12)
headers = st.dictionaries(
    st.sampled_from(["alg", "kid", "typ", "jku", "x5u", "jwk", "crit", "cty"]), json_values, max_size=5
)
b64chars = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/ ", max_size=60)
hostile_text = st.text(max_size=300) | st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "%00",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "x" * 5000,
        "é" * 50,
        "\r\nX-Injected: 1",
        "javascript:alert(1)",
        "//evil.example",
        "null",
        "[]",
        "{}",
        "eyJ",
        "a.b.c",
        "a..b",
    ]
)


def b64(value: object) -> str:
    raw = json.dumps(value, allow_nan=True).encode() if not isinstance(value, bytes) else value
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict, payload: dict, sig: str) -> str:
    return f"{b64(header)}.{b64(payload)}.{sig}"


def mutate(token: str, data: st.DataObject) -> str:
    """Flip, cut, duplicate or splice characters of a real token."""
    op = data.draw(st.sampled_from(["flip", "cut", "dup", "splice", "dots"]))
    i = data.draw(st.integers(min_value=0, max_value=max(len(token) - 1, 0)))
    if op == "flip":
        return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    if op == "cut":
        return token[:i]
    if op == "dup":
        return token + token[i:]
    if op == "splice":
        return token[:i] + data.draw(b64chars) + token[i:]
    return token.replace(".", data.draw(st.sampled_from(["", "..", ".x.", " . "])), 1)


def assert_survived(stack: Stack, http: requests.Session) -> None:
    """The browser `http` is still signed in."""
    assert stack.session_json(http)["authenticated"] is True
