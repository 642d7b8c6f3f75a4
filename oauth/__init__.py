"""The OAuth 2.0 / OIDC client side of Cognito Flow Lab, as plain functions and small classes.

Nothing here imports Flask: views call these functions, and tests can call them
without a request.
"""
