"""The flows: what happens when a user signs in, refreshes, revokes, calls userInfo or the API, signs out,
or brings tokens back from a browser flow, without Flask.

Each operation takes a `Context` (flows/context.py: the OAuth client, this browser's session as a plain
mapping, the trace's notes, the signer, the resource server) and, where it sends a back-channel call, an
`Approval`; it returns a typed outcome, or `Pending` (the prepared call, not sent) when the presenter must
pause. The session's records are typed in flows/state.py (the sign-in; the dashboard's screen state) and
its keys named once in flows/keys.py. views/ adapts a request to a flow and its outcome to a response.
"""
