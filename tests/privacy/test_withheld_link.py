"""Issue 12, item 1: a recipient-only or counted-only signature keeps its organisation
encrypted. Its row names no organisation in clear (the link is encrypted, its keyed index per
letter holds the one-counted-signature rule in the database), its audit trail names none, and
the delivery record keeps a recipient-only organisation's names encrypted. With the key,
moderators, coordinators and members see what they saw before."""

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from letters import selectors, services
from letters.models import Letter, Signature
from tests.factories import LetterFactory, MembershipFactory, OrganisationFactory
from tests.letters.signing_helpers import in_state, sign

WITHHELD = (Signature.Visibility.RECIPIENT_ONLY, Signature.Visibility.COUNTED_ONLY)


def raw_row(signature: Signature) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM letters_signature WHERE id = %s", [signature.pk])
        columns = [c[0] for c in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def unmasked(response) -> str:
    """The page without its CSRF token (masked afresh on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def raw_audit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT organisation_id, target_id, data FROM audit_auditevent")
        return repr(cursor.fetchall())


@pytest.fixture
def letter(db) -> Letter:
    return LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Uyghur Human Rights Watch", based_in="Munich")


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", WITHHELD)
def test_a_withheld_signature_names_its_organisation_nowhere_in_clear(
    letter, organisation, visibility
):
    signature = sign(letter, organisation=organisation, visibility=visibility)
    services.confirm_signature(signature=signature)

    row = raw_row(signature)
    assert row["public_organisation_id"] is None
    assert row["sealed_organisation"] not in ("", str(organisation.pk))
    assert len(row["organisation_key"]) == 64
    # No audit event of this signature points at the organisation.
    assert not AuditEvent.objects.filter(
        target_id=signature.pk, target_type="letters.signature", organisation__isnull=False
    ).exists()
    # With the key, the model reads it back.
    assert Signature.objects.get(pk=signature.pk).organisation == organisation


@pytest.mark.django_db
def test_a_public_signature_keeps_its_clear_link(letter, organisation):
    signature = sign(letter, organisation=organisation)
    services.confirm_signature(signature=signature)

    row = raw_row(signature)
    assert row["public_organisation_id"] == organisation.pk
    assert row["sealed_organisation"] == ""


@pytest.mark.django_db
def test_the_database_still_refuses_a_second_counted_signature_whatever_the_visibility(
    letter, organisation
):
    in_state(sign(letter, organisation=organisation, visibility="counted_only"), "approved")
    second = sign(letter, organisation=organisation, signer_email="other@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.filter(pk=second.pk).update(status="pending_review")


@pytest.mark.django_db
def test_the_keyed_index_differs_from_letter_to_letter(organisation):
    first = sign(LetterFactory(sign_on_mode="open"), organisation=organisation)
    second = sign(LetterFactory(sign_on_mode="open"), organisation=organisation)

    assert raw_row(first)["organisation_key"] != raw_row(second)["organisation_key"]


@pytest.mark.django_db
def test_narrowing_seals_the_link_and_forgets_it_in_the_trail(letter, organisation):
    signature = sign(letter, organisation=organisation)
    services.confirm_signature(signature=signature)
    assert AuditEvent.objects.filter(target_id=signature.pk, organisation=organisation).exists()

    services.narrow_visibility(
        signature=signature, visibility="counted_only", show_signer_name=False
    )

    row = raw_row(signature)
    assert row["public_organisation_id"] is None
    assert row["sealed_organisation"]
    assert not AuditEvent.objects.filter(
        target_id=signature.pk, target_type="letters.signature", organisation__isnull=False
    ).exists()
    assert f'"letter_id": {letter.pk}' in raw_audit()  # the letter, yes; not the organisation


@pytest.mark.django_db
def test_widening_back_to_public_restores_the_clear_link(letter, organisation):
    signature = sign(letter, organisation=organisation, visibility="counted_only")
    services.confirm_signature(signature=signature)
    token = services.request_widening(
        signature=signature, visibility="public", show_signer_name=False
    )

    services.confirm_widening(token=token)

    row = raw_row(signature)
    assert row["public_organisation_id"] == organisation.pk
    assert row["sealed_organisation"] == ""


@pytest.mark.django_db
def test_members_find_and_withdraw_their_withheld_signature(client, letter, organisation):
    member = MembershipFactory(organisation=organisation).user
    signature = sign(letter, organisation=organisation, visibility="counted_only")
    services.confirm_signature(signature=signature)

    assert list(selectors.signatures_of_member(member)) == [signature]
    assert list(Signature.objects.of_organisation(organisation)) == [signature]
    client.force_login(member)
    url = reverse("letters:signature-withdraw", args=[signature.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"confirm": "on"})
    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN


@pytest.mark.django_db
def test_a_stranger_gets_the_same_404_for_a_withheld_signature(client, letter, organisation):
    stranger = MembershipFactory().user
    signature = sign(letter, organisation=organisation, visibility="counted_only")
    services.confirm_signature(signature=signature)
    client.force_login(stranger)

    withheld = client.get(reverse("letters:signature-withdraw", args=[signature.pk]))
    missing = client.get(reverse("letters:signature-withdraw", args=[signature.pk + 999]))

    assert withheld.status_code == missing.status_code == 404
    assert unmasked(withheld) == unmasked(missing)


@pytest.mark.django_db
def test_the_recipient_edition_still_names_a_recipient_only_organisation(letter, organisation):
    signature = sign(letter, organisation=organisation, visibility="recipient_only")
    in_state(signature, "approved")

    recipient = selectors.recipient_signatories(letter)
    public = selectors.public_edition(letter)

    assert [s.name for s in recipient.named] == ["Uyghur Human Rights Watch"]
    assert public.named == ()
    assert public.unnamed == 1


@pytest.mark.django_db
def test_saving_other_fields_of_a_withheld_signature_does_not_load_its_organisation(
    letter, organisation
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signature = sign(letter, organisation=organisation, visibility="counted_only")
    fresh = Signature.objects.get(pk=signature.pk)  # organisation not loaded

    with CaptureQueriesContext(connection) as queries:
        fresh.save(update_fields=["version_hash", "updated_at"])

    assert [q["sql"] for q in queries if "organisations_organisation" in q["sql"]] == []
    assert raw_row(fresh)["organisation_key"] == raw_row(signature)["organisation_key"]
