"""The attacker's forgeries of a genuine token (attack 8), each one change a real attacker would try."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

FOREIGN_KID = "attacker-key-1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def claims_of(token: str) -> dict:
    """The payload of a JWT, unverified (the attacker reads his own token)."""
    payload = json.loads(_unb64(token.split(".")[1]))
    return payload if isinstance(payload, dict) else {}


def flip_signature_bit(token: str) -> str:
    """The same token with one bit of its signature flipped (a bit the encoding carries in full)."""
    head, body, signature = token.split(".")
    raw = bytearray(_unb64(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{_b64(bytes(raw))}"


def as_user(claims: dict, username: str) -> dict:
    """The claims with the user name changed: the impersonation the forgery is for."""
    return {**claims, "username": username}


def alg_none(claims: dict) -> str:
    """An unsigned token (RFC 7519 §6: alg none, an empty signature)."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}, separators=(",", ":")).encode())
    return f"{header}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}."


def foreign_key(claims: dict) -> str:
    """RS256, correctly signed, but by a key the attacker made for this one signature (never saved), under a
    kid the provider never published."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = _b64(json.dumps({"alg": "RS256", "kid": FOREIGN_KID, "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = key.sign(f"{header}.{body}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{_b64(signature)}"
