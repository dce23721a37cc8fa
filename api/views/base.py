"""What every endpoint shares: GET only, JSON, the token, the rate limit; public answers
with an ETag and a public Cache-Control, token answers private and never stored."""

import hashlib

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import serializers
from ..models import ApiToken

# Part of every ETag: bump it when an answer's shape changes, so no client keeps an old one.
ETAG_SCHEMA = 1
PUBLIC_CACHE_CONTROL = "public, max-age=60"
PRIVATE_CACHE_CONTROL = "private, no-store"


class HasToken(BasePermission):
    """A personal API token was sent (and TokenAuthentication accepted it)."""

    def has_permission(self, request: Request, view) -> bool:
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated
        return True


class Endpoint(APIView):
    http_method_names = ["get", "head"]


class PublicEndpoint(Endpoint):
    """The same answer for everyone (a token changes nothing here): ETag, 304, public cache."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code in (200, 304):
            response["Cache-Control"] = PUBLIC_CACHE_CONTROL
        return response


class TokenEndpoint(Endpoint):
    """Records for the token's user only: private, never stored by any cache."""

    permission_classes = [HasToken]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        response["Vary"] = "Authorization"
        return response


def etag(request: Request, *stamp: object) -> str:
    """A strong ETag for the answer to this path and query, made of what it is read from."""
    material = ":".join(str(part) for part in (ETAG_SCHEMA, request.get_full_path(), *stamp))
    return '"' + hashlib.sha256(material.encode()).hexdigest()[:32] + '"'


def not_modified(request: Request, tag: str) -> Response | None:
    """304 if the client holds this very answer (If-None-Match), else None."""
    held = request.headers.get("If-None-Match", "")
    if held.strip() == "*" or tag in {t.strip().removeprefix("W/") for t in held.split(",")}:
        response = Response(status=304)
        response["ETag"] = tag
        return response
    return None


def with_etag(response: Response, tag: str) -> Response:
    response["ETag"] = tag
    return response


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def public_responses(ok) -> dict:
    """The answers of a public endpoint, for the schema."""
    return {
        200: ok,
        304: OpenApiResponse(description="Not modified: the answer of the ETag sent."),
        401: OpenApiResponse(serializers.ErrorSerializer, description="A bad token was sent."),
        404: OpenApiResponse(serializers.ErrorSerializer, description="No such public letter."),
        429: OpenApiResponse(serializers.ErrorSerializer, description=RATE_LIMITED),
    }


def token_responses(ok) -> dict:
    """The answers of an endpoint for token holders, for the schema."""
    return {
        200: ok,
        401: OpenApiResponse(serializers.ErrorSerializer, description="No token, or a bad one."),
        404: OpenApiResponse(
            serializers.ErrorSerializer,
            description="No such letter, or not one whose records the token may read.",
        ),
        429: OpenApiResponse(serializers.ErrorSerializer, description=RATE_LIMITED),
    }


RATE_LIMITED = "Too many requests: wait the seconds of the Retry-After header."
