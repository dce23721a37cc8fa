"""Who reaches each admin page of moderation, and whose admin actions change anything.

Roles: anonymous, a signer, a coordinator (not staff), staff in no group, a moderator (staff,
Moderators group) and a superuser. Refusals are checked for their side effects too: nothing
decided, no audit event, no email.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import MODERATORS, ROLE_PERMISSIONS
from audit.models import AuditEvent
from letters.models import Letter, Signature
from organisations.models import EmailDomain, Organisation
from outbox.models import OutboundEmail
from tests.factories import EmailDomainFactory, OrganisationFactory

from .conftest import ADMIN_ROLES, login, sign_and_confirm

pytestmark = pytest.mark.django_db

LOGIN = "login"


@pytest.fixture
def scene(letter, pending, moderator):
    """One of everything the moderation pages show."""
    domain = EmailDomainFactory(organisation=pending.organisation, domain="tibetwatch.example.net")
    duplicate = OrganisationFactory(name="Tibet Watch International")
    return {
        "letter": letter,
        "signature": pending,
        "organisation": pending.organisation,
        "duplicate": duplicate,
        "domain": domain,
        "event": AuditEvent.objects.filter(target_id=pending.pk).first(),
    }


PAGES = {
    "admin:index": lambda s: [],
    "admin:letters_pendingsignature_changelist": lambda s: [],
    "admin:letters_pendingsignature_change": lambda s: [s["signature"].pk],
    "admin:letters_signature_changelist": lambda s: [],
    "admin:letters_signature_change": lambda s: [s["signature"].pk],
    "admin:letters_letter_changelist": lambda s: [],
    "admin:letters_letter_change": lambda s: [s["letter"].pk],
    "admin:organisations_organisation_changelist": lambda s: [],
    "admin:organisations_organisation_change": lambda s: [s["organisation"].pk],
    "admin:organisations_organisation_merge": lambda s: [],
    "admin:organisations_emaildomain_changelist": lambda s: [],
    "admin:organisations_emaildomain_change": lambda s: [s["domain"].pk],
    "admin:audit_auditevent_changelist": lambda s: [],
    "admin:audit_auditevent_change": lambda s: [s["event"].pk],
}
QUERY = {
    "admin:organisations_organisation_merge": lambda s: (
        f"?source={s['duplicate'].pk}&target={s['organisation'].pk}"
    )
}

# anonymous, signer, coordinator, staff_without_group, moderator, superuser
MODERATION_PAGE = (LOGIN, LOGIN, LOGIN, 403, 200, 200)
EXPECTED = dict.fromkeys(PAGES, MODERATION_PAGE) | {
    "admin:index": (LOGIN, LOGIN, LOGIN, 200, 200, 200)
}

# What a moderator must not do in the admin: delete, add, or manage accounts and groups.
NOT_FOR_MODERATORS = {
    "admin:letters_signature_delete": (lambda s: [s["signature"].pk], 403, 403),
    "admin:letters_pendingsignature_delete": (lambda s: [s["signature"].pk], 403, 403),
    "admin:letters_signature_add": (lambda s: [], 403, 403),
    "admin:letters_letter_delete": (lambda s: [s["letter"].pk], 403, 403),
    "admin:organisations_organisation_delete": (lambda s: [s["organisation"].pk], 403, 200),
    "admin:organisations_organisation_add": (lambda s: [], 403, 403),
    "admin:organisations_emaildomain_delete": (lambda s: [s["domain"].pk], 403, 403),
    "admin:audit_auditevent_delete": (lambda s: [s["event"].pk], 403, 403),
    "admin:accounts_user_changelist": (lambda s: [], 403, 200),
    "admin:auth_group_changelist": (lambda s: [], 403, 200),
}


def _answer(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return LOGIN
    return response.status_code


def test_the_moderators_group_has_exactly_its_listed_permissions():
    group = Group.objects.get(name=MODERATORS)

    granted = {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }

    assert granted == ROLE_PERMISSIONS[MODERATORS]
    assert not any(p.split(".")[1].startswith(("delete_", "add_")) for p in granted)


@pytest.mark.parametrize("name", list(PAGES))
def test_who_reaches_each_moderation_page(client, request, scene, name):
    for role in ADMIN_ROLES[1:]:
        request.getfixturevalue(role)
    url = reverse(name, args=PAGES[name](scene)) + QUERY.get(name, lambda s: "")(scene)
    answers = {}

    for role in ADMIN_ROLES:
        client.logout()
        login(client, request, role)
        answers[role] = _answer(client.get(url))

    assert answers == dict(zip(ADMIN_ROLES, EXPECTED[name], strict=True)), url


@pytest.mark.parametrize("name", list(NOT_FOR_MODERATORS))
def test_what_moderators_cannot_open(client, scene, moderator, superuser, name):
    args, for_moderator, for_superuser = NOT_FOR_MODERATORS[name]
    url = reverse(name, args=args(scene))

    client.force_login(moderator)
    moderator_answer = client.get(url).status_code
    client.force_login(superuser)
    superuser_answer = client.get(url).status_code

    assert (moderator_answer, superuser_answer) == (for_moderator, for_superuser)


# --- Actions: only moderators and superusers change anything -----------------------------------


def _world() -> dict:
    return {
        "signatures": list(Signature.objects.order_by("pk").values_list("pk", "status")),
        "letters": list(Letter.objects.order_by("pk").values_list("pk", "coordinators_moderate")),
        "organisations": list(
            Organisation.objects.order_by("pk").values_list("pk", "is_verified", "merged_into")
        ),
        "domains": list(EmailDomain.objects.order_by("pk").values_list("pk", "is_verified")),
        "events": AuditEvent.objects.count(),
        "emails": OutboundEmail.objects.count(),
    }


def _post_action(client, scene, action: str):
    signature, letter = scene["signature"], scene["letter"]
    organisation, domain = scene["organisation"], scene["domain"]
    if action == "approve":
        return client.post(
            reverse("admin:letters_pendingsignature_changelist"),
            {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: [signature.pk]},
        )
    if action == "reject":
        return client.post(
            reverse("admin:letters_pendingsignature_changelist"),
            {
                "action": "reject_selected",
                ACTION_CHECKBOX_NAME: [signature.pk],
                "apply": "1",
                "reason": Signature.RejectionReason.SPAM,
                "note": "",
            },
        )
    if action == "delegate":
        return client.post(
            reverse("admin:letters_letter_changelist"),
            {"action": "delegate_review", "index": "0", ACTION_CHECKBOX_NAME: [letter.pk]},
        )
    if action == "verify_organisation":
        return client.post(
            reverse("admin:organisations_organisation_changelist"),
            {"action": "verify_selected", "index": "0", ACTION_CHECKBOX_NAME: [organisation.pk]},
        )
    if action == "verify_domain":
        return client.post(
            reverse("admin:organisations_emaildomain_changelist"),
            {"action": "verify_selected", "index": "0", ACTION_CHECKBOX_NAME: [domain.pk]},
        )
    if action == "remove_domain":
        return client.post(
            reverse("admin:organisations_emaildomain_changelist"),
            {"action": "remove_selected", "index": "0", ACTION_CHECKBOX_NAME: [domain.pk]},
        )
    assert action == "merge"
    return client.post(
        reverse("admin:organisations_organisation_merge"),
        {"source": scene["duplicate"].pk, "target": organisation.pk},
    )


ACTIONS = [
    "approve",
    "reject",
    "delegate",
    "verify_organisation",
    "verify_domain",
    "remove_domain",
    "merge",
]
# What each action leaves in the audit trail when it works.
RECORDED = {
    "approve": ["signature.approved"],
    "reject": ["signature.rejected"],
    "delegate": ["letter.review_delegated"],
    "verify_organisation": ["organisation.verified"],
    "verify_domain": ["organisation.domain_verified"],
    "remove_domain": ["organisation.domain_removed"],
    "merge": ["organisation.merged", "organisation.merged_into"],
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("role", "answer"),
    [
        ("anonymous", LOGIN),
        ("signer", LOGIN),
        ("coordinator", LOGIN),
        ("staff_without_group", 403),
    ],
)
def test_an_action_outside_the_admin_roles_is_refused_and_changes_nothing(
    client, request, scene, action, role, answer
):
    login(client, request, role)
    before = _world()

    response = _post_action(client, scene, action)

    assert _answer(response) == answer
    assert _world() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_staff_with_permissions_but_not_a_moderator_is_refused_by_the_services(
    client, scene, staff_with_permissions, action
):
    # Given staff whose permissions let the admin show them the action
    client.force_login(staff_with_permissions)
    before = _world()

    # When they use it
    response = client.post(_post_url(action), _post_data(scene, action), follow=True)

    # Then the service refuses: an error message, and nothing changed
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert _world() == before


def _post_url(action: str) -> str:
    return {
        "approve": reverse("admin:letters_pendingsignature_changelist"),
        "reject": reverse("admin:letters_pendingsignature_changelist"),
        "delegate": reverse("admin:letters_letter_changelist"),
        "verify_organisation": reverse("admin:organisations_organisation_changelist"),
        "verify_domain": reverse("admin:organisations_emaildomain_changelist"),
        "remove_domain": reverse("admin:organisations_emaildomain_changelist"),
        "merge": reverse("admin:organisations_organisation_merge"),
    }[action]


def _post_data(scene, action: str) -> dict:
    ids = {
        "approve": scene["signature"].pk,
        "reject": scene["signature"].pk,
        "delegate": scene["letter"].pk,
        "verify_organisation": scene["organisation"].pk,
        "verify_domain": scene["domain"].pk,
        "remove_domain": scene["domain"].pk,
    }
    names = {
        "approve": "approve_selected",
        "reject": "reject_selected",
        "delegate": "delegate_review",
        "verify_organisation": "verify_selected",
        "verify_domain": "verify_selected",
        "remove_domain": "remove_selected",
    }
    if action == "merge":
        return {"source": scene["duplicate"].pk, "target": scene["organisation"].pk}
    data = {"action": names[action], ACTION_CHECKBOX_NAME: [ids[action]]}
    if action == "reject":
        return data | {"apply": "1", "reason": Signature.RejectionReason.SPAM, "note": ""}
    return data | {"index": "0"}


@pytest.mark.parametrize("role", ["moderator", "superuser"])
@pytest.mark.parametrize("action", ACTIONS)
def test_moderators_and_superusers_act_and_each_action_is_recorded(
    client, request, scene, role, action
):
    user = login(client, request, role)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = client.post(_post_url(action), _post_data(scene, action), follow=True)

    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    new_events = AuditEvent.objects.filter(id__gt=before).order_by("id")
    assert [e.action for e in new_events] == RECORDED[action]
    assert {e.actor_id for e in new_events} == {user.pk}


def test_a_second_moderator_can_decide_a_signature_signed_after_the_first(
    client, moderator, letter
):
    # A guard against a queue that only works once: two signatures, decided one after another.
    first = sign_and_confirm(letter, name="Alpha Rights", email="a@alpha.example.net")
    second = sign_and_confirm(letter, name="Beta Rights", email="b@beta.example.net")
    client.force_login(moderator)

    for signature in (first, second):
        client.post(
            reverse("admin:letters_pendingsignature_changelist"),
            {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: [signature.pk]},
        )

    assert list(
        Signature.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == ["approved", "approved"]
