"""The public read API: letters the public may read, and exactly what their public page shows,
read through the same selectors as the page (letters.selectors.publication), never a rule of
its own. Under embargo, no name and no number."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from letters import selectors

from .. import serializers
from ..pagination import Pages
from .base import PublicEndpoint, etag, not_modified, public_responses, with_etag

SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The letter's address.")


def _letter_stamp(slug: str) -> selectors.LetterStamp:
    stamp = selectors.public_letter_stamp(slug)
    if stamp is None:
        raise Http404  # no such letter, or a draft: the same answer
    return stamp


def _stamp_parts(stamp: selectors.LetterStamp) -> tuple:
    # What the letter page's cache key is made of (letters.views.publication), and whether
    # the deadline passed (it changes "accepting_signatures" with no write).
    return stamp.pk, stamp.list_version, stamp.updated_at.isoformat(), stamp.deadline_passed


class LetterList(PublicEndpoint):
    @extend_schema(
        operation_id="letters_list",
        summary="Public letters",
        description="Open and published letters, as the site's index lists them, newest first.",
        parameters=[
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 500; default 100."),
        ],
        responses=public_responses(serializers.LetterPageSerializer),
    )
    def get(self, request: Request) -> Response:
        tag = etag(request, *selectors.public_index_stamp())
        if (cached := not_modified(request, tag)) is not None:
            return cached
        pages = Pages()
        page = pages.paginate_queryset(selectors.public_index(), request, view=self)
        data = serializers.LetterSummarySerializer(page, many=True).data
        return with_etag(pages.get_paginated_response(data), tag)


class LetterDetail(PublicEndpoint):
    @extend_schema(
        operation_id="letters_retrieve",
        summary="A public letter",
        description=(
            "The letter as its public page shows it: the current text, its versions with "
            "their SHA-256, the lead organisations named, the numbers of the public list of "
            "signatories, the delivery record once published, and the responses and updates "
            "recorded after it."
        ),
        parameters=[SLUG],
        responses=public_responses(serializers.LetterDetailSerializer),
    )
    def get(self, request: Request, slug: str) -> Response:
        stamp = _letter_stamp(slug)
        tag = etag(request, *_stamp_parts(stamp))
        if (cached := not_modified(request, tag)) is not None:
            return cached
        letter = selectors.public_letter(slug)
        if letter is None:
            raise Http404
        letter = selectors.letter_for_page(letter)
        summary = selectors.public_signatory_summary(letter)
        letter.api_current_version = selectors.current_version_of(letter)
        letter.api_versions = list(selectors.versions_of(letter))
        letter.api_leads = selectors.public_leads_named(letter)
        letter.api_signatories = summary
        # The delivery record as the page's list shows it: only with a public list.
        letter.api_delivery = selectors.delivery_of(letter) if summary.public else None
        letter.api_responses = list(selectors.responses_of(letter))
        data = serializers.LetterDetailSerializer(letter, context={"letter": letter}).data
        return with_etag(Response(data), tag)


class Signatories(PublicEndpoint):
    @extend_schema(
        operation_id="letters_signatories_list",
        summary="The public list of signatories",
        description=(
            "The organisations named on the letter's public page, lead organisations first, "
            "then by name (order=name) or by place (order=place), with the numbers of the "
            "list. Organisations named only to the recipient, or only counted, are in "
            "`unnamed`; under embargo `public` is false and the list is empty."
        ),
        parameters=[
            SLUG,
            OpenApiParameter(
                "order", str, enum=list(selectors.ORDERS), description="Default: name."
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 500; default 100."),
        ],
        responses=public_responses(serializers.SignatoryPageSerializer),
    )
    def get(self, request: Request, slug: str) -> Response:
        stamp = _letter_stamp(slug)
        tag = etag(request, *_stamp_parts(stamp))
        if (cached := not_modified(request, tag)) is not None:
            return cached
        letter = selectors.public_letter(slug)
        if letter is None:
            raise Http404
        signatories = selectors.public_signatories(letter)  # EMBARGOED under embargo
        order = request.query_params.get("order", selectors.ORDER_BY_NAME)
        if order not in selectors.ORDERS:
            order = selectors.ORDER_BY_NAME
        ordered = tuple(s for g in signatories.groups(order) for s in g.signatories)
        pages = Pages()
        page = pages.paginate_queryset(list(ordered), request, view=self) or []
        paginated = pages.get_paginated_response(
            serializers.SignatorySerializer(page, many=True).data
        ).data
        data = {
            "public": signatories.public,
            "total": signatories.total,
            "unnamed": signatories.unnamed,
            "unnamed_earlier": signatories.unnamed_earlier,
            "withdrawn_after_delivery": signatories.withdrawn_after_delivery,
            **paginated,
        }
        return with_etag(Response(data), tag)
