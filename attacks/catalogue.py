"""The ten attacks and the checks that stop them, in words: what the lab page says about each."""

from __future__ import annotations

from dataclasses import dataclass

CLIENT, PROVIDER = "client", "provider"


@dataclass(frozen=True)
class CheckInfo:
    """A check that can refuse an attack: where it runs, and its row on the dashboard (an element id, or "")."""

    id: str
    name: str
    side: str
    rule: str
    dashboard: str = ""


CHECKS = {
    c.id: c
    for c in (
        CheckInfo("state", "state", CLIENT, "the callback's state must be one this browser started, used once"),
        CheckInfo(
            "pkce",
            "PKCE (code_verifier)",
            PROVIDER,
            "the token endpoint redeems a code only with the code_verifier whose S256 hash the authorize request sent",
        ),
        CheckInfo("nonce", "nonce", CLIENT, "the ID token's nonce must be the one this sign-in sent", "check-id-nonce"),
        CheckInfo(
            "at_hash",
            "at_hash",
            CLIENT,
            "the ID token's at_hash must be the hash of the access token that came with it",
            "check-id-at_hash",
        ),
        CheckInfo("aud", "aud", CLIENT, "an ID token's aud must be this app client", "check-id-aud"),
        CheckInfo(
            "client_id",
            "client_id",
            CLIENT,
            "an access token's client_id must be an app client this app trusts",
            "check-access-client_id",
        ),
        CheckInfo("token_use", "token_use", CLIENT, "an ID token must say token_use=id", "check-id-token_use"),
        CheckInfo(
            "callback_iss",
            "iss on the callback (RFC 9207)",
            CLIENT,
            "a callback that names its issuer must name this app's provider (the ID token's iss says the same)",
            "check-id-iss",
        ),
        CheckInfo(
            "signature",
            "signature",
            CLIENT,
            "RS256, verified with the provider's published key named by the token's kid",
            "check-access-signature",
        ),
        CheckInfo("alg", "alg", CLIENT, "only RS256 is accepted, never none", "check-access-alg"),
        CheckInfo(
            "exp", "exp", CLIENT, "a token is refused after its exp (60 s of clock skew allowed)", "check-access-exp"
        ),
        CheckInfo(
            "rotation",
            "refresh-token rotation",
            PROVIDER,
            "a rotated-out refresh token is refused once its grace period is over",
        ),
        CheckInfo(
            "redirect_uri",
            "exact redirect_uri match",
            PROVIDER,
            "the authorize endpoint redirects only to a registered URI, compared character for character",
        ),
        CheckInfo(
            "code", "code", PROVIDER, "a code is redeemed once, by the client it was issued to, within 5 minutes"
        ),
        CheckInfo("other", "another check", CLIENT, "the answer named no check this lab knows"),
    )
}


@dataclass(frozen=True)
class AttackInfo:
    """One attack: what the attacker does, the check meant to stop it, and what it would have won."""

    number: int
    title: str
    story: str
    check: str
    without: str
    simulated: str
    needs_local: str  # why it runs with the local provider only ("" when a real provider can run it)


LOCAL_USERS = (
    "It needs a second user who signs in (alice, the attacker) and a scripted sign-in with a password: with "
    "your provider the lab has neither, so it runs with the local provider only."
)

ATTACKS = {
    a.number: a
    for a in (
        AttackInfo(
            1,
            "Stolen code without the verifier (PKCE)",
            "The victim signs in through the browser-only app, a public client with no secret. The attacker reads "
            "the code off the redirect (a proxy log, a malicious app on the same device) and redeems it at the "
            "token endpoint first: without a code_verifier, then with one of his own.",
            "pkce",
            "Without PKCE, a public client has nothing else: whoever holds the code gets the victim's tokens.",
            "the token endpoint would hand the attacker {victim}'s ID, access and refresh tokens",
            "",
        ),
        AttackInfo(
            2,
            "Login CSRF (state)",
            "The attacker signs in as {attacker} and stops before his own callback. He makes the victim's browser open "
            "that callback (a link, an image tag), with his code and a state the victim's browser never started.",
            "state",
            "Without state, the victim would be signed in as {attacker} without noticing, and whatever they save "
            "would land in {attacker}'s account (PKCE would stop this one next: attack 3).",
            "you would now be signed in as {attacker}",
            LOCAL_USERS,
        ),
        AttackInfo(
            3,
            "Code injection (PKCE binds the code to the browser's transaction)",
            "The victim starts a sign-in. The attacker injects his own code, for {attacker}, into the victim's "
            "callback with the victim's own valid state, so the state check passes; the app redeems it with the "
            "victim's code_verifier.",
            "pkce",
            "Without PKCE the provider would redeem the code; the ID token's nonce would still refuse it here, but a "
            "client that asks for no ID token would sign the victim in as {attacker}.",
            "the victim would now be signed in as {attacker}",
            LOCAL_USERS,
        ),
        AttackInfo(
            4,
            "ID token replay (nonce)",
            "An earlier implicit sign-in of the victim ({victim}) left an ID token and an access token in a URL "
            "fragment (history, a log). The attacker starts an implicit sign-in of his own at this app and posts "
            "{victim}'s tokens with his own state.",
            "nonce",
            "Without the nonce, any ID token of {victim} that leaked once signs the attacker in as {victim} until it "
            "expires.",
            "the attacker would now be signed in as {victim}",
            LOCAL_USERS,
        ),
        AttackInfo(
            5,
            "Token substitution in the implicit flow (at_hash)",
            "The victim ({victim}) signs in with the implicit flow. The attacker, signed in as {attacker}, swaps the "
            "access token in the victim's redirect for his own, so the victim's page posts {victim}'s ID token "
            "beside {attacker}'s access token.",
            "at_hash",
            "Without at_hash the victim's page would act with {attacker}'s access token: what the victim saves "
            "through the API would land in {attacker}'s account.",
            "the victim's page would now call the API as {attacker}",
            LOCAL_USERS,
        ),
        AttackInfo(
            6,
            "A token minted for another app client (aud / client_id)",
            "Two tokens of this pool that are not for this app: {attacker}'s ID token from the browser-only app "
            "(another app client), and the machine client's client-credentials token, each posted to this app's "
            "sign-in check (POST /api/implicit/verify) as an ID token for this app.",
            "aud",
            "Without the audience check, any app of the pool (or anyone holding one of its tokens) could sign in "
            "here as its users, and a machine token could pass for a signed-in user.",
            "the attacker would be signed in here as {attacker} with a token issued to another app",
            "",
        ),
        AttackInfo(
            7,
            "Mix-up (the callback's iss, RFC 9207)",
            "The victim started a sign-in, but an authorization server the attacker runs answers it: its callback "
            "carries that server's code and names that server in iss.",
            "callback_iss",
            "Without the iss check the app cannot tell which server answered; in a mix-up it sends a code to the "
            "wrong token endpoint, and the attacker redeems the victim's code.",
            "the app would trade a code from https://attacker.example at this provider's token endpoint",
            "",
        ),
        AttackInfo(
            8,
            "Forged tokens at the API",
            "The attacker tries this app's API (GET /api/me) with forgeries of an access token: one bit of the "
            "signature flipped; the header set to alg none, with the user name changed to {victim}; a token signed "
            "with his own key under a key id this provider never published; and an expired token.",
            "signature",
            "Without the signature and alg checks anyone could write a token for any user; without exp, a token "
            "that leaked once would work forever.",
            "the API would answer as {victim}",
            "",
        ),
        AttackInfo(
            9,
            "Refresh-token replay after rotation",
            "The browser-only app keeps its refresh token in JavaScript, and an XSS copies it. The app then "
            "refreshes, and rotation hands it a new refresh token. After the grace period the attacker replays the "
            "stolen one.",
            "rotation",
            "Without rotation the stolen refresh token keeps minting fresh tokens for its whole life (30 days here).",
            "the attacker would get new tokens for {victim} every hour for 30 days",
            "It needs a scripted sign-in through a browser-only client that rotates its refresh tokens: with the "
            "local provider only.",
        ),
        AttackInfo(
            10,
            "Open redirect through redirect_uri",
            "The attacker hands the victim authorize links whose redirect_uri is almost the registered one: a path "
            "appended (a prefix match), a trailing slash, another port. A provider that matched loosely would send "
            "the victim's code there.",
            "redirect_uri",
            "Without exact matching, the provider would deliver the victim's code (or tokens) to a URL the "
            "attacker controls.",
            "the browser would land on the attacker's server with the victim's code",
            "It asks the provider to redirect to URIs nobody registered; against your pool the setup doctor "
            "probes the registered one. It runs with the local provider only.",
        ),
    )
}

# The dashboard's checks and the attack each one stops ("see the attack this check stops").
ATTACK_FOR_CHECK = {
    "nonce": 4,
    "at_hash": 5,
    "aud": 6,
    "client_id": 6,
    "iss": 7,
    "signature": 8,
    "alg": 8,
    "exp": 8,
}


def words(text: str, victim: str, attacker: str) -> str:
    """A sentence of the catalogue with the lab's two users named."""
    return text.replace("{victim}", victim).replace("{attacker}", attacker)
