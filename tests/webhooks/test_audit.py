"""A webhook takes a letter's events off the site: adding, disabling, enabling and deleting
one is in the audit trail (who, when, to which host — never the address's path, which may be
the receiver's secret, nor the signing secret)."""

import pytest

from audit.models import AuditEvent
from letters import services
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def _trail(letter) -> list[tuple[str, str, dict]]:
    return [
        (event.action, event.actor.email if event.actor else "", event.data)
        for event in AuditEvent.objects.filter(action__startswith="letter.webhook").order_by("pk")
    ]


def test_each_change_of_a_webhook_is_audited(open_letter, owner, editor, receiver):
    url = receiver.url + "services/T0001/secret-path"
    endpoint, secret = services.add_webhook(
        letter=open_letter, actor=owner, url=url, events=["letter.closed"]
    )
    services.disable_webhook(letter=open_letter, actor=editor, endpoint=endpoint)
    services.enable_webhook(letter=open_letter, actor=owner, endpoint=endpoint)
    services.delete_webhook(letter=open_letter, actor=editor, endpoint=endpoint)

    trail = _trail(open_letter)
    assert [(action, who) for action, who, _ in trail] == [
        ("letter.webhook_added", owner.email),
        ("letter.webhook_disabled", editor.email),
        ("letter.webhook_enabled", owner.email),
        ("letter.webhook_deleted", editor.email),
    ]
    assert trail[0][2] == {"webhook": endpoint.pk, "host": "127.0.0.1", "events": ["letter.closed"]}
    stored = str([data for _, _, data in trail])
    assert "secret-path" not in stored
    assert secret not in stored
    assert not WebhookEndpoint.objects.exists()


def test_a_refused_change_is_not_audited(open_letter, other_coordinator, receiver):
    with pytest.raises(Exception, match="coordinators"):
        services.add_webhook(
            letter=open_letter, actor=other_coordinator, url=receiver.url, events=["letter.closed"]
        )
    assert _trail(open_letter) == []
