"""The trace: every HTTP exchange of a browser session, redacted, stored, shown and exported.

- `redact`: the Redactor (secrets to placeholders, tokens to markers with a vault of full values).
- `model`: the `Step` dataclass and the `Trace` record, to and from their stored plain-dict form,
  and `Exchange`, one exchange before redaction.
- `markers`: token markers shortened for exports, or cut into segments for the trace page's macro.
- `exports`: curl, HAR, Markdown and the Postman collection, from Step objects.
- `page`: the trace page's view model (marked texts, curl, arrows, likely causes, probe groups).
- `recorder`: the per-browser trace store and the Flask hooks (the only module that imports Flask).

`oauth/` never imports this package; the recorder listens to `oauth.http`'s observer hook.
"""
