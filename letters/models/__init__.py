"""The letters app's models, by sub-domain (one app, one set of migrations)."""

from .data_requests import DataRequest
from .invitations import Invitation, InvitationImport
from .leads import LeadRequest
from .letters import (
    Letter,
    LetterCoordinator,
    LetterDelivery,
    LetterQuerySet,
    LetterVersion,
    content_hash,
    open_signatory,
    seal_signatory,
)
from .responses import LetterResponse
from .signatures import PendingSignature, Signature, attach_organisations, organisation_index_for
from .translations import LetterTranslation

__all__ = [
    "DataRequest",
    "Invitation",
    "InvitationImport",
    "LeadRequest",
    "Letter",
    "LetterCoordinator",
    "LetterDelivery",
    "LetterQuerySet",
    "LetterResponse",
    "LetterTranslation",
    "LetterVersion",
    "PendingSignature",
    "Signature",
    "attach_organisations",
    "content_hash",
    "open_signatory",
    "organisation_index_for",
    "seal_signatory",
]
