"""Every URL pattern × every role (DESIGN.md §7).

The matrix below says what a GET of each named URL answers to each role. The first test fails
when a URL pattern has no entry, so no view ships without a decision about who may see it;
the second walks the matrix. Each app's own tests check the POSTs and that refusals change
nothing; here the point is that nothing is reachable by accident.

"login" means a redirect to the login page. Third-party URL sets are listed in EXEMPT with the
place where they are tested.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api import services as api_services
from letters import services as letter_services
from letters import tokens
from letters.documents import clean_response_pdf
from letters.models import LeadRequest, Letter, LetterCoordinator, LetterResponse, Signature
from organisations import services as organisation_services
from organisations.models import EmailDomain, MembershipInvitation
from tests.factories import (
    EmailDomainFactory,
    MembershipFactory,
    UserFactory,
    enrol_totp,
    make_coordinator,
    make_moderator,
)
from tests.letters import response_helpers

ROLES = (
    "anonymous",
    "signer",
    "member",
    "org_admin",
    "coordinator",
    "other_coordinator",
    "moderator",
    "superuser",
)
LOGIN = "login"

# URL sets tested elsewhere: allauth's account and 2FA pages (tests/accounts), the admin
# (tests/moderation and tests/organisations/test_admin.py), media files (DEBUG only).
EXEMPT_PREFIXES = ("accounts/", "admin/", "media/")


def _named_patterns(patterns=None, prefix: str = "", namespace: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace or ""
            found |= _named_patterns(
                pattern.url_patterns, route, inner if pattern.namespace else namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            found[name] = route
    return {n: r for n, r in found.items() if not r.startswith(EXEMPT_PREFIXES)}


@dataclass
class World:
    """One of everything, so that every URL has something to point at."""

    users: dict
    organisation: object
    draft: Letter
    open: Letter
    closed: Letter
    published: Letter
    signature: Signature
    invitation_secret: str
    membership_invitation_secret: str
    email_domain: EmailDomain
    editor_row: LetterCoordinator
    lead_request: LeadRequest
    response: LetterResponse


@pytest.fixture
def world(db) -> World:
    org_admin_membership = MembershipFactory(
        user=UserFactory(email="admin@tai.example.org"), role="admin"
    )
    organisation = org_admin_membership.organisation
    member = MembershipFactory(
        organisation=organisation, user=UserFactory(email="member@tai.example.org")
    ).user
    signer = MembershipFactory(user=UserFactory(email="signer@other.example.org")).user
    coordinator = make_coordinator(email="owner@lead.example.org")
    other_coordinator = make_coordinator(email="other@lead.example.org")
    editor = make_coordinator(email="editor@lead.example.org")
    moderator = make_moderator(email="mod@undersigned.example.org", is_staff=True)
    superuser = UserFactory(email="root@undersigned.example.org", is_staff=True, is_superuser=True)
    enrol_totp(superuser)

    def letter(title: str, *, author=coordinator, **kwargs) -> Letter:
        return letter_services.create_letter(
            author=author,
            title=title,
            body="We ask you to raise human rights.",
            recipient="The Secretary of State",
            sign_on_mode=Letter.SignOnMode.OPEN,
            **kwargs,
        )

    draft = letter("A draft")
    letter_services.add_coordinator(letter=draft, actor=coordinator, email=editor.email)
    open_letter = letter("An open letter")
    letter_services.open_letter(letter=open_letter, actor=coordinator)
    closed = letter("A closed letter")
    letter_services.open_letter(letter=closed, actor=coordinator)
    letter_services.close_letter(letter=closed, actor=coordinator)
    published = letter("A published letter")
    letter_services.open_letter(letter=published, actor=coordinator)
    letter_services.close_letter(letter=published, actor=coordinator)
    letter_services.publish_letter(letter=published, actor=coordinator)
    document, pages = clean_response_pdf(response_helpers.upload(response_helpers.pdf_bytes()))
    response = letter_services.record_response(
        letter=published,
        actor=coordinator,
        kind=LetterResponse.Kind.RESPONSE,
        received_on=published.delivery.delivered_on,
        from_whom="The Secretary's office",
        document=document,
        document_pages=pages,
    )
    letter("Someone else's letter", author=other_coordinator)

    signature = letter_services.sign_letter(
        letter=open_letter,
        organisation=letter_services.OrganisationChoice(organisation=organisation),
        signer_name="Pema",
        signer_email="member@tai.example.org",
        consent=True,
        user=member,
    )
    invitation = letter_services.invite(
        letter=open_letter,
        actor=coordinator,
        email="contact@invited.example.org",
        organisation_name="Invited Organisation",
    )
    invitation_secret = tokens.invitation_secret(invitation.token_seed)
    membership_invitation = organisation_services.invite_member(
        organisation=organisation,
        email="newcomer@tai.example.org",
        role="member",
        actor=org_admin_membership.user,
    )
    membership_secret = "matrix-membership-secret"
    MembershipInvitation.objects.filter(pk=membership_invitation.pk).update(
        token_hash=tokens.hash_secret(membership_secret)
    )
    return World(
        users={
            "signer": signer,
            "member": member,
            "org_admin": org_admin_membership.user,
            "coordinator": coordinator,
            "other_coordinator": other_coordinator,
            "moderator": moderator,
            "superuser": superuser,
        },
        organisation=organisation,
        draft=draft,
        open=open_letter,
        closed=closed,
        published=published,
        signature=signature,
        invitation_secret=invitation_secret,
        membership_invitation_secret=membership_secret,
        email_domain=EmailDomainFactory(organisation=organisation, domain="tai.example.org"),
        editor_row=draft.coordinators.get(user=editor),
        # The organisation (whose admin is org_admin) asked to lead the open letter.
        lead_request=LeadRequest.objects.create(
            letter=open_letter, organisation=organisation, requested_by=coordinator
        ),
        response=response,
    )


@dataclass(frozen=True)
class Case:
    name: str
    kwargs: Callable[[World], dict]
    expect: tuple  # one answer per role, in ROLES order
    label: str = ""
    # The read API (api/): each role asks with a personal API token of its own, not a session
    # (the API reads no cookie: with a session, every role would be anonymous to it).
    via_token: bool = False

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name


def _row(anonymous, signer, member, org_admin, coordinator, other, moderator, superuser):
    return (anonymous, signer, member, org_admin, coordinator, other, moderator, superuser)


EVERYONE = _row(200, 200, 200, 200, 200, 200, 200, 200)
LOGGED_IN = _row(LOGIN, 200, 200, 200, 200, 200, 200, 200)
POST_ONLY = _row(LOGIN, 405, 405, 405, 405, 405, 405, 405)
LETTER_COORDINATORS = _row(LOGIN, 404, 404, 404, 200, 404, 404, 404)
COORDINATOR_ROLE = _row(LOGIN, 403, 403, 403, 200, 200, 403, 403)
# Signers' contacts and the recipient edition: the letter's coordinators; moderators read.
LETTER_RECORDS = _row(LOGIN, 404, 404, 404, 200, 404, 200, 200)
# The world's organisation is unverified and on no public list: whoever may not see its page
# gets the 404 of a slug nobody registered under every page of it; a member without the role,
# who knows it exists, 403 (issue 11, item 3).
ORG_MANAGERS = _row(404, 404, 403, 200, 404, 404, 200, 200)
ORG_MEMBERS = _row(404, 404, 200, 200, 404, 404, 200, 200)
ORG_POST_ONLY = _row(405, 405, 405, 405, 405, 405, 405, 405)
# The read API: a letter's records for its coordinators and moderators (not drafts); no token
# is 401, a letter out of the token's reach 404 like one that does not exist.
API_RECORDS = _row(401, 404, 404, 404, 200, 404, 200, 200)
API_RECORDS_DRAFT = _row(401, 404, 404, 404, 200, 404, 404, 404)
API_TOKEN = _row(401, 200, 200, 200, 200, 200, 200, 200)
NOBODY = _row(404, 404, 404, 404, 404, 404, 404, 404)

no_kwargs = lambda w: {}  # noqa: E731
draft_slug = lambda w: {"slug": w.draft.slug}  # noqa: E731
org_slug = lambda w: {"slug": w.organisation.slug}  # noqa: E731


def _token(purpose: str, **extra) -> Callable[[World], dict]:
    return lambda w: {
        "token": tokens.make_signature_token(signature_id=w.signature.pk, purpose=purpose, **extra)
    }


def _widening_token(w: World) -> dict:
    from letters import services

    token = services.request_widening(
        signature=w.signature, visibility="public", show_signer_name=True
    )
    return {"token": token}


def _erasure_token(w: World) -> dict:
    from letters.services.data_requests import _fingerprint

    token = tokens.make_erasure_token(
        signature_id=w.signature.pk, withdraw=False, state=_fingerprint(w.signature)
    )
    return {"token": token}


def _draft_endpoint(w: World):
    """A webhook of the draft (made directly: its URL is not what is under test)."""
    from webhooks.models import WebhookEndpoint, url_key

    url = "https://hooks.example.org/undersigned"
    endpoint, _ = WebhookEndpoint.objects.get_or_create(
        letter=w.draft,
        url_key=url_key(w.draft.pk, url),
        defaults={"url": url, "secret": "whsec_matrix", "events": ["letter.closed"]},
    )
    return endpoint


def _webhook(w: World) -> dict:
    return {"slug": w.draft.slug, "pk": _draft_endpoint(w).pk}


def _webhook_delivery(w: World) -> dict:
    import uuid

    from webhooks.models import WebhookDelivery

    delivery = WebhookDelivery.objects.create(
        endpoint=_draft_endpoint(w), event_id=uuid.uuid4(), event="letter.closed", status="failed"
    )
    return {"slug": w.draft.slug, "pk": delivery.pk}


def _pending_import(w: World):
    """A CSV upload awaiting confirmation on the open letter, by its coordinator."""
    from letters.contact_lists import ParsedFile

    return letter_services.start_import(
        letter=w.open,
        actor=w.users["coordinator"],
        parsed=ParsedFile(
            rows=[{"line": 2, "organisation": "A", "contact_name": "B", "email": "b@a.org"}],
            delimiter=",",
        ),
        filename="contacts.csv",
    )


CASES = [
    # Site
    Case("home", no_kwargs, EVERYONE),
    Case("healthz", no_kwargs, EVERYONE),
    Case("privacy", no_kwargs, EVERYONE),
    # The language switcher is a form: a GET changes nothing for anyone.
    Case("set_language", no_kwargs, _row(405, 405, 405, 405, 405, 405, 405, 405)),
    # Organisations
    Case("organisations:mine", no_kwargs, LOGGED_IN),
    Case("organisations:create", no_kwargs, LOGGED_IN),
    Case(
        "organisations:detail",
        org_slug,
        _row(404, 404, 200, 200, 404, 404, 200, 200),
        "unverified, on no public list",
    ),
    Case("organisations:edit", org_slug, ORG_MANAGERS),
    Case("organisations:members", org_slug, ORG_MEMBERS),
    Case("organisations:domains", org_slug, ORG_MEMBERS),
    Case(
        "organisations:member-role",
        lambda w: {"slug": w.organisation.slug, "pk": w.users["member"].memberships.get().pk},
        ORG_POST_ONLY,
    ),
    Case(
        "organisations:member-remove",
        lambda w: {"slug": w.organisation.slug, "pk": w.users["member"].memberships.get().pk},
        ORG_MEMBERS,
        "the member's own row",
    ),
    Case(
        "organisations:domain-remove",
        lambda w: {"slug": w.organisation.slug, "pk": w.email_domain.pk},
        ORG_POST_ONLY,
    ),
    Case(
        "organisations:invitation-accept",
        lambda w: {"secret": w.membership_invitation_secret},
        EVERYONE,
    ),
    Case(
        "organisations:invitation-revoke",
        lambda w: {
            "slug": w.organisation.slug,
            "pk": MembershipInvitation.objects.get(organisation=w.organisation).pk,
        },
        ORG_POST_ONLY,
    ),
    Case(
        "organisations:membership-request",
        lambda w: {"slug": w.organisation.slug, "pk": 1, "decision": "approve"},
        ORG_POST_ONLY,
    ),
    # Letters: public
    Case("letters:index", no_kwargs, EVERYONE),
    Case("letters:detail", lambda w: {"slug": w.open.slug}, EVERYONE, "open"),
    Case("letters:detail", lambda w: {"slug": w.published.slug}, EVERYONE, "published"),
    Case("letters:detail", draft_slug, _row(404, 404, 404, 404, 200, 404, 404, 404), "draft"),
    # Letters: coordinators
    Case("letters:dashboard", no_kwargs, COORDINATOR_ROLE),
    # The new-letter form for coordinators; for any other account, how to become one.
    Case("letters:create", no_kwargs, LOGGED_IN),
    Case("letters:edit", draft_slug, LETTER_COORDINATORS),
    Case("letters:settings", draft_slug, LETTER_COORDINATORS),
    Case("letters:summary", lambda w: {"slug": w.published.slug}, LETTER_COORDINATORS),
    # After delivery: coordinators record responses; anyone who reads the letter reads them.
    Case("letters:responses", lambda w: {"slug": w.published.slug}, LETTER_COORDINATORS),
    Case("letters:responses", lambda w: {"slug": w.open.slug}, LETTER_COORDINATORS, "open"),
    Case(
        "letters:response-delete",
        lambda w: {"slug": w.published.slug, "pk": w.response.pk},
        LETTER_COORDINATORS,
    ),
    Case(
        "letters:response-document",
        lambda w: {"slug": w.published.slug, "pk": w.response.pk},
        EVERYONE,
    ),
    Case(
        "letters:response-document",
        lambda w: {"slug": w.open.slug, "pk": w.response.pk},
        _row(404, 404, 404, 404, 404, 404, 404, 404),
        "another letter's",
    ),
    Case("letters:coordinators", draft_slug, LETTER_COORDINATORS),
    Case(
        "letters:coordinator-role",
        lambda w: {"slug": w.draft.slug, "pk": w.editor_row.pk},
        POST_ONLY,
    ),
    Case(
        "letters:coordinator-remove",
        lambda w: {"slug": w.draft.slug, "pk": w.editor_row.pk},
        LETTER_COORDINATORS,
    ),
    # Webhooks: the letter's coordinators only, not moderators (letters/services/webhooks.py)
    Case("letters:webhooks", draft_slug, LETTER_COORDINATORS),
    Case(
        "letters:webhooks", lambda w: {"slug": w.published.slug}, LETTER_COORDINATORS, "published"
    ),
    Case("letters:webhook-deliveries", draft_slug, LETTER_COORDINATORS),
    Case("letters:webhook-delete", _webhook, LETTER_COORDINATORS),
    Case("letters:webhook-ping", _webhook, POST_ONLY),
    Case("letters:webhook-disable", _webhook, POST_ONLY),
    Case("letters:webhook-enable", _webhook, POST_ONLY),
    Case("letters:webhook-retry", _webhook_delivery, POST_ONLY),
    Case("letters:open", draft_slug, LETTER_COORDINATORS),
    Case("letters:close", lambda w: {"slug": w.open.slug}, LETTER_COORDINATORS),
    Case("letters:reopen", lambda w: {"slug": w.closed.slug}, LETTER_COORDINATORS),
    Case("letters:publish", lambda w: {"slug": w.closed.slug}, LETTER_COORDINATORS),
    Case("letters:lift-embargo", lambda w: {"slug": w.open.slug}, LETTER_COORDINATORS),
    Case("letters:leads", lambda w: {"slug": w.open.slug}, LETTER_COORDINATORS),
    # Only an admin of the organisation asked (not moderators: the answer is the
    # organisation's own).
    Case(
        "letters:lead-answer",
        lambda w: {"pk": w.lead_request.pk},
        _row(LOGIN, 404, 404, 200, 404, 404, 404, 404),
    ),
    Case("letters:versions", draft_slug, LETTER_COORDINATORS),
    Case("letters:version", lambda w: {"slug": w.draft.slug, "number": 1}, LETTER_COORDINATORS),
    Case("letters:translations", draft_slug, LETTER_COORDINATORS),
    Case(
        "letters:translation-edit",
        lambda w: {"slug": w.draft.slug, "language": "bo"},
        LETTER_COORDINATORS,
    ),
    # Signing
    Case("letters:sign", lambda w: {"slug": w.open.slug}, EVERYONE),
    Case("letters:sign", draft_slug, _row(404, 404, 404, 404, 200, 404, 404, 404), "draft"),
    Case("letters:sign-sent", lambda w: {"slug": w.open.slug}, EVERYONE),
    Case("letters:sign-invitation", lambda w: {"secret": w.invitation_secret}, EVERYONE),
    Case("letters:signature-confirm", _token(tokens.CONFIRM), EVERYONE),
    Case("letters:signature-manage", _token(tokens.MANAGE), EVERYONE),
    Case("letters:signature-reconfirm", _token(tokens.RECONFIRM, version=1), EVERYONE),
    # The one-hour widening link: whoever holds it (it went to the signer's own address).
    Case("letters:signature-widen", _widening_token, EVERYONE),
    Case("letters:signature-widened", no_kwargs, EVERYONE),
    Case("letters:signature-erase", _erasure_token, EVERYONE),  # signed, one hour, once
    Case("letters:signature-erased", no_kwargs, EVERYONE),
    Case(
        "letters:signature-withdraw",
        lambda w: {"pk": w.signature.pk},
        _row(LOGIN, 404, 200, 200, 404, 404, 404, 404),
    ),
    Case("letters:my-signatures", no_kwargs, LOGGED_IN),
    # Publication: exports, the coordinators' publication page, the embeddable count
    Case("letters:pdf", lambda w: {"slug": w.open.slug}, EVERYONE, "open"),
    Case("letters:pdf", lambda w: {"slug": w.published.slug}, EVERYONE, "published"),
    Case("letters:pdf", draft_slug, _row(404, 404, 404, 404, 200, 404, 404, 404), "draft"),
    Case("letters:csv", lambda w: {"slug": w.published.slug}, EVERYONE, "published"),
    Case(
        "letters:csv",
        lambda w: {"slug": w.open.slug},
        _row(404, 404, 404, 404, 404, 404, 404, 404),
        "open, list under embargo",
    ),
    Case("letters:pdf-recipient", lambda w: {"slug": w.published.slug}, LETTER_RECORDS),
    Case("letters:pdf-recipient", draft_slug, LETTER_COORDINATORS, "draft"),
    Case("letters:csv-coordinator", lambda w: {"slug": w.open.slug}, LETTER_RECORDS),
    Case("letters:osdi-coordinator", lambda w: {"slug": w.open.slug}, LETTER_RECORDS),
    Case("letters:osdi-coordinator", draft_slug, LETTER_COORDINATORS, "draft"),
    Case("letters:publication", lambda w: {"slug": w.closed.slug}, LETTER_RECORDS),
    Case("letters:publication", draft_slug, LETTER_COORDINATORS, "draft"),
    Case("letters:embed", lambda w: {"slug": w.open.slug}, EVERYONE, "open"),
    Case("letters:embed", draft_slug, _row(404, 404, 404, 404, 404, 404, 404, 404), "draft"),
    # Invitations: the tracking page, its counts and export (moderators read); the
    # coordinators' actions; the invitee's decline and pass-on pages (the secret is the
    # permission). tests/letters/test_invitation_views.py checks POSTs and refusals.
    Case("letters:invitations", lambda w: {"slug": w.open.slug}, LETTER_RECORDS),
    Case("letters:invitations", draft_slug, LETTER_COORDINATORS, "draft"),
    Case("letters:invitation-progress", lambda w: {"slug": w.open.slug}, LETTER_RECORDS),
    Case("letters:invitation-export", lambda w: {"slug": w.open.slug}, LETTER_RECORDS),
    Case("letters:invitation-create", lambda w: {"slug": w.open.slug}, LETTER_COORDINATORS),
    Case("letters:invitation-import", lambda w: {"slug": w.open.slug}, LETTER_COORDINATORS),
    Case(
        "letters:invitation-import-preview",
        lambda w: {"slug": w.open.slug, "pk": _pending_import(w).pk},
        LETTER_COORDINATORS,
    ),
    Case("letters:invitation-resend-failed", lambda w: {"slug": w.open.slug}, LETTER_COORDINATORS),
    Case(
        "letters:invitation-resend",
        lambda w: {"slug": w.open.slug, "pk": w.open.invitations.get().pk},
        LETTER_COORDINATORS,
    ),
    Case(
        "letters:invitation-revoke",
        lambda w: {"slug": w.open.slug, "pk": w.open.invitations.get().pk},
        LETTER_COORDINATORS,
    ),
    Case("letters:invitation-decline", lambda w: {"secret": w.invitation_secret}, EVERYONE),
    Case("letters:invitation-forward", lambda w: {"secret": w.invitation_secret}, EVERYONE),
    Case(
        "letters:letter-signatures",
        lambda w: {"slug": w.open.slug},
        _row(LOGIN, 404, 404, 404, 200, 404, 200, 200),
    ),
    # Delegated moderation: POST only, for moderators and, once a moderator delegated the
    # review, the letter's coordinators (403 until then); tests/moderation/test_delegation.py
    Case(
        "letters:signatures-approve",
        lambda w: {"slug": w.open.slug},
        _row(LOGIN, 404, 404, 404, 403, 404, 405, 405),
        "review not delegated",
    ),
    Case(
        "letters:signatures-reject",
        lambda w: {"slug": w.open.slug},
        _row(LOGIN, 404, 404, 404, 403, 404, 405, 405),
        "review not delegated",
    ),
    # The read API (tests/api walks it from its schema with revoked, expired and made-up
    # tokens too). Its tokens' account page is under accounts/: tests/api/test_tokens.py.
    Case("api:schema", no_kwargs, EVERYONE, via_token=True),
    Case("api:letters", no_kwargs, EVERYONE, via_token=True),
    Case("api:letter", lambda w: {"slug": w.open.slug}, EVERYONE, "open", via_token=True),
    Case("api:letter", draft_slug, NOBODY, "draft", via_token=True),
    Case("api:signatories", lambda w: {"slug": w.open.slug}, EVERYONE, via_token=True),
    Case("api:signatories", draft_slug, NOBODY, "draft", via_token=True),
    Case("api:signatures", lambda w: {"slug": w.open.slug}, API_RECORDS, via_token=True),
    Case("api:signatures", draft_slug, API_RECORDS_DRAFT, "draft", via_token=True),
    Case("api:invitations", lambda w: {"slug": w.open.slug}, API_RECORDS, via_token=True),
    Case("api:invitations", draft_slug, API_RECORDS_DRAFT, "draft", via_token=True),
    Case("api:my-letters", no_kwargs, API_TOKEN, via_token=True),
]


def test_every_url_pattern_has_an_entry_in_the_matrix():
    patterns = _named_patterns()
    covered = {case.name for case in CASES}

    missing = sorted(set(patterns) - covered)
    stale = sorted(covered - set(patterns))

    assert missing == [], f"URL patterns without an entry in the matrix: {missing}"
    assert stale == [], f"Matrix entries for URL patterns that no longer exist: {stale}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_get_answers_each_role_as_the_matrix_says(client, world, case):
    url = reverse(case.name, kwargs=case.kwargs(world))
    answers = {}

    for role in ROLES:
        client.logout()
        headers = {}
        if role != "anonymous" and case.via_token:
            secret = api_services.create_token(user=world.users[role], name="matrix").secret
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        elif role != "anonymous":
            client.force_login(world.users[role])
        response = client.get(url, **headers)
        answers[role] = (
            LOGIN
            if response.status_code == 302
            and response["Location"].startswith(reverse("account_login"))
            else response.status_code
        )

    assert answers == dict(zip(ROLES, case.expect, strict=True)), url
