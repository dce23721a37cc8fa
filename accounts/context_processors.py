from django.http import HttpRequest

from . import roles as role_checks


def roles(request: HttpRequest) -> dict[str, bool]:
    """What the navigation needs to know about the visitor's roles."""
    user = request.user
    return {
        "user_is_coordinator": role_checks.is_coordinator(user),
        "user_is_moderator": role_checks.is_moderator(user),
    }
