"""Every change to organisations, their members and their email domains, one function per use
case (re-exported here).

- organisations: register (one, or many unverified at once), edit, verify (moderators)
- members: a moderator's direct addition, roles, removal and leaving
- invitations: invite by email, accept, revoke
- domains: list, verify (moderators), remove
- flags: what moderators should look at, never shown to who caused it
- merge: which duplicates may merge, and moving their records (called by letters' merge)
"""

from .domains import add_email_domain, remove_email_domain, set_email_domain_verified
from .flags import flag_for_moderators, resolve_flags
from .invitations import (
    accept_membership_invitation,
    invite_member,
    revoke_membership_invitation,
    unusable_reason,
)
from .members import add_member, change_member_role, remove_member
from .merge import MergedRecords, lock_for_merge, merge_organisation_records
from .organisations import (
    EDITABLE_FIELDS,
    RESERVED_SLUGS,
    DuplicateOrganisation,
    NamedOrganisations,
    create_organisation,
    create_unverified_organisations,
    refer_registration,
    seal_organisation,
    unseal_organisation,
    update_organisation,
    verify_organisation,
)
from .requests import answer_membership_request

__all__ = [
    "EDITABLE_FIELDS",
    "RESERVED_SLUGS",
    "DuplicateOrganisation",
    "MergedRecords",
    "NamedOrganisations",
    "accept_membership_invitation",
    "add_email_domain",
    "add_member",
    "answer_membership_request",
    "change_member_role",
    "flag_for_moderators",
    "create_organisation",
    "create_unverified_organisations",
    "invite_member",
    "lock_for_merge",
    "merge_organisation_records",
    "remove_email_domain",
    "refer_registration",
    "remove_member",
    "resolve_flags",
    "revoke_membership_invitation",
    "set_email_domain_verified",
    "seal_organisation",
    "unseal_organisation",
    "unusable_reason",
    "update_organisation",
    "verify_organisation",
]
