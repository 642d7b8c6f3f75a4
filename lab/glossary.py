"""The glossary: each term a first screen uses, in one short phrase and a few plain sentences.

The pages keep the precise term, say the short phrase beside it, and link the term here (the `glossary`
template filter, `link_terms`); /glossary lists every entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Term:
    slug: str  # the anchor on /glossary
    term: str  # as the pages write it
    phrase: str  # the short phrase a page says beside the term
    text: str  # the glossary's explanation
    source: str = ""  # where to read more
    linked: bool = True  # the `glossary` filter links its mentions (not the everyday terms)


TERMS: tuple[Term, ...] = (
    Term(
        "front-channel",
        "front channel",
        "through the browser",
        "A message that travels through the user's browser: a redirect to the provider and back, with its "
        "parameters in the URL. Anything that can read the URL (history, extensions, a shared screen) can see it.",
    ),
    Term(
        "back-channel",
        "back channel",
        "server to server",
        "A request this app's server sends straight to the provider (the token endpoint), never through the "
        "browser. The client secret and the tokens travel only here in the authorization code flow.",
    ),
    Term(
        "client-secret-basic",
        "client_secret_basic",
        "the secret sent in an HTTP Basic header",
        "How a confidential client proves who it is at the token endpoint: its client id and secret in an "
        "`Authorization: Basic` header. `client_secret_post` sends them as form fields instead.",
        "https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication",
    ),
    Term(
        "client-secret-post",
        "client_secret_post",
        "the secret sent as a form field",
        "Like client_secret_basic, but the client id and secret are form fields of the token request's body.",
        "https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication",
    ),
    Term(
        "cachelib",
        "cachelib",
        "files on this server",
        "The default store of the server-side session: one file per session in the instance folder "
        "(Flask-Session with cachelib's FileSystemCache). For several instances, use Redis (SESSION_BACKEND=redis).",
    ),
    Term(
        "bff",
        "backend-for-frontend",
        "the server keeps the tokens; the browser gets only a session cookie",
        "An app whose own server runs the OAuth client and keeps every token; the page in the browser sees none "
        "of them. A script injected into the page cannot steal tokens it never had.",
        "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-browser-based-apps",
    ),
    Term(
        "rfc-9700",
        "RFC 9700 §2.1.2",
        "the IETF's OAuth security best practice",
        "RFC 9700, Best Current Practice for OAuth 2.0 Security (2025). Section 2.1.2 says clients SHOULD NOT use "
        "the implicit grant, because it puts tokens in the URL; use the authorization code with PKCE instead.",
        "https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2",
    ),
    Term(
        "local-provider",
        "local provider",
        "a Cognito-compatible provider running inside this app, offline",
        "With no provider configured, `make run` starts its own small OpenID provider on 127.0.0.1 with "
        "Cognito's endpoints, claims and quirks, so a demo needs no AWS account and no internet. The badge in "
        "the top bar says which provider this app uses: Local, Amazon Cognito or OIDC provider.",
    ),
    Term(
        "managed-login",
        "managed login",
        "Cognito's own sign-in pages",
        "The sign-in pages Amazon Cognito hosts for a user pool's domain (/login, /oauth2/authorize). AWS's "
        "older version of them is the classic hosted UI.",
        "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-managed-login.html",
    ),
    Term(
        "pkce",
        "PKCE",
        "proof that the same client finishes the sign-in",
        "Proof Key for Code Exchange (RFC 7636): the client sends a hash of a random secret (code_challenge) "
        "with the authorize request, then the secret itself (code_verifier) with the code. A stolen code is "
        "useless without the verifier.",
        "https://www.rfc-editor.org/rfc/rfc7636",
    ),
    Term(
        "public-client",
        "public client",
        "an app client without a secret",
        "An app client that cannot keep a secret, such as a page in a browser or a mobile app; PKCE stands in "
        "for the secret. A confidential client (this app's server) has one.",
    ),
    Term(
        "id-token",
        "ID token",
        "who signed in",
        "An OpenID Connect JWT for the app that asked for it (aud): who the user is and when they signed in. "
        "Never send it to an API: that is what the access token is for.",
        linked=False,
    ),
    Term(
        "access-token",
        "access token",
        "what the caller may do",
        "The token an API accepts (Bearer): its scopes say what the caller may do. Cognito's access tokens "
        "are JWTs with client_id instead of aud.",
        linked=False,
    ),
    Term(
        "client-credentials",
        "client credentials",
        "a machine signs in with its own id and secret",
        "The OAuth grant for machine to machine calls: a backend gets an access token with its client id and "
        "secret, with no user and no browser (the /machine page).",
    ),
)

BY_SLUG = {t.slug: t for t in TERMS}
_LINKED = {t.term: t for t in TERMS if t.linked}
_PATTERN = re.compile("|".join(rf"(?<![\w-]){re.escape(term)}(?![\w-])" for term in _LINKED))


def term_phrase(term: str) -> str:
    """The short phrase a page says beside a glossary term ("" for a term not in the glossary)."""
    return next((t.phrase for t in TERMS if t.term == term), "")


def link_terms(text: object, base: str = "/glossary") -> Markup:
    """Escape `text` and link the first mention of each glossary term to its entry (a template filter)."""
    if isinstance(text, Markup):
        return text  # already markup: left as it is
    seen: set[str] = set()
    out: list[str] = []
    last = 0
    plain = str(text)
    for match in _PATTERN.finditer(plain):
        term = match.group(0)
        if term in seen:
            continue
        seen.add(term)
        out.append(escape(plain[last : match.start()]))
        entry = _LINKED[term]
        out.append(Markup('<a class="term" href="{}#{}">{}</a>').format(base, entry.slug, term))
        last = match.end()
    out.append(escape(plain[last:]))
    return Markup("").join(out)


def explained(term: object, base: str = "/glossary") -> Markup:
    """A glossary term linked to its entry, with its short phrase after it (a template filter)."""
    entry = next((t for t in TERMS if t.term == str(term)), None)
    if entry is None:
        return escape(str(term))
    return Markup('<a class="term" href="{}#{}">{}</a> ({})').format(base, entry.slug, entry.term, entry.phrase)


def code_spans(text: object) -> Markup:
    """Escape `text` and show each `backticked` part as code (a template filter: the glossary's entries name
    headers, parameters and commands that way)."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: shown as it is
        return escape(str(text))
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts))
