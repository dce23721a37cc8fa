"""Publishing records the delivery (date, to whom, how, the exact version, the list frozen at
that moment) and emails every approved signer through the outbox."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import TransitionError
from letters import selectors, services
from letters.models import Letter, LetterDelivery, open_signatory
from outbox.models import OutboundEmail
from outbox.services import address_hash
from tests.letters.conftest import letter_state
from tests.letters.signing_helpers import text_of

from .conftest import V, sign_as

pytestmark = pytest.mark.django_db

S = Letter.Status


@pytest.fixture
def closed_with_signatures(make_letter, owner, hidden_and_named):
    letter = make_letter(S.CLOSED)
    signatures = hidden_and_named(letter)
    signatures["pending"] = sign_as(letter, "Still Pending", status="pending_review")
    signatures["withdrawn"] = sign_as(letter, "Withdrew Before", status="withdrawn")
    return letter, signatures


def test_publishing_records_the_delivery_with_a_frozen_list(owner, closed_with_signatures):
    letter, signatures = closed_with_signatures
    services.update_letter(
        letter=letter, actor=owner, lead_organisations=[signatures["public"].organisation]
    )
    delivered_on = timezone.localdate() - dt.timedelta(days=1)

    services.publish_letter(
        letter=letter,
        actor=owner,
        delivered_on=delivered_on,
        delivered_to="  The Secretary's   private office ",
        method="By email and by hand",
    )

    delivery = LetterDelivery.objects.get(letter=letter)
    version = letter.versions.get(is_current=True)
    assert (delivery.delivered_on, delivery.delivered_to, delivery.method) == (
        delivered_on,
        "The Secretary's private office",
        "By email and by hand",
    )
    assert (delivery.version, delivery.recorded_by) == (version, owner)
    today = timezone.localdate().isoformat()

    def entry(key, **extra):
        s = signatures[key]
        return {
            "signature": s.pk,
            "organisation": s.organisation_id,
            "name": s.organisation.name,
            "slug": s.organisation.slug,
            "based_in": s.organisation.based_in,
            "visibility": s.visibility,
            "signer": None,
            "lead": False,
            "signed_on": today,
            "version": 1,
            "covers": True,
            **extra,
        }

    # Stored: only public entries name their organisation in clear (issue 12); a
    # recipient-only one keeps its names encrypted, a counted-only one holds none.
    stored = {e["signature"]: e for e in delivery.signatories}
    withheld = stored[signatures["recipient_only"].pk]
    assert withheld["organisation"] is None
    assert withheld["name"] is None
    assert signatures["recipient_only"].organisation.name not in str(delivery.signatories)
    counted = {
        "signature": signatures["counted_only"].pk,
        "organisation": None,
        "name": None,
        "slug": None,
        "based_in": None,
        "visibility": "counted_only",
        "signer": None,
        "lead": False,
        "signed_on": today,
        "version": 1,
        "covers": True,
    }
    withheld_entries = sorted([counted, entry("recipient_only")], key=lambda e: e["signature"])
    # Public ones first, lead first then in collation order; then the withheld ones in the
    # order they signed (their names are not stored in clear, so not ordered by them);
    # the counted-only one is kept as a number only
    assert [open_signatory(e) for e in delivery.signatories] == [
        entry("public", signer="Pema Dolma, Director", lead=True),
        entry("public_no_name"),
        *withheld_entries,
    ]
    event = AuditEvent.objects.filter(action="letter.published").get()
    assert event.data == {
        "version": 1,
        "delivered_on": delivered_on.isoformat(),
        "delivered_to": "The Secretary's private office",
        "method": "By email and by hand",
        "signatories": 4,
        "older_versions": "mark",
    }


def test_the_delivery_defaults_to_today_and_the_recipient(owner, closed_letter):
    services.publish_letter(letter=closed_letter, actor=owner)

    delivery = LetterDelivery.objects.get(letter=closed_letter)
    assert (delivery.delivered_on, delivery.delivered_to, delivery.method) == (
        timezone.localdate(),
        closed_letter.recipient,
        "",
    )
    assert delivery.signatories == []


def test_every_approved_signer_is_emailed_once(owner, closed_with_signatures):
    letter, signatures = closed_with_signatures

    services.publish_letter(letter=letter, actor=owner, method="by email")

    emails = OutboundEmail.objects.filter(kind="letter_published")
    approved = [
        signatures[k] for k in ("public", "public_no_name", "recipient_only", "counted_only")
    ]
    assert sorted(e.to for e in emails) == sorted(s.signer_email for s in approved)
    assert {e.dedupe_key for e in emails} == {f"signature:{s.pk}:published" for s in approved}
    ro = emails.get(to_hash=address_hash(signatures["recipient_only"].signer_email))
    assert ro.subject == f"Published: “{letter.title}”"
    assert "named only in the copy delivered to the recipient, never on a public page" in (
        ro.body_text
    )
    assert f"Delivered to: {letter.recipient} (by email)" in ro.body_text
    # Typed by the coordinators in their language: isolated in a right-to-left reader's email.
    assert f"<bdi>{letter.recipient}</bdi> (<bdi>by email</bdi>)" in ro.body_html
    counted = emails.get(to_hash=address_hash(signatures["counted_only"].signer_email))
    assert "counted, never named" in counted.body_text
    # Nobody else: not the pending one, not the one who withdrew
    assert not OutboundEmail.objects.filter(
        kind="letter_published",
        to_hash__in=[
            address_hash(signatures["pending"].signer_email),
            address_hash(signatures["withdrawn"].signer_email),
        ],
    ).exists()


@pytest.mark.parametrize("signers", [2, 40])
def test_publishing_takes_the_same_queries_however_many_signed(
    django_assert_num_queries, make_letter, owner, signers
):
    letter = make_letter(S.CLOSED)
    for n in range(signers):
        sign_as(letter, f"Organisation {n}")

    #   1. SAVEPOINT (the service's transaction, inside the test's)
    #   2. the letter, locked
    #   3. the user's coordinator role
    #   4. the current version
    #   5. UPDATE the letter: published
    #   6. the last substantive version (which signatures cover the text delivered)
    #   7. its lead organisations (for the snapshot's order)
    #   8. the approved signatures with organisations and versions: the snapshot
    #   9. INSERT the delivery record
    #  10. the approved signatures again, streamed, for the emails
    #  11. INSERT the emails, one statement (fewer than 500 signers: one chunk)
    #  12. the ids of the emails queued
    #  13. UPDATE list_version (the cached list is stale)
    #  14. INSERT the audit event
    #  15. the letter's active webhook endpoints (none here: nothing more; README "Webhooks")
    #  16. RELEASE SAVEPOINT
    with django_assert_num_queries(16):
        services.publish_letter(letter=letter, actor=owner)

    assert OutboundEmail.objects.filter(kind="letter_published").count() == signers


def test_a_withdrawal_after_delivery_does_not_rewrite_the_record(
    client, owner, closed_with_signatures
):
    letter, signatures = closed_with_signatures
    services.publish_letter(letter=letter, actor=owner)
    frozen = LetterDelivery.objects.get(letter=letter).signatories

    # An organisation endangered after publication withdraws through the service.
    services.withdraw_signature(signature=signatures["public_no_name"])
    response = client.get(letter.get_absolute_url())

    assert LetterDelivery.objects.get(letter=letter).signatories == frozen
    page = text_of(response)
    # Public surfaces count it, and no longer name it.
    assert "Hong Kong Watch" not in page
    assert "1 organisation withdrew its signature after the letter was delivered." in page
    # The recipient edition (the record of what was delivered) still names it, marked.
    letter.refresh_from_db()
    recipient = selectors.recipient_signatories(letter)
    marked = [s.name for s in recipient.named if s.withdrawn_after_delivery]
    assert marked == ["Hong Kong Watch"]


def test_the_page_says_when_and_to_whom_it_was_delivered(client, owner, closed_letter):
    services.publish_letter(
        letter=closed_letter,
        actor=owner,
        delivered_on=dt.date(2026, 3, 2),
        delivered_to="The Secretary of State",
        method="by hand, at the State Department",
    )

    response = client.get(closed_letter.get_absolute_url())

    assert (
        "Delivered on 2 March 2026 to the Secretary of State (by hand, at the State Department)."
        in text_of(response).replace("<bdi>", "").replace("</bdi>", "")
    )
    # Typed in whatever language the coordinator wrote it: isolated, so that a right-to-left
    # page (Uyghur) does not reorder its words and brackets with the sentence around it.
    assert "(<bdi>by hand, at the State Department</bdi>)" in response.content.decode()


# --- The publish page -------------------------------------------------------------------------


def test_the_publish_page_prefills_the_delivery_and_says_who_is_on_the_record(
    client, owner, closed_with_signatures
):
    letter, _ = closed_with_signatures
    client.force_login(owner)

    response = client.get(reverse("letters:publish", args=[letter.slug]))

    form = response.context["form"]
    assert (form["delivered_to"].value(), form["delivered_on"].value()) == (
        letter.recipient,
        timezone.localdate(),
    )
    page = text_of(response)
    assert "4 approved organisations are on the letter as delivered" in page
    assert "2 named publicly, 1 named to the recipient only, 1 counted only." in page
    assert "1 signature still awaiting confirmation or review will not be on the letter." in page


def test_publishing_through_the_page_records_what_was_typed(client, owner, closed_letter):
    client.force_login(owner)

    response = client.post(
        reverse("letters:publish", args=[closed_letter.slug]),
        {"delivered_on": "2026-01-05", "delivered_to": "Minister Li", "method": "by post"},
    )

    assert response.status_code == 302
    delivery = LetterDelivery.objects.get(letter=closed_letter)
    assert (delivery.delivered_on, delivery.delivered_to, delivery.method) == (
        dt.date(2026, 1, 5),
        "Minister Li",
        "by post",
    )
    assert Letter.objects.get(pk=closed_letter.pk).status == S.PUBLISHED


def test_a_delivery_date_in_the_future_is_refused_and_nothing_changes(client, owner, closed_letter):
    client.force_login(owner)
    before = letter_state(closed_letter)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = client.post(
        reverse("letters:publish", args=[closed_letter.slug]),
        {"delivered_on": tomorrow.isoformat(), "delivered_to": "Minister Li"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "delivered_on": [
            "The delivery is recorded once it has happened: the date cannot be in the future."
        ]
    }
    assert letter_state(closed_letter) == before
    assert not LetterDelivery.objects.exists()
    assert not OutboundEmail.objects.filter(kind="letter_published").exists()


def test_another_coordinator_cannot_publish_and_nothing_changes(
    client, other_coordinator, closed_letter
):
    sign_as(closed_letter, "Tibet Watch")
    client.force_login(other_coordinator)
    before = letter_state(closed_letter)

    response = client.post(
        reverse("letters:publish", args=[closed_letter.slug]), {"delivered_to": "Someone"}
    )

    assert response.status_code == 404
    assert letter_state(closed_letter) == before
    assert not LetterDelivery.objects.exists()
    assert not OutboundEmail.objects.filter(kind="letter_published").exists()


def test_publishing_twice_is_refused_and_keeps_the_first_record(owner, closed_letter):
    sign_as(closed_letter, "Tibet Watch")
    services.publish_letter(letter=closed_letter, actor=owner, delivered_to="First")

    with pytest.raises(TransitionError):
        services.publish_letter(letter=closed_letter, actor=owner, delivered_to="Second")

    assert LetterDelivery.objects.get(letter=closed_letter).delivered_to == "First"
    assert OutboundEmail.objects.filter(kind="letter_published").count() == 1


def test_the_published_letter_shows_a_recipient_only_signatory_to_nobody(
    client, owner, closed_letter
):
    sign_as(closed_letter, "Named Only To Them", visibility=V.RECIPIENT_ONLY)
    services.publish_letter(letter=closed_letter, actor=owner)

    response = client.get(closed_letter.get_absolute_url())

    assert "Named Only To Them" not in response.content.decode()
    assert "and 1 organisation that cannot be named for its safety." in text_of(response)


# --- Withdrawal, stated one way (issue 15, item 7) ----------------------------------------------

RULE = (
    "You can change how your organisation is shown until the letter is published, and "
    "withdraw its signature at any time, even after publication."
)


def test_the_published_email_carries_a_manage_link_that_still_withdraws(client, owner, make_letter):
    from tests.emails import as_sent
    from tests.letters.signing_helpers import emails_of, link_in

    letter = make_letter(S.CLOSED)
    signature = sign_as(letter, "Tibet Watch")
    services.publish_letter(letter=letter, actor=owner)

    [email] = emails_of("letter_published")
    text = as_sent(email).text
    assert "Your signature can be withdrawn at any time, even now" in text
    manage = link_in(text, "signatures/manage")

    response = client.post(manage, {"action": "withdraw", "confirm": "on"})

    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.status == "withdrawn"


def test_a_published_letter_whose_signatories_all_withdrew_says_so(client, owner, make_letter):
    letter = make_letter(S.CLOSED, signatories_public_while_open=True)
    signature = sign_as(letter, "Tibet Watch")
    services.publish_letter(letter=letter, actor=owner)

    services.withdraw_signature(signature=signature)
    page = text_of(client.get(letter.get_absolute_url()))

    assert "No organisation has signed yet." not in page
    assert "Signed by 0 organisations" not in page
    assert "Every organisation that signed has since withdrawn its signature." in page
    assert "1 organisation withdrew its signature after the letter was delivered." in page


def test_the_home_page_and_the_signers_emails_state_the_same_withdrawal_rule(client, make_letter):
    assert RULE in text_of(client.get(reverse("home")))
    for kind in ("signature_confirm", "signature_receipt", "signature_approved"):
        for suffix in ("txt", "html"):
            path = f"templates/email/{kind}_message.{suffix}"
            with open(path, encoding="utf-8") as template:
                source = template.read()
            if f'{{% include "email/_receipt.{suffix}" %}}' in source:
                with open(f"templates/email/_receipt.{suffix}", encoding="utf-8") as receipt:
                    source += receipt.read()
            assert RULE in source, path
            assert "before the letter is published" not in source, path
            assert "possible until the letter is published" not in source, path
