"""Issue 11, small items in the admin: a draft is visible only to its coordinators (the site
says so; the admin agrees), and a moderator who may only view the outbox cannot resend."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from letters.models import Letter
from outbox.models import OutboundEmail
from tests.factories import LetterFactory, make_moderator

DRAFT_TITLE = "Confidential draft on detentions in Xinjiang"
DRAFT_BODY = "A body only its coordinators have read"


@pytest.fixture
def moderator(db):
    """A moderator as the admin needs one: staff, in the Moderators group, with 2FA."""
    return make_moderator(email="moderator@undersigned.example.org", is_staff=True)


@pytest.fixture
def draft(db, coordinator):
    letter = LetterFactory(
        title=DRAFT_TITLE,
        status=Letter.Status.DRAFT,
        opened_at=None,
        version__title=DRAFT_TITLE,
        version__body=DRAFT_BODY,
    )
    letter.coordinators.create(user=coordinator)
    AuditEvent.objects.create(action="letter.created", actor=coordinator, letter=letter)
    return letter


ADMIN_PAGES = [
    "admin:letters_letter_changelist",
    "admin:letters_letterversion_changelist",
    "admin:audit_auditevent_changelist",
]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_moderators_do_not_see_drafts_in_the_admin(client, moderator, draft, page):
    client.force_login(moderator)

    listing = client.get(reverse(page))
    searched = client.get(reverse(page), {"q": "Xinjiang"})

    assert listing.status_code == 200
    assert DRAFT_TITLE.encode() not in listing.content
    assert DRAFT_TITLE.encode() not in searched.content


@pytest.mark.django_db
def test_a_moderator_cannot_open_a_draft_by_its_address(client, moderator, draft):
    client.force_login(moderator)

    letter_page = client.get(reverse("admin:letters_letter_change", args=[draft.pk]))
    version = draft.versions.get()
    version_page = client.get(reverse("admin:letters_letterversion_change", args=[version.pk]))

    for response in (letter_page, version_page):
        assert response.status_code in (302, 404)
        assert DRAFT_TITLE.encode() not in response.content
        assert DRAFT_BODY.encode() not in response.content


@pytest.mark.django_db
def test_a_moderator_who_coordinates_the_draft_sees_it(client, moderator, draft):
    draft.coordinators.create(user=moderator)
    client.force_login(moderator)

    response = client.get(reverse("admin:letters_letter_changelist"))

    assert DRAFT_TITLE.encode() in response.content


@pytest.mark.django_db
def test_open_letters_stay_visible_to_moderators(client, moderator):
    LetterFactory(title="An open letter")
    client.force_login(moderator)

    response = client.get(reverse("admin:letters_letter_changelist"))

    assert b"An open letter" in response.content


def failed_email() -> OutboundEmail:
    return OutboundEmail.objects.create(
        kind="test",
        to="someone@example.org",
        subject="s",
        body_text="b",
        dedupe_key="test:failed",
        message_id="<x@undersigned.test>",
        status=OutboundEmail.Status.FAILED,
        last_error="550 no such user",
    )


def retry(client, email: OutboundEmail):
    return client.post(
        reverse("admin:outbox_outboundemail_changelist"),
        {"action": "retry_failed", "_selected_action": [email.pk]},
    )


@pytest.mark.django_db
def test_a_moderator_with_view_permission_only_cannot_resend(client, moderator):
    email = failed_email()
    client.force_login(moderator)

    listing = client.get(reverse("admin:outbox_outboundemail_changelist"))
    assert listing.status_code == 200
    assert b"retry_failed" not in listing.content

    retry(client, email)

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED


@pytest.mark.django_db
def test_a_superuser_can_resend(client, superuser):
    email = failed_email()
    client.force_login(superuser)

    retry(client, email)

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
