"""Changes to an account that are not allauth's (which owns email, password and 2FA)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.locale import supported

from .models import User


def set_account_language(*, user: User, language: str) -> User:
    """Save the interface language `user` chose: their pages after login and their account's
    emails use it. An unknown language raises ValidationError and changes nothing; choosing
    the language already saved writes nothing."""
    code = supported(language)
    if code is None or code != language.strip().lower():
        raise ValidationError(_("That language is not available."), code="language")
    if user.language != code:
        user.language = code
        user.save(update_fields=["language"])
    return user
