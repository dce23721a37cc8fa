"""A rejection's free-text note is written about one organisation and goes to that one signer
only: rejecting several signatures at once takes the coded reason alone, in the admin, on the
coordinators' delegated page and in the service. Refusing a note changes nothing."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import DomainError
from letters import services
from letters.models import Signature

from .conftest import bulk_pending, emails_of, sign_and_confirm

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:letters_pendingsignature_changelist")
R = Signature.RejectionReason
NOTE = "Your signer wrote from a personal address; please sign from Tibet Watch's."


def reject_page(client, ids):
    return client.post(QUEUE, {"action": "reject_selected", ACTION_CHECKBOX_NAME: ids})


def reject(client, ids, reason, note=""):
    return client.post(
        QUEUE,
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: ids,
            "apply": "1",
            "reason": reason,
            "note": note,
        },
    )


def reject_url(letter) -> str:
    return reverse("letters:signatures-reject", args=[letter.slug])


def nothing_decided(ids) -> bool:
    return (
        set(Signature.objects.filter(pk__in=ids).values_list("status", flat=True))
        == {"pending_review"}
        and not AuditEvent.objects.filter(action="signature.rejected").exists()
        and emails_of("signature_rejected") == []
    )


# --- The admin's queue ----------------------------------------------------------------------------


def test_a_note_for_two_signatures_is_refused_and_nothing_is_decided(client, moderator, letter):
    # Given two signatures of two organisations awaiting review
    ids = bulk_pending(letter, 2)
    client.force_login(moderator)

    # When a moderator rejects both with a reason and a note written about one of them
    response = reject(client, ids, R.CANNOT_VERIFY_AUTHORITY, NOTE)

    # Then the form comes back saying why, and neither is rejected nor emailed the note
    assert response.status_code == 200
    assert response.templates[0].name == "admin/letters/reject_signatures.html"
    [error] = response.context["form"].non_field_errors()
    assert "one by one" in error
    assert error in response.content.decode()
    assert nothing_decided(ids)


def test_other_for_two_signatures_is_refused_it_needs_a_note_about_each(client, moderator, letter):
    ids = bulk_pending(letter, 2)
    client.force_login(moderator)

    response = reject(client, ids, R.OTHER)

    assert response.status_code == 200
    [error] = response.context["form"].errors["reason"]
    assert "one by one" in error
    assert nothing_decided(ids)


def test_two_signatures_are_rejected_with_the_reason_alone(client, moderator, letter):
    ids = bulk_pending(letter, 2)
    client.force_login(moderator)

    response = reject(client, ids, R.SPAM)

    assert response.status_code == 302
    assert list(
        Signature.objects.filter(pk__in=ids).order_by("pk").values_list("status", "rejection_note")
    ) == [("rejected", ""), ("rejected", "")]
    emails = emails_of("signature_rejected")
    assert len(emails) == 2
    assert all("The moderator's note" not in email.body_text for email in emails)


def test_the_page_for_several_explains_instead_of_offering_a_note(client, moderator, letter):
    ids = bulk_pending(letter, 2)
    client.force_login(moderator)

    body = reject_page(client, ids).content.decode()

    assert 'name="note"' not in body
    assert "A note is written about one organisation" in body
    assert "Each signer receives an email with the reason." in body


def test_one_signature_is_still_rejected_with_its_note(client, moderator, letter, pending):
    client.force_login(moderator)

    page = reject_page(client, [pending.pk])
    response = reject(client, [pending.pk], R.CANNOT_VERIFY_AUTHORITY, NOTE)

    assert 'name="note"' in page.content.decode()
    assert response.status_code == 302
    assert Signature.objects.get(pk=pending.pk).rejection_note == NOTE
    [email] = emails_of("signature_rejected")
    assert f"The moderator's note: {NOTE}" in email.body_text


def test_two_ticked_of_which_one_still_awaits_take_a_note_for_that_one(
    client, moderator, second_moderator, letter, pending
):
    # Given two ticked signatures, one of which another moderator approved meanwhile
    other = sign_and_confirm(letter, name="Uyghur Voices", email="info@uyghurvoices.example.net")
    services.approve_signature(signature=other, moderator=second_moderator)
    client.force_login(moderator)

    # When the moderator rejects "both" with a note
    page = reject_page(client, [pending.pk, other.pk])
    response = reject(client, [pending.pk, other.pk], R.CANNOT_VERIFY_AUTHORITY, NOTE)

    # Then the note is offered and goes to the one signature that was rejected, to its signer
    assert 'name="note"' in page.content.decode()
    assert response.status_code == 302
    assert Signature.objects.get(pk=pending.pk).rejection_note == NOTE
    assert Signature.objects.get(pk=other.pk).status == "approved"
    assert [e.to for e in emails_of("signature_rejected")] == ["info@tibetwatch.example.net"]


# --- The coordinators' delegated page -------------------------------------------------------------


@pytest.fixture
def delegated(letter, moderator):
    return services.set_review_delegation(letter=letter, moderator=moderator, delegated=True)


def test_a_delegated_coordinator_cannot_send_one_note_to_two_signers(
    client, owner, delegated, pending
):
    other = sign_and_confirm(delegated, name="Uyghur Voices", email="info@uyghurvoices.example.net")
    ids = [pending.pk, other.pk]
    client.force_login(owner)

    page = client.post(reject_url(delegated), {"signature": ids})
    response = client.post(
        reject_url(delegated),
        {"signature": ids, "apply": "1", "reason": R.CANNOT_VERIFY_AUTHORITY, "note": NOTE},
    )

    assert 'name="note"' not in page.content.decode()
    assert "A note is written about one organisation" in page.content.decode()
    assert response.status_code == 400
    [error] = response.context["form"].non_field_errors()
    assert "one by one" in error
    assert nothing_decided(ids)


def test_a_delegated_coordinator_rejects_two_with_the_reason_alone(
    client, owner, delegated, pending
):
    other = sign_and_confirm(delegated, name="Uyghur Voices", email="info@uyghurvoices.example.net")
    client.force_login(owner)

    response = client.post(
        reject_url(delegated),
        {"signature": [pending.pk, other.pk], "apply": "1", "reason": R.DUPLICATE},
    )

    assert response.status_code == 302
    assert len(emails_of("signature_rejected")) == 2


def test_a_delegated_coordinator_rejects_one_with_its_note(client, owner, delegated, pending):
    client.force_login(owner)

    page = client.post(reject_url(delegated), {"only": pending.pk})
    response = client.post(
        reject_url(delegated),
        {"signature": pending.pk, "apply": "1", "reason": R.CANNOT_VERIFY_AUTHORITY, "note": NOTE},
    )

    assert 'name="note"' in page.content.decode()
    assert response.status_code == 302
    [email] = emails_of("signature_rejected")
    assert f"The moderator's note: {NOTE}" in email.body_text


# --- The service, whoever calls it ----------------------------------------------------------------


def test_the_service_refuses_one_note_for_several_signatures(moderator, letter):
    ids = bulk_pending(letter, 2)

    with pytest.raises(DomainError) as refused:
        services.decide_signatures(
            signature_ids=ids,
            moderator=moderator,
            approve=False,
            reason=R.CANNOT_VERIFY_AUTHORITY,
            note=NOTE,
        )

    assert "one by one" in refused.value.message
    assert nothing_decided(ids)
