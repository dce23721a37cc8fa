"""The coordinators' webhook pages: what each POST does, and that refusals change nothing.
(Who may GET what is in tests/test_authorization_matrix.py.)"""

import uuid

import pytest
from django.urls import reverse

from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(open_letter, receiver):
    endpoint, secret = webhook_services.create_endpoint(
        letter_id=open_letter.pk, url=receiver.url, events=["letter.closed"]
    )
    receiver.secret = secret
    return endpoint


def _login(client, user):
    client.force_login(user)
    return client


def _state() -> list:
    return sorted(
        WebhookEndpoint.objects.values_list("pk", "url", "active", "consecutive_failures")
    ) + sorted(WebhookDelivery.objects.values_list("pk", "status", "attempts"))


@pytest.mark.parametrize("who", ["owner", "editor"])
def test_a_coordinator_adds_a_webhook_and_sees_its_secret_once(
    client, request, open_letter, receiver, who
):
    _login(client, request.getfixturevalue(who))
    url = reverse("letters:webhooks", kwargs={"slug": open_letter.slug})

    response = client.post(
        url, {"url": receiver.url, "events": ["letter.closed", "letter.published"]}
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == ["letter.closed", "letter.published"]
    listing = client.get(url).content.decode()
    assert receiver.url.replace("&", "&amp;") in listing
    assert endpoint.secret not in listing


def test_a_private_address_is_refused_with_a_form_error(client, owner, open_letter, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    _login(client, owner)

    response = client.post(
        reverse("letters:webhooks", kwargs={"slug": open_letter.slug}),
        {"url": "https://localhost/hook", "events": ["letter.closed"]},
    )

    assert response.status_code == 200
    assert "only sent to public addresses" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_moderator_or_another_coordinator_cannot_add_one(
    client, open_letter, receiver, moderator, other_coordinator
):
    for user in (moderator, other_coordinator):
        _login(client, user)
        response = client.post(
            reverse("letters:webhooks", kwargs={"slug": open_letter.slug}),
            {"url": receiver.url, "events": ["letter.closed"]},
        )
        assert response.status_code == 404
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("action", ["webhook-ping", "webhook-disable", "webhook-delete"])
def test_another_coordinator_changes_nothing(client, other_coordinator, endpoint, action):
    before = _state()
    _login(client, other_coordinator)

    response = client.post(
        reverse(f"letters:{action}", kwargs={"slug": endpoint.letter.slug, "pk": endpoint.pk})
    )

    assert response.status_code == 404
    assert _state() == before


def test_disable_then_enable(client, owner, endpoint):
    _login(client, owner)
    kwargs = {"slug": endpoint.letter.slug, "pk": endpoint.pk}

    client.post(reverse("letters:webhook-disable", kwargs=kwargs))
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert owner.email in endpoint.disabled_reason
    page = client.get(reverse("letters:webhooks", kwargs={"slug": endpoint.letter.slug}))
    assert "Disabled" in page.content.decode()

    client.post(reverse("letters:webhook-enable", kwargs=kwargs))
    endpoint.refresh_from_db()
    assert endpoint.active is True


def test_delete_asks_first_then_deletes(client, owner, endpoint):
    _login(client, owner)
    url = reverse(
        "letters:webhook-delete", kwargs={"slug": endpoint.letter.slug, "pk": endpoint.pk}
    )

    assert "Delete this webhook?" in client.get(url).content.decode()
    assert WebhookEndpoint.objects.exists()
    response = client.post(url)

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_a_test_ping_is_queued_and_listed(client, owner, endpoint):
    _login(client, owner)

    response = client.post(
        reverse("letters:webhook-ping", kwargs={"slug": endpoint.letter.slug, "pk": endpoint.pk}),
        follow=True,
    )

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "ping"
    assert str(delivery.event_id) in response.content.decode()


def test_retry_now_of_a_failed_delivery(client, owner, endpoint):
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), event="letter.closed", status="failed",
        attempts=8, last_error="HTTP 503", body="{}",
    )  # fmt: skip
    _login(client, owner)
    page = client.get(reverse("letters:webhook-deliveries", kwargs={"slug": endpoint.letter.slug}))
    assert "Retry now" in page.content.decode()

    client.post(
        reverse("letters:webhook-retry", kwargs={"slug": endpoint.letter.slug, "pk": delivery.pk})
    )

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("queued", 0)


def test_retry_now_through_another_letter_is_not_found(client, owner, endpoint, make_letter):
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), event="letter.closed", status="failed", body="{}"
    )
    other = make_letter()
    _login(client, owner)

    response = client.post(
        reverse("letters:webhook-retry", kwargs={"slug": other.slug, "pk": delivery.pk})
    )

    assert response.status_code == 404
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "failed"


def test_the_deliveries_page_takes_the_same_queries_for_3_or_30(
    client, owner, endpoint, django_assert_num_queries
):
    _login(client, owner)
    url = reverse("letters:webhook-deliveries", kwargs={"slug": endpoint.letter.slug})
    counts = []
    for total in (3, 30):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, event_id=uuid.uuid4(), event="letter.closed")
            for _ in range(total - WebhookDelivery.objects.count())
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_webhooks_page_takes_the_same_queries_for_1_or_5_endpoints(
    client, owner, open_letter, receiver, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _login(client, owner)
    url = reverse("letters:webhooks", kwargs={"slug": open_letter.slug})
    counts = []
    for total in (1, 5):
        while WebhookEndpoint.objects.count() < total:
            endpoint, _ = webhook_services.create_endpoint(
                letter_id=open_letter.pk,
                url=f"{receiver.url}&n={WebhookEndpoint.objects.count()}",
                events=["letter.closed"],
            )
            WebhookDelivery.objects.create(
                endpoint=endpoint, event_id=uuid.uuid4(), event="letter.closed",
                status="failed", attempts=8, last_error="HTTP 500",
            )  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))

    assert response.content.decode().count("HTTP 500") == 5
    assert counts[0] == counts[1]


def test_the_privacy_page_says_what_webhooks_send_and_for_how_long(client, settings):
    settings.WEBHOOKS_BODY_RETENTION_HOURS = 48
    settings.WEBHOOKS_DELIVERY_RETENTION_DAYS = 14

    page = " ".join(client.get(reverse("privacy")).content.decode().split())

    assert "Never the signer's name or email address." in page
    assert "if it cannot be, for 48 hours." in page
    assert "The record that it was sent is deleted after 14 days." in page
