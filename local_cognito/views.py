"""HTTP endpoints of the local provider, shaped like Cognito's hosted UI and issuer."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import unquote_plus, urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from .lockout import EXCEEDED, Lockouts
from .pool import OAuthError, Pool

bp = Blueprint("cognito", __name__)
SESSION_COOKIE = "cognito"
XSRF_COOKIE = "XSRF-TOKEN"
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "acr_values",
    "max_age",
    "identity_provider",
    "idp_identifier",
)


# Cognito answers CORS on the endpoints a browser app calls directly. AWS documents it for the
# token endpoint: it "returns an Access-Control-Allow-Origin: * response header", so a public
# client can complete the code grant with PKCE from a browser, and Cognito "doesn't support custom
# CORS origin policies" there:
#   https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
# For /oauth2/userInfo and /oauth2/revoke no AWS page documents CORS (their pages say apps call them
# "directly and not through a browser"): unconfirmed. This provider answers them with CORS so the
# browser-only page works offline, and docs/screens.md and that page say that a real pool may not.
# The header must be on every answer, errors included: without it the browser hides a 400/401 as
# an opaque network error (a public report: https://github.com/aws-amplify/amplify-js/issues/8152).
# An older report (https://github.com/amazon-archives/amazon-cognito-auth-js/issues/113) shows the
# token endpoint echoing the request's Origin (`null` for a file:// page); `*` is what AWS documents
# today, and for these credential-less requests both let any origin read the answer.
CORS_METHODS = {"/oauth2/token": "POST", "/oauth2/userInfo": "GET, POST", "/oauth2/revoke": "POST"}
CORS_ALLOW_HEADERS = "Authorization, Content-Type"
CORS_MAX_AGE = "600"


@bp.after_request
def _cors(response: Response) -> Response:
    """Access-Control-Allow-Origin: * on the preflight and on the actual answer, errors included."""
    methods = CORS_METHODS.get(request.path)
    if methods is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        response.status_code = 204
        response.set_data(b"")
        response.headers["Access-Control-Allow-Methods"] = methods + ", OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    return response


def pool() -> Pool:
    return current_app.extensions["local_cognito"]


def lockouts() -> Lockouts:
    return current_app.extensions["local_cognito_lockout"]


CROSS_ORIGIN = (
    "This sign-in form was posted from another page (another site, or another port of this host), "
    "not from this one. Nothing was signed in: sign in on this page."
)


def _same_origin() -> bool:
    """The sign-in POST came from this provider's own page. Cookies ignore ports, so the XSRF cookie
    alone cannot tell: a page on another port of the same host can set it and post the form (a
    `same-site` request, not `cross-site`). Sec-Fetch-Site, when the browser sends it, must be
    `same-origin`; an Origin header must be this origin (`null` is sent by no-referrer pages)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("Origin")
    return origin in (None, "null") or origin == request.host_url.rstrip("/")


def _with_params(uri: str, params: dict, fragment: bool = False) -> str:
    sep = "#" if fragment else ("&" if "?" in uri else "?")
    return uri + sep + urlencode({k: v for k, v in params.items() if v is not None})


def _absolute(endpoint: str, **values: str | None) -> str:
    """Absolute URLs on the provider's own base, as Cognito's hosted UI sends."""
    return pool().base_url + url_for(endpoint, _external=False, **values)


def _error_redirect(args: dict, error: OAuthError) -> BaseResponse:
    params = {"error": error.error, "error_description": error.description or None}
    params["state"] = args.get("state")
    return redirect(_with_params(args["redirect_uri"], params))


def _error_page(error: str, status: int = 400, client_id: str | None = None) -> Response:
    html = render_template("error.html", error=error, client_id=client_id)
    return Response(html, status=status, mimetype="text/html")


def _authorize_args() -> dict:
    source = request.form if request.method == "POST" else request.args
    return {k: source.get(k) for k in AUTHORIZE_PARAMS if source.get(k) is not None}


def _complete(args: dict, client: dict, scopes: list[str], session: dict) -> BaseResponse:
    """Send the browser back to the app with a code (query) or tokens (fragment)."""
    p = pool()
    if args["response_type"] == "code":
        code = p.issue_code(client, scopes, args, session)
        return redirect(_with_params(args["redirect_uri"], {"code": code, "state": args.get("state")}))
    tokens = p.implicit_tokens(client, scopes, args, session)
    tokens["state"] = args.get("state")
    return redirect(_with_params(args["redirect_uri"], tokens, fragment=True))


@bp.get("/oauth2/authorize")
def authorize() -> BaseResponse:
    args = _authorize_args()
    try:
        client, scopes = pool().validate_authorize(args)
    except OAuthError as exc:
        if exc.error == "redirect_mismatch":
            return redirect(_absolute(".error", error="redirect_mismatch", client_id=args.get("client_id")))
        return _error_redirect(args, exc)
    try:
        idp = pool().identity_provider(args, client)
    except OAuthError as exc:
        return _error_redirect(args, exc)
    if idp is not None:  # federation: managed login is skipped, the user signs in at the IdP
        return redirect(_absolute(".external_login", name=idp["name"], **args))
    prompt = (args.get("prompt") or "").split()
    session = pool().session(request.cookies.get(SESSION_COOKIE))
    try:
        needs = pool().step_up(args, session)  # acr_values / max_age (stepup.py)
    except OAuthError as exc:
        return _error_redirect(args, exc)
    if session and "login" not in prompt and needs is None:
        return _complete(args, client, scopes, session)
    if "none" in prompt:
        return _error_redirect(args, OAuthError("login_required"))
    if needs == "totp" and "login" not in prompt:
        return redirect(_absolute("stepup.totp", **args))
    return redirect(_absolute(".login", **args))


def page_request(args: dict) -> tuple[dict, list[str]] | BaseResponse:
    """The client and scopes of a sign-in page's authorize parameters, or the answer to bad ones."""
    try:
        return pool().validate_authorize(args)
    except OAuthError as exc:
        if exc.error == "redirect_mismatch":
            return _error_page("redirect_mismatch", client_id=args.get("client_id"))
        return _error_redirect(args, exc)


EXPIRED = "Your sign-in form expired. Please try again."


def form_refusal() -> tuple[str, int] | None:
    """Why a posted sign-in form is refused (message, status), or None: it must come from this
    provider's own page and carry the anti-forgery value its page set in the XSRF cookie."""
    if not _same_origin():
        return CROSS_ORIGIN, 403
    sent, cookie = request.form.get("_csrf", ""), request.cookies.get(XSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        return EXPIRED, 400
    return None


def form_page(template: str, message: str, status: int = 400, **values: object) -> Response:
    """A sign-in form page (`status` with `message`), never cached, with the browser's anti-forgery value
    (cookie and hidden field). One value per browser, kept across forms and sign-ins: a form opened in a
    second tab no longer replaces the first tab's, so both can sign in."""
    csrf = _xsrf_value(request.cookies.get(XSRF_COOKIE)) or secrets.token_urlsafe(24)
    html = render_template(template, csrf=csrf, message=message, **values)
    response = Response(html, status=status if message else 200, mimetype="text/html")
    response.set_cookie(XSRF_COOKIE, csrf, httponly=True, samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    args = _authorize_args()
    checked = page_request(args)
    if not isinstance(checked, tuple):
        return checked
    client, scopes = checked
    message, status = "", 400
    if request.method == "POST":
        username = request.form.get("username", "")
        refusal = form_refusal()
        if refusal is not None:
            message, status = refusal
        elif lockouts().locked(username):
            message = EXCEEDED
        else:
            user = pool().check_password(username, request.form.get("password", ""))
            if user is None:
                lockouts().failed(username)
                message = "Incorrect username or password."
            else:
                lockouts().succeeded(username)
                if pool().needs_new_password(user):
                    return _new_password_page(args, client, pool().begin_password_change(user["username"]))
                return _signed_in(user["username"], args, client, scopes)
    return form_page(
        "login.html",
        message,
        status,
        args=args,
        client=client,
        demo_users=[(u["username"], u["password"]) for u in pool().config["users"]],
        username=request.form.get("username") or args.get("login_hint", ""),
    )


def _after_password(args: dict, client: dict, scopes: list[str], session: dict) -> BaseResponse:
    """Back to the app, or on to the authenticator-code step when acr_values asks for more (stepup.py)."""
    try:
        needs = pool().step_up(args, session)
    except OAuthError as exc:
        return _error_redirect(args, exc)
    if needs == "totp":
        return redirect(_absolute("stepup.totp", **args))
    return _complete(args, client, scopes, session)


def _xsrf_value(cookie: str | None) -> str | None:
    """This browser's anti-forgery value when it has one of the shape this provider makes, else None."""
    return cookie if cookie and len(cookie) == 32 and cookie.replace("-", "").replace("_", "").isalnum() else None


def _signed_in(username: str, args: dict, client: dict, scopes: list[str]) -> BaseResponse:
    """Start the pool's sign-in session for `username` and answer the app's authorize request."""
    sid = pool().start_session(username)
    session = pool().session(sid)
    assert session is not None, "a session just started is live"
    response = _after_password(args, client, scopes, session)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax")
    return response


@bp.route("/external-idp/<name>/login", methods=["GET", "POST"])
def external_login(name: str) -> BaseResponse:
    """The emulated external IdP's own sign-in page (a real one lives on its own domain). On success it
    sends the browser back to the pool's /oauth2/idpresponse with a code of its own, as an IdP does."""
    args = _authorize_args()
    idp = pool().external_idp(name)
    try:
        client, _ = pool().validate_authorize(args)
    except OAuthError as exc:
        return _error_page(exc.error, client_id=args.get("client_id"))
    if idp is None or pool().identity_provider({**args, "identity_provider": name}, client) is None:
        return _error_page("invalid_request", client_id=client["client_id"])
    message, status = "", 400
    if request.method == "POST":
        refusal = form_refusal()
        username, password = request.form.get("username", ""), request.form.get("password", "")
        user = pool().check_external(idp, username, password) if refusal is None else None
        if refusal is not None:
            message, status = refusal
        elif user is None:
            message = "Incorrect username or password."
        else:
            code = pool().issue_idp_code(idp, user, args)
            return redirect(_absolute(".idpresponse", code=code))
    return form_page(
        "external_login.html", message, status, idp=idp, args=args, username=request.form.get("username", "")
    )


@bp.get("/oauth2/idpresponse")
def idpresponse() -> BaseResponse:
    """Where an IdP sends the browser back to the pool (FED lists /oauth2/idpresponse): the pool links the
    IdP's user to a user of its own, starts its session, and answers the app's authorize request."""
    taken = pool().take_idp_code(request.args.get("code"))
    if taken is None:
        return _error_page("invalid_request")
    idp, external, args = taken
    try:
        client, scopes = pool().validate_authorize(args)
    except OAuthError as exc:
        return _error_page(exc.error, client_id=args.get("client_id"))
    return _signed_in(pool().federated_user(idp, external)["username"], args, client, scopes)


def _new_password_page(args: dict, client: dict, token: str, message: str = "", status: int = 400) -> Response:
    """FORCE_CHANGE_PASSWORD: the temporary password was right; the user sets a new one before signing in."""
    return form_page("new_password.html", message, status, args=args, client=client, token=token)


@bp.post("/login/new-password")
def new_password() -> BaseResponse:
    args = _authorize_args()
    checked = page_request(args)
    if not isinstance(checked, tuple):
        return checked
    client, scopes = checked
    token = request.form.get("np_token", "")
    refusal = form_refusal()
    if refusal is not None:
        return _new_password_page(args, client, token, *refusal)
    user, problem = pool().change_password(
        token, request.form.get("new_password", ""), request.form.get("confirm_password", "")
    )
    if user is None:
        return _new_password_page(args, client, token, problem)
    return _signed_in(user["username"], args, client, scopes)


@bp.get("/error")
def error() -> Response:
    return _error_page(request.args.get("error", "invalid_request"), 400, request.args.get("client_id"))


def _json_error(exc: OAuthError) -> Response:
    response = jsonify(exc.as_json())
    response.status_code = exc.status
    return response


def _authenticate_client() -> dict:
    """client_secret_basic (id and secret form-urlencoded, RFC 6749 §2.3.1) or client_secret_post."""
    auth = request.authorization
    basic = None
    if auth is not None:
        if auth.type != "basic":
            raise OAuthError("invalid_client", "unsupported Authorization scheme")
        basic = (unquote_plus(auth.username or ""), unquote_plus(auth.password or ""))
    return pool().authenticate_client(basic, request.form)


@bp.post("/oauth2/token")
def token() -> Response:
    p = pool()
    try:
        if not request.mimetype == "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "Content-Type must be x-www-form-urlencoded")
        client = _authenticate_client()
        body = p.token(client, request.form)
        response = jsonify(body)
    except OAuthError as exc:
        response = _json_error(exc)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/oauth2/userInfo", methods=["GET", "POST"])
def userinfo() -> Response:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response = Response(status=400)
        response.headers["WWW-Authenticate"] = (
            'error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"'
        )
        return response
    try:
        info = pool().userinfo(token.strip())
    except OAuthError:
        response = Response(status=401)
        response.headers["WWW-Authenticate"] = (
            'error="invalid_token", error_description="Access token is expired, disabled, '
            'or deleted, or the user has globally signed out."'
        )
        return response
    response = jsonify(info)
    response.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
    return response


@bp.post("/oauth2/revoke")
def revoke() -> Response:
    p = pool()
    try:
        try:
            client = _authenticate_client()
        except OAuthError as exc:
            raise OAuthError(exc.error, exc.description, status=401) from None
        p.revoke(client, request.form.get("token"))
    except OAuthError as exc:
        return _json_error(exc)
    return Response(status=200)


@bp.get("/logout")
def logout() -> BaseResponse:
    p = pool()
    client = p.client(request.args.get("client_id"))
    logout_uri = request.args.get("logout_uri")
    redirect_uri = request.args.get("redirect_uri")
    if client is None:
        return _error_page("invalid_request", client_id=request.args.get("client_id"))
    if logout_uri:
        if logout_uri not in client["logout_urls"]:
            return _error_page("redirect_mismatch", client_id=client["client_id"])
        p.end_session(request.cookies.get(SESSION_COOKIE))
        response = redirect(logout_uri)
        response.delete_cookie(SESSION_COOKIE)
        return response
    if redirect_uri:
        p.end_session(request.cookies.get(SESSION_COOKIE))
        response = redirect(_absolute(".login", **_authorize_args()))
        response.delete_cookie(SESSION_COOKIE)
        return response
    return _error_page("invalid_request", client_id=client["client_id"])


@bp.get("/<pool_id>/.well-known/openid-configuration")
def discovery(pool_id: str) -> Response:
    p = pool()
    if pool_id != p.config["pool_id"]:
        return _json_error(OAuthError("ResourceNotFoundException", status=404))
    base = p.base_url
    return jsonify(
        {
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "end_session_endpoint": f"{base}/logout",
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": p.issuer,
            "jwks_uri": f"{p.issuer}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "token_endpoint": f"{base}/oauth2/token",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "userinfo_endpoint": f"{base}/oauth2/userInfo",
        }
    )


@bp.get("/<pool_id>/.well-known/jwks.json")
def jwks(pool_id: str) -> Response:
    p = pool()
    if pool_id != p.config["pool_id"]:
        return _json_error(OAuthError("ResourceNotFoundException", status=404))
    return jsonify(p.keys.jwks())
