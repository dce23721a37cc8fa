"""A letter's records for the holder of a personal API token: its signatures with the
signers' contact details, its invitations and their states; and the letters the token's user
coordinates. Who may read what is letters.permissions' rule (DESIGN.md §7): the letter's
coordinators, and moderators (read) unless it is a draft. Any other letter is 404, exactly
like one that does not exist: a token never learns that another coordinator's letter exists.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from letters import permissions, selectors
from letters.models import Invitation

from .. import serializers
from ..pagination import Pages
from .base import TokenEndpoint, token_responses
from .public import SLUG

PAGE_PARAMETERS = [
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="At most 500; default 100."),
]


class CoordinatedLetters(TokenEndpoint):
    @extend_schema(
        operation_id="my_letters_list",
        summary="The letters I coordinate",
        description="Drafts first, then by the latest change, with their counts.",
        parameters=PAGE_PARAMETERS,
        responses=token_responses(serializers.CoordinatedLetterPageSerializer),
    )
    def get(self, request: Request) -> Response:
        pages = Pages()
        page = pages.paginate_queryset(
            selectors.dashboard_letters(request.user), request, view=self
        )
        for letter in page:
            letter.role = letter.my_roles[0].role if letter.my_roles else ""
        data = serializers.CoordinatedLetterSerializer(page, many=True).data
        return pages.get_paginated_response(data)


class SignatureRecords(TokenEndpoint):
    @extend_schema(
        operation_id="letters_signatures_list",
        summary="The letter's signatures, with contact details",
        description=(
            "Every signature on the list (approved; for a published letter also those "
            "withdrawn after delivery), whatever its visibility, with the signer's contact "
            "details: what the coordinators' confidential CSV holds. For the letter's "
            "coordinators, and moderators (not drafts). `counts` counts every signature of "
            "the letter by state."
        ),
        parameters=[SLUG, *PAGE_PARAMETERS],
        responses=token_responses(serializers.SignatureRecordPageSerializer),
    )
    def get(self, request: Request, slug: str) -> Response:
        letter = permissions.get_letter_for_records(request.user, slug)
        pages = Pages()
        page = pages.paginate_queryset(
            selectors.signatures_on_the_record(letter), request, view=self
        )
        data = pages.get_paginated_response(
            serializers.SignatureRecordSerializer(page, many=True).data
        ).data
        return Response({"counts": selectors.signature_counts(letter), **data})


class InvitationRecords(TokenEndpoint):
    @extend_schema(
        operation_id="letters_invitations_list",
        summary="The letter's invitations and their states",
        description="Newest first; `status` filters. For the letter's coordinators, and "
        "moderators (not drafts).",
        parameters=[
            SLUG,
            OpenApiParameter("status", str, enum=Invitation.Status.values),
            *PAGE_PARAMETERS,
        ],
        responses=token_responses(serializers.InvitationPageSerializer),
    )
    def get(self, request: Request, slug: str) -> Response:
        letter = permissions.get_letter_for_records(request.user, slug)
        status = request.query_params.get("status", "")
        if status not in Invitation.Status.values:
            status = ""
        pages = Pages()
        page = pages.paginate_queryset(
            selectors.invitations_for_coordinator(letter, status=status), request, view=self
        )
        data = pages.get_paginated_response(
            serializers.InvitationSerializer(page, many=True).data
        ).data
        return Response({"counts": selectors.invitation_counts(letter), **data})
