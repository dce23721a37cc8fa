from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.html import strip_tags

from core.locale import supported, with_language
from core.ratelimit import client_key
from outbox.rendering import RenderedEmail
from outbox.services import queue_email

from .roles import is_coordinator, is_moderator


@dataclass(frozen=True)
class SiteOfSettings:
    """What allauth's templates read from `current_site`, taken from settings."""

    domain: str
    name: str


class AccountAdapter(DefaultAccountAdapter):
    """Links in account emails point at SITE_URL, not at whatever Host header arrived; and
    every allauth email goes through the outbox like any other (DESIGN.md §6)."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """After login, each role lands where its work is: moderators on the moderation queue,
        coordinators on their dashboard, everyone else on the home page. A `next` the login was
        asked with (a page that needed it) wins over this, as allauth does."""
        user = request.user
        if is_moderator(user) and user.is_staff:
            return reverse("admin:letters_pendingsignature_changelist")
        if is_coordinator(user):
            return reverse("letters:dashboard")
        return super().get_login_redirect_url(request)

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation) -> str:
        url = super().get_email_confirmation_url(request, emailconfirmation)
        return self._on_site(url)

    def get_reset_password_from_key_url(self, key: str) -> str:
        return self._on_site(super().get_reset_password_from_key_url(key))

    @staticmethod
    def _on_site(url: str) -> str:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return f"{settings.SITE_URL}{path}"

    @classmethod
    def _site_context(cls, context: dict) -> dict:
        """The context an account email is rendered with names the public site only: a
        request's Host header is the sender's to choose (any of ALLOWED_HOSTS, or a proxy's
        idea of it), and a greeting or link built from it would carry that choice into an
        email to someone else. Every absolute link allauth built from the request is moved
        onto SITE_URL; the site's name and domain come from settings."""
        site = SiteOfSettings(domain=urlsplit(settings.SITE_URL).netloc, name="Undersigned")
        moved = {
            key: cls._on_site(value)
            if isinstance(value, str) and value.startswith(("http://", "https://"))
            else value
            for key, value in context.items()
        }
        return moved | {"current_site": site, "site_url": settings.SITE_URL}

    # --- Failed logins -------------------------------------------------------------------
    # settings.ACCOUNT_RATE_LIMITS: "login_failed" counts per client address (all accounts)
    # and per client address *and* account ("key" below); "login_failed_account" counts per
    # account across addresses. Someone typing wrong passwords for a known staff address
    # throttles only their own address; a guess spread over many addresses stops the password
    # alone, while the holder of the password *and* the second factor still gets in.

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        return f"{client_key(request)}:{_login_of(credentials)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            mark_login_throttled(request)
            raise

    def authenticate(self, request: HttpRequest, **credentials: Any):
        user = super().authenticate(request, **credentials)
        account = _login_of(credentials)
        if user is None:
            ratelimit.consume(request, action="login_failed_account", key=account)
            return None
        under_attack = not ratelimit.consume(
            request, action="login_failed_account", key=account, dry_run=True
        )
        if under_attack and not is_mfa_enabled(user):
            mark_login_throttled(request)
            raise self.validation_error("too_many_login_attempts")
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Sign-up confirmation, password reset, account notices: rendered here with allauth's
        templates (templates/account/email/<name>_subject.txt, _message.txt, _message.html),
        queued in the request's transaction, sent by the worker after commit, never in the
        request. The kind is the template prefix, so the admin shows which email it is."""
        request = allauth_context.request
        # The account's language if it chose one (a password reset asked for from a page in
        # another language still reaches its owner in theirs), else the page's.
        user = context.get("user")
        language = supported(getattr(user, "language", "")) or translation.get_language()
        context = self._site_context({"request": request, "email": email} | context)
        if language and language != settings.LANGUAGE_CODE:
            # Its links open the pages in the language the email is written in.
            context = {
                key: with_language(value, language)
                if isinstance(value, str) and value.startswith(settings.SITE_URL)
                else value
                for key, value in context.items()
            }
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        if message.content_subtype == "html":  # a project template with no text part
            rendered = RenderedEmail(message.subject, strip_tags(message.body), message.body)
        else:
            html = next((c for c, mimetype in message.alternatives if mimetype == "text/html"), "")
            rendered = RenderedEmail(message.subject, message.body.strip() + "\n", html)
        queue_email(
            kind=template_prefix,
            to=email,
            context={},
            dedupe_key=dedupe_key(template_prefix, email, rendered),
            rendered=rendered,
            language=language,
        )


def _login_of(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email", credentials.get("username", ""))).lower()


def mark_login_throttled(request: HttpRequest) -> None:
    """The login page is answered 429 (accounts.middleware.LoginThrottleStatusMiddleware)."""
    request.login_throttled = True  # type: ignore[attr-defined]


def dedupe_key(template_prefix: str, email: str, rendered: RenderedEmail) -> str:
    """allauth's emails have no natural key. The same email to the same address within the
    same minute is a double submit and is queued once; a new link (each password reset, each
    confirmation carries its own key) is a new email. A keyed hash: the key outlives the body,
    which holds the link's secret, and must not let anyone recover it."""
    content = "\0".join(
        [
            email.lower(),
            rendered.subject,
            rendered.text,
            rendered.html,
            timezone.now().strftime("%Y-%m-%dT%H:%M"),
        ]
    )
    digest = salted_hmac("accounts.adapters.dedupe_key", content, algorithm="sha256").hexdigest()
    return f"{template_prefix}:{digest[:40]}"
