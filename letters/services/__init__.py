"""Every state change of the letters app, one function per use case (re-exported here).

- lifecycle: drafting, versions, coordinators, draft → open → closed → published
- signatures: signing for an organisation, confirmation, withdrawal, re-confirmation, expiry
- invitations: inviting contacts one by one or from a CSV, resending, revoking, the
  invitee's decline or hand-over, reminders, following the delivery of the email
- moderation: approving and rejecting signatures, one by one or in bulk
- delegation: a moderator lets a letter's coordinators review its signatures
- merge: merging a duplicate organisation (moves letters' rows too, so it lives here)
- digest: the moderators' digest of signatures awaiting review
- responses: the recipient's response and follow-up updates after delivery

Each owns its transaction. Those that no other service calls are `atomic(durable=True)`: a
caller that wraps one in a transaction of its own fails at once instead of silently making
the use case part of something larger (its emails sent only if that larger thing commits).
"""

from .accounts import DeletionPlan, delete_account, deletion_plan, export_account
from .data_requests import (
    email_data_copy,
    erase_signer,
    request_erasure,
    signature_for_erasure,
)
from .delegation import set_review_delegation
from .digest import queue_moderation_digests
from .embargo import cancel_embargo_lift, lift_due_embargoes, request_embargo_lift
from .invitation_imports import (
    cancel_import,
    confirm_import,
    fix_import_rows,
    purge_stale_imports,
    start_import,
)
from .invitations import (
    decline_invitation,
    expire_invitations,
    follow_email_status,
    forward_invitation,
    held_invitations,
    invite,
    resend_failed_invitations,
    resend_invitation,
    revoke_invitation,
    send_held_invitations,
    send_invitation_reminders,
)
from .leads import accept_lead, decline_lead, request_lead, withdraw_lead
from .lifecycle import (
    add_coordinator,
    close_letter,
    close_letters_past_deadline,
    correct_summary,
    create_letter,
    open_letter,
    publish_letter,
    remove_coordinator,
    reopen_letter,
    set_coordinator_role,
    update_letter,
)
from .merge import merge_organisations
from .moderation import (
    Decisions,
    approve_signature,
    decide_signatures,
    reject_signature,
)
from .responses import delete_response, record_response, signers_to_tell
from .retention import RetentionReport, purge_expired_personal_data
from .signatures import (
    AlreadySigned,
    OrganisationChoice,
    WideningNeedsConfirmation,
    change_visibility,
    confirm_signature,
    confirm_widening,
    expire_unconfirmed_signatures,
    narrow_visibility,
    reconfirm_signature,
    request_reconfirmations,
    request_widening,
    sign_letter,
    signature_for_widening,
    submit_signature,
    widens,
    withdraw_signature,
)
from .translations import save_translation
from .webhooks import (
    add_webhook,
    delete_webhook,
    disable_webhook,
    enable_webhook,
    ping_webhook,
    retry_webhook_delivery,
)

__all__ = [
    "AlreadySigned",
    "Decisions",
    "DeletionPlan",
    "OrganisationChoice",
    "RetentionReport",
    "WideningNeedsConfirmation",
    "accept_lead",
    "add_coordinator",
    "add_webhook",
    "approve_signature",
    "cancel_embargo_lift",
    "cancel_import",
    "change_visibility",
    "close_letter",
    "close_letters_past_deadline",
    "confirm_import",
    "confirm_signature",
    "confirm_widening",
    "correct_summary",
    "create_letter",
    "decide_signatures",
    "decline_invitation",
    "decline_lead",
    "delete_account",
    "delete_response",
    "delete_webhook",
    "deletion_plan",
    "disable_webhook",
    "email_data_copy",
    "enable_webhook",
    "erase_signer",
    "expire_invitations",
    "expire_unconfirmed_signatures",
    "export_account",
    "fix_import_rows",
    "follow_email_status",
    "forward_invitation",
    "held_invitations",
    "invite",
    "lift_due_embargoes",
    "merge_organisations",
    "narrow_visibility",
    "open_letter",
    "ping_webhook",
    "publish_letter",
    "purge_expired_personal_data",
    "purge_stale_imports",
    "queue_moderation_digests",
    "reconfirm_signature",
    "record_response",
    "reject_signature",
    "remove_coordinator",
    "reopen_letter",
    "request_embargo_lift",
    "request_erasure",
    "request_lead",
    "request_reconfirmations",
    "request_widening",
    "resend_failed_invitations",
    "resend_invitation",
    "retry_webhook_delivery",
    "revoke_invitation",
    "save_translation",
    "send_held_invitations",
    "send_invitation_reminders",
    "set_coordinator_role",
    "set_review_delegation",
    "sign_letter",
    "signature_for_erasure",
    "signature_for_widening",
    "signers_to_tell",
    "start_import",
    "submit_signature",
    "update_letter",
    "widens",
    "withdraw_lead",
    "withdraw_signature",
]
