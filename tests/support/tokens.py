"""What the pure token tests share (test_tokens.py, test_token_parser.py): the issuer and app client
their tokens name, a JWKS stand-in, and signing. The `key` and `other_key` fixtures are in conftest.py."""

from __future__ import annotations

from jose import jws

from local_cognito.keys import SigningKey

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test"
CLIENT = "client123"


class Jwks:
    """A JWKS endpoint stand-in whose documents the test controls; counts fetches."""

    def __init__(self, *keys: SigningKey):
        self.keys = list(keys)
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return {"keys": [k.public_jwk for k in self.keys]}


def sign(key: SigningKey, claims: dict, **header: object) -> str:
    """`claims` as an RS256 JWS signed with `key`, its kid in the header (plus `header`)."""
    headers = {"kid": key.kid, **header}
    return jws.sign(dict(claims), key.signer(), headers=headers, algorithm="RS256")
