"""The responses and updates of a published letter, as its page shows them (newest first)."""

from django.db.models import QuerySet

from ..models import Letter, LetterResponse


def responses_of(letter: Letter) -> QuerySet[LetterResponse]:
    """One query. Only a published letter has any (letters.services.record_response)."""
    return LetterResponse.objects.filter(letter=letter).order_by("-received_on", "-pk")
