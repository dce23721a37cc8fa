"""The letters pages: the public index and letter page, and the coordinators' pages
(dashboard, drafting with a preview, settings, co-coordinators, lifecycle, versions).

Thin views: authorise (letters.permissions) → validate a form → one service call → message →
redirect. A DomainError becomes a form error or a message and changes nothing; never a 500.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services as account_services
from accounts.forms import CoordinatorRequestForm
from accounts.models import CoordinatorRequest
from accounts.roles import is_coordinator, is_moderator
from core import compression, ratelimit
from core.errors import DomainError
from core.locale import alternates, supported

from .. import permissions, selectors, services
from ..diffs import diff_stats, word_diff
from ..forms.letters import (
    AddCoordinatorForm,
    CoordinatorRoleForm,
    LetterCreateForm,
    LetterEditForm,
    LetterSettingsForm,
    ReopenForm,
    SummaryCorrectionForm,
    VersionCompareForm,
)
from ..forms.publication import PublishForm
from ..markdown import markdown_to_plain_text
from ..models import Letter, LetterCoordinator, LetterVersion
from . import publication

INDEX_PAGE_SIZE = 20
DASHBOARD_PAGE_SIZE = 20
# Link previews cut descriptions at about 200 characters; cut it ourselves, on a word.
OG_DESCRIPTION_WORDS = 40

S = Letter.Status


# --- Public pages ---------------------------------------------------------------------------


def letter_index(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.public_index(), INDEX_PAGE_SIZE).get_page(request.GET.get("page"))
    # Each letter's title and summary in the reader's language where it is translated.
    selectors.attach_translations(page.object_list, translation.get_language())
    return render(request, "letters/letter_list.html", {"page": page})


def letter_detail(request: HttpRequest, slug: str) -> HttpResponse:
    if (page := publication.cached_visitor_page(request, slug)) is not None:
        return page
    if (page := publication.cached_visitor_search(request, slug)) is not None:
        return page
    letter = permissions.get_visible_letter(request.user, slug)
    # Visitors without a session all see the same page: served from the cache, one query.
    page_key = publication.anonymous_page_key(request, letter)
    if page_key is not None and (cached := cache.get(page_key)) is not None:
        return compression.page_response(request, cached)
    role = permissions.coordinator_role(request.user, letter)
    page_letter = selectors.letter_for_page(letter)
    version = selectors.current_version_of(page_letter)
    # The text in the page's language if translated; ?text= picks another (the authoritative
    # one, from a translation's label).
    wanted = supported(request.GET.get("text")) or translation.get_language()
    reading = selectors.reading_text(letter, version, wanted)
    shown = reading.translation or version
    summary = (reading.translation.summary if reading.translation else "") or page_letter.summary
    description = summary or Truncator(markdown_to_plain_text(shown.body)).words(
        OG_DESCRIPTION_WORDS
    )
    absolute_url = settings.SITE_URL + letter.get_absolute_url()
    # From the cache: no query however many signed (publication.signatories_section).
    signatories = selectors.public_signatory_summary(letter)

    def render_page(request: HttpRequest, signatories_html: str) -> HttpResponse:
        return render(
            request,
            "letters/letter_detail.html",
            {
                "letter": page_letter,
                "version": version,
                "versions": selectors.versions_of(letter),
                "role": role,
                "signatories": signatories,
                # Named as leads only from the public list: accepted, approved and public.
                "leads": selectors.public_leads_named(letter),
                # After delivery: the recipient's response and follow-up updates.
                "responses": list(selectors.responses_of(letter))
                if letter.status == Letter.Status.PUBLISHED
                else [],
                "signatories_html": signatories_html,
                "can_see_records": role is not None or is_moderator(request.user),
                "og_description": description,
                "absolute_url": absolute_url,
                "reading": reading,
                "shown": shown,
                # The page in each language (hreflang), and the letter's texts to choose from.
                "alternates": alternates(absolute_url),
                "texts": alternates(letter.get_absolute_url(), reading.available),
            },
        )

    response = render_page(
        request, publication.signatories_section(request, letter, version.number)
    )
    if page_key is not None:
        # Kept, and sent to this visitor too, compressed (core.compression).
        compressed = compression.compress(response.content)
        cache.set(page_key, compressed, settings.SIGNATORY_LIST_CACHE_SECONDS)
        return compression.page_response(request, compressed)
    if publication.is_anonymous(request):
        # A search of the list: the page around it is kept (publication.keep_search_page), and
        # a visitor's page has no secret to compress.
        publication.keep_search_page(request, letter, version.number, render_page)
        return compression.page_response(request, compression.compress(response.content))
    return response


# --- Coordinators: dashboard and drafting ---------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not is_coordinator(request.user):
        raise PermissionDenied
    page = Paginator(selectors.dashboard_letters(request.user), DASHBOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "letters/dashboard.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def letter_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_letters(request.user):
        return _become_coordinator(request)
    form = LetterCreateForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            preview = form.cleaned_data
        else:
            try:
                letter = services.create_letter(author=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Draft saved as version 1. Only its coordinators can see it until you "
                        "open it for signatures."
                    ),
                )
                return redirect(letter)
    return render(request, "letters/letter_create.html", {"form": form, "preview": preview})


COORDINATOR_REQUESTS = ratelimit.Limit(3, 24 * 60 * 60)


def _become_coordinator(request: HttpRequest) -> HttpResponse:
    """/letters/new/ for an account that may not coordinate: what a coordinator does, how the
    role is granted, and the request to the moderators (or where the last one stands)."""
    pending = account_services.pending_coordinator_request(request.user)
    form = CoordinatorRequestForm(request.POST or None) if pending is None else None
    if form is not None and request.method == "POST" and form.is_valid():
        # Each request emails every moderator: a few a day per account, whatever they decide.
        if not ratelimit.hit("coordinator-request", str(request.user.pk), COORDINATOR_REQUESTS):
            form.add_error(
                None, _("You have asked several times today. Please ask again tomorrow.")
            )
            return render(
                request,
                "letters/become_coordinator.html",
                {"form": form, "pending": None, "last": None},
                status=429,
            )
        try:
            account_services.request_coordinator_role(user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Your request is sent. A moderator will answer by email, usually within two "
                    "working days."
                ),
            )
            return redirect("letters:create")
    last = request.user.coordinator_requests.exclude(
        status=CoordinatorRequest.Status.PENDING
    ).first()
    return render(
        request,
        "letters/become_coordinator.html",
        {"form": form, "pending": pending, "last": last},
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_edit(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    current = selectors.current_version_of(letter)
    context = {"letter": letter, "current": current, "section": "edit", "preview": None}
    if request.method != "POST":
        form = LetterEditForm(
            initial={"title": current.title, "body": current.body, "base_version": current.number}
        )
        return render(request, "letters/letter_edit.html", {**context, "form": form})

    form = LetterEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if data["base_version"] != current.number:
            # Re-shown on top of the newer version: saving again, after reading the
            # co-coordinator's change, is then a deliberate choice.
            form = LetterEditForm({**request.POST.dict(), "base_version": current.number})
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone saved version %(number)s while you were editing. Compare it with "
                    "the version you started from before saving yours over it."
                )
                % {"number": current.number},
            )
            context["stale_version"] = data["base_version"]
        elif request.POST.get("action") == "preview":
            context["preview"] = data
            context["preview_title_diff"] = (
                word_diff(current.title, data["title"]) if data["title"] != current.title else None
            )
            context["preview_diff"] = word_diff(current.body, data["body"])
        else:
            try:
                version = services.update_letter(
                    letter=letter,
                    actor=request.user,
                    title=data["title"],
                    body=data["body"],
                    substantive=data["is_substantive"],
                    note=data["note"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if version is None:
                    messages.info(request, _("Nothing changed: the text is the same as before."))
                    return redirect(letter)
                messages.success(
                    request, _("Saved as version %(number)s.") % {"number": version.number}
                )
                return redirect("letters:versions", slug=letter.slug)
    return render(request, "letters/letter_edit.html", {**context, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def letter_settings(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    if request.method != "POST":
        form = LetterSettingsForm(initial=LetterSettingsForm.initial_for(letter))
    else:
        form = LetterSettingsForm(request.POST)
    # Once the letter is open, its list is made public only through the lift-embargo page
    # (every signer is told first); the settings can still make a public list private again.
    embargo_step = letter.status != Letter.Status.DRAFT and not letter.signatories_public_while_open
    if embargo_step:
        del form.fields["signatories_public_while_open"]
    if request.method == "POST" and form.is_valid():
        try:
            services.update_letter(letter=letter, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Settings saved."))
            return redirect(letter)
    return render(
        request,
        "letters/letter_settings.html",
        {"letter": letter, "form": form, "section": "settings", "embargo_step": embargo_step},
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_summary(request: HttpRequest, slug: str) -> HttpResponse:
    """A published letter's summary, corrected by its coordinators (the text stays frozen).
    Before publication the summary is one of the letter's settings."""
    letter = permissions.get_coordinated_letter(request.user, slug)
    if letter.status != Letter.Status.PUBLISHED:
        return redirect("letters:settings", slug=letter.slug)
    form = SummaryCorrectionForm(request.POST or None, initial={"summary": letter.summary})
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_summary(
                letter=letter, actor=request.user, summary=form.cleaned_data["summary"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The summary is corrected."))
            return redirect(letter)
    return render(
        request,
        "letters/letter_summary.html",
        {"letter": letter, "form": form, "section": "summary"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_lift_embargo(request: HttpRequest, slug: str) -> HttpResponse:
    """Make the list public before publication: a step of its own, like publishing. Every
    signer the list would name is emailed now; the list turns public after the notice."""
    letter = permissions.get_coordinated_letter(request.user, slug)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                services.cancel_embargo_lift(letter=letter, actor=request.user)
                messages.success(request, _("The list of signatories stays private."))
            else:
                letter = services.request_embargo_lift(letter=letter, actor=request.user)
                messages.success(
                    request,
                    _(
                        "Every signer who will be named has been emailed. The list becomes "
                        "public on %(date)s UTC."
                    )
                    % {
                        "date": timezone.localtime(letter.embargo_lift_at).strftime(
                            "%Y-%m-%d %H:%M"
                        )
                    },
                )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("letters:lift-embargo", slug=letter.slug)
    return render(
        request,
        "letters/letter_lift_embargo.html",
        {
            "letter": letter,
            "possible": letter.status in {Letter.Status.OPEN, Letter.Status.CLOSED}
            and not letter.signatories_public_while_open,
            "preview": selectors.publication_preview(letter),
            "to_notify": selectors.embargo_lift_notified_count(letter),
            "notice_hours": settings.EMBARGO_LIFT_NOTICE_HOURS,
            "section": "settings",
        },
    )


# --- Coordinators of a letter ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def letter_coordinators(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    form = AddCoordinatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            coordinator = services.add_coordinator(
                letter=letter,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(email)s now coordinates this letter as %(role)s.")
                % {"email": coordinator.user.email, "role": coordinator.get_role_display()},
            )
            return redirect("letters:coordinators", slug=letter.slug)
    return render(
        request,
        "letters/letter_coordinators.html",
        {
            "letter": letter,
            "form": form,
            "coordinators": selectors.coordinators_of(letter),
            "can_manage": permissions.can_manage_coordinators(request.user, letter),
            "role_choices": LetterCoordinator.Role.choices,
            "section": "coordinators",
        },
    )


@login_required
@require_POST
def coordinator_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    coordinator = get_object_or_404(selectors.coordinators_of(letter), pk=pk)
    form = CoordinatorRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("letters:coordinators", slug=letter.slug)
    try:
        services.set_coordinator_role(
            letter=letter, actor=request.user, user=coordinator.user, role=form.cleaned_data["role"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(email)s's role is saved.") % {"email": coordinator.user.email}
        )
    return redirect("letters:coordinators", slug=letter.slug)


@login_required
@require_http_methods(["GET", "POST"])
def coordinator_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    coordinator = get_object_or_404(selectors.coordinators_of(letter), pk=pk)
    is_self = coordinator.user_id == request.user.pk
    if request.method == "POST":
        try:
            services.remove_coordinator(letter=letter, actor=request.user, user=coordinator.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("letters:coordinators", slug=letter.slug)
        if is_self:
            messages.success(
                request, _("You no longer coordinate “%(title)s”.") % {"title": letter.title}
            )
            return redirect("letters:dashboard")
        messages.success(
            request,
            _("%(email)s no longer coordinates this letter.") % {"email": coordinator.user.email},
        )
        return redirect("letters:coordinators", slug=letter.slug)
    return render(
        request,
        "letters/coordinator_remove.html",
        {
            "letter": letter,
            "coordinator": coordinator,
            "is_self": is_self,
            "section": "coordinators",
        },
    )


# --- Lifecycle: a GET shows what will happen, only a POST does it ---------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    from_status: str


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("open", gettext_lazy("Open for signatures"), S.DRAFT),
        Transition("close", gettext_lazy("Close sign-on"), S.OPEN),
        Transition("reopen", gettext_lazy("Reopen sign-on"), S.CLOSED),
        Transition("publish", gettext_lazy("Publish"), S.CLOSED),
    )
}


def _transition(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    """Open, close or reopen (publishing has its own view: it records the delivery)."""
    letter = permissions.get_coordinated_letter(request.user, slug)
    transition = TRANSITIONS[action]
    form = ReopenForm(request.POST or None) if action == "reopen" else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if action == "open":
                services.open_letter(letter=letter, actor=request.user)
                done = _("The letter is open for signatures.")
            elif action == "close":
                services.close_letter(letter=letter, actor=request.user)
                done = _("Sign-on is closed.")
            else:
                services.reopen_letter(
                    letter=letter, actor=request.user, deadline=form.cleaned_data["deadline"]
                )
                done = _("Sign-on is open again.")
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
            return redirect(letter)
    return render(
        request,
        "letters/letter_transition.html",
        {
            "letter": letter,
            "transition": transition,
            "possible": letter.status == transition.from_status,
            "form": form,
            "version": selectors.current_version_of(letter),
            # Publishing before the publication date the coordinators set breaks the embargo.
            "embargo_until": letter.publication_date
            if letter.publication_date and letter.publication_date > timezone.localdate()
            else None,
            "section": "lifecycle",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_open(request: HttpRequest, slug: str) -> HttpResponse:
    return _transition(request, slug, "open")


@login_required
@require_http_methods(["GET", "POST"])
def letter_close(request: HttpRequest, slug: str) -> HttpResponse:
    return _transition(request, slug, "close")


@login_required
@require_http_methods(["GET", "POST"])
def letter_reopen(request: HttpRequest, slug: str) -> HttpResponse:
    return _transition(request, slug, "reopen")


@login_required
@require_http_methods(["GET", "POST"])
def letter_publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Publishing records the delivery: when, to whom (the recipient unless told otherwise),
    how. The list is frozen at that moment and every approved signer is emailed."""
    letter = permissions.get_coordinated_letter(request.user, slug)
    transition = TRANSITIONS["publish"]
    form = PublishForm(
        request.POST if request.method == "POST" else None,
        initial={"delivered_on": timezone.localdate(), "delivered_to": letter.recipient},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.publish_letter(letter=letter, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The letter is published."))
            return redirect(letter)
    possible = letter.status == transition.from_status
    return render(
        request,
        "letters/letter_transition.html",
        {
            "letter": letter,
            "transition": transition,
            "possible": possible,
            "form": form,
            "version": selectors.current_version_of(letter),
            "publication": selectors.publication_preview(letter) if possible else None,
            "embargo_until": letter.publication_date
            if letter.publication_date and letter.publication_date > timezone.localdate()
            else None,
            "section": "lifecycle",
        },
    )


# --- Versions -------------------------------------------------------------------------------


@login_required
def letter_versions(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    versions = list(selectors.versions_of(letter))  # newest first
    by_number = {v.number: v for v in versions}
    current = versions[0]
    previous = versions[1] if len(versions) > 1 else current
    form = VersionCompareForm(
        request.GET or None,
        numbers=list(by_number),
        initial={"from": previous.number, "to": current.number},
    )
    old, new = previous, current
    if form.is_bound and form.is_valid():
        old, new = by_number[form.cleaned_data["from"]], by_number[form.cleaned_data["to"]]
    return render(
        request,
        "letters/letter_versions.html",
        {
            "letter": letter,
            "versions": versions,
            "form": form,
            "old": old,
            "new": new,
            "title_diff": word_diff(old.title, new.title) if old.title != new.title else None,
            "body_diff": word_diff(old.body, new.body),
            "stats": diff_stats(_full_text(old), _full_text(new)),
            "section": "versions",
        },
    )


@login_required
def letter_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    version = get_object_or_404(selectors.versions_of(letter), number=number)
    return render(
        request,
        "letters/letter_version.html",
        {"letter": letter, "version": version, "section": "versions"},
    )


def _full_text(version: LetterVersion) -> str:
    return f"{version.title}\n\n{version.body}"
