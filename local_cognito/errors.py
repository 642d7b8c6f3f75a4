"""The error of a pool file the provider cannot use: the message names the field and says why."""

from __future__ import annotations


class PoolFileError(ValueError):
    """A setting in the pool file is malformed or is one Cognito would refuse."""
