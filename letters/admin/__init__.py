"""Letters in the admin: for reading, and for moderation.

Every state change goes through letters.services, which check the rules and write the audit
trail; an admin form that saved a letter or a signature directly would bypass both. So the
change forms are read-only and every decision is an admin action calling a service:
- the moderators' queue (PendingSignature) and every signature: approve, reject with a reason;
- letters: delegating the review of a letter's signatures to its coordinators;
- organisations: merging a duplicate (the organisations admin, extended here because the merge
  moves letters' rows and `organisations` must not import `letters`).
"""

from . import data_requests, letters, merge, moderation  # noqa: F401 - each registers its admins
