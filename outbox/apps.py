from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Outbound email")

    def ready(self) -> None:
        from .dispatch import enqueue_after_commit
        from .signals import delivery_requested

        delivery_requested.connect(enqueue_after_commit, dispatch_uid="outbox.dispatch")
