"""Every state change of the letters app, one function per use case (re-exported here).

- lifecycle: drafting, versions, coordinators, draft → open → closed → published
- signatures: signing for an organisation, confirmation, withdrawal, re-confirmation, expiry
- invitations: inviting contacts one by one or from a CSV, resending, revoking, the
  invitee's decline or hand-over, reminders, following the delivery of the email
- moderation: approving and rejecting signatures, one by one or in bulk
- delegation: a moderator lets a letter's coordinators review its signatures
- merge: merging a duplicate organisation (moves letters' rows too, so it lives here)
- digest: the moderators' digest of signatures awaiting review

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
    "DeletionPlan",
    "delete_account",
    "deletion_plan",
    "export_account",
    "email_data_copy",
    "erase_signer",
    "request_erasure",
    "signature_for_erasure",
    "RetentionReport",
    "purge_expired_personal_data",
    "accept_lead",
    "decline_lead",
    "request_lead",
    "withdraw_lead",
    "cancel_embargo_lift",
    "lift_due_embargoes",
    "request_embargo_lift",
    "merge_organisations",
    "save_translation",
    "queue_moderation_digests",
    "set_review_delegation",
    "Decisions",
    "approve_signature",
    "decide_signatures",
    "reject_signature",
    "AlreadySigned",
    "OrganisationChoice",
    "WideningNeedsConfirmation",
    "change_visibility",
    "confirm_signature",
    "confirm_widening",
    "narrow_visibility",
    "request_widening",
    "signature_for_widening",
    "widens",
    "expire_unconfirmed_signatures",
    "cancel_import",
    "confirm_import",
    "decline_invitation",
    "expire_invitations",
    "fix_import_rows",
    "follow_email_status",
    "forward_invitation",
    "held_invitations",
    "invite",
    "purge_stale_imports",
    "resend_failed_invitations",
    "resend_invitation",
    "revoke_invitation",
    "send_held_invitations",
    "send_invitation_reminders",
    "start_import",
    "reconfirm_signature",
    "request_reconfirmations",
    "sign_letter",
    "submit_signature",
    "withdraw_signature",
    "add_coordinator",
    "close_letter",
    "close_letters_past_deadline",
    "create_letter",
    "open_letter",
    "publish_letter",
    "remove_coordinator",
    "reopen_letter",
    "set_coordinator_role",
    "update_letter",
    "correct_summary",
    "add_webhook",
    "delete_webhook",
    "disable_webhook",
    "enable_webhook",
    "ping_webhook",
    "retry_webhook_delivery",
]
