"""The OpenAPI schema at a stable address, generated from the endpoints themselves."""

from django.utils import translation
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

# Generating the schema walks every endpoint (tens of milliseconds): once per process and
# language (the states' labels are translated), as the code cannot change under a process.
_generated: dict[str, dict] = {}


class Schema(SpectacularJSONAPIView):
    authentication_classes: list = []  # anyone, and a bad token does not hide it
    permission_classes = [AllowAny]

    def _get_schema_response(self, request: Request) -> Response:
        language = translation.get_language() or ""
        if language not in _generated:
            _generated[language] = super()._get_schema_response(request).data
        return Response(_generated[language])

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "public, max-age=3600"
        return response
