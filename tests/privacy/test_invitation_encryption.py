"""Issue 12, item 1, for invitations: the invitee is usually the signer, so an invitation's
contact (address, name, the organisation's name as typed), its reason for declining and its
last delivery error are stored encrypted, with a keyed blind index of the address for the
"one live invitation per address and letter" rule. A copy of the invitations table names no
contact; with the key, the coordinator's pages and export show what they showed before."""

import csv
import io
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from letters import services
from letters.models import Invitation, InvitationImport, Letter
from letters.models.invitations import email_index
from tests.factories import LetterFactory, make_coordinator
from tests.letters.invitation_helpers import HEADER, deliver_outbox, upload

pytestmark = pytest.mark.django_db

EMAIL = "dolkar@tibet-advocacy.example.org"
CONTACT = "Dolkar Lhamo"
ORGANISATION = "Tibetan Advocacy Circle"
CSV_ROWS = [
    ("Uyghur Voices Collective", "Arslan Tursun", "arslan@uyghur-voices.example.org", "Munich"),
    ("Hong Kong Watchers", "Mei Ling Chau", "meiling@hkwatch.example.net", "London"),
]
CLEAR_VALUES = [EMAIL, CONTACT, ORGANISATION, "tibet-advocacy.example.org"] + [
    value for row in CSV_ROWS for value in row[:3]
]


def raw_invitation_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM letters_invitation")
        return repr(cursor.fetchall()).casefold()


@pytest.fixture
def coordinator(db):
    return make_coordinator(email="coord@undersigned.example.org")


@pytest.fixture
def letter(coordinator) -> Letter:
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.INVITATION)
    letter.coordinators.create(user=coordinator)
    return letter


def invite(letter, coordinator, email=EMAIL, **kwargs) -> Invitation:
    kwargs.setdefault("organisation_name", ORGANISATION)
    kwargs.setdefault("contact_name", CONTACT)
    return services.invite(letter=letter, actor=coordinator, email=email, **kwargs)


def import_csv(letter, coordinator) -> list[int]:
    text = HEADER + "".join(f"{o},{c},{e},{b}\n" for o, c, e, b in CSV_ROWS)
    return services.confirm_import(
        invitation_import=upload(letter, coordinator, text), actor=coordinator
    )


def test_the_invitations_table_names_no_contact(letter, coordinator):
    invitation = invite(letter, coordinator)
    import_csv(letter, coordinator)
    deliver_outbox()
    services.decline_invitation(invitation=invitation, reason="Dolkar is travelling to Dharamsala")

    stored = raw_invitation_rows()

    for clear in [*CLEAR_VALUES, "dharamsala"]:
        assert clear.casefold() not in stored
    assert Invitation.objects.count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent")
        trail = repr(cursor.fetchall()).casefold()
    assert "dharamsala" not in trail
    for clear in CLEAR_VALUES:
        assert clear.casefold() not in trail


def test_with_the_key_the_values_read_back(letter, coordinator):
    invitation = invite(letter, coordinator)

    again = Invitation.objects.get(pk=invitation.pk)

    assert (again.email, again.contact_name, again.organisation_name) == (
        EMAIL,
        CONTACT,
        ORGANISATION,
    )
    assert again.email_index == email_index(EMAIL)


@pytest.mark.parametrize(
    "again", [EMAIL, EMAIL.upper(), f"  {EMAIL}  ", "Dolkar@Tibet-Advocacy.Example.org"]
)
def test_a_second_live_invitation_to_the_same_address_is_refused(letter, coordinator, again):
    invite(letter, coordinator)

    with pytest.raises(DomainError, match="already has a live invitation"):
        invite(letter, coordinator, email=again, organisation_name="Other name")

    assert Invitation.objects.count() == 1


def test_the_database_itself_refuses_a_second_live_invitation(letter, coordinator):
    first = invite(letter, coordinator)

    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            letter=letter,
            organisation_name="Other",
            email=EMAIL.upper(),
            email_index=email_index(EMAIL.upper()),
            token_hash="x" * 64,
        )

    assert list(Invitation.objects.values_list("pk", flat=True)) == [first.pk]


def test_a_row_without_its_index_is_refused(letter):
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            letter=letter, organisation_name="Other", email=EMAIL, token_hash="y" * 64
        )

    assert Invitation.objects.count() == 0


def test_the_csv_preview_still_finds_an_address_already_invited(letter, coordinator):
    invite(letter, coordinator, email=CSV_ROWS[0][2].upper(), organisation_name=CSV_ROWS[0][0])
    text = HEADER + "".join(f"{o},{c},{e},{b}\n" for o, c, e, b in CSV_ROWS)

    invited = services.confirm_import(
        invitation_import=upload(letter, coordinator, text), actor=coordinator
    )

    assert [Invitation.objects.get(pk=pk).email for pk in invited] == [CSV_ROWS[1][2]]


def test_the_tracking_page_shows_and_searches_the_contacts(client, letter, coordinator):
    invite(letter, coordinator)
    import_csv(letter, coordinator)
    client.force_login(coordinator)
    url = reverse("letters:invitations", args=[letter.slug])

    everything = client.get(url).content.decode()
    pages = {
        query: client.get(url, {"q": query}).content.decode()
        for query in ("dolkar", "TIBET-ADVOCACY", "advocacy circle", "Arslan", "nobody-here")
    }

    for value in (EMAIL, CONTACT, ORGANISATION, *CSV_ROWS[0][:3], *CSV_ROWS[1][:3]):
        assert value in everything
    for query in ("dolkar", "TIBET-ADVOCACY", "advocacy circle"):
        assert EMAIL in pages[query]
        assert CSV_ROWS[0][2] not in pages[query]
    assert CSV_ROWS[0][2] in pages["Arslan"]
    assert EMAIL not in pages["Arslan"]
    assert EMAIL not in pages["nobody-here"]
    assert CSV_ROWS[0][2] not in pages["nobody-here"]


def test_the_export_shows_the_contacts(client, letter, coordinator):
    invitation = invite(letter, coordinator)
    deliver_outbox()
    services.decline_invitation(invitation=invitation, reason="Not this time")
    client.force_login(coordinator)

    response = client.get(reverse("letters:invitation-export", args=[letter.slug]))
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    [header, row] = list(csv.reader(io.StringIO(body)))

    exported = dict(zip(header, row, strict=True))
    assert (exported["organisation"], exported["contact name"], exported["email"]) == (
        ORGANISATION,
        CONTACT,
        EMAIL,
    )
    assert (exported["status"], exported["reason for declining"]) == ("declined", "Not this time")


def test_key_rotation_re_encrypts_the_invitations(settings, letter, coordinator):
    invite(letter, coordinator)
    import_csv(letter, coordinator)
    before = raw_invitation_rows()
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    out = io.StringIO()
    call_command("rotate_encryption_keys", "--batch", "2", stdout=out)

    # Three invitations: organisation, contact name and address each.
    assert "letters_invitation: 9 values re-encrypted" in out.getvalue()
    assert raw_invitation_rows() != before
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key dropped
    assert sorted(Invitation.objects.values_list("email", flat=True)) == sorted(
        [EMAIL, CSV_ROWS[0][2], CSV_ROWS[1][2]]
    )


def test_retention_erases_the_invitation_contacts(letter, coordinator):
    invitation = invite(letter, coordinator)
    deliver_outbox()
    services.decline_invitation(invitation=invitation, reason="Dolkar is travelling")
    Letter.objects.filter(pk=letter.pk).update(
        status=Letter.Status.CLOSED, closed_at=timezone.now() - timedelta(days=1)
    )
    later = timezone.now() + timedelta(days=django_settings.SIGNER_CONTACT_RETENTION_DAYS + 1)

    report = services.purge_expired_personal_data(now=later)
    invitation.refresh_from_db()

    assert report.invitations == 1
    assert (invitation.contact_name, invitation.decline_reason, invitation.token_seed) == (
        "",
        "",
        "",
    )
    assert invitation.email == f"erased-{invitation.pk}@invalid.invalid"
    assert invitation.email_index == email_index(invitation.email)
    assert invitation.personal_data_erased_at == later
    assert invitation.organisation_name == ORGANISATION  # the organisation invited stays
    stored = raw_invitation_rows()
    for clear in (EMAIL, CONTACT, "travelling"):
        assert clear.casefold() not in stored
    assert services.purge_expired_personal_data(now=later).invitations == 0


def test_an_upload_awaiting_confirmation_names_no_contact(letter, coordinator):
    text = HEADER + "".join(f"{o},{c},{e},{b}\n" for o, c, e, b in CSV_ROWS)

    pending = upload(letter, coordinator, text)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM letters_invitationimport")
        stored = repr(cursor.fetchall()).casefold()
    for clear in [*CLEAR_VALUES[4:], "munich", "london"]:
        assert clear.casefold() not in stored
    rows = InvitationImport.objects.get(pk=pending.pk).rows
    assert [(r["organisation"], r["email"], r["based_in"]) for r in rows] == [
        (o, e, b) for o, _c, e, b in CSV_ROWS
    ]


def test_a_new_index_key_needs_the_addresses_re_indexed(settings, letter, coordinator):
    invitation = invite(letter, coordinator)
    settings.FIELD_INDEX_KEY = "another-index-key-for-this-test-only"
    assert invitation.email_index != email_index(EMAIL)

    out = io.StringIO()
    call_command("reindex_invitation_emails", "--dry-run", stdout=out)
    assert "Done: 1 invitations to re-index." in out.getvalue()
    assert Invitation.objects.get(pk=invitation.pk).email_index == invitation.email_index

    call_command("reindex_invitation_emails", "--batch", "1", stdout=out)

    assert Invitation.objects.get(pk=invitation.pk).email_index == email_index(EMAIL)
    with pytest.raises(DomainError, match="already has a live invitation"):
        invite(letter, coordinator, email=EMAIL.upper())
    again = io.StringIO()
    call_command("reindex_invitation_emails", stdout=again)
    assert "Done: 0 invitations re-indexed." in again.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_encrypts_existing_invitations_and_back(letter, coordinator):
    from django.db.migrations.executor import MigrationExecutor

    invitation = invite(letter, coordinator)
    services.decline_invitation(invitation=invitation, reason="Not now")
    pending = upload(letter, coordinator, HEADER + "Org A,Ann,ann@a.example.org,Paris\n")
    before = "letters", "0013_signature_organisation_sealed"
    # Every app's latest: going back in letters unapplies the apps that depend on it
    # (webhooks), and the way forward must apply them again.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    MigrationExecutor(connection).migrate([before])
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, contact_name, organisation_name FROM letters_invitation")
        assert cursor.fetchall() == [(EMAIL, CONTACT, ORGANISATION)]
        cursor.execute("SELECT rows::text FROM letters_invitationimport")
        assert "ann@a.example.org" in cursor.fetchone()[0]
    MigrationExecutor(connection).migrate(latest)

    assert "dolkar" not in raw_invitation_rows()
    again = Invitation.objects.get(pk=invitation.pk)
    assert (again.email, again.contact_name, again.decline_reason) == (EMAIL, CONTACT, "Not now")
    assert again.email_index == email_index(EMAIL)
    assert InvitationImport.objects.get(pk=pending.pk).rows[0]["email"] == "ann@a.example.org"


def test_a_search_takes_the_same_queries_for_1_or_30_invitations(client, letter, coordinator):
    from django.test.utils import CaptureQueriesContext

    client.force_login(coordinator)
    url = reverse("letters:invitations", args=[letter.slug])

    def count_queries(n: int) -> int:
        Invitation.objects.all().delete()
        for i in range(n):
            invite(letter, coordinator, email=f"c{i}@x.example.org", contact_name=f"Person {i}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"q": "person"})
        assert response.status_code == 200
        assert f"c{n - 1}@x.example.org" in response.content.decode()
        return len(queries)

    assert count_queries(1) == count_queries(30)


def test_a_copy_of_the_database_does_not_tell_that_an_invited_organisation_signed_withheld(
    letter, coordinator
):
    from tests.factories import OrganisationFactory
    from tests.letters.signing_helpers import sign

    invited = OrganisationFactory(name="Kashgar Families Network")
    invitation = invite(letter, coordinator, organisation=invited)
    deliver_outbox()
    signature = sign(
        letter,
        organisation=None,
        new_name="",
        invitation=invitation,
        signer_email=EMAIL,
        visibility="recipient_only",
    )  # confirmed in one step: the personal link proved EMAIL

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM letters_invitation WHERE organisation_id = %s "
            "AND status = 'accepted'",
            [invited.pk],
        )
        [accepted] = cursor.fetchone()
        cursor.execute(
            "SELECT i.organisation_id FROM letters_signature s "
            "JOIN letters_invitation i ON i.id = s.invitation_id WHERE s.id = %s",
            [signature.pk],
        )
        linked = [row[0] for row in cursor.fetchall()]
    assert accepted == 0
    assert invited.pk not in linked


def _invitation_columns(invitation) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, organisation_id, sealed_organisation FROM letters_invitation "
            "WHERE id = %s",
            [invitation.pk],
        )
        return cursor.fetchone()


def test_the_invitation_follows_its_signature_narrowed_then_withdrawn(letter, coordinator):
    from tests.factories import OrganisationFactory
    from tests.letters.signing_helpers import sign

    invited = OrganisationFactory(name="Kashgar Families Network")
    invitation = invite(letter, coordinator, organisation=invited)
    signature = sign(
        letter, organisation=None, new_name="", invitation=invitation, signer_email=EMAIL
    )  # confirmed in one step: the personal link proved EMAIL
    assert _invitation_columns(invitation)[:2] == ("accepted", invited.pk)  # public: in clear

    services.narrow_visibility(
        signature=signature, visibility="counted_only", show_signer_name=False
    )
    status, organisation_id, sealed = _invitation_columns(invitation)
    assert (status, organisation_id) == ("accepted", None)
    assert sealed not in ("", str(invited.pk))
    invitation.refresh_from_db()
    assert invitation.invited_organisation == invited  # with the key, as before

    services.withdraw_signature(signature=signature)  # the link works again: live, in clear
    assert _invitation_columns(invitation) == ("sent", invited.pk, "")
