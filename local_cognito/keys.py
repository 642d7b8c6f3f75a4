"""RSA signing keys: one pair for ID tokens and one for access tokens, as Cognito does."""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk

from .files import write_private


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_PARSED: dict[bytes, rsa.RSAPrivateKey] = {}  # PEM -> key, the 32 most recent (insertion order)
_PARSED_LOCK = threading.Lock()


def _remember(pem: bytes, private: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    with _PARSED_LOCK:
        _PARSED.pop(pem, None)
        _PARSED[pem] = private
        while len(_PARSED) > 32:
            del _PARSED[next(iter(_PARSED))]
    return private


def _private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """The RSA key in `pem`, parsed and checked once per process: the check takes about 0.03 s, and
    the provider signs every token it issues with one of these keys. A key made here is never parsed."""
    private = _PARSED.get(pem)
    if private is not None:
        return private
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError("the signing key is not an RSA key")
    return _remember(pem, loaded)


@dataclass
class SigningKey:
    kid: str
    pem: bytes
    public_jwk: dict

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        numbers = _private_key(pem).public_key().public_numbers()
        n, e = _b64(numbers.n), _b64(numbers.e)
        # Cognito kids are base64 strings; derive ours from the key so they are stable.
        kid = base64.b64encode(hashlib.sha256(n.encode()).digest()[:30]).decode()
        public = {"alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"}
        return cls(kid=kid, pem=pem, public_jwk=public)

    @classmethod
    def generate(cls) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _remember(pem, private)
        return cls.from_pem(pem)

    def signer(self):
        return jwk.construct(_private_key(self.pem), "RS256")


class KeyRing:
    """The pool's current ID and access keys, plus retired public keys still published."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        self.retired: list[dict] = []
        self.id_key = self._load_or_make("id")
        self.access_key = self._load_or_make("access")

    def _load_or_make(self, name: str) -> SigningKey:
        path = self.directory / f"{name}.pem" if self.directory else None
        if path and path.exists():
            return SigningKey.from_pem(path.read_bytes())
        key = SigningKey.generate()
        if path:
            write_private(path, key.pem)
        return key

    def rotate(self, keep_old: bool = True) -> None:
        """Sign with new keys from now on; keep publishing the old ones if asked."""
        old = [self.id_key.public_jwk, self.access_key.public_jwk]
        self.retired = (old + self.retired) if keep_old else []
        self.id_key, self.access_key = SigningKey.generate(), SigningKey.generate()
        if self.directory:
            for name, key in (("id", self.id_key), ("access", self.access_key)):
                write_private(self.directory / f"{name}.pem", key.pem)

    def jwks(self) -> dict:
        return {"keys": [self.id_key.public_jwk, self.access_key.public_jwk, *self.retired]}

    def public_key(self, kid: str) -> dict | None:
        for key in self.jwks()["keys"]:
            if key["kid"] == kid:
                return key
        return None
