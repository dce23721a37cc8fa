"""Publication: the delivery record with its frozen list of signatories, the emails that tell
every approved signer the letter is out, and the invalidation of the cached public list.

The public list of a letter is cached (letters.selectors.public_signatories) under a key made
of the letter's `list_version` and `updated_at`. Every service that changes what the list
shows bumps `list_version` in its own transaction, so the new key is visible exactly when the
change is: a reader can never cache the old list under the new key. The PDFs are keyed on it
too, and rendered again by the worker once the change commits (exports.refresh_pdfs).
"""

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User

from .. import collation, emails, exports
from ..models import Letter, LetterDelivery, LetterVersion, Signature, seal_signatory

Visibility = Signature.Visibility


def invalidate_public_list(*, letter_ids: Iterable[int]) -> None:
    """The list of signatories of these letters changed: their cached list is stale, and the
    PDFs someone asked for are rendered again by the worker once the change commits."""
    ids = sorted(set(letter_ids))
    if ids:
        Letter.objects.filter(pk__in=ids).update(list_version=F("list_version") + 1)
        _refresh_pdfs_on_commit(ids)


def invalidate_lists_naming(*, organisation_id: int) -> None:
    """An organisation changed its name, acronym or place: every letter it signed shows it
    (letters.receivers calls this when organisations say so; organisations cannot import
    letters)."""
    ids = list(
        Letter.objects.filter(
            pk__in=Signature.objects.of_organisation(organisation_id).values("letter_id")
        ).values_list("pk", flat=True)
    )
    if ids:
        Letter.objects.filter(pk__in=ids).update(list_version=F("list_version") + 1)
        _refresh_pdfs_on_commit(ids)


def _refresh_pdfs_on_commit(letter_ids: list[int], *, published: bool = False) -> None:
    """After the commit, when the new list is what the worker reads. robust=True: a broker or
    cache that is down never fails the change (exports.request_pdf does not raise either); a
    PDF not rendered now is asked for by the first request that finds it missing."""
    transaction.on_commit(
        partial(exports.refresh_pdfs, letter_ids, published=published), robust=True
    )


def signer_line(signature: Signature) -> str | None:
    """The signer's name and title, only if they chose to show them beside the organisation."""
    if not signature.show_signer_name:
        return None
    return ", ".join(p for p in (signature.signer_name, signature.signer_title) if p)


def last_substantive_number(letter: Letter, version: LetterVersion) -> int:
    """The number of the last version, up to `version`, that changed the text in substance
    (0 if none): a signature of this version or a later one covers `version`."""
    last = (
        letter.versions.filter(number__lte=version.number, is_substantive=True)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return last or 0


def signatory_snapshot(
    letter: Letter,
    version: LetterVersion | None = None,
    older_versions: str = LetterDelivery.OlderVersions.MARK,
) -> list[dict[str, Any]]:
    """The approved signatories as the letter is delivered, lead organisations first, then in
    collation order. Counted-only organisations are kept as a number: their names are not
    needed by any edition, so the record does not hold them. A signature of a text changed in
    substance since (never re-confirmed) is kept with its version (`covers` False), or left
    out when `older_versions` says so."""
    covered_from = last_substantive_number(letter, version) if version is not None else 0
    signatures = (
        Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED)
        .with_organisations()
        .select_related("version")
        .order_by("pk")
    )
    entries: list[dict[str, Any]] = []
    lead_ids = set(letter.lead_organisations.values_list("pk", flat=True))
    for signature in signatures:
        covers = signature.version.number >= covered_from
        if not covers and older_versions == LetterDelivery.OlderVersions.OMIT:
            continue
        organisation = signature.confirmed_organisation
        hidden = signature.visibility == Visibility.COUNTED_ONLY
        signed_at = signature.confirmed_at or signature.created_at
        entries.append(
            {
                "signature": signature.pk,
                "organisation": organisation.pk,
                "name": None if hidden else organisation.name,
                "slug": None if hidden else organisation.slug,
                "based_in": None if hidden else organisation.based_in,
                "visibility": signature.visibility,
                "signer": None if hidden else signer_line(signature),
                "lead": organisation.pk in lead_ids and not hidden,
                "signed_on": signed_at.date().isoformat(),
                "version": signature.version.number,
                "covers": covers,
            }
        )
    entries.sort(key=lambda e: (not e["lead"], collation.sort_key(e["name"] or "")))
    # Withheld entries after the public ones, in the order they signed: a place among the
    # public names would tell how a withheld organisation's name begins.
    entries.sort(
        key=lambda e: (0, 0) if e["visibility"] == Visibility.PUBLIC else (1, e["signature"])
    )
    return [seal_signatory(entry) for entry in entries]


def record_delivery(
    *,
    letter: Letter,
    actor: User,
    version: LetterVersion,
    delivered_on: dt.date | None = None,
    delivered_to: str = "",
    method: str = "",
    older_versions: str = LetterDelivery.OlderVersions.MARK,
) -> LetterDelivery:
    """Part of publish_letter's transaction: the delivery record and its frozen list, then one
    email to every approved signer (queued in bulk: a constant number of queries); those left
    out as signers of an earlier text are told so."""
    signatories = signatory_snapshot(letter, version, older_versions)
    delivery = LetterDelivery.objects.create(
        letter=letter,
        delivered_on=delivered_on or timezone.localdate(),
        delivered_to=" ".join(delivered_to.split()) or letter.recipient,
        method=" ".join(method.split()),
        version=version,
        signatories=signatories,
        older_versions=older_versions,
        recorded_by=actor,
    )
    on_record = {entry["signature"] for entry in signatories}
    approved = Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED)
    emails.letter_published(
        approved.with_organisations().select_related("version").order_by("pk"),
        letter=letter,
        delivery=delivery,
        on_record=on_record,
    )
    invalidate_public_list(letter_ids=[letter.pk])
    _refresh_pdfs_on_commit([letter.pk], published=True)  # the public edition, ready to share
    return delivery
