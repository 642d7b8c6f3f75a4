"""The provider's OAuth error answers."""

from __future__ import annotations

from lab.causes import likely_cause


class ClientError(Exception):
    """The base of what the client raises about a provider's answer: ProviderError (the provider failed)
    and ProviderRefused (it answered with an OAuth error). Catch this for either."""

    step: str


class ProviderRefused(ClientError):
    """The provider answered with an OAuth error (a 4xx JSON `error`)."""

    def __init__(self, step: str, error: str, description: str = "", status: int = 400):
        super().__init__(f"{step}: {error}")
        self.step = step
        self.error = error
        self.description = description
        self.status = status

    @property
    def cause(self) -> str:
        return likely_cause(self.error)
