"""Issue 12, item 4: account holders download their data and delete their account (after a
recent authentication); the organisations they alone administer are handed over or flagged
to moderators; moderators see each request."""

import json

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from letters.models import DataRequest, LetterCoordinator
from organisations.models import Membership, OrganisationFlag
from tests.factories import (
    PASSWORD,
    LetterFactory,
    MembershipFactory,
    UserFactory,
    make_moderator,
)

pytestmark = pytest.mark.django_db

EMAIL = "tenzin@tibet-advocacy.example.org"


@pytest.fixture
def user() -> User:
    return UserFactory(email=EMAIL, name="Tenzin Dolkar")


def log_in(client, user: User) -> None:
    """Logged in, with a recent authentication (the password typed again), as the download
    and the deletion require."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def test_the_page_needs_an_account(client):
    response = client.get(reverse("account-data"))

    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_the_download_holds_the_account_and_its_memberships(client, user):
    MembershipFactory(user=user, organisation__name="Tibet Advocacy Circle")
    log_in(client, user)

    response = client.post(reverse("account-data-download"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == EMAIL
    assert [m["organisation"] for m in data["memberships"]] == ["Tibet Advocacy Circle"]
    assert DataRequest.objects.get().kind == "account_export"


def test_the_download_needs_a_recent_authentication(client, user):
    client.force_login(user)  # a session with no record of when the password was typed

    response = client.post(reverse("account-data-download"))

    assert response.status_code == 302
    assert "reauthenticate" in response.url
    assert not DataRequest.objects.exists()


def test_a_get_downloads_nothing_and_leads_back_to_the_page(client, user):
    log_in(client, user)

    response = client.get(reverse("account-data-download"))  # where the password check returns

    assert response.status_code == 302
    assert response.url == reverse("account-data")
    assert not DataRequest.objects.exists()


def test_deletion_asks_for_confirmation_and_changes_nothing_without_it(client, user):
    log_in(client, user)

    response = client.post(reverse("account-delete"), {})

    assert response.status_code == 400
    assert User.objects.filter(pk=user.pk).exists()


def test_deletion_hands_an_organisation_over_to_the_member_chosen(client, user):
    membership = MembershipFactory(user=user, role=Membership.Role.ADMIN)
    other = MembershipFactory(organisation=membership.organisation)
    log_in(client, user)

    response = client.post(
        reverse("account-delete"),
        {"confirm": "on", f"handover-{membership.organisation.pk}": str(other.pk)},
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    other.refresh_from_db()
    assert other.role == Membership.Role.ADMIN
    assert DataRequest.objects.get().kind == "account_deletion"
    assert EMAIL not in str(list(AuditEvent.objects.values_list("data", "reason")))


def test_deletion_without_anyone_to_take_over_flags_the_organisation(client, user):
    membership = MembershipFactory(user=user, role=Membership.Role.ADMIN)
    log_in(client, user)

    client.post(reverse("account-delete"), {"confirm": "on"})

    assert not User.objects.filter(pk=user.pk).exists()
    flag = OrganisationFlag.objects.get(organisation=membership.organisation)
    assert flag.kind == "no_admin"


def test_the_only_owner_of_a_letter_must_hand_it_over_first(client, user):
    letter = LetterFactory()
    LetterCoordinator.objects.create(letter=letter, user=user, role=LetterCoordinator.Role.OWNER)
    log_in(client, user)

    response = client.post(reverse("account-delete"), {"confirm": "on"})

    assert response.status_code == 400
    assert User.objects.filter(pk=user.pk).exists()
    assert letter.title in response.content.decode()


def test_staff_cannot_delete_themselves(client):
    moderator = make_moderator(email="mod@undersigned.example.org", is_staff=True)
    client.force_login(moderator)

    page = client.get(reverse("account-delete"))

    assert "another administrator" in page.content.decode()
    assert User.objects.filter(pk=moderator.pk).exists()
