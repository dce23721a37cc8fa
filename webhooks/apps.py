from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from .dispatch import enqueue_after_commit
        from .signals import delivery_requested

        delivery_requested.connect(enqueue_after_commit, dispatch_uid="webhooks.dispatch")
