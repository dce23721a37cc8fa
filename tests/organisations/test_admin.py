"""The moderators' admin: verification only through the actions (which call the services and
so leave audit events); edits, members and domains also go through the services."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AuditEvent
from organisations import services
from organisations.models import EmailDomain, Membership, Organisation
from tests.factories import (
    EmailDomainFactory,
    OrganisationFactory,
    UserFactory,
    enrol_totp,
)

from .images import image_bytes, upload

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:organisations_organisation_changelist")
DOMAIN_CHANGELIST = reverse("admin:organisations_emaildomain_changelist")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_but_not_moderator(client):
    """Staff with every organisation permission, but not in the Moderators group."""
    user = UserFactory(email="staff@undersigned.example.org", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="organisations"))
    enrol_totp(user)
    client.force_login(user)
    return user


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def change_url(organisation: Organisation) -> str:
    return reverse("admin:organisations_organisation_change", args=[organisation.pk])


def change_form_data(organisation: Organisation, **changes) -> dict:
    """What the change form posts, inlines included, for the organisation as it is."""
    data = {f: getattr(organisation, f) for f in services.EDITABLE_FIELDS}
    memberships = list(organisation.memberships.order_by("pk"))
    domains = list(organisation.email_domains.order_by("pk"))
    for prefix, rows in [("memberships", memberships), ("email_domains", domains)]:
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": str(len(rows)),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    for i, membership in enumerate(memberships):
        data |= {
            f"memberships-{i}-id": str(membership.pk),
            f"memberships-{i}-organisation": str(organisation.pk),
            f"memberships-{i}-role": membership.role,
        }
    for i, email_domain in enumerate(domains):
        data |= {
            f"email_domains-{i}-id": str(email_domain.pk),
            f"email_domains-{i}-organisation": str(organisation.pk),
        }
    return data | changes


def test_the_changelist_and_change_form_render(admin_client, own_organisation):
    EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")

    assert admin_client.get(CHANGELIST + "?q=tibet&is_verified__exact=0").status_code == 200
    response = admin_client.get(change_url(own_organisation))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.fields) == {"name", "acronym", "based_in", "website", "description", "logo"}
    assert "ngo.example.org" in response.content.decode()


def test_organisations_are_not_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:organisations_organisation_add")).status_code == 403


def test_the_verify_action_verifies_through_the_service(admin_client, superuser):
    first, second = OrganisationFactory(), OrganisationFactory()

    response = admin_client.post(
        CHANGELIST,
        {"action": "verify_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "2 organisations verified." in response.content.decode()
    first.refresh_from_db()
    assert (first.is_verified, first.verified_by) == (True, superuser)
    assert Organisation.objects.filter(is_verified=True).count() == 2
    assert actions() == ["organisation.verified", "organisation.verified"]


def test_the_unverify_action(admin_client, superuser):
    organisation = OrganisationFactory()
    services.verify_organisation(organisation=organisation, moderator=superuser)

    response = admin_client.post(
        CHANGELIST,
        {"action": "unverify_selected", "_selected_action": [organisation.pk]},
        follow=True,
    )

    assert "1 organisation unverified." in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.is_verified is False
    assert actions() == ["organisation.verified", "organisation.unverified"]


def test_staff_who_are_not_moderators_cannot_verify(client, staff_but_not_moderator):
    organisation = OrganisationFactory()

    response = client.post(
        CHANGELIST,
        {"action": "verify_selected", "_selected_action": [organisation.pk]},
        follow=True,
    )

    assert "Only moderators can verify organisations." in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.is_verified is False
    assert actions() == []


def test_the_change_form_cannot_verify(admin_client, own_organisation):
    response = admin_client.post(
        change_url(own_organisation),
        change_form_data(own_organisation, is_verified="on", verified_at="2020-01-01"),
    )

    assert response.status_code == 302
    own_organisation.refresh_from_db()
    assert own_organisation.is_verified is False
    assert own_organisation.verified_at is None


def test_the_change_form_edits_through_the_service(admin_client, superuser, own_organisation):
    response = admin_client.post(
        change_url(own_organisation), change_form_data(own_organisation, based_in="Tibet")
    )

    assert response.status_code == 302
    own_organisation.refresh_from_db()
    assert own_organisation.based_in == "Tibet"
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.data) == (
        "organisation.updated",
        superuser,
        {"fields": ["based_in"]},
    )


def test_the_change_form_refuses_a_duplicate_name(admin_client, own_organisation):
    OrganisationFactory(name="Human Rights Watch", slug="hrw")
    old_name = own_organisation.name

    response = admin_client.post(
        change_url(own_organisation),
        change_form_data(own_organisation, name="human-rights watch"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "An organisation called “Human Rights Watch” is already registered."
    ]
    own_organisation.refresh_from_db()
    assert own_organisation.name == old_name
    assert actions() == []


def test_the_change_form_refuses_a_website_that_is_not_http(admin_client, own_organisation):
    response = admin_client.post(
        change_url(own_organisation),
        change_form_data(own_organisation, website="ftp://files.example.org"),
    )

    assert response.context["adminform"].form.errors["website"] == ["Enter a valid URL."]
    own_organisation.refresh_from_db()
    assert own_organisation.website == ""


def test_the_change_form_cleans_a_logo(admin_client, own_organisation):
    admin_client.post(
        change_url(own_organisation),
        change_form_data(own_organisation, logo=upload(image_bytes("PNG"), "../x.png")),
    )

    own_organisation.refresh_from_db()
    assert re.fullmatch(r"logos/[0-9a-f]{32}\.png", own_organisation.logo.name)


def test_the_change_form_refuses_a_gif_logo(admin_client, own_organisation):
    response = admin_client.post(
        change_url(own_organisation),
        change_form_data(own_organisation, logo=upload(image_bytes("GIF"), "x.gif")),
    )

    assert response.context["adminform"].form.errors["logo"] == [
        "Upload a PNG, JPEG or WebP image."
    ]
    own_organisation.refresh_from_db()
    assert own_organisation.logo.name == ""


def test_the_membership_inline_adds_through_the_service(admin_client, own_organisation):
    colleague = UserFactory(email="colleague@ngo.example.org")
    data = change_form_data(own_organisation)
    data |= {
        "memberships-TOTAL_FORMS": "2",
        "memberships-1-organisation": str(own_organisation.pk),
        "memberships-1-user": str(colleague.pk),
        "memberships-1-role": "member",
    }

    response = admin_client.post(change_url(own_organisation), data)

    assert response.status_code == 302
    assert own_organisation.memberships.get(user=colleague).role == "member"
    assert actions() == ["organisation.member_added"]


def test_the_membership_inline_keeps_the_last_admin(admin_client, org_admin, own_organisation):
    membership = org_admin.memberships.get()
    data = change_form_data(own_organisation)
    data["memberships-0-role"] = "member"

    response = admin_client.post(change_url(own_organisation), data, follow=True)

    assert "An organisation needs at least one administrator." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "admin"
    assert actions() == []


def test_the_membership_inline_cannot_move_a_membership(
    admin_client, org_admin, own_organisation, signer
):
    membership = org_admin.memberships.get()
    data = change_form_data(own_organisation)
    data["memberships-0-user"] = str(signer.pk)

    admin_client.post(change_url(own_organisation), data)

    membership.refresh_from_db()
    assert membership.user == org_admin


def test_the_domain_inline_adds_a_normalised_domain(admin_client, own_organisation):
    data = change_form_data(own_organisation)
    data |= {
        "email_domains-TOTAL_FORMS": "1",
        "email_domains-0-organisation": str(own_organisation.pk),
        "email_domains-0-domain": " @NGO.example.ORG ",
    }

    response = admin_client.post(change_url(own_organisation), data)

    assert response.status_code == 302
    assert own_organisation.email_domains.get().domain == "ngo.example.org"
    assert actions() == ["organisation.domain_added"]


def test_the_domain_inline_refuses_an_invalid_domain(admin_client, own_organisation):
    data = change_form_data(own_organisation)
    data |= {
        "email_domains-TOTAL_FORMS": "1",
        "email_domains-0-organisation": str(own_organisation.pk),
        "email_domains-0-domain": "not a domain",
    }

    response = admin_client.post(change_url(own_organisation), data)

    assert response.status_code == 200
    assert EmailDomain.objects.count() == 0


def test_the_domain_inline_removes_through_the_service(admin_client, own_organisation):
    EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    data = change_form_data(own_organisation)
    data["email_domains-0-DELETE"] = "on"

    admin_client.post(change_url(own_organisation), data)

    assert EmailDomain.objects.count() == 0
    assert actions() == ["organisation.domain_removed"]


def test_the_domain_verify_action_skips_what_it_must_refuse(admin_client, superuser):
    good = EmailDomainFactory(domain="ngo.example.org")
    public = EmailDomainFactory(domain="gmail.com")

    response = admin_client.post(
        DOMAIN_CHANGELIST,
        {"action": "verify_selected", "_selected_action": [good.pk, public.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "gmail.com is a public mail service: anyone can have an address there.",
        "1 email domain verified.",
    ]
    assert list(EmailDomain.objects.filter(is_verified=True)) == [good]
    assert actions() == ["organisation.domain_verified"]


def test_the_domain_unverify_action(admin_client, superuser):
    email_domain = EmailDomainFactory(domain="ngo.example.org")
    services.set_email_domain_verified(email_domain=email_domain, moderator=superuser)

    admin_client.post(
        DOMAIN_CHANGELIST, {"action": "unverify_selected", "_selected_action": [email_domain.pk]}
    )

    email_domain.refresh_from_db()
    assert email_domain.is_verified is False


def test_staff_who_are_not_moderators_cannot_verify_domains(client, staff_but_not_moderator):
    email_domain = EmailDomainFactory(domain="ngo.example.org")

    response = client.post(
        DOMAIN_CHANGELIST,
        {"action": "verify_selected", "_selected_action": [email_domain.pk]},
        follow=True,
    )

    assert "Only moderators can verify email domains." in response.content.decode()
    email_domain.refresh_from_db()
    assert email_domain.is_verified is False
    assert actions() == []


def test_domains_are_neither_added_nor_deleted_from_their_own_admin(admin_client):
    email_domain = EmailDomainFactory(domain="ngo.example.org")

    assert admin_client.get(reverse("admin:organisations_emaildomain_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:organisations_emaildomain_delete", args=[email_domain.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert EmailDomain.objects.count() == 1
    assert Membership.objects.count() == 0
