"""Whether the provider skipped its password form because it remembered the user (its session cookie).

How the app can tell: an ID token's `auth_time` is the time the user authenticated ("Time when the
End-User authentication occurred", OpenID Connect Core §2; Cognito's ID token carries it and keeps it on
refresh). Cognito's managed login sets a session cookie valid for one hour; an authorize request that
carries it is answered without the sign-in form, and the tokens then carry the cookie's sign-in time
(https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html).
So when `auth_time` is older than the moment the app started this authorize request, nobody typed a
password for it. `prompt=login` forces the form: "forces re-authentication" with a new session cookie
(https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html).

The app's and the provider's clocks may differ a little: a sign-in counts as remembered only when its
`auth_time` is more than SKEW_SECONDS older than the request (nobody signs in that fast twice). A
provider without `auth_time` is never said to have remembered anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from oauth.times import is_time

from .lifecycle import clock_time, duration_words

SKEW_SECONDS = 10


@dataclass(frozen=True)
class Remembered:
    """A sign-in the provider answered from its session: when the user last authenticated there
    (`auth_time`), and when this sign-in started (`started`), both epoch seconds."""

    auth_time: int
    started: int

    def as_dict(self) -> dict[str, int]:
        return {"auth_time": self.auth_time, "started": self.started}

    def sentence(self) -> str:
        """What the dashboard says, in one sentence."""
        return (
            "The provider did not show its sign-in form: it remembered you from a sign-in at "
            f"{clock_time(self.auth_time)} (auth_time), {duration_words(self.started - self.auth_time)} before this "
            "one started, through its own session cookie (an hour at Cognito)."
        )


def remembered(auth_time: object, started: object, skew: int = SKEW_SECONDS) -> Remembered | None:
    """The remembered sign-in, when the ID token's `auth_time` is older than the authorize request the app
    started at `started` (epoch seconds); None when it is not, or either is not a time."""
    if not is_time(auth_time) or not is_time(started) or not auth_time + skew < started:
        return None
    return Remembered(int(auth_time), int(started))


def from_stored(stored: object) -> Remembered | None:
    """A Remembered kept in the session as its dict, or None (absent or not of that shape)."""
    if not isinstance(stored, dict):
        return None
    auth_time, started = stored.get("auth_time"), stored.get("started")
    if type(auth_time) is not int or type(started) is not int:
        return None
    return Remembered(auth_time, started)
