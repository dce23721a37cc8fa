"""The accessibility gate (issue 15): every page of every role in the demo, in Chromium, at 1280
and 390 px, including pages with a flash message and forms in error. A page fails the gate on

- an axe violation of serious or critical impact (tests/e2e/axe.py),
- a console error (a script error, a CSP violation, a resource that failed to load),
- a request to any host but the site's own (no third party, ever),
- being wider than the viewport (something a phone would have to scroll sideways to read),
- an answer other than the one expected (a 500, a 403 where the role should get the page),

and the Nu HTML Checker (vnu.jar, `scripts/fetch_vnu.py`, run once on Java over every page's
HTML) must report no error on them. Every problem of the crawl is collected and reported in one
failure, page by page.

The pages come from the demo (`load_demo`: the same data `make run` serves), in each demo user's
own language — Tibetan for the signer, Uyghur (right to left) for the second signer, Traditional
Chinese for the moderator — and from a few things the demo has no example of (a reconfirmation,
a lead request, a CSV import being previewed), made through the services. Which named URL each
page stands for is checked against the project's URL patterns: a new pattern is either crawled
or listed in EXCLUDED with the reason (test_every_url_pattern_is_crawled_or_excused, no browser).
The list of pages is in the README (Accessibility gate).
"""

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.accounts.conftest import totp_code
from tests.conftest import skip_or_fail
from tests.e2e.axe import axe_violations, format_violations

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "var" / "vnu" / "vnu.jar"
WIDTHS = (1280, 390)
PASSWORD = "undersigned-demo"
DEMO = "demo.undersigned.test"


@dataclass
class Visit:
    """One page of the crawl: who, where, what answer, and what to do on it before checking
    (fill a form and submit it, to see the page in error or with its flash message)."""

    role: str
    name: str  # the URL pattern it stands for (test_every_url_pattern_is_crawled_or_excused)
    path: str
    status: int = 200
    action: Callable | None = None  # page -> None: submits something; the result is checked
    label: str = ""

    def title(self) -> str:
        return f"{self.role} {self.path}{f' ({self.label})' if self.label else ''}"


@dataclass
class Problems:
    found: list[str] = field(default_factory=list)

    def add(self, visit: Visit, width: int | None, what: str) -> None:
        self.found.append(f"{visit.title()}{f' @{width}px' if width else ''}: {what}")


# --- The demo, and what it has no example of ---------------------------------------------------


def _world() -> dict:
    """load_demo, then through the services: a signature that must re-confirm a new version, a
    lead request to the signer's organisation, a CSV import being previewed."""
    from letters import services, tokens
    from letters.demo import DEMO_PASSWORD, load_demo
    from letters.models import Invitation, Letter, LetterVersion, Signature
    from letters.services.signatures import _fingerprint
    from organisations.models import Organisation
    from tests.letters.invitation_helpers import upload

    assert DEMO_PASSWORD == PASSWORD
    result = load_demo()
    roles = {"signer (second organisation)": "signer2", "superuser": "admin"}
    users = {roles.get(spec.role, spec.role): user for spec, user in result.users}
    seed, draft, published, embargoed = result.letters[:4]
    coordinator = users["coordinator"]
    free_tibet = Organisation.objects.get(slug="free-tibet")

    crawl = services.create_letter(
        author=coordinator,
        title="Protect Tibetan students abroad",
        body="We ask universities to **protect** Tibetan students.\n\n## What we ask\n\nListen.",
        recipient="University presidents",
        sign_on_mode=Letter.SignOnMode.OPEN,
    )
    services.open_letter(letter=crawl, actor=coordinator)
    signed = services.sign_letter(
        letter=crawl,
        organisation=services.OrganisationChoice(new_name="Crawl Test Rights", based_in="Oslo"),
        signer_name="Kunga Tsering",
        signer_email="kunga@crawl.example.org",
        consent=True,
    )
    services.confirm_signature(signature=signed)
    services.update_letter(
        letter=crawl,
        actor=coordinator,
        body="We ask universities to **protect** Tibetan students and [their families]"
        "(https://example.org/families).\n\n## What we ask\n\nListen, and act.",
        substantive=True,
        note="Families added",
    )
    version = LetterVersion.objects.get(letter=crawl, is_current=True)
    lead = services.request_lead(letter=seed, actor=coordinator, organisation=free_tibet)
    upload(seed, coordinator, (ROOT / "docs/examples/invitations-50-contacts.csv").read_text())

    def signature_of(letter, status) -> Signature:
        return Signature.objects.filter(letter=letter, status=status).order_by("pk").first()

    approved = signature_of(seed, "approved")
    pending = signature_of(seed, "pending_confirmation")
    published_signature = signature_of(published, "approved")
    invitation = (
        Invitation.objects.filter(letter=seed, status__in=["sent", "queued"])
        .exclude(token_seed="")
        .order_by("pk")
        .first()
    )
    token = tokens.make_signature_token
    webhook = _webhook_of(seed)
    return {
        "users": users,
        "seed": seed,
        "draft": draft,
        "published": published,
        "response": published.responses.get(),  # the demo's recipient answered
        "embargoed": embargoed,
        "crawl": crawl,
        "free_tibet": free_tibet,
        "lead": lead,
        "import": seed.invitation_imports.get(),
        "pending_signature": signature_of(seed, "pending_review"),
        "confirm": token(signature_id=pending.pk, purpose=tokens.CONFIRM),
        "manage": token(signature_id=approved.pk, purpose=tokens.MANAGE),
        "manage_published": token(signature_id=published_signature.pk, purpose=tokens.MANAGE),
        "reconfirm": token(
            signature_id=signed.pk, purpose=tokens.RECONFIRM, version=version.number
        ),
        "widen": tokens.make_widening_token(
            signature_id=approved.pk,
            visibility="public",
            show_signer_name=True,
            state=_fingerprint(approved),
        ),
        "erase": _erasure_token(approved),
        "invitation": invitation,
        "webhook": webhook,
        "secret": tokens.current_invitation_secret(invitation.token_seed, invitation.token_hash),
    }


def _webhook_of(letter):
    """A webhook of the letter with a failed delivery (made directly: the demo's address does
    not resolve here, and the SSRF rule would refuse to save it)."""
    import uuid

    from webhooks.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        letter=letter,
        url="https://crm.example.org/hooks/undersigned",
        secret="whsec_crawl",
        events=["signature.approved", "letter.published"],
        consecutive_failures=2,
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event="signature.approved",
        status="failed",
        attempts=8,
        last_status_code=503,
        last_error="HTTP 503: Service Unavailable",
        body="{}",
    )
    return endpoint


def _erasure_token(signature) -> str:
    """The link request_erasure emails (the request is recorded, as on the site)."""
    from letters import services, tokens
    from letters.services.data_requests import _fingerprint

    services.request_erasure(signature=signature, withdraw=False)
    signature.refresh_from_db()
    return tokens.make_erasure_token(
        signature_id=signature.pk, withdraw=False, state=_fingerprint(signature)
    )


# --- The pages ------------------------------------------------------------------------------


def _click_and_wait(page, locator) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def _submit(page) -> None:
    """Submit the page's main form as it is (empty, mostly: the page in error)."""
    _click_and_wait(page, page.locator("main form button[type=submit]").last)


def _wrong_login(page) -> None:
    page.locator("input[name=login]").fill("nobody@example.org")
    page.locator("input[name=password]").fill("not the password")
    _click_and_wait(page, page.locator("form:has(input[name=password]) [type=submit]").first)


def _bad_signup(page) -> None:
    page.locator("input[name=name]").fill("Nima Sherpa")
    page.locator("input[name=email]").fill("nima@example.org")
    page.locator("input[name=password1]").fill("correct-horse-9")
    page.locator("input[name=password2]").fill("another-horse-9")
    _click_and_wait(page, page.locator("form:has(input[name=password1]) [type=submit]").first)


def _save_name(page) -> None:
    """A form that succeeds: the page after it shows a flash message."""
    page.locator("input[name=name]").fill("Tenzin Dolkar")
    _submit(page)
    assert page.locator(".messages, [role=status]").count(), "no flash message shown"


def _admin_save_empty(page) -> None:
    _click_and_wait(page, page.locator("input[name=_save]"))


def visits(w: dict) -> list[Visit]:
    seed, draft, published, embargoed, crawl = (
        w["seed"].slug,
        w["draft"].slug,
        w["published"].slug,
        w["embargoed"].slug,
        w["crawl"].slug,
    )
    org = w["free_tibet"].slug
    letter = f"/letters/{seed}"
    pages: list[Visit] = []

    def add(role, name, path, **kwargs):
        pages.append(Visit(role, name, path, **kwargs))

    # A visitor
    for name, path in (
        ("home", "/"),
        ("privacy", "/privacy/"),
        ("letters:index", "/letters/"),
        ("letters:detail", f"{letter}/"),
        ("letters:detail", f"/letters/{published}/"),
        ("letters:detail", f"/letters/{embargoed}/"),
        ("letters:sign", f"{letter}/sign/"),
        ("letters:sign-sent", f"{letter}/sign/sent/"),
        ("letters:embed", f"{letter}/embed/"),
        ("organisations:detail", "/organisations/human-rights-watch/"),
        ("account_login", "/accounts/login/"),
        ("account_signup", "/accounts/signup/"),
        ("account_reset_password", "/accounts/password/reset/"),
        ("account_reset_password_done", "/accounts/password/reset/done/"),
        ("account_email_verification_sent", "/accounts/confirm-email/"),
        ("letters:signature-confirm", f"/letters/signatures/confirm/{w['confirm']}/"),
        ("letters:signature-manage", f"/letters/signatures/manage/{w['manage']}/"),
        ("letters:signature-manage", f"/letters/signatures/manage/{w['manage_published']}/"),
        ("letters:signature-reconfirm", f"/letters/signatures/reconfirm/{w['reconfirm']}/"),
        ("letters:signature-widen", f"/letters/signatures/widen/{w['widen']}/"),
        ("letters:signature-widened", "/letters/signatures/widened/"),
        ("letters:signature-erase", f"/letters/signatures/erase/{w['erase']}/"),
        ("letters:signature-erased", "/letters/signatures/erase/done/"),
        ("letters:sign-invitation", f"/letters/invitations/{w['secret']}/"),
        ("letters:invitation-decline", f"/letters/invitations/{w['secret']}/decline/"),
        ("letters:invitation-forward", f"/letters/invitations/{w['secret']}/forward/"),
    ):
        add("visitor", name, path)
    add("visitor", "letters:detail", f"{letter}/?lang=ug", label="Uyghur, right to left")
    add("visitor", "letters:sign", f"{letter}/sign/?lang=bo", label="Tibetan")
    add("visitor", "letters:signature-manage", "/letters/signatures/manage/not-a-token/",
        status=400, label="a broken link")  # fmt: skip
    add("visitor", "404", "/letters/no-such-letter/", status=404, label="not found")
    add("visitor", "letters:sign", f"{letter}/sign/", action=_submit, label="form in error")
    add("visitor", "account_signup", "/accounts/signup/", action=_bad_signup,
        label="form in error")  # fmt: skip
    add("visitor", "account_login", "/accounts/login/", action=_wrong_login, label="form in error")
    add("visitor", "letters:invitation-forward", f"/letters/invitations/{w['secret']}/forward/",
        action=_submit, label="form in error")  # fmt: skip

    # The signer (Tibetan) and the second signer (Uyghur, right to left)
    for name, path in (
        ("home", "/"),
        ("letters:my-signatures", "/letters/my-signatures/"),
        ("letters:create", "/letters/new/"),
        ("letters:sign", f"{letter}/sign/"),
        ("letters:lead-answer", f"/letters/leads/{w['lead'].pk}/"),
        ("organisations:mine", "/organisations/mine/"),
        ("organisations:create", "/organisations/new/"),
        ("organisations:detail", f"/organisations/{org}/"),
        ("organisations:edit", f"/organisations/{org}/edit/"),
        ("organisations:members", f"/organisations/{org}/members/"),
        ("organisations:domains", f"/organisations/{org}/domains/"),
        ("account-name", "/accounts/name/"),
        ("account_email", "/accounts/email/"),
        ("account_change_password", "/accounts/password/change/"),
        ("mfa_index", "/accounts/2fa/"),
        ("account-data", "/accounts/data/"),
        ("account-delete", "/accounts/data/delete/"),
        ("api-tokens", "/accounts/api-tokens/"),
    ):
        add("signer", name, path)
    add("signer", "account-name", "/accounts/name/", action=_save_name, label="flash message")
    add("signer", "letters:create", "/letters/new/", action=_submit, label="form in error")
    add("signer", "organisations:create", "/organisations/new/", action=_submit,
        label="form in error")  # fmt: skip
    for name, path in (
        ("home", "/"),
        ("letters:detail", f"{letter}/"),
        ("letters:sign", f"{letter}/sign/"),
        ("letters:my-signatures", "/letters/my-signatures/"),
        ("letters:create", "/letters/new/"),
        ("organisations:mine", "/organisations/mine/"),
    ):
        add("signer2", name, path)

    # The coordinator
    for name, path in (
        ("letters:dashboard", "/letters/dashboard/"),
        ("letters:create", "/letters/new/"),
        ("letters:detail", f"/letters/{draft}/"),
        ("letters:detail", f"{letter}/"),
        ("letters:edit", f"/letters/{draft}/edit/"),
        ("letters:edit", f"{letter}/edit/"),
        ("letters:settings", f"{letter}/settings/"),
        ("letters:summary", f"/letters/{published}/summary/"),
        ("letters:leads", f"{letter}/leads/"),
        ("letters:coordinators", f"{letter}/coordinators/"),
        ("letters:invitations", f"{letter}/invitations/"),
        ("letters:invitations", f"/letters/{draft}/invitations/"),
        ("letters:invitation-create", f"{letter}/invitations/new/"),
        ("letters:invitation-import", f"{letter}/invitations/import/"),
        ("letters:invitation-import-preview", f"{letter}/invitations/import/{w['import'].pk}/"),
        ("letters:invitation-resend", f"{letter}/invitations/{w['invitation'].pk}/resend/"),
        ("letters:invitation-revoke", f"{letter}/invitations/{w['invitation'].pk}/revoke/"),
        ("letters:letter-signatures", f"{letter}/signatures/"),
        ("letters:versions", f"/letters/{crawl}/versions/"),
        ("letters:version", f"/letters/{crawl}/versions/1/"),
        ("letters:translations", f"{letter}/translations/"),
        ("letters:translation-edit", f"{letter}/translations/bo/"),
        ("letters:publication", f"/letters/{published}/publication/"),
        ("letters:responses", f"/letters/{published}/responses/"),
        ("letters:response-delete", f"/letters/{published}/responses/{w['response'].pk}/delete/"),
        ("letters:open", f"/letters/{draft}/open/"),
        ("letters:close", f"{letter}/close/"),
        ("letters:reopen", f"/letters/{embargoed}/reopen/"),
        ("letters:publish", f"/letters/{embargoed}/publish/"),
        ("letters:lift-embargo", f"{letter}/make-list-public/"),
        ("letters:webhooks", f"{letter}/webhooks/"),
        ("letters:webhook-deliveries", f"{letter}/webhooks/deliveries/"),
        ("letters:webhook-delete", f"{letter}/webhooks/{w['webhook'].pk}/delete/"),
    ):
        add("coordinator", name, path)
    add("coordinator", "letters:webhooks", f"{letter}/webhooks/", action=_submit,
        label="form in error")  # fmt: skip
    add("coordinator", "letters:create", "/letters/new/", action=_submit, label="form in error")
    add("coordinator", "letters:invitation-create", f"{letter}/invitations/new/", action=_submit,
        label="form in error")  # fmt: skip
    add("coordinator", "letters:publish", f"/letters/{embargoed}/publish/", action=_submit,
        label="form in error")  # fmt: skip
    add("coordinator", "letters:responses", f"/letters/{published}/responses/", action=_submit,
        label="form in error")  # fmt: skip

    # The moderator (Traditional Chinese): the admin, and the letter's pages moderators read
    queue = "/admin/letters/pendingsignature/"
    for name, path in (
        ("admin:index", "/admin/"),
        ("admin:letters_pendingsignature_changelist", queue),
        ("admin:letters_pendingsignature_change",
         f"{queue}{w['pending_signature'].pk}/change/"),
        ("admin:accounts_coordinatorrequest_changelist", "/admin/accounts/coordinatorrequest/"),
        ("letters:letter-signatures", f"{letter}/signatures/"),
        ("letters:invitations", f"{letter}/invitations/"),
    ):  # fmt: skip
        add("moderator", name, path)

    # The administrator: every list of the admin and a page of each
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        add("admin", f"admin:{opts.app_label}_{opts.model_name}_changelist", changelist)
        first = model_admin.get_queryset(_request_for(w["users"]["admin"])).order_by("pk")
        first = first.first()
        if first is not None:
            add("admin", f"admin:{opts.app_label}_{opts.model_name}_change",
                f"{changelist}{first.pk}/change/")  # fmt: skip
    add("admin", "admin:organisations_organisation_change",
        f"/admin/organisations/organisation/{w['free_tibet'].pk}/change/",
        action=_admin_save_empty, label="saved as it is")  # fmt: skip
    return pages


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# --- Every URL pattern is crawled, or excused ---------------------------------------------------

EXCLUDED = {
    # Not pages: data, files, redirects, endpoints that only take a POST
    "healthz": "JSON for the load balancer",
    "set_language": "POST only: the language switcher's form, on every page crawled",
    "media": "uploaded files (DEBUG only)",
    "account-data-download": "POST only: a JSON file",
    "account_logout": "POST only (the nav's Log out button, on every page of a logged-in role)",
    "letters:invitation-progress": "JSON polled by the invitations page",
    "letters:invitation-export": "CSV download",
    "letters:invitation-resend-failed": "POST only",
    "letters:pdf": "PDF download",
    "letters:pdf-recipient": "PDF download",
    "letters:csv": "CSV download",
    "letters:csv-coordinator": "CSV download",
    "letters:osdi-coordinator": "JSON download (OSDI)",
    # The read API: JSON for programs (tests/api walks every endpoint from its schema)
    "api:schema": "JSON: the OpenAPI schema",
    "api:letters": "JSON (read API)",
    "api:letter": "JSON (read API)",
    "api:signatories": "JSON (read API)",
    "api:signatures": "JSON (read API, token only)",
    "api:invitations": "JSON (read API, token only)",
    "api:my-letters": "JSON (read API, token only)",
    "api-token-revoke": "POST only (the Revoke button on the API tokens page)",
    "letters:response-document": "PDF download (a recipient's response)",
    "letters:webhook-ping": "POST only (a button on the webhooks page)",
    "letters:webhook-disable": "POST only (a button on the webhooks page)",
    "letters:webhook-enable": "POST only (a button on the webhooks page)",
    "letters:webhook-retry": "POST only (a button on the deliveries page)",
    "letters:signature-withdraw": "POST only (the member's withdraw button on My signatures)",
    "letters:signatures-approve": "POST only (delegated review's buttons)",
    "letters:signatures-reject": "POST only: the reason form is on the signatures page",
    "letters:coordinator-role": "POST only",
    "letters:coordinator-remove": "POST only",
    "organisations:member-role": "POST only",
    "organisations:member-remove": "POST only",
    "organisations:invitation-revoke": "POST only",
    "organisations:membership-request": "POST only",
    "organisations:domain-remove": "POST only",
    "organisations:invitation-accept": "one-time link of a membership invitation; the demo has none",
    "mfa_download_recovery_codes": "a text file",
    # allauth's pages reached only in the middle of a flow (a code just sent, a key in an
    # email, a session that must reauthenticate): they render the same account layout and
    # form elements as the account pages crawled, and are covered by tests/accounts.
    "account_inactive": "allauth: an inactive account's dead end",
    "account_reauthenticate": "allauth: mid-flow (a sensitive change asked for it)",
    "account_request_reauthentication_code": "allauth: login by code is off",
    "account_confirm_reauthentication_code": "allauth: login by code is off",
    "account_confirm_login_code": "allauth: login by code is off",
    "account_set_password": "allauth: for accounts without a password; every demo user has one",
    "account_confirm_email": "allauth: a key from an email (tests/accounts/test_signup.py)",
    "account_reset_password_from_key": "allauth: a key from an email (test_password_reset.py)",
    "account_reset_password_from_key_done": "allauth: after a reset from an email",
    "mfa_authenticate": "allauth: mid-login (every staff login of this crawl passes it)",
    "mfa_reauthenticate": "allauth: mid-flow",
    "mfa_activate_totp": "allauth: enrolment; demo staff are enrolled (tests/e2e/test_accounts)",
    "mfa_deactivate_totp": "allauth: mid-flow, after reauthentication",
    "mfa_view_recovery_codes": "allauth: after reauthentication",
    "mfa_generate_recovery_codes": "allauth: after reauthentication",
}
# Django's own admin views that no role's work goes through: adding and deleting are off for
# moderators (accounts/roles.py), history and the rest are Django's markup.
EXCLUDED_ADMIN_SUFFIXES = ("_add", "_delete", "_history", "_password_change")
EXCLUDED_ADMIN = {
    "admin:logout": "POST only",
    "admin:login": "redirects to the site's login",
    "admin:password_change": "redirects to the site's",
    "admin:password_change_done": "redirects to the site's",
    "admin:jsi18n": "JavaScript",
    "admin:view_on_site": "a redirect",
    "admin:autocomplete": "JSON",
    "admin:app_list": "the index's sections; the index is crawled",
    "admin:organisations_organisation_merge": "the merge preview: tests/moderation",
    # The demo has none of these; their lists are crawled.
    "admin:letters_datarequest_change": "the demo has no request for a copy or an erasure",
    "admin:organisations_membershipinvitation_change": "the demo has no membership invitation",
    "admin:organisations_organisationflag_change": "the demo has no flag",
}


def _url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name

    return set(walk(get_resolver().url_patterns))


@pytest.mark.django_db
def test_every_url_pattern_is_crawled_or_excused():
    world = _world()
    crawled = {visit.name for visit in visits(world)}
    missing = sorted(
        name
        for name in _url_names()
        if name not in crawled
        and name not in EXCLUDED
        and name not in EXCLUDED_ADMIN
        and not (name.startswith("admin:") and name.endswith(EXCLUDED_ADMIN_SUFFIXES))
    )
    assert missing == [], f"neither crawled nor in EXCLUDED: {missing}"
    # `media` is routed only with DEBUG (uploaded logos in development).
    stale = sorted((set(EXCLUDED) | set(EXCLUDED_ADMIN)) - _url_names() - {"media"})
    assert stale == [], f"EXCLUDED names no URL pattern: {stale}"


# --- The crawl ------------------------------------------------------------------------------


def _code(user) -> str:
    """The demo user's authenticator code now (tests.accounts.conftest.totp_code)."""
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return totp_code(decrypt(totp.data["secret"]))


def _log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    _click_and_wait(page, page.locator("form:has(input[name=password]) [type=submit]").first)
    if "/2fa/authenticate/" in page.url:
        page.locator("input[name=code]").fill(_code(user))
        _click_and_wait(page, page.locator("form:has(input[name=code]) [type=submit]").first)
    assert "/accounts/login/" not in page.url, f"{user.email} could not log in"


def _wider_than(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0: it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


class Watch:
    """A page's console errors and its requests to other hosts, since the last reset."""

    def __init__(self, page, base: str) -> None:
        self.host = urlsplit(base).netloc
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.document = None  # the last page the server sent, as sent (for the HTML checker)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", self._request)
        page.on("response", self._response)

    def _response(self, response) -> None:
        request = response.request
        if (
            request.resource_type == "document"
            and request.frame.parent_frame is None
            and not 300 <= response.status < 400
        ):
            self.document = response

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc != self.host:
            self.foreign.append(request.url)

    def reset(self) -> None:
        self.errors.clear()
        self.foreign.clear()
        self.document = None

    def html(self, page) -> str:
        """The document as the server sent it: the HTML checker judges the markup, not what
        Django admin's scripts make of it in the browser (axe judges that)."""
        try:
            return self.document.text() if self.document is not None else page.content()
        except Exception:  # a body Chromium no longer holds
            return page.content()


def _check(page, visit: Visit, watch: Watch, problems: Problems, html_dir: Path, n: int) -> None:
    for width in WIDTHS:
        if width != page.viewport_size["width"]:
            page.set_viewport_size({"width": width, "height": 900})
        overflow = _wider_than(page)
        if overflow > 1:
            problems.add(visit, width, f"{overflow}px wider than the viewport")
        violations = axe_violations(page)
        if violations:
            problems.add(visit, width, format_violations(violations))
    for error in watch.errors:
        # A page answered 4xx on purpose (a broken link; a form in error, which some views
        # answer 400) says so in the console: that is not a script error.
        expected = {visit.status} if visit.status >= 400 else set()
        if visit.action is not None:
            expected.add(400)
        if any(f"status of {code} " in error for code in expected):
            continue
        problems.add(visit, None, f"console error: {error}")
    for url in watch.foreign:
        problems.add(visit, None, f"request to another host: {url}")
    (html_dir / f"{n:03d}.html").write_text(watch.html(page), encoding="utf-8")


def _crawl(browser, base: str, pages: list[Visit], users: dict, html_dir: Path) -> Problems:
    problems = Problems()
    n = 0
    for role in dict.fromkeys(visit.role for visit in pages):
        context = browser.new_context(base_url=base, viewport={"width": WIDTHS[0], "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        watch = Watch(page, base)
        if role != "visitor":
            _log_in(page, users[role])
        for visit in (visit for visit in pages if visit.role == role):
            n += 1
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            watch.reset()
            try:
                response = page.goto(visit.path, wait_until="load")
                status = response.status if response else 0
                if status != visit.status:
                    problems.add(visit, None, f"answered {status}, expected {visit.status}")
                if visit.action is not None:
                    visit.action(page)
                _check(page, visit, watch, problems, html_dir, n)
            except Exception as exc:  # a page that breaks the crawl is a problem, not the end
                problems.add(visit, None, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        context.close()
    return problems


def _vnu(html_dir: Path, names: dict[str, str]) -> list[str]:
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        skip_or_fail(
            "the Nu HTML Checker needs Java and var/vnu/vnu.jar (make install-dev; "
            "apt-get install -y default-jre-headless)"
        )
    files = sorted(html_dir.glob("*.html"))
    result = subprocess.run(  # noqa: S603 - the checker on files this test wrote
        [
            java,
            "-Xss8m",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    found = []
    for message in messages:
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        name = Path(urlsplit(message.get("url", "")).path).name
        where = names.get(name, name)
        line = message.get("lastLine", "?")
        found.append(
            f"{where}: vnu line {line}: {message.get('message')} {message.get('extract', '')!r}"
        )
    return found


def test_every_page_of_every_role_passes_the_gate(browser, live_server, e2e_db, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    world = _world()
    pages = visits(world)
    html_dir = Path(tempfile.mkdtemp(prefix="crawl-html-"))
    problems = _crawl(browser, live_server.url, pages, world["users"], html_dir)
    names = {f"{n:03d}.html": visit.title() for n, visit in enumerate(pages, start=1)}
    problems.found += _vnu(html_dir, names)
    shutil.rmtree(html_dir, ignore_errors=True)
    assert problems.found == [], "\n".join(
        [f"{len(problems.found)} problem(s) in {len(pages)} pages:", *problems.found]
    )


def test_the_gate_sees_each_kind_of_problem(page, live_server, tmp_path):
    """The checks of the crawl can fail: a page too wide for a phone, a script error, a request
    to another host and an unlabelled field are each reported, at the width they occur."""
    watch = Watch(page, live_server.url)
    page.goto("/privacy/")
    watch.reset()
    with page.expect_event("pageerror"):
        page.evaluate(
            """() => {
            const wide = document.createElement('div');
            wide.style.width = '600px';
            wide.textContent = 'wide';
            document.querySelector('main').append(wide);
            const input = document.createElement('input');
            document.querySelector('main').append(input);
            setTimeout(() => { throw new Error('broken script'); });
        }"""
        )
    problems = Problems()

    _check(page, Visit("visitor", "privacy", "/privacy/"), watch, problems, tmp_path, 1)

    found = "\n".join(problems.found)
    assert re.search(r"@390px: \d+px wider than the viewport", found)
    assert "@1280px: " not in found.split("wider than")[0].splitlines()[-1]
    assert "@1280px: 1 accessibility rule(s) violated:\n- label (critical)" in found
    assert "console error: broken script" in found
    assert (tmp_path / "001.html").is_file()

    # The site's Content-Security-Policy refuses other hosts before any request is made; a
    # page without it (a weakened policy) is caught by the requests it makes.
    watch.reset()
    with page.expect_request("https://third-party.example.net/p.gif"):
        page.set_content(
            '<main><h1>x</h1><img src="https://third-party.example.net/p.gif" alt=""></main>'
        )
    problems = Problems()
    _check(page, Visit("visitor", "privacy", "/privacy/"), watch, problems, tmp_path, 2)
    assert (
        "visitor /privacy/: request to another host: https://third-party.example.net/p.gif"
        in problems.found
    )
