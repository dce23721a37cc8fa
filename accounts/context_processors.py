from django.http import HttpRequest

from . import roles as role_checks


def roles(request: HttpRequest) -> dict[str, bool]:
    """What the navigation needs to know about the visitor's roles."""
    # An error page for a request refused before authentication (a bad Host header) has no
    # request.user: render it as for an anonymous visitor.
    user = getattr(request, "user", None)
    if user is None:
        return {"user_is_coordinator": False, "user_is_moderator": False}
    return {
        "user_is_coordinator": role_checks.is_coordinator(user),
        "user_is_moderator": role_checks.is_moderator(user),
    }
