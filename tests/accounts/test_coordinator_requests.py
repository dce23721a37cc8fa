"""Becoming a coordinator, a name for every account, and where each role lands after login
(issue 15, item 10). Every transition of a request to coordinate goes through
accounts.services: each legal one and each refused one is here, then the pages that reach them
for every role."""

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import CoordinatorRequest, User
from accounts.roles import is_coordinator
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed, TransitionError
from outbox.models import OutboundEmail
from tests.accounts.conftest import log_in, totp_code
from tests.accounts.test_staff_two_factor import enrol_totp_fresh
from tests.emails import as_sent
from tests.factories import PASSWORD, UserFactory, make_coordinator, make_moderator

pytestmark = pytest.mark.django_db

NEW = reverse("letters:create")
PURPOSE = "A joint letter to European universities on the surveillance of Uyghur students."


@pytest.fixture
def moderator():
    return make_moderator(email="moderator@undersigned.example.org", name="Mo", is_staff=True)


@pytest.fixture
def applicant():
    return UserFactory(email="aysha@udyn.example.org", name="Aysha Turdi")


def ask(user, **overrides) -> CoordinatorRequest:
    data = {"organisation": "Uyghur Diaspora Youth Network", "purpose": PURPOSE} | overrides
    return services.request_coordinator_role(user=user, **data)


def actions_on(request: CoordinatorRequest) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="accounts.coordinatorrequest", target_id=request.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- Services: asking ------------------------------------------------------------------------


def test_asking_records_a_pending_request_and_tells_each_moderator(moderator, applicant):
    other = make_moderator(email="second@undersigned.example.org", is_staff=True)

    request = ask(applicant)

    assert request.status == CoordinatorRequest.Status.PENDING
    assert actions_on(request) == ["account.coordinator_requested"]
    emails = OutboundEmail.objects.filter(kind="coordinator_request").order_by("pk")
    assert [email.to for email in emails] == [moderator.email, other.email]
    text = as_sent(emails[0]).text
    assert f"/admin/accounts/coordinatorrequest/{request.pk}/change/" in text
    # The request's own words stay in the admin, behind the moderator's login and 2FA.
    assert "Uyghur students" not in text
    assert not is_coordinator(applicant)


def test_asking_twice_while_waiting_is_refused(moderator, applicant):
    ask(applicant)

    with pytest.raises(TransitionError, match="still waiting"):
        ask(applicant, organisation="Another")

    assert CoordinatorRequest.objects.count() == 1
    assert OutboundEmail.objects.filter(kind="coordinator_request").count() == 1


def test_a_coordinator_cannot_ask(moderator):
    coordinator = make_coordinator(email="camila@hrw.example.org")

    with pytest.raises(TransitionError, match="already a coordinator"):
        ask(coordinator)

    assert not CoordinatorRequest.objects.exists()


@pytest.mark.parametrize("field", ["organisation", "purpose"])
def test_a_blank_request_is_refused(applicant, field):
    with pytest.raises(DomainError):
        ask(applicant, **{field: "   "})

    assert not CoordinatorRequest.objects.exists()


# --- Services: deciding ----------------------------------------------------------------------


def test_granting_makes_a_coordinator_and_tells_them(moderator, applicant):
    request = services.grant_coordinator_request(request=ask(applicant), actor=moderator)

    applicant = User.objects.get(pk=applicant.pk)  # the role checks cache the groups
    assert is_coordinator(applicant)
    assert (request.status, request.decided_by) == ("granted", moderator)
    assert request.decided_at is not None
    assert actions_on(request)[-1] == "account.coordinator_granted"
    row = OutboundEmail.objects.get(kind="coordinator_granted")
    email = as_sent(row)
    assert row.to == applicant.email
    assert "Hello Aysha Turdi," in email.text
    assert "two-factor authentication" in email.text
    assert "/letters/new/" in email.text


def test_declining_tells_them_and_they_may_ask_again(moderator, applicant):
    request = services.decline_coordinator_request(request=ask(applicant), actor=moderator)

    assert request.status == "declined"
    assert actions_on(request)[-1] == "account.coordinator_declined"
    assert not is_coordinator(User.objects.get(pk=applicant.pk))
    row = OutboundEmail.objects.get(kind="coordinator_declined")
    email = as_sent(row)
    assert row.to == applicant.email
    assert "/letters/new/" in email.text
    assert ask(applicant).status == "pending"


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (services.grant_coordinator_request, services.grant_coordinator_request),
        (services.grant_coordinator_request, services.decline_coordinator_request),
        (services.decline_coordinator_request, services.grant_coordinator_request),
        (services.decline_coordinator_request, services.decline_coordinator_request),
    ],
)
def test_a_decided_request_cannot_be_decided_again(moderator, applicant, first, then):
    request = first(request=ask(applicant), actor=moderator)
    status, emails = request.status, OutboundEmail.objects.count()

    with pytest.raises(TransitionError, match="already decided"):
        then(request=request, actor=moderator)

    request.refresh_from_db()
    assert request.status == status
    assert OutboundEmail.objects.count() == emails


@pytest.mark.parametrize(
    "decide", [services.grant_coordinator_request, services.decline_coordinator_request]
)
def test_only_a_moderator_decides_and_never_their_own(moderator, applicant, decide):
    request = ask(applicant)
    coordinator = make_coordinator(email="camila@hrw.example.org")

    for actor in (applicant, coordinator):
        with pytest.raises(NotAllowed):
            decide(request=request, actor=actor)
    own = ask(make_moderator(email="new-mod@undersigned.example.org", is_staff=True))
    with pytest.raises(NotAllowed, match="Another moderator"):
        decide(request=own, actor=own.user)

    request.refresh_from_db()
    assert request.status == "pending"


def test_decided_requests_are_deleted_after_the_retention_period(moderator, settings):
    settings.COORDINATOR_REQUEST_RETENTION_DAYS = 90
    old = services.grant_coordinator_request(
        request=ask(UserFactory(email="old@x.example.org")), actor=moderator
    )
    recent = services.decline_coordinator_request(
        request=ask(UserFactory(email="recent@x.example.org")), actor=moderator
    )
    waiting = ask(UserFactory(email="waiting@x.example.org"))
    CoordinatorRequest.objects.filter(pk=old.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=91)
    )
    waiting_since = timezone.now() - dt.timedelta(days=400)
    CoordinatorRequest.objects.filter(pk=waiting.pk).update(created_at=waiting_since)

    assert services.purge_decided_coordinator_requests() == 1

    assert set(CoordinatorRequest.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert AuditEvent.objects.filter(action="account.coordinator_granted").exists()


def test_the_privacy_page_states_the_period(client, settings):
    settings.COORDINATOR_REQUEST_RETENTION_DAYS = 45

    assert (
        "is deleted 45 days after a moderator answers it"
        in client.get(reverse("privacy")).content.decode()
    )


# --- /letters/new/ for each role -------------------------------------------------------------


def test_a_visitor_is_asked_to_log_in(client):
    response = client.get(NEW)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_an_account_without_the_role_is_told_how_to_get_it(client, applicant):
    client.force_login(applicant)

    page = client.get(NEW)

    assert page.status_code == 200
    assert "a moderator grants the coordinator role" in page.content.decode()
    assert 'name="purpose"' in page.content.decode()


def test_asking_from_the_page(client, moderator, applicant):
    client.force_login(applicant)

    response = client.post(NEW, {"organisation": "UDYN", "purpose": PURPOSE})

    assert response.status_code == 302
    request = CoordinatorRequest.objects.get()
    assert (request.user, request.organisation, request.status) == (applicant, "UDYN", "pending")
    assert "Your request is sent." in str(list(get_messages(response.wsgi_request))[0])
    page = client.get(NEW).content.decode()
    assert "Your request is waiting for a moderator" in page
    assert 'name="purpose"' not in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"organisation": "", "purpose": PURPOSE}, "This field is required."),
        ({"organisation": "UDYN", "purpose": "Please"}, "at least a sentence"),
        ({"organisation": "U\u202eDYN", "purpose": PURPOSE}, "text-direction"),
    ],
)
def test_a_bad_request_changes_nothing(client, applicant, data, error):
    client.force_login(applicant)

    response = client.post(NEW, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert "Error:" in response.content.decode().split("</title>")[0]
    assert not CoordinatorRequest.objects.exists()


def test_a_moderator_without_the_role_gets_the_same_page(client, moderator):
    client.force_login(moderator)

    assert 'name="purpose"' in client.get(NEW).content.decode()


def test_a_coordinator_gets_the_new_letter_form(client):
    client.force_login(make_coordinator(email="camila@hrw.example.org"))

    page = client.get(NEW).content.decode()

    assert 'name="body"' in page
    assert 'name="purpose"' not in page


def test_a_declined_request_is_mentioned_and_a_new_one_offered(client, moderator, applicant):
    services.decline_coordinator_request(request=ask(applicant), actor=moderator)
    client.force_login(applicant)

    page = client.get(NEW).content.decode()

    assert "Your last request was declined" in page
    assert 'name="purpose"' in page


# --- The admin -------------------------------------------------------------------------------


def change_url(request: CoordinatorRequest) -> str:
    return reverse("admin:accounts_coordinatorrequest_change", args=[request.pk])


def test_a_moderator_grants_from_the_requests_page(client, moderator, applicant):
    request = ask(applicant)
    client.force_login(moderator)

    page = client.get(change_url(request)).content.decode()
    response = client.post(change_url(request), {"_grant": "Grant"})

    assert PURPOSE in page
    assert 'name="_grant"' in page
    assert 'name="_decline"' in page
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "granted"
    assert is_coordinator(User.objects.get(pk=applicant.pk))


def test_a_moderator_declines_from_the_list(client, moderator, applicant):
    request = ask(applicant)
    client.force_login(moderator)

    client.post(
        reverse("admin:accounts_coordinatorrequest_changelist"),
        {"action": "decline_selected", ACTION_CHECKBOX_NAME: [request.pk]},
    )

    request.refresh_from_db()
    assert request.status == "declined"


def test_a_decided_request_offers_no_buttons_and_a_post_changes_nothing(
    client, moderator, applicant
):
    request = services.decline_coordinator_request(request=ask(applicant), actor=moderator)
    client.force_login(moderator)

    page = client.get(change_url(request)).content.decode()
    client.post(change_url(request), {"_grant": "Grant"})

    assert 'name="_grant"' not in page
    request.refresh_from_db()
    assert request.status == "declined"
    assert not is_coordinator(User.objects.get(pk=applicant.pk))


def test_requests_cannot_be_added_or_deleted_in_the_admin(client, moderator, applicant):
    request = ask(applicant)
    client.force_login(moderator)

    add = client.get(reverse("admin:accounts_coordinatorrequest_add"))
    delete = client.post(
        reverse("admin:accounts_coordinatorrequest_delete", args=[request.pk]), {"post": "yes"}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert CoordinatorRequest.objects.filter(pk=request.pk).exists()


@pytest.mark.parametrize("role", ["applicant", "coordinator"])
def test_no_other_role_reaches_the_requests(client, applicant, role):
    request = ask(applicant)
    user = applicant if role == "applicant" else make_coordinator(email="camila@hrw.example.org")
    client.force_login(user)

    for url in (reverse("admin:accounts_coordinatorrequest_changelist"), change_url(request)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    client.post(change_url(request), {"_grant": "Grant"})
    request.refresh_from_db()
    assert request.status == "pending"


# --- Where each role lands after login -------------------------------------------------------


def log_in_with_2fa(client, user, **extra):
    secret = enrol_totp_fresh(user)
    response = client.post(
        reverse("account_login") + extra.get("query", ""),
        {"login": user.email, "password": PASSWORD},
    )
    assert response.url == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})


def test_a_coordinator_lands_on_the_dashboard(client):
    response = log_in_with_2fa(client, make_coordinator(email="camila@hrw.example.org"))

    assert response.url == reverse("letters:dashboard")


def test_a_moderator_lands_on_the_queue(client, moderator):
    response = log_in_with_2fa(client, moderator)

    assert response.url == reverse("admin:letters_pendingsignature_changelist")


def test_anyone_else_lands_on_the_home_page(client, applicant):
    response = log_in(client, applicant.email)

    assert response.url == reverse("home")


def test_the_page_that_asked_for_the_login_wins(client, moderator):
    response = log_in_with_2fa(client, moderator, query="?next=/organisations/mine/")

    assert response.url == "/organisations/mine/"


# --- A name for every account ----------------------------------------------------------------


def test_sign_up_asks_for_a_name_first_and_keeps_it(client):
    form = client.get(reverse("account_signup")).content.decode()
    response = client.post(
        reverse("account_signup"),
        {
            "name": "  Nima   Sherpa ",
            "email": "nima@ngo.example.org",
            "password1": "correct-horse-9",
            "password2": "correct-horse-9",
        },
    )

    assert form.index('name="name"') < form.index('name="email"')
    assert response.status_code == 302
    assert User.objects.get(email="nima@ngo.example.org").name == "Nima Sherpa"


def test_sign_up_without_a_name_is_refused(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nima@ngo.example.org",
            "password1": "correct-horse-9",
            "password2": "correct-horse-9",
        },
    )

    assert response.status_code == 200
    assert not User.objects.filter(email="nima@ngo.example.org").exists()


def test_the_account_changes_its_name(client, applicant):
    client.force_login(applicant)

    page = client.get(reverse("account-name"))
    response = client.post(reverse("account-name"), {"name": "Aysha T."})

    assert 'value="Aysha Turdi"' in page.content.decode()
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.name == "Aysha T."


@pytest.mark.parametrize("name", ["", "   ", "Ay<b>sha", "x" * 151])
def test_a_bad_name_changes_nothing(client, applicant, name):
    client.force_login(applicant)

    response = client.post(reverse("account-name"), {"name": name})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.name == "Aysha Turdi"


def test_a_visitor_has_no_name_page(client):
    response = client.get(reverse("account-name"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_set_display_name_refuses_a_blank_name(applicant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.set_display_name(user=applicant, name=" \t ")

    applicant.refresh_from_db()
    assert applicant.name == "Aysha Turdi"


def test_the_account_data_download_has_the_requests(applicant):
    from letters.services.accounts import account_data

    ask(applicant)

    [request] = account_data(applicant)["requests_to_coordinate"]
    assert (request["organisation"], request["status"]) == (
        "Uyghur Diaspora Youth Network",
        "pending",
    )


def test_asking_is_limited_to_a_few_times_a_day(client, moderator, applicant):
    client.force_login(applicant)
    for _ in range(3):
        client.post(NEW, {"organisation": "UDYN", "purpose": PURPOSE})
        CoordinatorRequest.objects.filter(status="pending").update(status="declined")

    refused = client.post(NEW, {"organisation": "UDYN", "purpose": PURPOSE})

    assert refused.status_code == 429
    assert "Please ask again tomorrow" in refused.content.decode()
    assert CoordinatorRequest.objects.count() == 3
    assert OutboundEmail.objects.filter(kind="coordinator_request").count() == 3


def test_a_copy_of_the_database_does_not_tell_who_plans_which_letter(applicant):
    from django.db import connection

    request = ask(applicant, organisation="Uyghur Diaspora Youth Network")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT organisation, purpose FROM accounts_coordinatorrequest WHERE id = %s",
            [request.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert "Uyghur" not in stored
    assert "universities" not in stored
    request.refresh_from_db()
    assert (request.organisation, request.purpose) == ("Uyghur Diaspora Youth Network", PURPOSE)
