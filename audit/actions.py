"""Every kind of audit event, grouped by what it is about.

The stored value ("signature.approved") is the key of existing rows and of filters: never change
one. The label is what the admin's audit trail shows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # Letters
    LETTER_CREATED = "letter.created", _("Letter created")
    LETTER_VERSION_SAVED = "letter.version_saved", _("Letter text saved as a new version")
    LETTER_SETTINGS_CHANGED = "letter.settings_changed", _("Letter settings changed")
    LETTER_TRANSLATION_SAVED = (
        "letter.translation_saved",
        _("Translation of the letter saved as a new version"),
    )
    LETTER_SUMMARY_CORRECTED = (
        "letter.summary_corrected",
        _("Summary of the published letter corrected"),
    )
    LETTER_OPENED = "letter.opened", _("Letter opened for signatures")
    LETTER_CLOSED = "letter.closed", _("Letter closed")
    LETTER_REOPENED = "letter.reopened", _("Letter reopened")
    LETTER_PUBLISHED = "letter.published", _("Letter published")
    LETTER_PERSONAL_DATA_ERASED = (
        "letter.personal_data_erased",
        _("Signers' and contacts' personal data erased (retention period over)"),
    )
    LETTER_LEAD_REQUESTED = "letter.lead_requested", _("Organisation asked to lead the letter")
    LETTER_LEAD_ACCEPTED = "letter.lead_accepted", _("Organisation accepted to lead the letter")
    LETTER_LEAD_DECLINED = "letter.lead_declined", _("Organisation declined to lead the letter")
    LETTER_LEAD_WITHDRAWN = "letter.lead_withdrawn", _("Lead request withdrawn")
    LETTER_EMBARGO_LIFT_REQUESTED = (
        "letter.embargo_lift_requested",
        _("Lifting the embargo requested (signers notified)"),
    )
    LETTER_EMBARGO_LIFT_CANCELLED = "letter.embargo_lift_cancelled", _("Embargo lift cancelled")
    LETTER_EMBARGO_LIFTED = "letter.embargo_lifted", _("Embargo lifted: the list is public")
    LETTER_RESPONSE_RECORDED = (
        "letter.response_recorded",
        _("Response or update recorded on the published letter"),
    )
    LETTER_RESPONSE_DELETED = "letter.response_deleted", _("Response or update deleted")
    LETTER_WEBHOOK_ADDED = "letter.webhook_added", _("Webhook added")
    LETTER_WEBHOOK_DISABLED = "letter.webhook_disabled", _("Webhook disabled")
    LETTER_WEBHOOK_ENABLED = "letter.webhook_enabled", _("Webhook enabled")
    LETTER_WEBHOOK_DELETED = "letter.webhook_deleted", _("Webhook deleted")
    LETTER_COORDINATOR_ADDED = "letter.coordinator_added", _("Coordinator added")
    LETTER_COORDINATOR_REMOVED = "letter.coordinator_removed", _("Coordinator removed")
    LETTER_COORDINATOR_ROLE_CHANGED = (
        "letter.coordinator_role_changed",
        _("Coordinator's role changed"),
    )
    LETTER_REVIEW_DELEGATED = "letter.review_delegated", _("Review delegated to coordinators")
    LETTER_REVIEW_TAKEN_BACK = "letter.review_taken_back", _("Review taken back by moderators")

    # Signatures
    SIGNATURE_SUBMITTED = "signature.submitted", _("Signature submitted")
    SIGNATURE_CONFIRMED = "signature.confirmed", _("Signature confirmed")
    SIGNATURE_AUTO_APPROVED = "signature.auto_approved", _("Signature approved automatically")
    SIGNATURE_APPROVED = "signature.approved", _("Signature approved")
    SIGNATURE_REJECTED = "signature.rejected", _("Signature rejected")
    SIGNATURE_WITHDRAWN = "signature.withdrawn", _("Signature withdrawn")
    SIGNATURE_VISIBILITY_CHANGED = "signature.visibility_changed", _("Signature visibility changed")
    SIGNATURE_RECONFIRMED = "signature.reconfirmed", _("Signature confirmed for a new version")
    SIGNATURE_EXPIRED = "signature.expired", _("Unconfirmed signature expired")
    SIGNATURE_DUPLICATE = "signature.duplicate", _("Confirmed, not counted: already signed")
    SIGNATURE_SUPERSEDED = "signature.superseded", _("Unverified signature gave way")

    # Invitations to sign
    INVITATION_CREATED = "invitation.created", _("Invitation sent")
    INVITATION_RESENT = "invitation.resent", _("Invitation sent again")
    INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
    INVITATION_DECLINED = "invitation.declined", _("Invitation declined")
    INVITATION_FORWARDED = "invitation.forwarded", _("Invitation forwarded")
    INVITATIONS_IMPORTED = "invitations.imported", _("Invitations imported from a file")
    INVITATIONS_RESENT_FAILED = "invitations.resent_failed", _("Failed invitations sent again")
    INVITATIONS_REMINDED = "invitations.reminded", _("Invitation reminders sent")

    # Accounts
    COORDINATOR_REQUESTED = "account.coordinator_requested", _("Asked to coordinate letters")
    COORDINATOR_GRANTED = "account.coordinator_granted", _("Coordinator role granted")
    COORDINATOR_DECLINED = "account.coordinator_declined", _("Request to coordinate declined")
    API_TOKEN_CREATED = "account.api_token_created", _("Personal API token created")
    API_TOKEN_REVOKED = "account.api_token_revoked", _("Personal API token revoked")
    # Organisations
    ORGANISATION_CREATED = "organisation.created", _("Organisation registered")
    DATA_COPY_SENT = "data.copy_sent", _("A copy of a signer's data emailed to them")
    SIGNER_DATA_ERASED = "data.signer_erased", _("A signer's personal data erased at their request")
    ORGANISATION_SEALED = (
        "organisation.sealed",
        _("Organisation's name stored encrypted (known only through withheld signatures)"),
    )
    ORGANISATION_UNSEALED = (
        "organisation.unsealed",
        _("Organisation's name stored in clear (it has a public existence now)"),
    )
    ORGANISATION_UPDATED = "organisation.updated", _("Organisation details edited")
    ORGANISATION_VERIFIED = "organisation.verified", _("Organisation verified")
    ORGANISATION_UNVERIFIED = "organisation.unverified", _("Organisation unverified")
    ORGANISATION_MERGED = "organisation.merged", _("Duplicate organisation merged in")
    ORGANISATION_MERGED_INTO = "organisation.merged_into", _("Merged into another organisation")
    ORGANISATION_MEMBER_ADDED = "organisation.member_added", _("Member added")
    ORGANISATION_MEMBER_ROLE_CHANGED = (
        "organisation.member_role_changed",
        _("Member's role changed"),
    )
    ORGANISATION_MEMBER_REMOVED = "organisation.member_removed", _("Member removed")
    ORGANISATION_MEMBER_INVITED = "organisation.member_invited", _("Member invited")
    ORGANISATION_INVITATION_ACCEPTED = (
        "organisation.invitation_accepted",
        _("Invitation to join accepted"),
    )
    ORGANISATION_INVITATION_REVOKED = (
        "organisation.invitation_revoked",
        _("Invitation to join revoked"),
    )
    ORGANISATION_DOMAIN_ADDED = "organisation.domain_added", _("Email domain added")
    ORGANISATION_DOMAIN_VERIFIED = "organisation.domain_verified", _("Email domain verified")
    ORGANISATION_DOMAIN_UNVERIFIED = "organisation.domain_unverified", _("Email domain unverified")
    ORGANISATION_DOMAIN_REMOVED = "organisation.domain_removed", _("Email domain removed")
