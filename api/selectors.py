"""Reads of personal API tokens."""

from django.db.models import QuerySet

from accounts.models import User

from .models import ApiToken, hash_secret


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included (for the record)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable token whose secret this is, with its user, or None: one query."""
    return (
        ApiToken.objects.usable()
        .select_related("user")
        .filter(secret_hash=hash_secret(secret), user__is_active=True)
        .first()
    )
