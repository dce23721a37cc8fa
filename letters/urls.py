"""Every URL of the letters app, in the `letters` namespace, grouped by the role package of
its view.

Fixed first segments ("dashboard", "new", "my-signatures", "invitations", "signatures") come
before the letter's own `<slug>/` patterns and are reserved: never given to a letter as its
slug (letters.services.lifecycle.RESERVED_SLUGS). Slugs are Unicode, hence <str:slug>.
"""

from django.urls import path

from .views import (
    imports,
    invitations,
    leads,
    letters,
    moderation,
    publication,
    responses,
    signing,
    translations,
    webhooks,
)

app_name = "letters"

urlpatterns = [
    path("", letters.letter_index, name="index"),
    path("dashboard/", letters.dashboard, name="dashboard"),
    path("new/", letters.letter_create, name="create"),
    # Signing. Email links carry their token; a GET never changes anything.
    path("my-signatures/", signing.my_signatures, name="my-signatures"),
    path("invitations/<str:secret>/", signing.sign_invitation, name="sign-invitation"),
    path("signatures/confirm/<str:token>/", signing.signature_confirm, name="signature-confirm"),
    path("signatures/manage/<str:token>/", signing.signature_manage, name="signature-manage"),
    path("signatures/erase/done/", signing.signature_erased, name="signature-erased"),
    path("signatures/erase/<str:token>/", signing.signature_erase, name="signature-erase"),
    path("signatures/widen/<str:token>/", signing.signature_widen, name="signature-widen"),
    path("signatures/widened/", signing.signature_widened, name="signature-widened"),
    path("leads/<int:pk>/", leads.lead_answer, name="lead-answer"),
    path(
        "signatures/reconfirm/<str:token>/",
        signing.signature_reconfirm,
        name="signature-reconfirm",
    ),
    path("signatures/<int:pk>/withdraw/", signing.signature_withdraw, name="signature-withdraw"),
    path("<str:slug>/sign/", signing.sign, name="sign"),
    path("<str:slug>/sign/sent/", signing.sign_sent, name="sign-sent"),
    path("<str:slug>/signatures/", signing.letter_signatures, name="letter-signatures"),
    # Invitations. The invitee's pages: the secret in the link is the permission.
    path(
        "invitations/<str:secret>/decline/",
        invitations.invitation_decline,
        name="invitation-decline",
    ),
    path(
        "invitations/<str:secret>/forward/",
        invitations.invitation_forward,
        name="invitation-forward",
    ),
    # The letter's coordinators (moderators read the list, its counts and the export).
    path("<str:slug>/invitations/", invitations.invitation_list, name="invitations"),
    path("<str:slug>/invitations/new/", invitations.invitation_create, name="invitation-create"),
    path(
        "<str:slug>/invitations/progress/",
        invitations.invitation_progress,
        name="invitation-progress",
    ),
    path("<str:slug>/invitations/export/", invitations.invitation_export, name="invitation-export"),
    path(
        "<str:slug>/invitations/resend-failed/",
        invitations.invitation_resend_failed,
        name="invitation-resend-failed",
    ),
    path("<str:slug>/invitations/import/", imports.invitation_import, name="invitation-import"),
    path(
        "<str:slug>/invitations/import/<int:pk>/",
        imports.invitation_import_preview,
        name="invitation-import-preview",
    ),
    path(
        "<str:slug>/invitations/<int:pk>/resend/",
        invitations.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "<str:slug>/invitations/<int:pk>/revoke/",
        invitations.invitation_revoke,
        name="invitation-revoke",
    ),
    # Review delegated to the letter's coordinators.
    path(
        "<str:slug>/signatures/approve/", moderation.signatures_approve, name="signatures-approve"
    ),
    path("<str:slug>/signatures/reject/", moderation.signatures_reject, name="signatures-reject"),
    # The letter, its drafting and its lifecycle.
    path("<str:slug>/", letters.letter_detail, name="detail"),
    path("<str:slug>/edit/", letters.letter_edit, name="edit"),
    path("<str:slug>/settings/", letters.letter_settings, name="settings"),
    path("<str:slug>/summary/", letters.letter_summary, name="summary"),
    path("<str:slug>/leads/", leads.letter_leads, name="leads"),
    path("<str:slug>/make-list-public/", letters.letter_lift_embargo, name="lift-embargo"),
    path("<str:slug>/coordinators/", letters.letter_coordinators, name="coordinators"),
    path(
        "<str:slug>/coordinators/<int:pk>/role/",
        letters.coordinator_role,
        name="coordinator-role",
    ),
    path(
        "<str:slug>/coordinators/<int:pk>/remove/",
        letters.coordinator_remove,
        name="coordinator-remove",
    ),
    path("<str:slug>/open/", letters.letter_open, name="open"),
    path("<str:slug>/close/", letters.letter_close, name="close"),
    path("<str:slug>/reopen/", letters.letter_reopen, name="reopen"),
    path("<str:slug>/publish/", letters.letter_publish, name="publish"),
    path("<str:slug>/versions/", letters.letter_versions, name="versions"),
    # The coordinators' webhooks (README "Webhooks").
    path("<str:slug>/webhooks/", webhooks.webhook_list, name="webhooks"),
    path(
        "<str:slug>/webhooks/deliveries/",
        webhooks.webhook_deliveries,
        name="webhook-deliveries",
    ),
    path(
        "<str:slug>/webhooks/deliveries/<int:pk>/retry/",
        webhooks.webhook_retry,
        name="webhook-retry",
    ),
    path("<str:slug>/webhooks/<int:pk>/test/", webhooks.webhook_ping, name="webhook-ping"),
    path("<str:slug>/webhooks/<int:pk>/disable/", webhooks.webhook_disable, name="webhook-disable"),
    path("<str:slug>/webhooks/<int:pk>/enable/", webhooks.webhook_enable, name="webhook-enable"),
    path("<str:slug>/webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path("<str:slug>/translations/", translations.translation_list, name="translations"),
    path(
        "<str:slug>/translations/<str:language>/",
        translations.translation_edit,
        name="translation-edit",
    ),
    path("<str:slug>/versions/<int:number>/", letters.letter_version, name="version"),
    # The public record and its exports.
    path("<str:slug>/letter.pdf", publication.letter_pdf, name="pdf"),
    path(
        "<str:slug>/letter-recipient-edition.pdf",
        publication.letter_pdf_recipient,
        name="pdf-recipient",
    ),
    path("<str:slug>/signatories.csv", publication.signatories_csv, name="csv"),
    path(
        "<str:slug>/signatories-contacts.csv",
        publication.signatories_csv_coordinator,
        name="csv-coordinator",
    ),
    path(
        "<str:slug>/signatories-osdi.json",
        publication.signatories_osdi_coordinator,
        name="osdi-coordinator",
    ),
    path("<str:slug>/publication/", publication.publication, name="publication"),
    # After delivery: the recipient's response and follow-up updates.
    path("<str:slug>/responses/", responses.response_list, name="responses"),
    path(
        "<str:slug>/responses/<int:pk>/delete/",
        responses.response_delete,
        name="response-delete",
    ),
    path(
        "<str:slug>/responses/<int:pk>/response.pdf",
        responses.response_document,
        name="response-document",
    ),
    path("<str:slug>/embed/", publication.embed, name="embed"),
]
