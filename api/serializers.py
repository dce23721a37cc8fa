"""What each endpoint answers, field by field. Plain serializers over what the letters
selectors return (never a model serializer: no field reaches the API by accident). Codes, not
words in the reader's language: a program reads them."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from letters.models import Invitation, Letter, LetterResponse, Signature


@extend_schema_field(OpenApiTypes.URI)
class _WebUrl(serializers.Field):
    """The letter's page on the site, absolute."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, letter: Letter) -> str:
        return settings.SITE_URL + letter.get_absolute_url()


@extend_schema_field(OpenApiTypes.URI)
class _ApiUrl(serializers.Field):
    """The letter in this API, absolute."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, letter: Letter) -> str:
        return settings.SITE_URL + reverse("api:letter", kwargs={"slug": letter.slug})


class LetterSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    recipient = serializers.CharField()
    language = serializers.CharField(help_text="The language of the authoritative text.")
    status = serializers.ChoiceField(choices=Letter.Status.choices)
    sign_on_mode = serializers.ChoiceField(choices=Letter.SignOnMode.choices)
    deadline = serializers.DateTimeField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    web_url = _WebUrl()
    api_url = _ApiUrl()


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField(help_text="When this version was saved.")
    sha256 = serializers.CharField(
        source="content_hash",
        help_text="SHA-256 of the title, a blank line and the body (LF newlines), in hex.",
    )
    is_current = serializers.BooleanField()


class CurrentVersionSerializer(VersionSerializer):
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")


class NamedOrganisationSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    public = serializers.BooleanField(
        help_text="False under embargo: then the public knows neither names nor numbers."
    )
    total = serializers.IntegerField()
    named = serializers.IntegerField()
    unnamed = serializers.IntegerField(
        help_text="Approved organisations that cannot be named for their safety."
    )
    places = serializers.IntegerField(help_text="Distinct places among the named organisations.")
    withdrawn_after_delivery = serializers.IntegerField()


class DeliverySerializer(serializers.Serializer):
    delivered_on = serializers.DateField()
    delivered_to = serializers.CharField()
    method = serializers.CharField()
    version = serializers.IntegerField(source="version.number")
    sha256 = serializers.CharField(source="version.content_hash")


class ResponseSerializer(serializers.Serializer):
    """A recipient's response, or the coordinators' update, as the letter page shows it."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LetterResponse.Kind.choices)
    received_on = serializers.DateField()
    from_whom = serializers.CharField()
    text = serializers.CharField(help_text="Markdown.")
    document_url = serializers.SerializerMethodField()
    document_pages = serializers.IntegerField()
    document_size = serializers.IntegerField(help_text="Bytes.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_document_url(self, response: LetterResponse) -> str | None:
        """The PDF on the site, if there is one."""
        if not response.document:
            return None
        return settings.SITE_URL + reverse(
            "letters:response-document", args=[self.context["letter"].slug, response.pk]
        )


class LetterDetailSerializer(LetterSummarySerializer):
    public_contact_email = serializers.EmailField()
    accepting_signatures = serializers.BooleanField(source="is_accepting_signatures")
    # Set by the view from the letters selectors (api.views.public.LetterDetail).
    current_version = CurrentVersionSerializer(source="api_current_version")
    lead_organisations = NamedOrganisationSerializer(many=True, source="api_leads")
    signatories = SummarySerializer(source="api_signatories")
    delivery = DeliverySerializer(allow_null=True, source="api_delivery")
    versions = VersionSerializer(many=True, source="api_versions")
    responses = ResponseSerializer(
        many=True,
        source="api_responses",
        help_text="After delivery: the recipient's responses and the coordinators' updates, "
        "newest first.",
    )


class SignatorySerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    based_in = serializers.CharField()
    signer = serializers.CharField(
        help_text="The signer's name and title if they chose to be named, else empty."
    )
    lead = serializers.BooleanField()
    signed_on = serializers.DateField(allow_null=True)
    version = serializers.IntegerField(help_text="The version of the text signed.")
    withdrawn_after_delivery = serializers.BooleanField()


class SignatoryPageSerializer(serializers.Serializer):
    """A page of the public list, with the list's numbers."""

    public = serializers.BooleanField(
        help_text="False under embargo: then nothing is listed and every number is 0."
    )
    total = serializers.IntegerField()
    unnamed = serializers.IntegerField()
    unnamed_earlier = serializers.IntegerField(
        help_text="Of the unnamed, how many signed an earlier version than the one delivered."
    )
    withdrawn_after_delivery = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Named organisations (the pages' items).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SignatorySerializer(many=True)


# --- For a letter's coordinators (and moderators): a token's records ---------------------------


class RecordOrganisationSerializer(serializers.Serializer):
    name = serializers.CharField()
    based_in = serializers.CharField()


class SignatureRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = RecordOrganisationSerializer()
    visibility = serializers.ChoiceField(choices=Signature.Visibility.choices)
    signer_name = serializers.CharField()
    signer_title = serializers.CharField()
    signer_email = serializers.EmailField()
    show_signer_name = serializers.BooleanField(
        help_text="Whether the signer's name is shown with the organisation."
    )
    authority = serializers.ChoiceField(choices=Signature.Authority.choices)
    version = serializers.IntegerField(source="version.number")
    version_sha256 = serializers.CharField(source="version_hash")
    signed_on = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.DATE)
    def get_signed_on(self, signature: Signature) -> str:
        return (signature.confirmed_at or signature.created_at).date().isoformat()

    @extend_schema_field(serializers.ChoiceField(choices=["approved", "withdrawn_after_delivery"]))
    def get_status(self, signature: Signature) -> str:
        """approved, or withdrawn_after_delivery (a published letter's record)."""
        if signature.status == Signature.Status.WITHDRAWN:
            return "withdrawn_after_delivery"
        return signature.status


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation_name = serializers.CharField(help_text="The organisation as invited.")
    contact_name = serializers.CharField()
    email = serializers.EmailField()
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=Invitation.Status.choices)
    email_status = serializers.CharField(
        allow_null=True, help_text="The delivery state of the latest email sent for it."
    )
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)
    reminder_count = serializers.IntegerField()
    responded_at = serializers.DateTimeField(allow_null=True)


def _counts_field(choices: list[str]) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(),
        help_text="How many in each state: " + ", ".join(choices) + ".",
    )


class SignatureRecordPageSerializer(serializers.Serializer):
    counts = _counts_field(Signature.Status.values)
    count = serializers.IntegerField(help_text="Signatures on the record (the pages' items).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SignatureRecordSerializer(many=True)


class InvitationPageSerializer(serializers.Serializer):
    counts = _counts_field(Invitation.Status.values)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = InvitationSerializer(many=True)


@extend_schema_field(OpenApiTypes.URI)
class _RecordsUrl(serializers.Field):
    """One of the letter's records in this API, absolute."""

    def __init__(self, name: str, **kwargs):
        self.url_name = name
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, letter: Letter) -> str:
        return settings.SITE_URL + reverse(self.url_name, kwargs={"slug": letter.slug})


class CoordinatedLetterSerializer(LetterSummarySerializer):
    api_url = _ApiUrl(help_text="The public letter (404 while it is a draft).")
    signatures_url = _RecordsUrl("api:signatures")
    invitations_url = _RecordsUrl("api:invitations")
    role = serializers.CharField(help_text="owner or editor")
    invited = serializers.IntegerField(source="invited_count")
    awaiting_review = serializers.IntegerField(source="review_count")
    approved = serializers.IntegerField(source="approved_count")


class LetterPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LetterSummarySerializer(many=True)


class CoordinatedLetterPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CoordinatedLetterSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
