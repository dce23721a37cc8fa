"""The public record: who signed, as the public (or the recipient) may know it, cached; the
delivery record; the letters an organisation's public page lists."""

import datetime as dt
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import MD5, Cast, Coalesce, Concat
from django.utils import timezone

from core.compiled import CompiledQuery

from .. import collation
from ..models import (
    Letter,
    LetterDelivery,
    Signature,
    open_signatory,
)


def publication_preview(letter: Letter) -> dict[str, int]:
    """What publishing now would put on the record: approved signatures by visibility, and
    how many are still waiting (they will not be on it), and how many signed a text changed in
    substance since without re-confirming."""
    counts = dict.fromkeys(["public", "recipient_only", "counted_only", "waiting"], 0)
    for row in (
        Signature.objects.filter(
            letter=letter,
            status__in=[
                Signature.Status.APPROVED,
                Signature.Status.PENDING_REVIEW,
                Signature.Status.PENDING_CONFIRMATION,
            ],
        )
        .values("status", "visibility")
        .annotate(n=Count("pk"))
    ):
        if row["status"] == Signature.Status.APPROVED:
            counts[row["visibility"]] += row["n"]
        else:
            counts["waiting"] += row["n"]
    counts["approved"] = counts["public"] + counts["recipient_only"] + counts["counted_only"]
    # Approved signatures of a text changed in substance since, never re-confirmed.
    current = letter.versions.filter(is_current=True).values_list("number", flat=True).first()
    last_substantive = (
        letter.versions.filter(is_substantive=True, number__lte=current or 0)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    counts["older"] = (
        Signature.objects.filter(
            letter=letter,
            status=Signature.Status.APPROVED,
            version__number__lt=last_substantive,
        ).count()
        if last_substantive
        else 0
    )
    return counts


def embargo_lift_notified_count(letter: Letter) -> int:
    """How many signers lifting the embargo emails: those the public list would name,
    approved or awaiting review (services.embargo.signers_to_notify)."""
    return Signature.objects.filter(
        letter=letter,
        status__in=[Signature.Status.APPROVED, Signature.Status.PENDING_REVIEW],
        visibility=Signature.Visibility.PUBLIC,
    ).count()


# --- The public record: who signed, as the public may know it -----------------------------------
#
# DESIGN.md §1. Only approved signatures are signatories. Organisations that chose to be named
# only to the recipient, or only counted, are one number on every public surface; a signer's own
# name appears only if they opted in; emails never. Under embargo (letter.signatories_are_public
# is False) the public gets nothing: no names and no number (docs/decisions.md).

PUBLIC_EDITION = "public"
RECIPIENT_EDITION = "recipient"

ORDER_BY_PLACE = "place"
ORDER_BY_NAME = "name"
ORDERS = (ORDER_BY_PLACE, ORDER_BY_NAME)


@dataclass(frozen=True)
class Signatory:
    name: str
    slug: str
    based_in: str
    signer: str  # "Name, Title" if the signer opted in, else ""
    lead: bool
    signed_on: dt.date | None
    version: int
    # Named only in the recipient edition (never in a public list).
    recipient_only: bool = False
    # Signed the letter as delivered, withdrew afterwards: the record keeps them, marked.
    withdrawn_after_delivery: bool = False


@dataclass(frozen=True)
class Delivery:
    delivered_on: dt.date
    delivered_to: str
    method: str
    version: int
    content_hash: str


@dataclass(frozen=True)
class SignatoryGroup:
    kind: str  # "lead", "place", "unplaced" (no place given) or "all" (alphabetical)
    label: str
    signatories: tuple[Signatory, ...]


@dataclass(frozen=True)
class SignatoryList:
    """The list of signatories of one edition. `public` is False under embargo, and then
    everything else is empty: the public edition says nothing, not even a number."""

    public: bool
    named: tuple[Signatory, ...] = ()
    # Approved but not named in this edition: "and N organisations that cannot be named".
    unnamed: int = 0
    withdrawn_after_delivery: int = 0
    delivery: Delivery | None = None
    edition: str = PUBLIC_EDITION
    # Of the unnamed, how many signed an earlier version than the one delivered (named ones
    # carry their version): a delivered list never counts them as signers of the final text.
    unnamed_earlier: int = 0
    # Each named organisation's name as a search compares it (collation.search_key), computed
    # once with the list and cached with it: a search of 10,000 names reads, not normalises.
    search_keys: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # Distinct places among the named organisations, likewise computed once (see `places`).
    place_count: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.search_keys) != len(self.named):
            keys = tuple(collation.search_key(s.name) for s in self.named)
            object.__setattr__(self, "search_keys", keys)
        if self.place_count < 0:
            places = {collation.place_key(s.based_in) for s in self.named if s.based_in.strip()}
            object.__setattr__(self, "place_count", len(places))

    @property
    def total(self) -> int:
        return len(self.named) + self.unnamed

    @property
    def places(self) -> int:
        """Distinct places among the named organisations only: counting the places of unnamed
        ones would say where an organisation that cannot be named is based."""
        return self.place_count

    def matching(self, query: str) -> tuple[Signatory, ...]:
        needle = collation.search_key(query)
        if not needle:
            return self.named
        return tuple(
            s for s, key in zip(self.named, self.search_keys, strict=True) if needle in key
        )

    def groups(
        self, order: str, signatories: tuple[Signatory, ...] | None = None
    ) -> list[SignatoryGroup]:
        """Lead organisations first, then by place (places in collation order, "place not
        given" last) or all others alphabetically. Names keep the collation order."""
        chosen = self.named if signatories is None else signatories
        leads = tuple(s for s in chosen if s.lead)
        others = tuple(s for s in chosen if not s.lead)
        groups = [SignatoryGroup("lead", "", leads)] if leads else []
        if order != ORDER_BY_PLACE:
            return groups + ([SignatoryGroup("all", "", others)] if others else [])
        by_place: dict[str, list[Signatory]] = {}
        labels: dict[str, str] = {}
        unplaced = []
        for signatory in others:
            key = collation.place_key(signatory.based_in)
            if not key:
                unplaced.append(signatory)
                continue
            by_place.setdefault(key, []).append(signatory)
            labels.setdefault(key, " ".join(signatory.based_in.split()))
        for key in sorted(by_place, key=lambda k: collation.sort_key(labels[k])):
            groups.append(SignatoryGroup("place", labels[key], tuple(by_place[key])))
        if unplaced:
            groups.append(SignatoryGroup("unplaced", "", tuple(unplaced)))
        return groups


EMBARGOED = SignatoryList(public=False)


@dataclass(frozen=True)
class SignatorySummary:
    """The numbers of a public list, cached apart from it: the letter page and the embed need
    only these and a rendered fragment, not 10,000 names to unpickle on every request."""

    public: bool
    total: int = 0
    named: int = 0
    unnamed: int = 0
    places: int = 0
    withdrawn_after_delivery: int = 0


EMBARGOED_SUMMARY = SignatorySummary(public=False)
# Part of every cache key: bump it when Signatory or SignatoryList change shape, so that a
# deployment never unpickles a list cached by the previous code.
SIGNATORY_CACHE_SCHEMA = 3


@dataclass(frozen=True)
class LetterStamp:
    """What the cache keys of a public letter's pages are made of (signatory_cache_key and the
    page's own key), without the letter: read in one small query (public_letter_stamp)."""

    pk: int
    list_version: int
    updated_at: dt.datetime
    deadline: dt.datetime | None
    status: str
    sign_on_mode: str

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.deadline <= timezone.now()

    @property
    def open_to_visitors(self) -> bool:
        """Taking signatures now from anyone (the embed's sign link): Letter's own rule."""
        return (
            self.status == Letter.Status.OPEN
            and not self.deadline_passed
            and self.sign_on_mode == Letter.SignOnMode.OPEN
        )


_STAMP_FIELDS = ("pk", "list_version", "updated_at", "deadline", "status", "sign_on_mode")
_SLUG = "\x00slug\x00"  # stands in for the slug while the query is compiled (core.compiled)


def _letter_stamp(row: Sequence) -> LetterStamp:
    pk, list_version, updated_at, deadline, status, sign_on_mode = row
    return LetterStamp(
        pk,
        list_version,
        _aware(updated_at),
        _aware(deadline) if deadline else None,
        status,
        sign_on_mode,
    )


def public_letter_stamp(slug: str) -> LetterStamp | None:
    """The stamp of the public (not draft) letter at `slug`, or None: one small query. The
    visitor's letter page, served from the cache, is this query and one cache read
    (letters.views.letters.letter_detail)."""
    row = _public_letter_stamp.row(Letter, slug=slug)
    return None if row is None else _letter_stamp(row)


_public_letter_stamp = CompiledQuery(
    lambda: Letter.objects.public().filter(slug=_SLUG).order_by().values_list(*_STAMP_FIELDS)[:1],
    {"slug": _SLUG},
)
_public_letter = CompiledQuery(
    lambda: Letter.objects.public().filter(slug=_SLUG).order_by()[:1], {"slug": _SLUG}
)


def public_letter(slug: str) -> Letter | None:
    """The public (not draft) letter at `slug`, or None: what anyone may read, in one query
    compiled once (core.compiled). permissions.get_visible_letter's answer for a visitor."""
    return _public_letter.instance(Letter, slug=slug)


@dataclass(frozen=True)
class SignPageStamp:
    """What the sign page a visitor without a session sees is made of, besides the letter's
    stamp: its current version, its current translations and the names the form suggests,
    each as a short text that changes whenever they do."""

    letter: LetterStamp
    version: str
    translations: str
    suggestions: str


def _sign_page_query() -> QuerySet:
    """The public letter at _SLUG, its stamp and SignPageStamp's texts: read with the same
    querysets the page itself is rendered from (current_version_of, current_translations,
    suggestable_organisations), so nothing here is a second rule of what the page shows."""
    from .letters import current_version_query
    from .signatures import suggestable_organisations
    from .translations import current_translations_query

    def text(value: str) -> Cast:
        return Cast(value, TextField())

    def joined(*parts) -> Concat:
        pieces = [parts[0]]
        for part in parts[1:]:
            pieces += [Value(":"), part]
        return Concat(*pieces, output_field=TextField())

    # SQLite before 3.44 cannot order an aggregate: there the texts' order is the table's,
    # which at worst makes a key differ and renders the page once more, never shows a stale one.
    ordered = connections[router.db_for_read(Letter)].features.supports_aggregate_order_by_clause

    def aggregate(expression, order: str) -> StringAgg:
        return StringAgg(expression, Value("\n"), order_by=order if ordered else None)

    version = (
        current_version_query(OuterRef("pk"))
        .order_by()
        .annotate(stamp=joined(text("pk"), "content_hash"))
        .values("stamp")[:1]
    )
    translations = (
        current_translations_query(OuterRef("pk"))
        .order_by()
        .values("letter")
        .annotate(
            stamp=aggregate(joined(text("pk"), "language", "content_hash", text("source_id")), "pk")
        )
        .values("stamp")
    )
    # Every suggestable name, in the order of their keys: the list the form suggests (the first
    # names in alphabetical order) cannot change without this changing, and ordering by key
    # spares the database two sorts by collation (half the query's time with 2,000 names).
    suggestions = (
        suggestable_organisations()
        .order_by()
        .annotate(everything=Value(1))  # a constant: one group, the whole list
        .values("everything")
        .annotate(stamp=MD5(aggregate("name", "pk")))
        .values("stamp")
    )
    return (
        Letter.objects.public()
        .filter(slug=_SLUG)
        .order_by()
        .annotate(
            version_stamp=Subquery(version),
            translations_stamp=Subquery(translations),
            suggestions_stamp=Subquery(suggestions),
        )
        .values_list(*_STAMP_FIELDS, "version_stamp", "translations_stamp", "suggestions_stamp")[:1]
    )


_sign_page_stamp = CompiledQuery(_sign_page_query, {"slug": _SLUG})


def sign_page_stamp(slug: str) -> SignPageStamp | None:
    """The sign page's stamp for the public letter at `slug`, or None: one query, from which
    the page a visitor without a session sees is found in the cache
    (letters.views.signing)."""
    row = _sign_page_stamp.row(Letter, slug=slug)
    if row is None:
        return None
    *letter, version, translations, suggestions = row
    return SignPageStamp(
        _letter_stamp(letter), version or "", translations or "", suggestions or ""
    )


def _aware(value: dt.datetime | str) -> dt.datetime:
    """A datetime column as the cursor gives it: PostgreSQL's driver gives an aware datetime,
    SQLite a string in UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def signatory_cache_key(letter: Letter | LetterStamp, edition: str = PUBLIC_EDITION) -> str:
    """Changes whenever the list may have: services bump list_version with every change of a
    signature on the list or of an organisation named on it; any change of the letter itself
    (status, settings, text) changes updated_at."""
    return (
        f"letters:signatories:v{SIGNATORY_CACHE_SCHEMA}:{edition}:{letter.pk}:"
        f"{letter.list_version}:{letter.updated_at.timestamp():.6f}"
    )


def public_signatories(letter: Letter) -> SignatoryList:
    """What the public may know of the letter's signatories, from the cache when it can:
    two queries on a miss, none on a hit, however many organisations signed.

    A search of a list of 10,000 read it twice per request, and unpickling it was most of the
    request's time (≈13 ms each): this process also keeps the last lists it read (_KEPT), and
    uses one as long as the shared cache still holds the same list under the same key (a
    small read of the list's token): a list the shared cache no longer holds, or holds anew,
    is read again, so what a process keeps never outlives what every process can see."""
    if not letter.signatories_are_public:
        return EMBARGOED
    key = signatory_cache_key(letter)
    token = cache.get(f"{key}:token")
    if token is not None and (kept := _KEPT.get(key, token)) is not None:
        return kept
    found = cache.get_many([key, f"{key}:token"])
    signatories, token = found.get(key), found.get(f"{key}:token")
    if signatories is None or token is None:
        signatories = _signatory_list(letter, PUBLIC_EDITION)
        token = uuid.uuid4().hex
        cache.set_many(
            {key: signatories, f"{key}:token": token}, settings.SIGNATORY_LIST_CACHE_SECONDS
        )
    _KEPT.put(key, token, signatories)
    return signatories


class _KeptLists:
    """The public lists this process read last, under their cache key and token: at most
    KEPT_NAMES names in all (a few lists of 10,000), the least recently used dropped first.
    Derived and safe to lose; thread-safe (gthread workers)."""

    KEPT_NAMES = 40_000

    def __init__(self) -> None:
        self._lists: OrderedDict[str, tuple[str, SignatoryList]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, token: str) -> SignatoryList | None:
        with self._lock:
            found = self._lists.get(key)
            if found is None or found[0] != token:
                return None
            self._lists.move_to_end(key)
            return found[1]

    def put(self, key: str, token: str, signatories: SignatoryList) -> None:
        with self._lock:
            self._lists[key] = (token, signatories)
            self._lists.move_to_end(key)
            while len(self._lists) > 1 and self._names() > self.KEPT_NAMES:
                self._lists.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._lists.clear()

    def _names(self) -> int:
        return sum(len(kept.named) for _token, kept in self._lists.values())


_KEPT = _KeptLists()


def public_signatory_summary(letter: Letter) -> SignatorySummary:
    """The numbers of the public list (nothing under embargo), from the cache when it can."""
    if not letter.signatories_are_public:
        return EMBARGOED_SUMMARY
    key = f"{signatory_cache_key(letter)}:summary"
    summary = cache.get(key)
    if summary is None:
        signatories = public_signatories(letter)
        summary = SignatorySummary(
            public=True,
            total=signatories.total,
            named=len(signatories.named),
            unnamed=signatories.unnamed,
            places=signatories.places,
            withdrawn_after_delivery=signatories.withdrawn_after_delivery,
        )
        cache.set(key, summary, settings.SIGNATORY_LIST_CACHE_SECONDS)
    return summary


def public_edition(letter: Letter) -> SignatoryList:
    """The public edition whatever the embargo, uncached: for coordinators preparing the
    publication (the press summary), never for a public page."""
    return _signatory_list(letter, PUBLIC_EDITION)


def recipient_signatories(letter: Letter) -> SignatoryList:
    """The recipient edition, for the letter's coordinators (and moderators): also names the
    organisations that chose to be named to the recipient only. Never cached, never public."""
    return _signatory_list(letter, RECIPIENT_EDITION)


def delivery_of(letter: Letter) -> LetterDelivery | None:
    if letter.status != Letter.Status.PUBLISHED:
        return None
    return LetterDelivery.objects.select_related("version").filter(letter=letter).first()


def signatures_on_the_record(letter: Letter) -> list[Signature]:
    """Every signature on the list (approved; for a published letter, also those withdrawn
    after delivery, status WITHDRAWN), with its organisation and version, by organisation
    name: what the coordinators' exports and the read API hold. Three queries."""
    delivery = delivery_of(letter)
    if delivery is None:
        signatures = Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED)
        on_record = None
    else:
        # The record is the frozen list: approved then, whatever happened since.
        signatures = Signature.objects.filter(
            letter=letter, status__in=[Signature.Status.APPROVED, Signature.Status.WITHDRAWN]
        )
        on_record = {entry["signature"] for entry in delivery.signatories}
    # Withheld signatures' organisations are encrypted: loaded, then ordered, here.
    queryset = signatures.with_organisations().select_related("version").order_by("pk")
    return [
        s
        for s in sorted(queryset, key=lambda s: (s.organisation.name.casefold(), s.pk))
        # Withdrawn before delivery: never on the letter.
        if on_record is None or s.pk in on_record
    ]


def _signatory_list(letter: Letter, edition: str) -> SignatoryList:
    delivery = delivery_of(letter)
    if delivery is not None:
        return _from_delivery(letter, delivery, edition)
    return _from_signatures(letter, edition)


def _named_in(edition: str) -> set[str]:
    if edition == RECIPIENT_EDITION:
        return {Signature.Visibility.PUBLIC, Signature.Visibility.RECIPIENT_ONLY}
    return {Signature.Visibility.PUBLIC}


def _from_signatures(letter: Letter, edition: str) -> SignatoryList:
    """Before publication (or a letter published before delivery records existed): the
    approved signatures as they are now."""
    lead_ids = {o.pk for o in letter.lead_organisations.all()}  # prefetched by the page
    rows = Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED).values_list(
        "visibility",
        "show_signer_name",
        "signer_name",
        "signer_title",
        "confirmed_at",
        "created_at",
        "version__number",
        "public_organisation_id",
        "public_organisation__name",
        "public_organisation__slug",
        "public_organisation__based_in",
        "pk",
    )
    named_in = _named_in(edition)
    # A recipient-only signature's organisation is stored encrypted: read through the model.
    withheld = (
        {
            s.pk: s.organisation
            for s in Signature.objects.filter(
                letter=letter,
                status=Signature.Status.APPROVED,
                visibility=Signature.Visibility.RECIPIENT_ONLY,
            )
            .only("pk", "public_organisation", "sealed_organisation")
            .with_organisations()
        }
        if Signature.Visibility.RECIPIENT_ONLY in named_in
        else {}
    )
    named, unnamed = [], 0
    for (
        visibility,
        show,
        signer,
        title,
        confirmed,
        created,
        version,
        org_id,
        name,
        slug,
        place,
        pk,
    ) in rows.iterator(chunk_size=2000):
        if visibility not in named_in:
            unnamed += 1  # the row's names are never kept
            continue
        if pk in withheld:
            organisation = withheld[pk]
            org_id, name = organisation.pk, organisation.name
            slug, place = organisation.slug, organisation.based_in
        named.append(
            Signatory(
                name=name,
                slug=slug,
                based_in=place,
                signer=", ".join(p for p in (signer, title) if p) if show else "",
                lead=org_id in lead_ids,
                signed_on=(confirmed or created).date(),
                version=version,
                recipient_only=visibility == Signature.Visibility.RECIPIENT_ONLY,
            )
        )
    return SignatoryList(
        public=True, named=_in_order(named), unnamed=unnamed, edition=edition, delivery=None
    )


def _from_delivery(letter: Letter, delivery: LetterDelivery, edition: str) -> SignatoryList:
    """A published letter: the list frozen at delivery. A signature withdrawn since stays on
    the record — named and marked in the recipient edition; on public surfaces only counted,
    because an organisation that withdraws after publication may be doing so for its safety."""
    withdrawn = set(
        Signature.objects.filter(letter=letter, status=Signature.Status.WITHDRAWN).values_list(
            "pk", flat=True
        )
    )
    named_in = _named_in(edition)
    named, unnamed, withdrawn_count, unnamed_earlier = [], 0, 0, 0
    delivered = delivery.version.number
    for entry in delivery.signatories:
        gone = entry["signature"] in withdrawn
        withdrawn_count += gone
        if gone and edition != RECIPIENT_EDITION:
            continue  # counted in withdrawn_after_delivery, never named again in public
        if entry["visibility"] in named_in:
            entry = open_signatory(entry)  # a recipient-only one's names, decrypted
        if entry["visibility"] not in named_in or not entry.get("name"):
            unnamed += 1
            unnamed_earlier += (entry.get("version") or delivered) != delivered
            continue
        named.append(
            Signatory(
                name=entry["name"],
                slug=entry.get("slug") or "",
                based_in=entry.get("based_in") or "",
                signer=entry.get("signer") or "",
                lead=bool(entry.get("lead")),
                signed_on=dt.date.fromisoformat(entry["signed_on"])
                if entry.get("signed_on")
                else None,
                version=entry.get("version") or delivery.version.number,
                recipient_only=entry["visibility"] == Signature.Visibility.RECIPIENT_ONLY,
                withdrawn_after_delivery=gone,
            )
        )
    return SignatoryList(
        public=True,
        named=_in_order(named),
        unnamed=unnamed,
        withdrawn_after_delivery=withdrawn_count,
        unnamed_earlier=unnamed_earlier,
        delivery=Delivery(
            delivered_on=delivery.delivered_on,
            delivered_to=delivery.delivered_to,
            method=delivery.method,
            version=delivery.version.number,
            content_hash=delivery.version.content_hash,
        ),
        edition=edition,
    )


def _in_order(signatories: list[Signatory]) -> tuple[Signatory, ...]:
    return tuple(sorted(signatories, key=lambda s: (not s.lead, collation.sort_key(s.name))))


def letters_signed_publicly_by(organisation) -> QuerySet[Letter]:
    """The letters an organisation's public page lists: those whose list of signatories is
    public (published, or collecting with a public list) and on which it chose to be named.
    A signature that is recipient-only or counted-only is never listed, nor an embargoed one."""
    return (
        Letter.objects.filter(
            signatures__public_organisation=organisation,
            signatures__status=Signature.Status.APPROVED,
            signatures__visibility=Signature.Visibility.PUBLIC,
        )
        .filter(
            Q(status=Letter.Status.PUBLISHED)
            | Q(
                status__in=[Letter.Status.OPEN, Letter.Status.CLOSED],
                signatories_public_while_open=True,
            )
        )
        .annotate(went_public=Coalesce("published_at", "opened_at", "created_at"))
        .order_by(F("went_public").desc(), "-pk")
    )
