"""Every change to personal API tokens: create, revoke, note a use."""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, TransitionError

from .models import ApiToken, hash_secret

# What every secret starts with: a leaked one is recognisable (secret scanners, logs).
SECRET_PREFIX = "und_"  # noqa: S105 (a marker, not a secret)
# Characters of the secret kept in clear to tell tokens apart: the marker and 8 random ones.
SHOWN_PREFIX_LENGTH = len(SECRET_PREFIX) + 8
MAX_TOKENS_PER_USER = 20
# A use is written at most this often per token: one request in many writes.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def create_token(*, user: User, name: str, expires_at: dt.datetime | None = None) -> NewToken:
    """A new token for `user`: its secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name."))
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry date must be in the future."))
    # Serialise a user's creations: the limit below holds under concurrent requests.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user).usable().count() >= MAX_TOKENS_PER_USER:
        raise DomainError(
            _("You have %(count)d active tokens, the most allowed: revoke one first.")
            % {"count": MAX_TOKENS_PER_USER}
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        expires_at=expires_at,
    )
    record_event(
        action=Action.API_TOKEN_CREATED,
        actor=user,
        target=token,
        data={"name": name, "prefix": token.prefix},
    )
    return NewToken(token=token, secret=secret)


@transaction.atomic
def revoke_token(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke `token` for good. Only its owner may; a revoked token cannot be revoked again."""
    if token.user_id != actor.pk:
        raise DomainError(_("This token is not yours."))
    now = timezone.now()
    won = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    if not won:
        raise TransitionError(_("This token was already revoked."))
    token.revoked_at = now
    record_event(
        action=Action.API_TOKEN_REVOKED,
        actor=actor,
        target=token,
        data={"name": token.name, "prefix": token.prefix},
    )
    return token


def note_use(*, token: ApiToken) -> None:
    """Record that `token` was used now, at most once a minute per token (one conditional
    UPDATE): the user's list shows when each token was last used."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
