from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .roles import is_moderator, is_staff_role

# Where a staff member without 2FA may still go: enrolment itself, leaving, and the account
# pages enrolment may pass through (re-authentication, email verification).
ALLOWED_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_generate_recovery_codes",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "account_logout",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
        "account_email_verification_sent",
        "account_confirm_email",
        "account_email",
        "set_language",
    }
)


class StaffMustUseTwoFactorMiddleware:
    """Staff (coordinators, moderators, admin users) must enrol in 2FA before using the site.

    allauth.mfa has no switch for this (DESIGN.md §7). A staff session without an
    authenticator is sent to the enrolment page for anything but enrolment itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not is_staff_role(user):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ALLOWED_URL_NAMES:
            return None
        if is_mfa_enabled(user):
            return None
        if user.is_staff or user.is_superuser or is_moderator(user):
            reason = _(
                "Your account can moderate signatures or use the admin, so it must be "
                "protected by two-factor authentication. Set up an authenticator app to "
                "continue."
            )
        else:
            reason = _(
                "Your account coordinates letters, so it must be protected by two-factor "
                "authentication. Set up an authenticator app to continue."
            )
        messages.warning(request, reason)
        return redirect("mfa_activate_totp")


class LoginThrottleStatusMiddleware:
    """A login refused by the failed-login throttle (accounts.adapters) is answered 429 Too
    Many Requests, with allauth's form and its message, so clients and proxies can tell a
    throttle from a wrong password."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "login_throttled", False) and response.status_code == 200:
            response.status_code = 429
        return response
