"""What the client raises about a provider's answer, all under one base class, `ClientError`."""

from __future__ import annotations


class ClientError(Exception):
    """The base of what the client raises about a provider's answer: ProviderError (the provider failed,
    in http.py), ProviderRefused (it answered with an OAuth error), TokenRejected (a token it sent failed
    verification) and IdentityMismatch (an answer about another user or from another issuer)."""

    step: str


class ProviderRefused(ClientError):
    """The provider answered with an OAuth error (a 4xx JSON `error`)."""

    def __init__(self, step: str, error: str, description: str = "", status: int = 400):
        super().__init__(f"{step}: {error}")
        self.step = step
        self.error = error
        self.description = description
        self.status = status


class TokenRejected(ClientError):
    """A token the provider sent failed verification: `check` names the first failed check (a
    CheckName value), `detail` says why."""

    def __init__(self, step: str, check: str, detail: str):
        super().__init__(f"{step}: check {check!r} failed: {detail}")
        self.step = step
        self.check = check
        self.detail = detail


class IdentityMismatch(ClientError):
    """An answer is about another user, or from another issuer, than this sign-in's: its claim
    `claim` is `got` where `expected` was required. Catch this for either subclass."""

    claim = ""

    def __init__(self, step: str, expected: str | None, got: object):
        super().__init__(f"{step}: {self.claim} is {str(got)[:200]!r}, not {expected!r}")
        self.step = step
        self.expected = expected
        self.got = got


class SubjectMismatch(IdentityMismatch):
    """The `sub` differs: the answer is about another user."""

    claim = "sub"


class IssuerMismatch(IdentityMismatch):
    """The `iss` differs: another authorization server answered (a mix-up, RFC 9207)."""

    claim = "iss"
