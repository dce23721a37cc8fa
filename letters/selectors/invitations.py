"""Reads behind the invitations pages: matching contacts to organisations, the CSV preview, the tracking list, its counts and the
export. Each is a constant number of queries, whatever the number of invitations."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, TextChoices
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organisations.domains import domain_of, is_public_mail_domain
from organisations.models import EmailDomain, Organisation
from organisations.names import normalise_name

from .. import contact_lists, tokens
from ..models import Invitation, Letter, Signature
from ..models.invitations import email_index


@dataclass(frozen=True)
class OrganisationMatch:
    """An existing organisation found for a contact, and how: by its name, or by the verified
    email domain of the contact's address. None: a new, unverified one will be created."""

    organisation: Organisation | None
    by: str = ""  # "name" | "domain" | ""


def _chunks(values: list, size: int = 900) -> Iterator[list]:
    # SQLite refuses statements with too many parameters; stay far below its limit.
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _canonical(organisation: Organisation) -> Organisation:
    # A duplicate a moderator merged away stands for the organisation it was merged into.
    return organisation.merged_into if organisation.merged_into_id else organisation


def match_organisations(
    pairs: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], OrganisationMatch]:
    """For (organisation name, email) pairs: the existing organisation of each, by normalised
    name first, else by the verified domain of the address (never a public mail domain, never
    an unverified domain: anyone can claim one). Two queries per 900 distinct names."""
    pairs = list(pairs)
    names = sorted({normalise_name(name) for name, _email in pairs} - {""})
    by_name: dict[str, Organisation] = {}
    for chunk in _chunks(names):
        for organisation in Organisation.objects.filter(normalised_name__in=chunk).select_related(
            "merged_into"
        ):
            by_name[organisation.normalised_name] = _canonical(organisation)
    domains = sorted(
        {
            domain
            for _name, email in pairs
            if "@" in email and not is_public_mail_domain(domain := domain_of(email))
        }
    )
    by_domain: dict[str, Organisation] = {}
    for chunk in _chunks(domains):
        for email_domain in EmailDomain.objects.filter(
            domain__in=chunk, is_verified=True
        ).select_related("organisation__merged_into"):
            by_domain[email_domain.domain] = _canonical(email_domain.organisation)
    matches = {}
    for name, email in pairs:
        if (found := by_name.get(normalise_name(name))) is not None:
            matches[(name, email)] = OrganisationMatch(found, "name")
        elif (found := by_domain.get(domain_of(email))) is not None:
            matches[(name, email)] = OrganisationMatch(found, "domain")
        else:
            matches[(name, email)] = OrganisationMatch(None)
    return matches


class RowState(TextChoices):
    NEW = "new", gettext_lazy("New")
    ALREADY_INVITED = "already_invited", gettext_lazy("Already invited")
    ALREADY_SIGNED = "already_signed", gettext_lazy("Already signed")
    INVALID = "invalid", gettext_lazy("Invalid")


@dataclass(frozen=True)
class ImportRow:
    """One line of an uploaded file as the preview shows it."""

    line: int
    organisation: str
    contact_name: str
    email: str
    based_in: str
    language: str  # a configured code, "" (the letter's), or as typed if not a language
    state: str
    errors: list[str]
    note: str
    match: OrganisationMatch

    @property
    def state_label(self) -> str:
        return RowState(self.state).label


def classify_import_rows(letter: Letter, rows: list[dict]) -> list[ImportRow]:
    """Each checked row of an import as new / already invited / already signed / invalid,
    against the letter as it is now. A constant number of queries per 900 distinct names.
    Earlier invitations are matched on the addresses' blind index, computed here for every
    row (nothing stored is decrypted)."""
    valid = [row for row in rows if not row["errors"]]
    matches = match_organisations((row["organisation"], row["email"]) for row in valid)
    earlier = {}
    for index, status, created_at in (
        Invitation.objects.filter(
            letter=letter,
            status__in=[
                Invitation.Status.QUEUED,
                Invitation.Status.SENT,
                Invitation.Status.ACCEPTED,
                Invitation.Status.DECLINED,
            ],
        )
        .order_by("created_at")
        .values_list("email_index", "status", "created_at")
        .iterator()
    ):
        earlier[index] = (Invitation.Status(status).label, created_at)
    signed = {  # withheld signatures' organisations are encrypted: read through the model
        s.organisation_id
        for s in Signature.objects.filter(letter=letter, status__in=Signature.LIVE)
        .only("pk", "public_organisation", "sealed_organisation")
        .with_organisations()
    }
    result = []
    for row in rows:
        match = OrganisationMatch(None)
        if row["errors"]:
            state, note = RowState.INVALID, ""
        else:
            match = matches[(row["organisation"], row["email"])]
            organisation = match.organisation
            if row.get("duplicate_of"):
                state = RowState.ALREADY_INVITED
                note = _("Same contact as line %(line)s.") % {"line": row["duplicate_of"]}
            elif (index := email_index(row["email"])) in earlier:
                state = RowState.ALREADY_INVITED
                status_label, created_at = earlier[index]
                note = _("Invited on %(date)s: %(status)s.") % {
                    "date": date_format(created_at, "j M Y"),
                    "status": str(status_label).lower(),
                }
            elif organisation is not None and organisation.pk in signed:
                state = RowState.ALREADY_SIGNED
                note = _("%(organisation)s has signed, or its signature awaits confirmation.") % {
                    "organisation": organisation.name
                }
            else:
                state = RowState.NEW
                if organisation is None:
                    note = _("New organisation, unverified.")
                elif match.by == "domain":
                    note = _("%(organisation)s, found by the verified domain of the address.") % {
                        "organisation": organisation.name
                    }
                else:
                    note = _("Existing organisation: %(organisation)s.") % {
                        "organisation": organisation.name
                    }
        result.append(
            ImportRow(
                line=row["line"],
                organisation=row["organisation"],
                contact_name=row["contact_name"],
                email=row["email"],
                based_in=row.get("based_in", ""),
                # A code for a valid row; as typed for a row to correct.
                language=contact_lists.language_code(row.get("language", ""))
                or str(row.get("language", "")),
                state=state,
                errors=row["errors"],
                note=note,
                match=match,
            )
        )
    return result


def invitations_for_coordinator(
    letter: Letter, *, status: str = "", query: str = ""
) -> QuerySet[Invitation]:
    """The tracking page's rows: each invitation with its organisation, who invited, whom it
    was passed on from and to, and the delivery state of its latest email, in one query (the
    email's bodies are not loaded). A search decrypts the letter's contacts in Python first
    (one more query): they are stored encrypted, SQL cannot compare them."""
    passed_on_to = Invitation.objects.filter(forwarded_from=OuterRef("pk")).order_by("-pk")
    invitations = (
        Invitation.objects.filter(letter=letter)
        .select_related("organisation", "forwarded_from")
        .annotate(
            email_status=F("outbound_email__status"),
            email_attempts=F("outbound_email__attempts"),
            email_error=F("outbound_email__last_error"),
            email_next_attempt=F("outbound_email__next_attempt_at"),
            forwarded_to_email=Subquery(passed_on_to.values("email")[:1]),
            forwarded_to_name=Subquery(passed_on_to.values("contact_name")[:1]),
        )
    )
    if status:
        invitations = invitations.filter(status=status)
    if query:
        invitations = invitations.filter(pk__in=_matching_contacts(letter, status, query))
    return invitations.order_by("-created_at", "-pk")


def _matching_contacts(letter: Letter, status: str, query: str) -> list[int]:
    """The ids of the letter's invitations whose organisation (as named in the invitation),
    contact name or address contains `query`, case aside, as `icontains` found them when
    they were stored in clear."""
    needle = query.casefold()
    rows = Invitation.objects.filter(letter=letter)
    if status:
        rows = rows.filter(status=status)
    return [
        pk
        for pk, *values in rows.values_list(
            "pk", "organisation_name", "contact_name", "email"
        ).iterator(chunk_size=2000)
        if any(needle in value.casefold() for value in values if value)
    ]


def invitation_counts(letter: Letter) -> dict[str, int]:
    """How many invitations the letter has in each state (every state present), in one query."""
    counts = dict.fromkeys(Invitation.Status.values, 0)
    for row in (
        Invitation.objects.filter(letter=letter).order_by().values("status").annotate(n=Count("pk"))
    ):
        counts[row["status"]] = row["n"]
    return counts


def invited_total(counts: dict[str, int]) -> int:
    """How many organisations the letter has invited, from invitation_counts(): every state
    but revoked. The one figure the dashboard's "Invited" and the invitations page show."""
    return sum(n for status, n in counts.items() if status != Invitation.Status.REVOKED)


def invitations_for_export(letter: Letter) -> Iterator[Invitation]:
    """Every invitation of the letter for the CSV export, streamed in chunks."""
    return (
        invitations_for_coordinator(letter)
        .select_related("invited_by")
        .order_by("created_at", "pk")
        .iterator(chunk_size=2000)
    )


def invitation_by_secret(secret: str) -> Invitation | None:
    """The invitation a link opens, whatever its state (pages explain a used link)."""
    return (
        Invitation.objects.select_related("letter", "organisation")
        .filter(token_hash=tokens.hash_secret(secret))
        .first()
    )
