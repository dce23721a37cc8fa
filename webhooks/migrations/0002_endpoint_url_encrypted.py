"""A webhook's address stored encrypted (it may carry its own secret, in its path), kept once
per letter by a keyed index instead of the address itself."""

from django.db import migrations, models

import core.fields
from core.crypto import blind_index, decrypt_str, encrypt_str


def encrypt_addresses(apps, schema_editor):
    WebhookEndpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.all().only("pk", "letter_id", "url"):
        url = endpoint.url
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            url=encrypt_str(url),
            url_key=blind_index("webhooks.endpoint-url", f"{endpoint.letter_id}\x00{url}"),
        )


def decrypt_addresses(apps, schema_editor):
    WebhookEndpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.all().only("pk", "url"):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=decrypt_str(endpoint.url))


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(
            model_name="webhookendpoint", name="webhooks_endpoint_url_once"
        ),
        # A plain text column first, so the rows can be rewritten as they are.
        migrations.AlterField(
            model_name="webhookendpoint", name="url", field=models.TextField(verbose_name="URL")
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="url_key",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_addresses, decrypt_addresses, elidable=False),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="url",
            field=core.fields.EncryptedTextField(verbose_name="URL"),
        ),
        migrations.AddConstraint(
            model_name="webhookendpoint",
            constraint=models.UniqueConstraint(
                fields=("letter", "url_key"), name="webhooks_endpoint_url_key_once"
            ),
        ),
    ]
