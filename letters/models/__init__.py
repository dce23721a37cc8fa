"""The letters app's models, by sub-domain (one app, one set of migrations)."""

from .invitations import Invitation, InvitationImport
from .leads import LeadRequest
from .letters import (
    Letter,
    LetterCoordinator,
    LetterDelivery,
    LetterQuerySet,
    LetterVersion,
    content_hash,
)
from .signatures import PendingSignature, Signature

__all__ = [
    "Invitation",
    "InvitationImport",
    "LeadRequest",
    "Letter",
    "LetterCoordinator",
    "LetterDelivery",
    "LetterQuerySet",
    "LetterVersion",
    "PendingSignature",
    "Signature",
    "content_hash",
]
