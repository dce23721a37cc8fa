from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = _("Letters")

    def ready(self) -> None:
        from organisations.signals import public_details_changed
        from outbox.signals import email_status_changed
        from webhooks.signals import endpoint_disabled

        from .dispatch import enqueue_pdf_render
        from .exports import pdf_render_requested
        from .receivers import (
            invitation_email_status_changed,
            organisation_details_changed,
            webhook_endpoint_disabled,
        )

        public_details_changed.connect(
            organisation_details_changed, dispatch_uid="letters.organisation_details_changed"
        )
        email_status_changed.connect(
            invitation_email_status_changed, dispatch_uid="letters.invitation_email_status"
        )
        endpoint_disabled.connect(
            webhook_endpoint_disabled, dispatch_uid="letters.webhook_endpoint_disabled"
        )
        pdf_render_requested.connect(enqueue_pdf_render, dispatch_uid="letters.dispatch.pdf")
