"""Verify Cognito / OIDC tokens check by check, so the dashboard can say *why*.

The rules are stated, not implied: `IdTokenRules` and `AccessTokenRules` name every check, and a
check is made unless the rule object says `SKIP` on purpose (aws-jwt-verify's stance: token_use and
client_id are never optional). Each claim has one small function citing its specification; every
result is collected for the UI, and the detail sentences are built only when someone reads them.
python-jose builds the JWKS keys (once per kid, in the JWKS cache) and the RS256 signature is checked
with the `cryptography` public key inside them; the claim rules live here.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum, StrEnum

import msgspec
import pybase64
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .discovery import JwksCache, UnknownKey
from .http import ProviderError
from .safejson import MAX_DEPTH, JsonRefused, loads
from .times import format_time
from .times import is_time as _is_time

ALGORITHMS = ["RS256"]
LEEWAY = 60
MAX_TOKEN_LENGTH = 16 * 1024

AWS_VERIFY = "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html"


class CheckName(StrEnum):
    """The checks, in the order they are made and shown. A StrEnum, so `"exp" == CheckName.EXP`."""

    STRUCTURE = "structure"
    ALG = "alg"
    SIGNATURE = "signature"
    ISS = "iss"
    AUD = "aud"
    CLIENT_ID = "client_id"
    TOKEN_USE = "token_use"
    SUB = "sub"
    EXP = "exp"
    IAT = "iat"
    NBF = "nbf"
    NONCE = "nonce"
    AT_HASH = "at_hash"


# A check's detail sentence, built only when read (the API's hot path never reads the details of
# checks that passed): a string; a (template, *values) tuple, said as template.format(*values),
# which costs a fraction of a closure to make; or a callable of no arguments, for the sentences
# that say a time (format_time).
Detail = str | tuple[str, *tuple[object, ...]] | Callable[[], str]


def _say(detail: Detail) -> str:
    if isinstance(detail, tuple):
        template, *values = detail
        return template.format(*values)
    return detail if isinstance(detail, str) else detail()


class Check:
    """One verification check. Its detail may be given lazily (see `Detail`), built only when read."""

    __slots__ = ("_detail", "name", "passed")

    def __init__(self, name: CheckName, passed: bool, detail: Detail):
        self.name = name
        self.passed = passed
        self._detail = detail

    @property
    def detail(self) -> str:
        if not isinstance(self._detail, str):
            self._detail = _say(self._detail)
        return self._detail

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Check) and (self.name, self.passed, self.detail) == (
            other.name,
            other.passed,
            other.detail,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.passed))

    def __repr__(self) -> str:
        return f"Check({str(self.name)!r}, {self.passed!r}, {self.detail!r})"


Result = tuple[CheckName, bool, Detail]  # one check as made: name, passed, detail


class Verification:
    """The outcome of verifying one token: header, claims, and every check, in order.

    Checks are recorded as plain (name, passed, detail) tuples and become `Check` objects only when
    `checks` is read: the API's hot path asks `ok`, `failure` and `failed()`, and pays for no more.
    """

    __slots__ = ("_built", "claims", "header", "kid", "kind", "results")

    def __init__(self, kind: str, header: dict | None = None, claims: dict | None = None, kid: str | None = None):
        self.kind = kind
        self.header: dict = {} if header is None else header
        self.claims: dict = {} if claims is None else claims
        self.kid = kid  # the JWKS key that verified the signature
        self.results: list[Result] = []
        self._built: list[Check] = []

    @property
    def checks(self) -> list[Check]:
        if len(self._built) != len(self.results):
            self._built = [Check(*r) for r in self.results]
        return self._built

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r[1] for r in self.results)

    @property
    def failure(self) -> Check | None:
        """The first failed check, or None."""
        for i, r in enumerate(self.results):
            if not r[1]:
                return self.checks[i]
        return None

    def check(self, name: CheckName) -> Check | None:
        """The check called `name`, or None when it was not made."""
        return next((c for c in self.checks if c.name is name), None)

    def failed(self, name: CheckName) -> bool:
        """True when the check called `name` was made and failed."""
        return any(r[0] is name and not r[1] for r in self.results)

    def add(self, name: CheckName, passed: bool, detail: Detail) -> None:
        self.results.append((name, passed, detail))

    def __repr__(self) -> str:
        return f"Verification({self.kind!r}, ok={self.ok}, checks={self.checks!r})"


# -- the rules ------------------------------------------------------------------------------------
class Rule(Enum):
    """How a check that may legitimately be absent is applied; there is no silent default."""

    REQUIRED = "required"  # the claim must be there and right
    IF_PRESENT = "if present"  # checked when the claim is there, passed when it is absent
    SKIP = "skip"  # not checked, on purpose (say why where the rule object is built)


REQUIRED, IF_PRESENT, SKIP = Rule.REQUIRED, Rule.IF_PRESENT, Rule.SKIP


def _client_set(client_ids: Iterable[str]) -> frozenset[str]:
    """The trusted client ids, always given (aws-jwt-verify: clientId is mandatory). An empty set is
    allowed, for an app not configured yet: then every token fails the aud / client_id check."""
    if isinstance(client_ids, str):
        raise TypeError("client_ids is a collection of client ids, not one string")
    return frozenset(client_ids)


@dataclass(frozen=True, slots=True)
class AccessTokenRules:
    """An access token: signature, iss, client_id, token_use=access, sub, exp and iat are all required
    (aws-jwt-verify makes token_use and client_id mandatory); nbf is checked whenever it is present,
    as RFC 7519 §4.1.5 makes it optional. Only token_use can be relaxed, and only by saying so
    (IF_PRESENT: checked when the claim is there), for providers other than Cognito."""

    issuer: str
    client_ids: frozenset[str]
    token_use: Rule = REQUIRED  # IF_PRESENT only to read other OIDC providers' tokens (the inspector)
    leeway: int = LEEWAY

    def __post_init__(self) -> None:
        object.__setattr__(self, "client_ids", _client_set(self.client_ids))
        if self.token_use not in (REQUIRED, IF_PRESENT):
            raise TypeError("token_use is REQUIRED or IF_PRESENT")


@dataclass(frozen=True, slots=True)
class IdTokenRules:
    """An ID token. Signature, iss, aud/azp, sub, exp and iat are always checked, nbf when present
    (RFC 7519 §4.1.5); the rest is stated:

    - `nonce`: the value sent at login, or SKIP (a refreshed ID token carries none, OIDC Core §12.2);
    - `access_token`: the one issued alongside (for at_hash), or None when none came with it;
    - `at_hash`: REQUIRED (implicit flow, OIDC Core §3.2.2.10) or IF_PRESENT (code flow, §3.1.3.8);
    - `token_use`: REQUIRED (Cognito always sets it) or IF_PRESENT (other OIDC providers do not);
    - `max_age`: seconds an ID token may be old at login (iat), or SKIP after login.
    """

    issuer: str
    client_ids: frozenset[str]
    nonce: str | Rule
    access_token: str | None
    at_hash: Rule
    token_use: Rule
    max_age: int | Rule
    leeway: int = LEEWAY

    def __post_init__(self) -> None:
        object.__setattr__(self, "client_ids", _client_set(self.client_ids))
        if not (isinstance(self.nonce, str) or self.nonce is SKIP):
            raise TypeError("nonce must be the login's nonce or SKIP, never None")
        if self.at_hash not in (REQUIRED, IF_PRESENT) or self.token_use not in (REQUIRED, IF_PRESENT):
            raise TypeError("at_hash and token_use are REQUIRED or IF_PRESENT")
        if not (self.max_age is SKIP or (isinstance(self.max_age, int) and not isinstance(self.max_age, bool))):
            raise TypeError("max_age must be a number of seconds or SKIP")


# -- parsing --------------------------------------------------------------------------------------
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SIX_BITS = bytes(_ALPHABET.find(bytes([c])) % 64 for c in range(256))  # character -> its 6-bit value
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_UNUSED_BITS = (0, 0, 0x0F, 0x03)  # by length % 4: the bits of the last character that carry nothing
_PADDING = (b"", b"", b"==", b"=")
_NOT_BASE64URL = "is not canonical base64url (only A-Z a-z 0-9 - _, no padding)"


class NotCanonical(ValueError):
    """A part is not canonical base64url: other characters, padding, or non-zero unused bits."""


def b64url_decode(part: str) -> bytes:
    """Canonical base64url only (RFC 7515 §2): no `+`, `/` or `=`, and zero unused bits in the last
    character, so one token has exactly one spelling (and one cache entry). Raises NotCanonical."""
    return _b64(part.encode("ascii", "replace"))  # any other character becomes `?`, which is refused


def _b64(data: bytes) -> bytes:
    """b64url_decode's work, on the part's bytes. pybase64 (pinned) decodes several times faster than
    binascii; it takes `+ /` besides `- _` and `=` as padding, so the part must have none of them."""
    rem = len(data) % 4
    if rem == 1 or b"=" in data or b"+" in data or b"/" in data:
        raise NotCanonical(_NOT_BASE64URL)
    try:  # validating: any other byte but A-Z a-z 0-9 - _ is an error, as is a wrong length
        decoded = pybase64.b64decode(data + _PADDING[rem], b"-_", True)
    except binascii.Error:
        raise NotCanonical(_NOT_BASE64URL) from None
    if rem and _SIX_BITS[data[-1]] & _UNUSED_BITS[rem]:
        raise NotCanonical("is not canonical base64url (its last character has unused bits set)")
    return decoded


_DECODE_JSON = msgspec.json.Decoder().decode


def _json(raw: bytes) -> object:
    """JSON of at most MAX_DEPTH levels, as the standard library reads it (safejson.loads).

    msgspec (a pinned dependency already) decodes the usual text several times faster and gives the
    same values; whatever it refuses goes to safejson.loads, which decides: so NaN, 1e400 or a lone
    surrogate, which Python's json accepts and msgspec does not, are still accepted (and their
    checks fail, as before), and refused text gets the standard library's reason. Text with at most
    MAX_DEPTH brackets cannot nest deeper than that, so only longer text needs safejson's depth walk.
    """
    if raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH:
        try:
            return _DECODE_JSON(raw)
        except (msgspec.DecodeError, ValueError):  # ValueError: UnicodeDecodeError
            pass
    return loads(raw.decode())


def parse_token(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Header, payload, signing input and signature of a JWT (RFC 7519 §7.2, the JWS compact
    serialisation of RFC 7515 §7.1), none of them trusted yet. ValueError says what is wrong."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise ValueError("not a token string of reasonable size")
    raw = token.encode("ascii", "replace")  # a non-ASCII character becomes `?`, which _b64 refuses
    head, _, rest = raw.partition(b".")  # two partitions (memchr) cost a fraction of a split
    body, dot, sig = rest.partition(b".")
    if not (head and body and dot) or b"." in sig:
        raise ValueError(f"has {raw.count(b'.') + 1} dot-separated parts, not 3")
    try:
        header, payload, signature = _json(_b64(head)), _json(_b64(body)), _b64(sig)
    except NotCanonical as exc:
        raise ValueError(f"has a part that {exc}") from None
    except JsonRefused as exc:
        raise ValueError(f"has a header or payload that is refused: {exc}") from None
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise ValueError(f"is not base64url JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("header and payload must be JSON objects")
    return header, payload, b".".join((head, body)), signature


def decode_unverified(token: str) -> tuple[dict, dict]:
    """Split a JWT into its header and payload without trusting either."""
    header, payload, _, _ = parse_token(token)
    return header, payload


# -- one function per check -----------------------------------------------------------------------
_PKCS1, _SHA256 = padding.PKCS1v15(), hashes.SHA256()


def check_alg(header: dict) -> Result:
    """RFC 8725 §3.1 and RFC 7515 §4.1.1: accept only the algorithm we expect (RS256), never `none`
    or an HMAC keyed with the public key."""
    alg = header.get("alg")
    return (CheckName.ALG, alg in ALGORITHMS, ("header alg is {!r}; allowed: RS256", alg))


def check_signature(header: dict, signing_input: bytes, signature: bytes, keys: JwksCache) -> tuple[Result, str | None]:
    """RFC 7515 §5.2: verify the signature with the JWKS key named by `kid` (§4.1.4); refuse `crit`
    extensions we do not understand (§4.1.11). Returns the check and the kid that verified it."""
    if header.get("alg") not in ALGORITHMS:
        return (CheckName.SIGNATURE, False, "not checked: the algorithm is not allowed"), None
    if "crit" in header:
        return (CheckName.SIGNATURE, False, ("the header lists critical extensions {!r}", header["crit"])), None
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        return (CheckName.SIGNATURE, False, "the kid header is not a string"), None
    try:
        key = keys.entry_for(kid)  # prepared once per kid, when the JWKS was fetched
        if key.rsa is not None:  # RS256 (RFC 7518 §3.3) straight through `cryptography`, as python-jose does
            key.rsa.verify(signature, signing_input, _PKCS1, _SHA256)
        elif not key.key.verify(signing_input, signature):  # any other key object: python-jose decides
            raise InvalidSignature
    except InvalidSignature:
        return (CheckName.SIGNATURE, False, "RS256 signature does not verify"), None
    except UnknownKey as exc:
        return (CheckName.SIGNATURE, False, str(exc)), None
    except ProviderError:
        raise
    except Exception as exc:  # python-jose raises JWKError and others
        return (CheckName.SIGNATURE, False, f"RS256 signature does not verify ({type(exc).__name__})"), None
    return (CheckName.SIGNATURE, True, ("RS256, verified with the JWKS key kid {}", key.kid or "(none)")), key.kid


def check_iss(claims: dict, issuer: str) -> Result:
    """OIDC Core §3.1.3.7 step 2, RFC 7519 §4.1.1 and the AWS page on verifying a JWT (AWS_VERIFY):
    iss must equal the user pool's issuer exactly."""
    iss = claims.get("iss")
    return (CheckName.ISS, iss == issuer, ("iss is {!r}; expected {!r}", iss, issuer))


def check_aud(claims: dict, clients: frozenset[str]) -> Result:
    """OIDC Core §3.1.3.7 steps 3-5: aud must contain this client; with several audiences, azp
    must be this client too."""
    aud = claims.get("aud")
    if isinstance(aud, str):  # the usual case, decided without building a list
        ok = aud in clients
        return (
            CheckName.AUD,
            ok,
            ("aud is {!r}, this app client" if ok else "aud is {!r}; expected this app client", aud),
        )
    if aud is None:
        return (CheckName.AUD, False, "aud is missing")
    auds = aud if isinstance(aud, list) else [aud]
    strings = [a for a in auds if isinstance(a, str)]
    azp = claims.get("azp")
    if len(strings) != len(auds):
        return (CheckName.AUD, False, "aud must be a string or a list of strings")
    if clients.isdisjoint(strings):
        return (CheckName.AUD, False, f"aud is {aud!r}; expected this app client")
    if len(auds) > 1 and not (isinstance(azp, str) and azp in clients):
        return (CheckName.AUD, False, f"aud lists several audiences {aud!r} and azp is not this client")
    return (CheckName.AUD, True, f"aud is {aud!r}, this app client")


def check_client_id(claims: dict, clients: frozenset[str]) -> Result:
    """AWS page on verifying a JWT (AWS_VERIFY): a Cognito access token has no aud; its client_id
    must be an app client we trust (RFC 9068 §4 plays the same role with aud)."""
    cid = claims.get("client_id")
    ok = isinstance(cid, str) and cid in clients
    return (
        CheckName.CLIENT_ID,
        ok,
        ("client_id is {!r}; trusted" if ok else "client_id is {!r}; not an allowed client", cid),
    )


def check_token_use(claims: dict, kind: str) -> Result:
    """AWS page on verifying a JWT (AWS_VERIFY): token_use is `id` or `access`, and must be the kind
    this place accepts."""
    use = claims.get("token_use")
    return (CheckName.TOKEN_USE, use == kind, ("token_use is {!r}; expected {!r}", use, kind))


def check_sub(claims: dict) -> Result:
    """OIDC Core §2 (sub is REQUIRED) and RFC 9068 §2.2: a non-empty string, the user's stable id."""
    sub = claims.get("sub")
    return (CheckName.SUB, isinstance(sub, str) and bool(sub), ("sub is {!r}", sub))


def check_exp(claims: dict, now: float, leeway: int) -> Result:
    """RFC 7519 §4.1.4 and OIDC Core §3.1.3.7 step 9: refuse the token after exp (plus leeway)."""
    exp = claims.get("exp")
    if type(exp) is not int and not _is_time(exp):  # the usual int decided without a call
        return (CheckName.EXP, False, "exp is missing or not a number")
    live = now <= exp + leeway
    return (CheckName.EXP, live, lambda: f"{'expires' if live else 'expired'} {format_time(exp, now)}")


def check_iat(claims: dict, now: float, leeway: int, max_age: int | Rule) -> Result:
    """RFC 7519 §4.1.6 and OIDC Core §3.1.3.7 step 10: iat is a number, not in the future, and at
    login not older than `max_age`."""
    iat = claims.get("iat")
    if type(iat) is not int and not _is_time(iat):
        return (CheckName.IAT, False, "iat is missing or not a number")
    if iat > now + leeway:
        return (CheckName.IAT, False, lambda: f"issued in the future: {format_time(iat, now)}")
    if isinstance(max_age, int) and now - iat > max_age:  # an int, or SKIP
        return (
            CheckName.IAT,
            False,
            lambda: f"issued {format_time(iat, now)}, older than {max_age} s allowed at login",
        )
    return (CheckName.IAT, True, lambda: f"issued {format_time(iat, now)}")


def check_nbf(claims: dict, now: float, leeway: int) -> Result | None:
    """RFC 7519 §4.1.5: when nbf is present, the token must not be used before it. (Optional claim.)"""
    if "nbf" not in claims:
        return None
    nbf = claims["nbf"]
    ok = _is_time(nbf) and nbf <= now + leeway
    return (CheckName.NBF, ok, lambda: f"not before {format_time(nbf, now)}")


def check_nonce(claims: dict, nonce: str) -> Result:
    """OIDC Core §3.1.3.7 step 11: the nonce must be the one this login sent (compared in constant time)."""
    got = claims.get("nonce")
    ok = isinstance(got, str) and hmac.compare_digest(got.encode(), nonce.encode())
    return (
        CheckName.NONCE,
        ok,
        "matches the one sent at login" if ok else ("nonce {!r} is not the one sent", got),
    )


def check_at_hash(claims: dict, access_token: str | None, rule: Rule) -> Result:
    """OIDC Core §3.1.3.8 (code flow: optional) and §3.2.2.9-10 (implicit: required): at_hash is the
    left half of SHA-256 of the access token, base64url, binding the two tokens together."""
    at_hash = claims.get("at_hash")
    if at_hash is None:
        required = rule is REQUIRED
        detail = "missing, but required for tokens from the authorization endpoint"
        return (CheckName.AT_HASH, not required, detail if required else "absent (optional in the code flow)")
    if not access_token:
        return (CheckName.AT_HASH, False, "present, but there is no access token to compare it with")
    left_half = hashlib.sha256(access_token.encode()).digest()[:16]  # RS256: SHA-256, 128 bits
    expected = binascii.b2a_base64(left_half, newline=False).translate(_TO_URLSAFE).rstrip(b"=")
    ok = isinstance(at_hash, str) and hmac.compare_digest(at_hash.encode(), expected)
    return (CheckName.AT_HASH, ok, "matches the access token" if ok else "does not match the access token")


# -- the two verifiers ----------------------------------------------------------------------------
_PARSED: Result = (CheckName.STRUCTURE, True, "three base64url parts with JSON header and payload")


def _start(token: str, kind: str, keys: JwksCache) -> Verification:
    """Parse, then check alg and signature: the result's first checks (only `structure` if unparseable)."""
    try:
        header, claims, signing_input, signature = parse_token(token)
    except ValueError as exc:
        result = Verification(kind)
        result.results.append((CheckName.STRUCTURE, False, f"the token {exc}"))
        return result
    signed, kid = check_signature(header, signing_input, signature, keys)
    result = Verification(kind, header, claims, kid)
    result.results += (_PARSED, check_alg(header), signed)
    return result


def verify_access_token(token: str, keys: JwksCache, rules: AccessTokenRules, now: float | None = None) -> Verification:
    """Every check of an access token under `rules`. Never raises for a bad token: the result lists
    which checks failed. Raises ProviderError only when the JWKS itself could not be fetched."""
    result = _start(token, "access", keys)
    if len(result.results) == 1:  # the structure check failed: nothing else can be read
        return result
    now = time.time() if now is None else now
    claims, leeway = result.claims, rules.leeway
    result.results += (check_iss(claims, rules.issuer), check_client_id(claims, rules.client_ids))
    if rules.token_use is REQUIRED or "token_use" in claims:
        result.results.append(check_token_use(claims, "access"))
    result.results += (
        check_sub(claims),
        check_exp(claims, now, leeway),
        check_iat(claims, now, leeway, SKIP),
    )
    if (nbf := check_nbf(claims, now, leeway)) is not None:
        result.results.append(nbf)
    return result


def verify_id_token(token: str, keys: JwksCache, rules: IdTokenRules, now: float | None = None) -> Verification:
    """Every check of an ID token under `rules` (OIDC Core §3.1.3.7); like verify_access_token,
    failures are results, and only a JWKS that cannot be fetched raises ProviderError."""
    result = _start(token, "id", keys)
    if len(result.results) == 1:
        return result
    now = time.time() if now is None else now
    claims, leeway = result.claims, rules.leeway
    result.results += (check_iss(claims, rules.issuer), check_aud(claims, rules.client_ids))
    if rules.token_use is REQUIRED or "token_use" in claims:
        result.results.append(check_token_use(claims, "id"))
    result.results += (check_sub(claims), check_exp(claims, now, leeway), check_iat(claims, now, leeway, rules.max_age))
    if (nbf := check_nbf(claims, now, leeway)) is not None:
        result.results.append(nbf)
    if isinstance(rules.nonce, str):  # the login's nonce, or SKIP
        result.results.append(check_nonce(claims, rules.nonce))
    result.results.append(check_at_hash(claims, rules.access_token, rules.at_hash))
    return result
