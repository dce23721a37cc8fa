"""The read API's one way in: a personal API token in the Authorization header.

No session authentication: the API is read-only and for programs; with no cookie accepted,
no page of another site can make a signed-in browser read it (no CSRF surface). A request
without the header is anonymous and reads what the public may read. A header with a token
that is unknown, revoked, expired or whose user is inactive is refused (401), never treated
as anonymous: a client with a bad token must learn it.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import User

from . import selectors, services
from .models import ApiToken

KEYWORDS = ("Bearer", "Token")


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header:
            return None
        if len(header) != 2 or header[0] not in KEYWORDS:
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>.")
            )
        token = selectors.token_for_secret(header[1])
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, revoked or expired token."))
        services.note_use(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, created under Account → API tokens.",
        }
