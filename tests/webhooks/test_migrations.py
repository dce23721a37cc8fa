"""webhooks 0002: the addresses saved before it are encrypted in place, with their keyed
index, and decrypted again if the migration is undone."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from webhooks.models import WebhookEndpoint, url_key

URL = "https://hooks.example.org/services/T0001/B0002/secret-path-token"


def _raw_url(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM webhooks_webhookendpoint WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_addresses_are_encrypted_and_back(open_letter):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate([("webhooks", "0001_initial")])
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO webhooks_webhookendpoint (created_at, updated_at, letter_id, url, "
            "secret, events, active, disabled_reason, consecutive_failures) "
            "VALUES (%s, %s, %s, %s, '', '[]', true, '', 0)",
            [now, now, open_letter.pk, URL],
        )
        cursor.execute("SELECT id FROM webhooks_webhookendpoint")
        [(pk,)] = cursor.fetchall()

    MigrationExecutor(connection).migrate(latest)

    assert "secret-path-token" not in _raw_url(pk)
    endpoint = WebhookEndpoint.objects.get(pk=pk)
    assert endpoint.url == URL
    assert endpoint.url_key == url_key(open_letter.pk, URL)

    MigrationExecutor(connection).migrate([("webhooks", "0001_initial")])
    assert _raw_url(pk) == URL
    MigrationExecutor(connection).migrate(latest)
    assert WebhookEndpoint.objects.get(pk=pk).url == URL
