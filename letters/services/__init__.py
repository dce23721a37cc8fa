"""Every state change of the letters app, one function per use case (re-exported here).

- lifecycle: drafting, versions, coordinators, draft → open → closed → published
- signatures: signing for an organisation, confirmation, withdrawal, re-confirmation, expiry
- invitations: inviting an organisation's contact
- moderation: approving and rejecting signatures, one by one or in bulk
"""

from .invitations import invite
from .lifecycle import (
    SETTINGS_FIELDS,
    add_coordinator,
    close_letter,
    close_letters_past_deadline,
    create_letter,
    current_version,
    open_letter,
    publish_letter,
    remove_coordinator,
    reopen_letter,
    set_coordinator_role,
    update_letter,
)
from .moderation import (
    Decisions,
    approve_signature,
    can_moderate,
    decide_signatures,
    reject_signature,
)
from .signatures import (
    AlreadySigned,
    OrganisationChoice,
    change_visibility,
    confirm_signature,
    expire_unconfirmed_signatures,
    live_invitation,
    reconfirm_signature,
    request_reconfirmations,
    sign_letter,
    withdraw_signature,
)

__all__ = [
    "SETTINGS_FIELDS",
    "Decisions",
    "approve_signature",
    "can_moderate",
    "decide_signatures",
    "reject_signature",
    "AlreadySigned",
    "OrganisationChoice",
    "change_visibility",
    "confirm_signature",
    "expire_unconfirmed_signatures",
    "invite",
    "live_invitation",
    "reconfirm_signature",
    "request_reconfirmations",
    "sign_letter",
    "withdraw_signature",
    "add_coordinator",
    "close_letter",
    "close_letters_past_deadline",
    "create_letter",
    "current_version",
    "open_letter",
    "publish_letter",
    "remove_coordinator",
    "reopen_letter",
    "set_coordinator_role",
    "update_letter",
]
