"""Email domains: normalising them, and which may never prove an organisation's authority."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Anyone can have an address at these, so an address there says nothing about who the signer
# works for. They can never be verified for an organisation.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk",
        "live.com", "msn.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "aol.com",
        "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me",
        "tutanota.com", "tuta.io", "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com",
        "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "sina.com",
        "zoho.com", "fastmail.com", "hushmail.com", "riseup.net", "posteo.de", "naver.com",
    }
)  # fmt: skip

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def normalise_domain(value: str) -> str:
    domain = value.strip().lower().removeprefix("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationError(_("Enter a valid domain, such as example.org.")) from exc
    if not _DOMAIN.match(domain):
        raise ValidationError(_("Enter a valid domain, such as example.org."))
    return domain


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def is_public_mail_domain(domain: str) -> bool:
    return domain in PUBLIC_MAIL_DOMAINS
