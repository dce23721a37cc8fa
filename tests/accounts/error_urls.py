"""The site's URLs plus views that fail on purpose, for the error-page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    *urlpatterns,
    path("test-errors/forbidden/", forbidden),
    path("test-errors/broken/", broken),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
