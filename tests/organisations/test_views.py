"""The organisation pages, per role. On every refusal: the status, nothing changed, no audit
event written."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from organisations import services
from organisations.models import EmailDomain, Membership, Organisation
from tests.factories import EmailDomainFactory, MembershipFactory, OrganisationFactory

from .images import SVG, image_bytes, jpeg_with_gps, upload
from .invitation_links import accept_url

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "signer", "member", "org_admin", "coordinator", "moderator"]


@pytest.fixture
def as_role(request, client):
    """Log the client in as one of ROLES (all of them see `own_organisation`)."""

    def login(role: str):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        return client

    return login


@pytest.fixture
def urls(own_organisation, member, invitation, secret):
    slug = own_organisation.slug
    member_pk = member.memberships.get().pk
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    return {
        "mine": reverse("organisations:mine"),
        "create": reverse("organisations:create"),
        "detail": reverse("organisations:detail", kwargs={"slug": slug}),
        "edit": reverse("organisations:edit", kwargs={"slug": slug}),
        "members": reverse("organisations:members", kwargs={"slug": slug}),
        "member-role": reverse("organisations:member-role", kwargs={"slug": slug, "pk": member_pk}),
        "member-remove": reverse(
            "organisations:member-remove", kwargs={"slug": slug, "pk": member_pk}
        ),
        "invitation-accept": accept_url(secret),
        "invitation-revoke": reverse(
            "organisations:invitation-revoke", kwargs={"slug": slug, "pk": invitation.pk}
        ),
        "domains": reverse("organisations:domains", kwargs={"slug": slug}),
        "domain-remove": reverse(
            "organisations:domain-remove", kwargs={"slug": slug, "pk": email_domain.pk}
        ),
        "membership-request": reverse(
            "organisations:membership-request",
            kwargs={"slug": slug, "pk": 1, "decision": "approve"},
        ),
    }


def form_data(organisation: Organisation, **changes) -> dict:
    data = {f: getattr(organisation, f) for f in services.EDITABLE_FIELDS}
    return data | changes


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- The role matrix (GET) -----------------------------------------------------------------

LOGIN = "login"
# What each role gets on GET. "member-remove" targets the member's own membership (so the
# member is asked to confirm leaving); "member-role", "invitation-revoke" and "domain-remove"
# only take POST. "invitation-accept" is the invitee's link: anyone holding it sees the
# invitation (only the invitee can accept, see test_membership_invitations.py).
GET_MATRIX = {
    #                anonymous signer member org_admin coordinator moderator
    "mine": (LOGIN, 200, 200, 200, 200, 200),
    "create": (LOGIN, 200, 200, 200, 200, 200),
    # Unverified and named on no public list: its members and moderators only.
    # Every page under its slug answers as its page does (issue 11, item 3): a 404 for whoever
    # may not see the page, as for a slug nobody registered; a member without the role, who
    # knows the organisation exists, gets 403.
    "detail": (404, 404, 200, 200, 404, 200),
    "edit": (404, 404, 403, 200, 404, 200),
    "members": (404, 404, 200, 200, 404, 200),
    "member-role": (405, 405, 405, 405, 405, 405),
    "member-remove": (404, 404, 200, 200, 404, 200),
    "invitation-accept": (200, 200, 200, 200, 200, 200),
    "invitation-revoke": (405, 405, 405, 405, 405, 405),
    "domains": (404, 404, 200, 200, 404, 200),
    "domain-remove": (405, 405, 405, 405, 405, 405),
    "membership-request": (405, 405, 405, 405, 405, 405),
}
# The same organisation once a moderator verified it: its page is public, so anyone may know it
# exists; those without the role are refused with 403, visitors are asked to log in.
VERIFIED_GET_MATRIX = {
    "detail": (200, 200, 200, 200, 200, 200),
    "edit": (LOGIN, 403, 403, 200, 403, 200),
    "members": (LOGIN, 403, 200, 200, 403, 200),
    "member-remove": (LOGIN, 403, 200, 200, 403, 200),
    "domains": (LOGIN, 403, 200, 200, 403, 200),
}
# What a refused role gets from the hidden `own_organisation`: outsiders cannot tell it from a
# missing one; its members know it.
REFUSED = {"signer": 404, "coordinator": 404, "member": 403}


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        (name, role, expected)
        for name, row in GET_MATRIX.items()
        for role, expected in zip(ROLES, row, strict=True)
    ],
)
def test_get_per_role(as_role, urls, name, role, expected):
    client = as_role(role)

    response = client.get(urls[name])

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={urls[name]}"
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        (name, role, expected)
        for name, row in VERIFIED_GET_MATRIX.items()
        for role, expected in zip(ROLES, row, strict=True)
    ],
)
def test_get_per_role_of_a_verified_organisation(
    as_role, urls, own_organisation, name, role, expected
):
    Organisation.objects.filter(pk=own_organisation.pk).update(is_verified=True)
    client = as_role(role)

    response = client.get(urls[name])

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={urls[name]}"
    else:
        assert response.status_code == expected


def test_every_url_of_the_app_is_in_the_matrix():
    from organisations.urls import urlpatterns

    assert {p.name for p in urlpatterns} == set(GET_MATRIX)


def test_unknown_organisation_is_404(client, org_admin):
    client.force_login(org_admin)

    for name in ["detail", "edit", "members", "domains"]:
        response = client.get(reverse(f"organisations:{name}", kwargs={"slug": "no-such-org"}))
        assert response.status_code == 404


def test_a_membership_of_another_organisation_is_404(client, org_admin, signer):
    client.force_login(org_admin)
    own_slug = org_admin.memberships.get().organisation.slug
    foreign = signer.memberships.get()

    response = client.post(
        reverse("organisations:member-remove", kwargs={"slug": own_slug, "pk": foreign.pk})
    )

    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


# --- My organisations ----------------------------------------------------------------------


def test_mine_lists_memberships_with_role_and_links(client, org_admin, own_organisation):
    client.force_login(org_admin)

    response = client.get(reverse("organisations:mine"))

    content = response.content.decode()
    assert own_organisation.name in content
    assert "Administrator" in content
    assert reverse("organisations:edit", kwargs={"slug": own_organisation.slug}) in content
    assert reverse("organisations:members", kwargs={"slug": own_organisation.slug}) in content


def test_mine_shows_no_edit_link_to_a_member(client, member, own_organisation):
    client.force_login(member)

    response = client.get(reverse("organisations:mine"))

    content = response.content.decode()
    assert "Member" in content
    assert reverse("organisations:edit", kwargs={"slug": own_organisation.slug}) not in content


def test_mine_has_an_empty_state(client, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("organisations:mine"))

    assert "You are not a member of any organisation yet." in response.content.decode()


# --- Create --------------------------------------------------------------------------------


def test_create_registers_the_organisation_with_its_creator_as_admin(client, coordinator):
    client.force_login(coordinator)

    response = client.post(
        reverse("organisations:create"),
        {
            "name": "  Boarding   School Watch ",
            "acronym": "BSW",
            "based_in": "Tibet",
            "website": "https://bsw.example.org",
            "description": "Documents colonial boarding schools.",
        },
    )

    organisation = Organisation.objects.get(normalised_name="boardingschoolwatch")
    assert response.status_code == 302
    assert response["Location"] == organisation.get_absolute_url()
    assert organisation.name == "Boarding School Watch"
    assert organisation.website == "https://bsw.example.org"
    assert organisation.memberships.get().user == coordinator
    assert organisation.memberships.get().role == "admin"
    assert audit_actions() == ["organisation.created"]
    page = client.get(response["Location"]).content.decode()
    assert "you are its administrator" in page


@pytest.mark.parametrize(
    "name",
    ["Human Rights Watch", "human rights watch", "Human-Rights  Watch", "The Human Rights Watch"],
)
def test_create_refuses_an_exact_duplicate_and_names_it(client, signer, name):
    # Verified, so its page is public: a hidden one is never named (tests/security).
    existing = OrganisationFactory(
        name="Human Rights Watch", slug="human-rights-watch", is_verified=True
    )
    client.force_login(signer)
    before = Organisation.objects.count()

    response = client.post(reverse("organisations:create"), {"name": name, "not_a_duplicate": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "An organisation called “Human Rights Watch” is already registered."
    ]
    content = response.content.decode()
    assert 'role="alert"' in content
    assert f'href="{existing.get_absolute_url()}"' in content
    assert Organisation.objects.count() == before
    assert audit_actions() == []


def test_create_warns_of_a_likely_duplicate_then_accepts_a_confirmed_one(client, signer):
    # Given
    hrw = OrganisationFactory(
        name="Human Rights Watch", slug="human-rights-watch", acronym="HRW", is_verified=True
    )
    client.force_login(signer)
    before = Organisation.objects.count()
    data = {"name": "Human Rights Wach", "based_in": "Hong Kong"}

    # When: the first attempt
    response = client.post(reverse("organisations:create"), data)

    # Then: a warning listing the candidate, with the box to tick; nothing registered
    assert response.status_code == 200
    assert response.context["candidates"] == [hrw]
    content = response.content.decode()
    assert "Is your organisation already registered?" in content
    assert f'href="{hrw.get_absolute_url()}"' in content
    assert 'name="not_a_duplicate"' in content
    assert 'name="checked_name" value="Human Rights Wach"' in content
    assert Organisation.objects.count() == before

    # When: the box is ticked
    response = client.post(
        reverse("organisations:create"),
        data | {"not_a_duplicate": "on", "checked_name": "Human Rights Wach"},
    )

    # Then
    assert response.status_code == 302
    assert Organisation.objects.count() == before + 1
    assert Organisation.objects.get(name="Human Rights Wach").memberships.get().user == signer


def test_the_duplicate_box_does_not_vouch_for_a_name_typed_afterwards(client, signer):
    OrganisationFactory(name="Human Rights Watch", slug="human-rights-watch", is_verified=True)
    OrganisationFactory(name="Free Tibet", slug="free-tibet", is_verified=True)
    client.force_login(signer)
    before = Organisation.objects.count()

    response = client.post(
        reverse("organisations:create"),
        {"name": "Free Tibett", "not_a_duplicate": "on", "checked_name": "Human Rights Wach"},
    )

    assert response.status_code == 200
    assert [o.name for o in response.context["candidates"]] == ["Free Tibet"]
    assert Organisation.objects.count() == before


def test_the_checkbox_is_only_shown_with_a_warning(client, signer):
    client.force_login(signer)

    response = client.get(reverse("organisations:create"))

    assert 'name="not_a_duplicate"' not in response.content.decode()


def test_create_warns_of_a_matching_acronym(client, signer):
    ict = OrganisationFactory(
        name="International Campaign for Tibet", slug="ict", acronym="ICT", is_verified=True
    )
    client.force_login(signer)

    response = client.post(
        reverse("organisations:create"), {"name": "Initiative for Cultural Truth", "acronym": "ICT"}
    )

    assert response.context["candidates"] == [ict]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": " !! "}, "name", "Enter the organisation's name, with at least one letter."),
        ({"name": "x" * 201}, "name", "Ensure this value has at most 200 characters (it has 201)."),
        (
            {"name": "A", "acronym": "x" * 31},
            "acronym",
            "Ensure this value has at most 30 characters (it has 31).",
        ),
        ({"name": "A", "website": "ftp://files.example.org"}, "website", "Enter a valid URL."),
        ({"name": "A", "website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        (
            {"name": "A", "description": "x" * 2001},
            "description",
            "Ensure this value has at most 2000 characters (it has 2001).",
        ),
    ],
)
def test_create_validates_the_fields(client, signer, data, field, error):
    client.force_login(signer)
    before = Organisation.objects.count()

    response = client.post(reverse("organisations:create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    content = response.content.decode()
    assert f'id="id_{field}_error"' in content
    assert 'aria-invalid="true"' in content
    assert Organisation.objects.count() == before


def test_create_without_scheme_assumes_https(client, signer):
    client.force_login(signer)

    client.post(reverse("organisations:create"), {"name": "Pema Trust", "website": "pema.example"})

    assert Organisation.objects.get(name="Pema Trust").website == "https://pema.example"


def test_create_stores_a_clean_logo_under_a_server_name(client, signer):
    client.force_login(signer)

    client.post(
        reverse("organisations:create"),
        {"name": "Pema Trust", "logo": upload(jpeg_with_gps(), "my home.jpg", "image/jpeg")},
    )

    organisation = Organisation.objects.get(name="Pema Trust")
    assert re.fullmatch(r"logos/[0-9a-f]{32}\.jpg", organisation.logo.name)
    with organisation.logo.open("rb") as stored:
        data = stored.read()
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}
    assert b"SpyCam" not in data


@pytest.mark.parametrize(
    ("data", "name"),
    [(image_bytes("GIF"), "logo.gif"), (SVG, "logo.svg"), (b"hello", "logo.txt")],
)
def test_create_refuses_a_bad_logo(client, signer, data, name):
    client.force_login(signer)

    response = client.post(
        reverse("organisations:create"), {"name": "Pema Trust", "logo": upload(data, name)}
    )

    assert response.status_code == 200
    assert "logo" in response.context["form"].errors
    assert not Organisation.objects.filter(name="Pema Trust").exists()


def test_create_refuses_an_oversized_logo(client, signer, settings):
    settings.LOGO_MAX_BYTES = 1024 * 1024
    client.force_login(signer)
    big = image_bytes("PNG") + b"\0" * (1024 * 1024)

    response = client.post(
        reverse("organisations:create"), {"name": "Pema Trust", "logo": upload(big)}
    )

    assert response.context["form"].errors["logo"] == ["The logo is too large: at most 1 MB."]
    assert not Organisation.objects.filter(name="Pema Trust").exists()


@pytest.mark.parametrize("name", ["人权观察", "བོད་ཀྱི་", "ئۇيغۇر"])
def test_names_in_any_script_are_registered_and_shown(client, signer, name):
    client.force_login(signer)

    response = client.post(reverse("organisations:create"), {"name": name, "based_in": name})

    organisation = Organisation.objects.get(name=name)
    assert response["Location"] == organisation.get_absolute_url()
    page = client.get(organisation.get_absolute_url())
    assert page.status_code == 200
    assert f"<h1><bdi>{name}</bdi></h1>" in page.content.decode()
    assert name in client.get(reverse("organisations:mine")).content.decode()
    for view in ["edit", "members", "domains"]:
        url = reverse(f"organisations:{view}", kwargs={"slug": organisation.slug})
        assert client.get(url).status_code == 200


# --- Public page ---------------------------------------------------------------------------


@pytest.fixture
def described(own_organisation, member):
    Organisation.objects.filter(pk=own_organisation.pk).update(
        acronym="TAI",
        based_in="Tibet",
        website="https://tibetaction.example",
        description="Line one.\n\n<script>alert(1)</script>",
    )
    own_organisation.refresh_from_db()
    EmailDomainFactory(organisation=own_organisation, domain="secret-domain.example")
    return own_organisation


def test_detail_shows_the_public_details_and_nothing_private(client, described, member, org_admin):
    Organisation.objects.filter(pk=described.pk).update(is_verified=True)

    response = client.get(described.get_absolute_url())

    content = response.content.decode()
    assert described.name in content
    assert "TAI" in content
    assert "Tibet" in content
    assert 'href="https://tibetaction.example"' in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content
    assert 'class="badge badge-verified">Verified<' in content
    assert member.email not in content
    assert org_admin.email not in content
    assert "secret-domain.example" not in content
    assert reverse("organisations:members", kwargs={"slug": described.slug}) not in content


def test_detail_shows_the_verified_badge(client, organisation, moderator):
    services.verify_organisation(organisation=organisation, moderator=moderator)

    response = client.get(organisation.get_absolute_url())

    assert 'class="badge badge-verified"' in response.content.decode()


def test_detail_shows_manage_links_to_members(client, described, member):
    client.force_login(member)

    content = client.get(described.get_absolute_url()).content.decode()

    assert reverse("organisations:members", kwargs={"slug": described.slug}) in content
    assert reverse("organisations:domains", kwargs={"slug": described.slug}) in content
    assert reverse("organisations:edit", kwargs={"slug": described.slug}) not in content


def test_detail_shows_the_edit_link_to_admins(client, described, org_admin):
    client.force_login(org_admin)

    content = client.get(described.get_absolute_url()).content.decode()

    assert reverse("organisations:edit", kwargs={"slug": described.slug}) in content


# --- Edit ----------------------------------------------------------------------------------


def test_edit_form_shows_the_current_values(client, org_admin, own_organisation):
    client.force_login(org_admin)

    response = client.get(reverse("organisations:edit", kwargs={"slug": own_organisation.slug}))

    assert response.context["form"]["name"].value() == own_organisation.name
    assert response.context["form"]["based_in"].value() == "Hong Kong"


@pytest.mark.parametrize("role", ["org_admin", "moderator"])
def test_admins_and_moderators_edit(request, client, own_organisation, role):
    actor = request.getfixturevalue(role)
    client.force_login(actor)

    response = client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, based_in="  East   Turkestan ", description="Hello"),
    )

    assert response.status_code == 302
    assert response["Location"] == own_organisation.get_absolute_url()
    own_organisation.refresh_from_db()
    assert (own_organisation.based_in, own_organisation.description) == ("East Turkestan", "Hello")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.data) == (
        "organisation.updated",
        actor,
        {"fields": ["based_in", "description"]},
    )


@pytest.mark.parametrize("role", ["signer", "member", "coordinator"])
def test_others_cannot_edit(request, client, own_organisation, role):
    client.force_login(request.getfixturevalue(role))

    response = client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, name="Hijacked"),
    )

    assert response.status_code == REFUSED[role]
    own_organisation.refresh_from_db()
    assert own_organisation.name != "Hijacked"
    assert audit_actions() == []


def test_anonymous_cannot_edit(client, own_organisation):
    response = client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, name="Hijacked"),
    )

    assert response.status_code == 404  # hidden: as if missing
    assert not Organisation.objects.filter(name="Hijacked").exists()


def test_edit_refuses_the_name_of_another_organisation(client, org_admin, own_organisation):
    other = OrganisationFactory(name="Human Rights Watch", slug="hrw", is_verified=True)
    old_name = own_organisation.name
    client.force_login(org_admin)

    response = client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, name="The Human-Rights Watch"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "An organisation called “Human Rights Watch” is already registered."
    ]
    assert f'href="{other.get_absolute_url()}"' in response.content.decode()
    own_organisation.refresh_from_db()
    assert own_organisation.name == old_name
    assert audit_actions() == []


def test_edit_uploads_then_removes_the_logo(client, org_admin, own_organisation):
    client.force_login(org_admin)
    url = reverse("organisations:edit", kwargs={"slug": own_organisation.slug})

    client.post(url, form_data(own_organisation, logo=upload(image_bytes("PNG"))))

    own_organisation.refresh_from_db()
    assert re.fullmatch(r"logos/[0-9a-f]{32}\.png", own_organisation.logo.name)
    page = client.get(own_organisation.get_absolute_url()).content.decode()
    assert own_organisation.logo.url in page
    assert 'name="remove_logo"' in client.get(url).content.decode()

    client.post(url, form_data(own_organisation, remove_logo="on"))

    own_organisation.refresh_from_db()
    assert own_organisation.logo.name == ""
    assert audit_actions() == ["organisation.updated", "organisation.updated"]


def test_edit_refuses_a_new_logo_and_its_removal_at_once(client, org_admin, own_organisation):
    client.force_login(org_admin)

    response = client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, logo=upload(image_bytes("PNG")), remove_logo="on"),
    )

    assert response.status_code == 200
    assert "remove_logo" in response.context["form"].errors
    own_organisation.refresh_from_db()
    assert own_organisation.logo.name == ""
    assert audit_actions() == []


def test_edit_refuses_a_bad_logo(client, org_admin, own_organisation):
    client.force_login(org_admin)

    response = client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, logo=upload(image_bytes("GIF"), "logo.gif")),
    )

    assert response.context["form"].errors["logo"] == ["Upload a PNG, JPEG or WebP image."]
    own_organisation.refresh_from_db()
    assert own_organisation.logo.name == ""


# --- Members -------------------------------------------------------------------------------


def members_url(organisation: Organisation) -> str:
    return reverse("organisations:members", kwargs={"slug": organisation.slug})


def test_a_member_sees_the_members_but_cannot_invite(
    client, member, org_admin, own_organisation, invitation
):
    client.force_login(member)

    response = client.get(members_url(own_organisation))

    content = response.content.decode()
    assert member.email in content
    assert org_admin.email in content
    assert "Only the organisation's administrators can invite members." in content
    assert 'name="email"' not in content
    assert "member-role" not in content
    assert f"/members/{org_admin.memberships.get().pk}/remove/" not in content
    assert f"/members/{member.memberships.get().pk}/remove/" in content  # leave
    # Invitees have agreed to nothing yet: members do not see who was invited.
    assert invitation.email not in content
    assert "Pending invitations" not in content


def test_org_admin_sees_the_invite_form_and_the_buttons(
    client, org_admin, member, own_organisation
):
    client.force_login(org_admin)

    content = client.get(members_url(own_organisation)).content.decode()

    assert 'name="email"' in content
    assert "Send the invitation" in content
    assert "No invitations are waiting to be accepted." in content
    assert f"/members/{member.memberships.get().pk}/role/" in content
    assert f"/members/{member.memberships.get().pk}/remove/" in content


def test_inviting_with_an_unknown_role_is_a_form_error(client, org_admin, own_organisation):
    client.force_login(org_admin)

    response = client.post(
        members_url(own_organisation), {"email": "colleague@ngo.example.org", "role": "owner"}
    )

    assert "role" in response.context["form"].errors
    assert own_organisation.membership_invitations.count() == 0
    assert audit_actions() == []


def test_org_admin_changes_a_role(client, org_admin, member, own_organisation):
    client.force_login(org_admin)
    membership = member.memberships.get()

    response = client.post(
        reverse(
            "organisations:member-role", kwargs={"slug": own_organisation.slug, "pk": membership.pk}
        ),
        {"role": "admin"},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "admin"
    assert audit_actions() == ["organisation.member_role_changed"]


def test_the_last_admin_cannot_be_demoted_through_the_page(client, org_admin, own_organisation):
    client.force_login(org_admin)
    membership = org_admin.memberships.get()

    response = client.post(
        reverse(
            "organisations:member-role", kwargs={"slug": own_organisation.slug, "pk": membership.pk}
        ),
        {"role": "member"},
        follow=True,
    )

    assert "An organisation needs at least one administrator." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "admin"
    assert audit_actions() == []


def test_an_unknown_role_is_refused(client, org_admin, member, own_organisation):
    client.force_login(org_admin)
    membership = member.memberships.get()

    response = client.post(
        reverse(
            "organisations:member-role", kwargs={"slug": own_organisation.slug, "pk": membership.pk}
        ),
        {"role": "owner"},
        follow=True,
    )

    assert "Choose one of the roles." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "member"


@pytest.mark.parametrize("role", ["signer", "member", "coordinator"])
def test_others_cannot_change_roles(request, client, member, own_organisation, role):
    client.force_login(request.getfixturevalue(role))
    membership = member.memberships.get()

    response = client.post(
        reverse(
            "organisations:member-role", kwargs={"slug": own_organisation.slug, "pk": membership.pk}
        ),
        {"role": "admin"},
    )

    assert response.status_code == REFUSED[role]
    membership.refresh_from_db()
    assert membership.role == "member"
    assert audit_actions() == []


def remove_url(membership: Membership) -> str:
    return reverse(
        "organisations:member-remove",
        kwargs={"slug": membership.organisation.slug, "pk": membership.pk},
    )


def test_removing_asks_for_confirmation_first(client, org_admin, member):
    client.force_login(org_admin)
    membership = member.memberships.get()

    response = client.get(remove_url(membership))

    assert response.status_code == 200
    content = response.content.decode()
    assert f"Remove {member.email} from" in content
    assert 'method="post"' in content
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("role", ["org_admin", "moderator"])
def test_admins_and_moderators_remove_a_member(request, client, member, own_organisation, role):
    client.force_login(request.getfixturevalue(role))
    membership = member.memberships.get()

    response = client.post(remove_url(membership))

    assert response.status_code == 302
    assert response["Location"] == members_url(own_organisation)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert audit_actions() == ["organisation.member_removed"]


def test_a_member_leaves(client, member):
    client.force_login(member)

    response = client.get(remove_url(member.memberships.get()))
    assert "Leave the organisation?" in response.content.decode()
    response = client.post(remove_url(member.memberships.get()))

    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:mine")
    assert member.memberships.count() == 0


def test_the_last_admin_cannot_leave(client, org_admin, own_organisation):
    client.force_login(org_admin)
    membership = org_admin.memberships.get()

    response = client.post(remove_url(membership), follow=True)

    assert response.redirect_chain == [(members_url(own_organisation), 302)]
    assert "at least one administrator" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert audit_actions() == []


@pytest.mark.parametrize("role", ["signer", "member", "coordinator"])
def test_others_cannot_remove_a_member(request, client, org_admin, own_organisation, role):
    MembershipFactory(organisation=own_organisation, role="admin")  # so that removal is legal
    target = org_admin.memberships.get()
    client.force_login(request.getfixturevalue(role))

    assert client.get(remove_url(target)).status_code == REFUSED[role]
    response = client.post(remove_url(target))

    assert response.status_code == REFUSED[role]
    assert Membership.objects.filter(pk=target.pk).exists()
    assert audit_actions() == []


# --- Email domains -------------------------------------------------------------------------


def domains_url(organisation: Organisation) -> str:
    return reverse("organisations:domains", kwargs={"slug": organisation.slug})


def domain_remove_url(email_domain: EmailDomain) -> str:
    return reverse(
        "organisations:domain-remove",
        kwargs={"slug": email_domain.organisation.slug, "pk": email_domain.pk},
    )


def test_members_see_the_domains_and_their_state(client, member, own_organisation, moderator):
    verified = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    services.set_email_domain_verified(email_domain=verified, moderator=moderator)
    EmailDomainFactory(organisation=own_organisation, domain="new.example.org")
    client.force_login(member)

    content = client.get(domains_url(own_organisation)).content.decode()

    assert "ngo.example.org" in content
    assert "new.example.org" in content
    assert content.count('class="badge badge-verified"') == 1
    assert content.count('class="badge badge-unverified"') == 1
    assert "A moderator checks" in content
    assert 'name="domain"' not in content
    assert "/remove/" not in content


def test_the_domains_page_has_an_empty_state(client, org_admin, own_organisation):
    client.force_login(org_admin)

    content = client.get(domains_url(own_organisation)).content.decode()

    assert "No email domains are listed yet." in content


def test_org_admin_lists_a_domain(client, org_admin, own_organisation):
    client.force_login(org_admin)

    response = client.post(domains_url(own_organisation), {"domain": " @NGO.Example.org "})

    assert response.status_code == 302
    email_domain = own_organisation.email_domains.get()
    assert (email_domain.domain, email_domain.is_verified) == ("ngo.example.org", False)
    assert audit_actions() == ["organisation.domain_added"]


def test_no_verify_control_exists_on_the_site(client, org_admin, own_organisation):
    client.force_login(org_admin)

    response = client.post(
        domains_url(own_organisation), {"domain": "ngo.example.org", "is_verified": "on"}
    )

    assert response.status_code == 302
    assert own_organisation.email_domains.get().is_verified is False


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("gmail.com", "gmail.com is a public mail service"),
        ("not a domain", "Enter a valid domain, such as example.org."),
    ],
)
def test_listing_a_bad_domain_is_a_form_error(client, org_admin, own_organisation, typed, error):
    client.force_login(org_admin)

    response = client.post(domains_url(own_organisation), {"domain": typed})

    assert response.status_code == 200
    assert response.context["form"].errors["domain"][0].startswith(error)
    assert EmailDomain.objects.count() == 0
    assert audit_actions() == []


def test_listing_a_domain_twice_is_a_form_error(client, org_admin, own_organisation):
    EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    client.force_login(org_admin)

    response = client.post(domains_url(own_organisation), {"domain": "ngo.example.org"})

    assert response.context["form"].errors["domain"] == ["ngo.example.org is already listed."]
    assert EmailDomain.objects.count() == 1


@pytest.mark.parametrize("role", ["signer", "member", "coordinator"])
def test_others_cannot_list_domains(request, client, own_organisation, role):
    client.force_login(request.getfixturevalue(role))

    response = client.post(domains_url(own_organisation), {"domain": "ngo.example.org"})

    assert response.status_code == REFUSED[role]
    assert EmailDomain.objects.count() == 0
    assert audit_actions() == []


def test_org_admin_removes_an_unverified_domain(client, org_admin, own_organisation):
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    client.force_login(org_admin)

    response = client.post(domain_remove_url(email_domain))

    assert response.status_code == 302
    assert response["Location"] == domains_url(own_organisation)
    assert EmailDomain.objects.count() == 0
    assert audit_actions() == ["organisation.domain_removed"]


def test_org_admin_cannot_remove_a_verified_domain(client, org_admin, own_organisation, moderator):
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    services.set_email_domain_verified(email_domain=email_domain, moderator=moderator)
    client.force_login(org_admin)
    page = client.get(domains_url(own_organisation)).content.decode()
    assert "Only a moderator can remove a verified domain." in page

    response = client.post(domain_remove_url(email_domain), follow=True)

    assert "A verified domain can only be removed by a moderator." in response.content.decode()
    assert EmailDomain.objects.filter(pk=email_domain.pk, is_verified=True).exists()
    assert audit_actions() == ["organisation.domain_verified"]


def test_moderator_removes_a_verified_domain(client, own_organisation, moderator):
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    services.set_email_domain_verified(email_domain=email_domain, moderator=moderator)
    client.force_login(moderator)

    client.post(domain_remove_url(email_domain))

    assert EmailDomain.objects.count() == 0


@pytest.mark.parametrize("role", ["signer", "member", "coordinator"])
def test_others_cannot_remove_domains(request, client, own_organisation, role):
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    client.force_login(request.getfixturevalue(role))

    response = client.post(domain_remove_url(email_domain))

    assert response.status_code == REFUSED[role]
    assert EmailDomain.objects.count() == 1
    assert audit_actions() == []


def test_changes_need_a_csrf_token(org_admin, own_organisation):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin)

    response = client.post(domains_url(own_organisation), {"domain": "ngo.example.org"})

    assert response.status_code == 403
    assert EmailDomain.objects.count() == 0


def test_each_paragraph_of_the_description_reads_in_its_own_direction(client, own_organisation):
    Organisation.objects.filter(pk=own_organisation.pk).update(
        description="بىز ئۇيغۇر ياشلىرى.\n\nA second paragraph,\non two lines.",
        is_verified=True,
    )

    content = client.get(own_organisation.get_absolute_url()).content.decode()

    assert '<p dir="auto">بىز ئۇيغۇر ياشلىرى.</p>' in content
    assert '<p dir="auto">A second paragraph,<br>on two lines.</p>' in content


def test_the_logo_is_shown_within_its_box(client, org_admin, own_organisation):
    client.force_login(org_admin)
    client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, logo=upload(image_bytes("JPEG", size=(300, 120)), "l.jpg")),
    )
    own_organisation.refresh_from_db()

    content = client.get(own_organisation.get_absolute_url()).content.decode()

    assert f'src="{own_organisation.logo.url}" width="192" height="77"' in content


def test_a_logo_whose_file_is_gone_does_not_break_the_page(client, org_admin, own_organisation):
    client.force_login(org_admin)
    client.post(
        reverse("organisations:edit", kwargs={"slug": own_organisation.slug}),
        form_data(own_organisation, logo=upload(image_bytes("PNG"))),
    )
    own_organisation.refresh_from_db()
    own_organisation.logo.storage.delete(own_organisation.logo.name)

    response = client.get(own_organisation.get_absolute_url())

    assert response.status_code == 200
    assert own_organisation.logo.url not in response.content.decode()


def test_an_unverified_organisation_s_page_is_not_public(client, own_organisation):
    """Proposed through a sign form or a CSV, perhaps counted only: its page must not tell
    whoever guesses its name that Undersigned knows of it."""
    assert client.get(own_organisation.get_absolute_url()).status_code == 404

    Organisation.objects.filter(pk=own_organisation.pk).update(is_verified=True)

    assert client.get(own_organisation.get_absolute_url()).status_code == 200
