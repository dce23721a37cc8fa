"""The OpenAPI schema at a stable address, generated from the endpoints themselves."""

from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import AllowAny


class Schema(SpectacularJSONAPIView):
    authentication_classes: list = []  # anyone, and a bad token does not hide it
    permission_classes = [AllowAny]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "public, max-age=3600"
        return response
