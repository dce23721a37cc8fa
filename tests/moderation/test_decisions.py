"""Approving and rejecting in the admin: one by one from a signature's page, in bulk from the
queue, the reason asked on an intermediate page; a decision made twice is applied once and the
second moderator is told. Every decision writes an audit event and queues an email."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEvent
from letters import services
from letters.models import Letter, Signature
from outbox.models import OutboundEmail

from .conftest import bulk_pending, emails_of, sign_and_confirm

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:letters_pendingsignature_changelist")
ALL = reverse("admin:letters_signature_changelist")
R = Signature.RejectionReason


def approve(client, ids, url=QUEUE, **kwargs):
    return client.post(
        url, {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: ids}, **kwargs
    )


def reject_page(client, ids, url=QUEUE):
    """The first step: the action without `apply` shows the reason form."""
    return client.post(url, {"action": "reject_selected", ACTION_CHECKBOX_NAME: ids})


def reject(client, ids, reason, note="", url=QUEUE):
    return client.post(
        url,
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: ids,
            "apply": "1",
            "reason": reason,
            "note": note,
        },
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


# --- Approve ----------------------------------------------------------------------------------


def test_bulk_approve_decides_each_records_each_and_queues_each_email(client, moderator, letter):
    ids = bulk_pending(letter, 3)
    client.force_login(moderator)

    response = approve(client, ids)

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert (
        list(Signature.objects.filter(pk__in=ids).values_list("status", flat=True))
        == ["approved"] * 3
    )
    assert set(Signature.objects.filter(pk__in=ids).values_list("decided_by", flat=True)) == {
        moderator.pk
    }
    events = AuditEvent.objects.filter(action="signature.approved").order_by("target_id")
    assert [(e.target_id, e.actor_id, e.letter_id) for e in events] == [
        (pk, moderator.pk, letter.pk) for pk in ids
    ]
    assert sorted(e.to for e in emails_of("signature_approved")) == sorted(
        f"signer{i}@org{i}.example.net" for i in range(3)
    )
    assert messages_of(response) == [("success", "3 signatures approved.")]


@pytest.mark.parametrize("count", [5, 50])
def test_bulk_approve_takes_the_same_queries_for_5_or_50(
    client, moderator, letter, count, django_assert_num_queries
):
    # Given `count` signatures awaiting review, all ticked
    ids = bulk_pending(letter, count)
    client.force_login(moderator)
    client.get(QUEUE)  # a first request warms the session

    # Then approving them takes, however many:
    #  1 session, 2 user, 3 authenticator (2FA), 4-5 permissions (user, groups) to list the
    #  actions; the changelist the action runs in: 6 the letter filter's counts, 7 its count
    #  (its page is not read), 8 the letter filter again (the action's queryset); then
    #  decide_signatures: 9 savepoint, 10 the rows locked, 11 the user's groups (may they
    #  moderate), 12 the update, 13 the audit events (one insert), 14 the letter's active
    #  webhook endpoints (one per letter, however many signatures: README "Webhooks"),
    #  15 the emails (one insert), 16 their ids, 17 the letter's public list version,
    #  18 release savepoint
    with django_assert_num_queries(EXPECTED_APPROVE_QUERIES):
        response = approve(client, ids)

    assert response.status_code == 302
    assert Signature.objects.filter(status="approved").count() == count
    assert AuditEvent.objects.filter(action="signature.approved").count() == count
    assert OutboundEmail.objects.filter(kind="signature_approved").count() == count


EXPECTED_APPROVE_QUERIES = 18


def test_approve_from_a_signatures_own_page_returns_to_the_queue(client, moderator, pending):
    client.force_login(moderator)
    page = reverse("admin:letters_pendingsignature_change", args=[pending.pk])

    # The change form offers the decisions as its actions
    form = client.get(page)
    assert form.status_code == 200
    assert [c[0] for c in form.context["action_form"].fields["action"].choices] == [
        "",
        "approve_selected",
        "reject_selected",
    ]

    response = client.post(
        page, {"CHANGE_FORM-action": "approve_selected", ACTION_CHECKBOX_NAME: [pending.pk]}
    )

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert Signature.objects.get(pk=pending.pk).status == "approved"
    assert messages_of(response) == [("success", "1 signature approved.")]


def test_the_signatures_page_is_read_only(client, moderator, pending):
    client.force_login(moderator)
    url = reverse("admin:letters_signature_change", args=[pending.pk])

    response = client.post(url, {"signer_name": "Someone Else", "_save": "Save"})

    assert response.status_code == 403
    assert Signature.objects.get(pk=pending.pk).signer_name == "Pema Dolma"


# --- Reject -----------------------------------------------------------------------------------


def test_reject_asks_for_the_reason_on_an_intermediate_page(client, moderator, letter):
    ids = bulk_pending(letter, 2)
    client.force_login(moderator)

    response = reject_page(client, ids)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/letters/reject_signatures.html"
    assert [c[0] for c in response.context["form"].fields["reason"].choices] == [
        "cannot_verify_authority",
        "duplicate",
        "not_an_organisation",
        "spam",
        "other",
    ]
    assert [s.pk for s in response.context["signatures"]] == ids
    body = response.content.decode()
    for pk in ids:
        assert f'name="{ACTION_CHECKBOX_NAME}" value="{pk}"' in body
    assert 'name="apply" value="1"' in body
    # Nothing decided yet
    assert set(Signature.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "pending_review"
    }
    assert not AuditEvent.objects.filter(action="signature.rejected").exists()


def test_reject_with_a_reason_and_note_stores_both_records_and_emails_them(
    client, moderator, letter, pending
):
    client.force_login(moderator)

    response = reject(client, [pending.pk], R.CANNOT_VERIFY_AUTHORITY, "Please sign from work.")

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    signature = Signature.objects.get(pk=pending.pk)
    assert (signature.status, signature.rejection_reason, signature.rejection_note) == (
        "rejected",
        "cannot_verify_authority",
        "Please sign from work.",
    )
    assert signature.decided_by == moderator
    [event] = AuditEvent.objects.filter(action="signature.rejected")
    assert (event.actor, event.target_id, event.letter_id, event.data) == (
        moderator,
        pending.pk,
        letter.pk,
        {"reason": "cannot_verify_authority"},
    )
    assert event.reason == "We could not verify the authority to sign — Please sign from work."
    [email] = emails_of("signature_rejected")
    assert email.to == "info@tibetwatch.example.net"
    assert "Reason: We could not verify the authority to sign" in email.body_text
    assert "The moderator's note: Please sign from work." in email.body_text
    assert messages_of(response) == [("success", "1 signature rejected; the signer is told why.")]


@pytest.mark.parametrize(
    ("reason", "note", "error_field"),
    [
        ("", "", "reason"),
        ("because", "", "reason"),
        (R.OTHER, "", "note"),
        (R.OTHER, "   ", "note"),
        (R.SPAM, "x" * 2001, "note"),
    ],
)
def test_reject_without_a_valid_reason_shows_the_form_again_and_changes_nothing(
    client, moderator, pending, reason, note, error_field
):
    client.force_login(moderator)

    response = reject(client, [pending.pk], reason, note)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [error_field]
    assert Signature.objects.get(pk=pending.pk).status == "pending_review"
    assert not AuditEvent.objects.filter(action="signature.rejected").exists()
    assert emails_of("signature_rejected") == []


def test_reject_other_with_a_note(client, moderator, pending):
    client.force_login(moderator)

    reject(client, [pending.pk], R.OTHER, "The letter is for organisations in exile.")

    signature = Signature.objects.get(pk=pending.pk)
    assert (signature.rejection_reason, signature.rejection_note) == (
        "other",
        "The letter is for organisations in exile.",
    )


def test_bulk_reject_through_select_all_takes_the_filtered_queue(
    client, moderator, letter, other_letter
):
    # Given three signatures on one letter and one on another; the moderator filters the queue
    # by the first letter and selects all, across pages
    ids = bulk_pending(letter, 3)
    [other] = bulk_pending(other_letter, 1, prefix="Other Organisation")
    client.force_login(moderator)
    filtered = f"{QUEUE}?letter={letter.pk}"

    # When they reject with a reason
    page = client.post(
        filtered,
        {"action": "reject_selected", ACTION_CHECKBOX_NAME: ids[:1], "select_across": "1"},
    )
    assert page.context["count"] == 3
    response = client.post(
        page.context["form_url"],
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: ids[:1],
            "select_across": "1",
            "apply": "1",
            "reason": R.SPAM,
        },
    )

    # Then the letter's three are rejected, the other letter's is untouched
    assert response.status_code == 302
    assert set(Signature.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "rejected"
    }
    assert Signature.objects.get(pk=other).status == "pending_review"


def test_reject_from_a_signatures_own_page(client, moderator, pending):
    client.force_login(moderator)
    page = reverse("admin:letters_pendingsignature_change", args=[pending.pk])

    form = client.post(
        page, {"CHANGE_FORM-action": "reject_selected", ACTION_CHECKBOX_NAME: [pending.pk]}
    )
    assert form.status_code == 200
    assert form.context["form_url"] == QUEUE
    response = client.post(
        form.context["form_url"],
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: [pending.pk],
            "apply": "1",
            "reason": R.NOT_AN_ORGANISATION,
        },
    )

    assert response.status_code == 302
    assert Signature.objects.get(pk=pending.pk).rejection_reason == "not_an_organisation"


# --- Twice, or too late -------------------------------------------------------------------------


def test_a_decision_made_twice_is_applied_once_and_the_second_moderator_is_told(
    client, moderator, second_moderator, letter
):
    # Given two moderators looking at the same page of the queue
    ids = bulk_pending(letter, 3)
    client.force_login(moderator)
    approve(client, ids[:2], follow=True)  # the first approves two of them, and reads the queue

    # When the second, whose page still shows all three, rejects all three
    client.force_login(second_moderator)
    response = reject(client, ids, R.SPAM)

    # Then only the third is rejected; the two are still approved, by the first moderator
    assert [
        (s.status, s.decided_by_id) for s in Signature.objects.filter(pk__in=ids).order_by("pk")
    ] == [
        ("approved", moderator.pk),
        ("approved", moderator.pk),
        ("rejected", second_moderator.pk),
    ]
    # one event and one email per signature, not two
    assert (
        AuditEvent.objects.filter(target_id__in=ids)
        .filter(action__in=["signature.approved", "signature.rejected"])
        .count()
        == 3
    )
    assert (
        OutboundEmail.objects.filter(kind__in=["signature_approved", "signature_rejected"]).count()
        == 3
    )
    # and the second moderator is told why two were not rejected
    assert messages_of(response) == [
        ("success", "1 signature rejected; the signer is told why."),
        (
            "warning",
            "2 signatures were not decided. Already decided by someone else: it is now “Approved”.",
        ),
    ]


def test_approving_a_signature_someone_else_decided_says_so(
    client, moderator, second_moderator, pending
):
    services.reject_signature(signature=pending, moderator=second_moderator, reason=R.SPAM)
    client.force_login(moderator)

    response = approve(client, [pending.pk])

    assert Signature.objects.get(pk=pending.pk).status == "rejected"
    assert messages_of(response) == [
        (
            "warning",
            "1 signature was not decided. Already decided by someone else: it is now “Rejected”.",
        )
    ]


def test_nothing_to_reject_goes_back_with_a_warning(client, moderator, second_moderator, pending):
    services.approve_signature(signature=pending, moderator=second_moderator)
    client.force_login(moderator)

    response = reject_page(client, [pending.pk])

    assert response.status_code == 302
    assert messages_of(response) == [
        ("warning", "None of the selected signatures is awaiting review: nothing to reject.")
    ]


def test_signatures_of_a_published_letter_are_not_decided(
    client, moderator, owner, letter, pending
):
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=Letter.objects.get(pk=letter.pk), actor=owner)
    client.force_login(moderator)

    response = approve(client, [pending.pk], url=ALL)

    assert Signature.objects.get(pk=pending.pk).status == "pending_review"
    assert messages_of(response) == [
        (
            "warning",
            "1 signature was not decided. The letter has been published; its list is final.",
        )
    ]


def test_every_signature_page_in_the_full_list_decides_too(client, moderator, letter):
    ids = bulk_pending(letter, 2)
    client.force_login(moderator)

    approve(client, ids[:1], url=ALL)
    reject(client, ids[1:], R.DUPLICATE, url=ALL)

    assert list(
        Signature.objects.filter(pk__in=ids).order_by("pk").values_list("status", flat=True)
    ) == [
        "approved",
        "rejected",
    ]
    assert sign_and_confirm  # the helper is shared with the other modules
