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
)


# Cognito answers CORS on the endpoints a browser app calls directly. AWS documents it for the
# token endpoint: it "returns an Access-Control-Allow-Origin: * response header", so a public
# client can complete the code grant with PKCE from a browser, and Cognito "doesn't support custom
# CORS origin policies" there:
#   https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
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
    prompt = (args.get("prompt") or "").split()
    session = pool().session(request.cookies.get(SESSION_COOKIE))
    if session and "login" not in prompt:
        return _complete(args, client, scopes, session)
    if "none" in prompt:
        return _error_redirect(args, OAuthError("login_required"))
    return redirect(_absolute(".login", **args))


def _checked_request(args: dict) -> tuple[dict, list[str]] | BaseResponse:
    """The client and scopes of the sign-in form's authorize request, or the error answer for it."""
    try:
        return pool().validate_authorize(args)
    except OAuthError as exc:
        if exc.error == "redirect_mismatch":
            return _error_page("redirect_mismatch", client_id=args.get("client_id"))
        return _error_redirect(args, exc)


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    args = _authorize_args()
    checked = _checked_request(args)
    if isinstance(checked, BaseResponse):
        return checked
    client, scopes = checked
    message = ""
    if request.method == "POST":
        sent, cookie = request.form.get("_csrf", ""), request.cookies.get(XSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            message = "Your sign-in form expired. Please try again."
        else:
            user = pool().check_password(request.form.get("username", ""), request.form.get("password", ""))
            if user is None:
                message = "Incorrect username or password."
            elif pool().needs_new_password(user):
                return _new_password_page(args, client, pool().begin_password_change(user["username"]))
            else:
                return _signed_in(args, client, scopes, user["username"])
    csrf = secrets.token_urlsafe(24)
    html = render_template(
        "login.html",
        args=args,
        client=client,
        csrf=csrf,
        message=message,
        demo_users=[(u["username"], u["password"]) for u in pool().config["users"]],
        username=request.form.get("username") or args.get("login_hint", ""),
    )
    response = Response(html, status=400 if message else 200, mimetype="text/html")
    response.set_cookie(XSRF_COOKIE, csrf, httponly=True, samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    return response


def _new_password_page(args: dict, client: dict, token: str, message: str = "") -> Response:
    """FORCE_CHANGE_PASSWORD: the temporary password was right; the user sets a new one before signing in."""
    csrf = secrets.token_urlsafe(24)
    html = render_template("new_password.html", args=args, client=client, csrf=csrf, token=token, message=message)
    response = Response(html, status=400 if message else 200, mimetype="text/html")
    response.set_cookie(XSRF_COOKIE, csrf, httponly=True, samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/login/new-password")
def new_password() -> BaseResponse:
    args = _authorize_args()
    checked = _checked_request(args)
    if isinstance(checked, BaseResponse):
        return checked
    client, scopes = checked
    token = request.form.get("np_token", "")
    sent, cookie = request.form.get("_csrf", ""), request.cookies.get(XSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        return _new_password_page(args, client, token, "Your form expired. Please try again.")
    user, problem = pool().change_password(
        token, request.form.get("new_password", ""), request.form.get("confirm_password", "")
    )
    if user is None:
        return _new_password_page(args, client, token, problem)
    return _signed_in(args, client, scopes, user["username"])


def _signed_in(args: dict, client: dict, scopes: list[str], username: str) -> BaseResponse:
    """A provider session for `username`, and the browser sent back to the app with a code or tokens."""
    sid = pool().start_session(username)
    session = pool().session(sid)
    assert session is not None, "a session just started is live"
    response = _complete(args, client, scopes, session)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax")
    response.delete_cookie(XSRF_COOKIE)
    return response


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
