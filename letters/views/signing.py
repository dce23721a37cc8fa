"""The signing workflow's pages: sign (public or by invitation), confirm, manage, re-confirm,
withdraw; a member's signatures; a coordinator's list of a letter's signatures.

Email links never change anything on GET (mail scanners open every link): each shows a page
whose button POSTs.
"""

import hashlib
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import is_moderator
from core import ratelimit
from core.errors import DomainError
from organisations.models import Organisation
from organisations.selectors import is_member

from .. import selectors, services, tokens
from ..diffs import word_diff
from ..forms.signing import MemberSignForm, SignForm, VisibilityFields, WithdrawForm
from ..markdown import markdown_to_reading_text
from ..models import Invitation, Letter, LetterTranslation, Signature
from ..permissions import coordinator_role, get_coordinated_letter, get_visible_letter
from .publication import is_anonymous


def _rate_limited(request: HttpRequest, letter: Letter) -> bool:
    per_client = ratelimit.Limit(settings.SIGN_RATE_PER_CLIENT, 60 * 60)
    per_letter = ratelimit.Limit(settings.SIGN_RATE_PER_LETTER, 60)
    # Refused by its own limit, a client is not counted against the letter's: one client
    # cannot use it up. One round trip to Redis for both.
    return not ratelimit.hit_all(
        ("sign-client", ratelimit.client_key(request), per_client),
        ("sign-letter", str(letter.pk), per_letter),
    )


def _member_organisations(request: HttpRequest):
    if not request.user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=request.user).order_by("name")


def _sign_page(
    request: HttpRequest,
    *,
    letter: Letter,
    invitation: Invitation | None,
    secret: str = "",
    stamp: selectors.SignPageStamp | None = None,
) -> HttpResponse:
    context = {
        "letter": letter,
        "invitation": invitation,
        "secret": secret,
        "stamp": stamp,
        "accepting": letter.is_accepting_signatures
        and (invitation is not None or letter.sign_on_mode == Letter.SignOnMode.OPEN),
    }
    if not context["accepting"]:
        return render(request, "letters/sign.html", _with_text(context))

    member_orgs = _member_organisations(request)
    if invitation is not None:
        # Through an invitation, a member signs only for the organisation it names.
        member_orgs = (
            member_orgs.filter(pk=invitation.organisation_id)
            if invitation.organisation_id
            else member_orgs.none()
        )
    if request.method == "POST":
        wants_member_form = request.POST.get("form") == "member"
    else:
        wants_member_form = not request.GET.get("other")  # "Use the full form" link
    use_member_form = wants_member_form and member_orgs.exists()
    status = 200

    if request.method == "POST":
        if _rate_limited(request, letter):
            messages.error(
                request,
                _("Too many attempts from your connection. Please wait a while and try again."),
            )
            status = 429
            form = _bound_form(request, use_member_form, invitation, member_orgs)
        elif use_member_form:
            form = MemberSignForm(request.POST, organisations=member_orgs)
            if form.is_valid():
                return _submit(request, form, context, invitation=invitation, member=True)
        else:
            form = SignForm(request.POST, invitation=invitation)
            if form.is_spam:
                # Say nothing useful to a bot; save nothing.
                return redirect("letters:sign-sent", slug=letter.slug)
            if form.is_valid():
                return _submit(request, form, context, invitation=invitation, member=False)
    elif use_member_form:
        form = MemberSignForm(
            organisations=member_orgs,
            initial={"signer_name": request.user.name, "organisation": member_orgs.first()},
        )
    else:
        initial = {}
        if invitation is not None:
            initial = {
                "signer_name": invitation.contact_name,
                "signer_email": invitation.email,
                "organisation_name": invitation.organisation_name,
            }
        form = SignForm(initial=initial, invitation=invitation)

    return _render_sign(request, context, form=form, member=use_member_form, status=status)


def _with_text(context: dict) -> dict:
    """The version shown beside the form, and the translation into the page's language if the
    letter has one. Read only when the page is rendered: a POST that signs redirects without
    it (sign_letter reads the current version under the letter's lock), and the page shows no
    lead organisations, so letter_for_page's prefetch is not needed either."""
    letter = context["letter"]
    version = selectors.current_version_of(letter)
    reading = selectors.reading_text(letter, version, translation.get_language())
    return {**context, "version": version, "reading": reading}


def _translation_read(request: HttpRequest, letter) -> LetterTranslation | None:
    """The translation the sign page showed (its hash, sent back with the form): recorded
    with the signature. Anything else (none, another letter's, a forged hash) records none."""
    digest = request.POST.get("translation_hash", "")
    if not digest or len(digest) != 64:
        return None
    return LetterTranslation.objects.filter(letter=letter, content_hash=digest).first()


def _render_sign(request, context: dict, *, form, member: bool, status: int = 200):
    invited = context["invitation"] is not None
    context = {
        **_with_text(context),
        "form": form,
        "member_form": member,
        "verified_names": [] if invited or member else selectors.verified_organisation_names(),
    }
    stamp = context["stamp"]
    if stamp is None or invited or member or form.is_bound or request.GET:
        return render(request, "letters/sign.html", context, status=status)
    return _keep_visitor_sign_page(request, context, stamp)


# The empty sign form as a visitor without a session sees it is the same for all of them but
# for its CSRF token: rendered once per letter, text, suggestions and language (a third of a
# signature's server time was this page), kept with a mark where the token goes, and each
# visitor's own token put in. It is found again from one query, the sign page's stamp
# (selectors.sign_page_stamp), read before anything else: what is kept under a stamp is never
# older than the stamp. The time limit is a backstop.
SIGN_PAGE_CACHE_SECONDS = 10 * 60
SIGN_PAGE_CACHE_SCHEMA = 2
_TOKEN_MARK = "\ue003csrf\ue003"  # noqa: S105 - where the token goes, not a secret
_TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _visitor_stamp(request: HttpRequest, slug: str) -> selectors.SignPageStamp | None:
    """The sign page's stamp when this request may be answered with the kept page: a visitor
    without a session, no query string, a letter open to visitors' signatures. None
    otherwise, and the view does its full work."""
    if request.GET or not is_anonymous(request):
        return None
    stamp = selectors.sign_page_stamp(slug)
    if stamp is None or not stamp.letter.open_to_visitors:
        return None
    return stamp


def _sign_page_key(stamp: selectors.SignPageStamp) -> str:
    letter = stamp.letter
    parts = [
        letter.pk,
        letter.list_version,
        letter.updated_at.isoformat(),
        letter.deadline.isoformat() if letter.deadline else "",
        letter.status,
        letter.sign_on_mode,
        stamp.version,
        stamp.translations,
        stamp.suggestions,
        translation.get_language(),
    ]
    digest = hashlib.blake2b("\x00".join(map(str, parts)).encode(), digest_size=20).hexdigest()
    return f"sign-page:{SIGN_PAGE_CACHE_SCHEMA}:{letter.pk}:{digest}"


def _kept_sign_page(request: HttpRequest, stamp: selectors.SignPageStamp) -> HttpResponse | None:
    page = cache.get(_sign_page_key(stamp))
    if page is None:
        return None
    return HttpResponse(page.replace(_TOKEN_MARK, get_token(request)))


def _keep_visitor_sign_page(
    request: HttpRequest, context: dict, stamp: selectors.SignPageStamp
) -> HttpResponse:
    response = render(request, "letters/sign.html", context)
    html = response.content.decode()
    tokens_used = set(_TOKEN_INPUT.findall(html))
    if len(tokens_used) != 1:
        return response  # not the page this expects: sent as rendered, and not kept
    cache.set(
        _sign_page_key(stamp),
        html.replace(tokens_used.pop(), _TOKEN_MARK),
        SIGN_PAGE_CACHE_SECONDS,
    )
    return response


def _bound_form(request, use_member_form, invitation, member_orgs):
    if use_member_form:
        form = MemberSignForm(request.POST, organisations=member_orgs)
    else:
        form = SignForm(request.POST, invitation=invitation)
    form.is_valid()
    return form


def _submit(request, form, context: dict, *, invitation: Invitation | None, member: bool):
    letter = context["letter"]
    data = form.cleaned_data
    if member:
        choice = services.OrganisationChoice(organisation=data["organisation"])
        email = request.user.email
    elif invitation is not None:
        # sign_letter takes the organisation from the invitation; only based_in is ours.
        choice = services.OrganisationChoice(based_in=data.get("based_in", ""))
        email = data["signer_email"]
    else:
        choice = services.OrganisationChoice(
            new_name=data["organisation_name"], based_in=data.get("based_in", "")
        )
        email = data["signer_email"]
    try:
        signature = services.submit_signature(
            letter=letter,
            organisation=choice,
            signer_name=data["signer_name"],
            signer_title=data.get("signer_title", ""),
            signer_email=email,
            visibility=data["visibility"],
            show_signer_name=data["show_signer_name"],
            consent=data["consent"],
            invitation=invitation,
            user=request.user if request.user.is_authenticated else None,
            language=translation.get_language(),
            translation=_translation_read(request, letter),
        )
    except services.AlreadySigned as exc:  # the signer is a member: they may know
        form.add_error(None, exc.message)
        return _render_sign(request, context, form=form, member=member, status=409)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _render_sign(request, context, form=form, member=member, status=400)
    if signature.status == Signature.Status.PENDING_CONFIRMATION:
        return redirect("letters:sign-sent", slug=letter.slug)
    if not member and invitation is not None:
        # Confirmed in one step through a personal link: the page a confirmation link shows
        # (a duplicate looks like a signature awaiting review, as there), and the receipt.
        return _confirmed_page(request, signature, receipt_sent=True)
    if signature.status == Signature.Status.APPROVED:
        messages.success(request, _("Your organisation has signed. The signature is approved."))
    else:
        messages.success(
            request, _("Your organisation has signed. A moderator will review the signature.")
        )
    return redirect("letters:my-signatures")


@require_http_methods(["GET", "HEAD", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    """The public sign page of a letter (open sign-on mode). A visitor without a session gets
    the kept page when there is one: one query and one cache read."""
    stamp = _visitor_stamp(request, slug)
    if stamp is not None and (kept := _kept_sign_page(request, stamp)) is not None:
        return kept
    letter = get_visible_letter(request.user, slug)
    return _sign_page(request, letter=letter, invitation=None, stamp=stamp)


@require_http_methods(["GET", "HEAD", "POST"])
def sign_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """Sign through a personal invitation link: the organisation is fixed."""
    invitation = selectors.invitation_by_secret(secret)
    if invitation is None:
        return _bad_link(request, "invalid")
    if not invitation.is_live or invitation.letter.is_draft:
        return render(
            request,
            "letters/link_used.html",
            {"invitation": invitation, "letter": invitation.letter},
            status=410,
        )
    return _sign_page(request, letter=invitation.letter, invitation=invitation, secret=secret)


def sign_sent(request: HttpRequest, slug: str) -> HttpResponse:
    letter = get_visible_letter(request.user, slug)
    return render(
        request,
        "letters/sign_sent.html",
        {"letter": letter, "confirmation_days": settings.SIGNATURE_CONFIRMATION_DAYS},
    )


# --- Email links ---------------------------------------------------------------------------------


def _bad_link(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "letters/link_invalid.html", {"reason": reason}, status=400)


def _signature_from_token(token: str, purpose: str) -> tuple[Signature, tokens.SignatureLink]:
    link = tokens.read_signature_token(token, purpose=purpose)
    signature = (
        Signature.objects.select_related("letter", "public_organisation", "version")
        .filter(pk=link.signature_id)
        .first()
    )
    if signature is None:
        raise tokens.BadLink("invalid")
    return signature, link


@require_http_methods(["GET", "HEAD", "POST"])
def signature_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signature, _link = _signature_from_token(token, tokens.CONFIRM)
    except tokens.BadLink as exc:
        return _bad_link(request, exc.reason)
    if request.method == "POST":
        try:
            signature = services.confirm_signature(signature=signature)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return _confirmed_page(request, signature)
    return render(request, "letters/signature_confirm.html", {"signature": signature})


def _confirmed_page(
    request: HttpRequest, signature: Signature, *, receipt_sent: bool = False
) -> HttpResponse:
    # A duplicate looks, to whoever confirmed it, like a signature awaiting review; only a
    # logged-in member of the organisation is told (issue 11, README).
    viewer_is_member = signature.organisation_id is not None and is_member(
        request.user, signature.organisation
    )
    return render(
        request,
        "letters/signature_confirmed.html",
        {
            "signature": signature,
            "viewer_is_member": viewer_is_member,
            "receipt_sent": receipt_sent,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def signature_manage(request: HttpRequest, token: str) -> HttpResponse:
    """From the signer's email: make the organisation less visible, or withdraw (with a
    confirmation box). A wider visibility is only asked for here: the signer's address gets a
    one-hour, single-use link that makes it (a forwarded email must not widen)."""
    try:
        signature, _link = _signature_from_token(token, tokens.MANAGE)
    except tokens.BadLink as exc:
        return _bad_link(request, exc.reason)
    visibility_form = VisibilityFields(
        initial={"visibility": signature.visibility, "show_signer_name": signature.show_signer_name}
    )
    withdraw_form = WithdrawForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "visibility":
                visibility_form = VisibilityFields(request.POST)
                if visibility_form.is_valid():
                    change = {
                        "visibility": visibility_form.cleaned_data["visibility"],
                        "show_signer_name": visibility_form.cleaned_data["show_signer_name"],
                    }
                    if services.widens(signature, **change):
                        services.request_widening(signature=signature, **change)
                        messages.success(
                            request,
                            _(
                                "Nothing has changed yet. To show your organisation more "
                                "widely, open the link we have just emailed to the signer's "
                                "address; it works for one hour."
                            ),
                        )
                    else:
                        services.narrow_visibility(signature=signature, **change)
                        messages.success(
                            request, _("Saved. Your organisation will appear as chosen.")
                        )
                    return redirect("letters:signature-manage", token=token)
            elif action == "withdraw":
                withdraw_form = WithdrawForm(request.POST)
                if withdraw_form.is_valid():
                    services.withdraw_signature(signature=signature)
                    messages.success(request, _("The signature has been withdrawn."))
                    return redirect("letters:signature-manage", token=token)
            elif action in {"data_copy", "erase"}:
                if not ratelimit.hit(
                    "data-request", str(signature.pk), ratelimit.Limit(DATA_REQUESTS_PER_HOUR, 3600)
                ):
                    messages.error(request, _("Too many requests: try again in an hour."))
                elif action == "data_copy":
                    services.email_data_copy(signature=signature)
                    messages.success(
                        request,
                        _(
                            "A copy of the data held about the signer's address has been "
                            "emailed to that address."
                        ),
                    )
                else:
                    services.request_erasure(
                        signature=signature, withdraw=request.POST.get("withdraw") == "on"
                    )
                    messages.success(
                        request,
                        _(
                            "Nothing has been erased yet. To erase it, open the link we have "
                            "just emailed to the signer's address; it works for one hour."
                        ),
                    )
                return redirect("letters:signature-manage", token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "letters/signature_manage.html",
        {
            "signature": signature,
            "visibility_form": visibility_form,
            "withdraw_form": withdraw_form,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def signature_widen(request: HttpRequest, token: str) -> HttpResponse:
    """From the signer's inbox: confirm, once and within the hour, the wider visibility asked
    for on the manage page. A GET shows the change (mail scanners open links); a POST makes it."""
    try:
        signature, link = services.signature_for_widening(token)
    except tokens.BadLink as exc:
        return _bad_link(request, exc.reason)
    if request.method == "POST":
        try:
            signature = services.confirm_widening(token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
            return _bad_link(request, "invalid")
        messages.success(request, _("Saved. Your organisation will appear as chosen."))
        return redirect("letters:signature-widened")
    return render(
        request,
        "letters/signature_widen.html",
        {
            "signature": signature,
            "after": Signature.Visibility(link.visibility).label,
            "after_show_name": link.show_signer_name,
        },
    )


def signature_widened(request: HttpRequest) -> HttpResponse:
    """Where a confirmed widening lands: the link is spent, so not back to it."""
    return render(request, "letters/signature_widened.html")


# Copies and erasure requests per signature and hour (each emails the signer's address).
DATA_REQUESTS_PER_HOUR = 5


@require_http_methods(["GET", "HEAD", "POST"])
def signature_erase(request: HttpRequest, token: str) -> HttpResponse:
    """From the signer's inbox: confirm, once and within the hour, the erasure asked for on
    the manage page. A GET shows what will happen (mail scanners open links); a POST does it."""
    try:
        signature, link = services.signature_for_erasure(token)
    except tokens.BadLink as exc:
        return _bad_link(request, exc.reason)
    if request.method == "POST":
        try:
            services.erase_signer(token=token)
        except DomainError:
            return _bad_link(request, "invalid")
        return redirect("letters:signature-erased")
    return render(request, "letters/signature_erase.html", {"signature": signature, "link": link})


def signature_erased(request: HttpRequest) -> HttpResponse:
    """Where a confirmed erasure lands: the link is spent, so not back to it."""
    return render(request, "letters/signature_erased.html")


@require_http_methods(["GET", "HEAD", "POST"])
def signature_reconfirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signature, link = _signature_from_token(token, tokens.RECONFIRM)
    except tokens.BadLink as exc:
        return _bad_link(request, exc.reason)
    if link.version is None:
        return _bad_link(request, "invalid")
    current = selectors.current_version_of(signature.letter)
    withdraw_form = WithdrawForm()
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        # An organisation that cannot support the new text leaves from this page too.
        withdraw_form = WithdrawForm(request.POST)
        if withdraw_form.is_valid():
            try:
                services.withdraw_signature(signature=signature)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The signature has been withdrawn."))
                return redirect("letters:detail", slug=signature.letter.slug)
    elif request.method == "POST":
        try:
            services.reconfirm_signature(signature=signature, version_number=link.version)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Thank you: your organisation now supports version %(n)s.")
                % {"n": current.number},
            )
            return redirect("letters:detail", slug=signature.letter.slug)
    return render(
        request,
        "letters/signature_reconfirm.html",
        {
            "signature": signature,
            "current": current,
            "link_version": link.version,
            # The words as read, not the Markdown: no `**`, `##` or link syntax in the diff.
            "diff": word_diff(
                markdown_to_reading_text(signature.version.body),
                markdown_to_reading_text(current.body),
            ),
            "withdraw_form": withdraw_form,
            "form": withdraw_form,  # base.html's "Error: " title prefix
        },
    )


# --- Members and coordinators ----------------------------------------------------------------------


@login_required
def my_signatures(request: HttpRequest) -> HttpResponse:
    """The signatures of every organisation the user belongs to."""
    page = Paginator(selectors.signatures_of_member(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "letters/my_signatures.html", {"page": page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def signature_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """A member withdraws their organisation's signature (GET asks, POST does)."""
    signature = get_object_or_404(
        Signature.objects.select_related("letter", "public_organisation"), pk=pk
    )
    # Its organisation may be stored encrypted (withheld): membership is checked here. Not a
    # member: the same 404 as a signature that does not exist.
    if signature.organisation is None or not is_member(request.user, signature.organisation):
        raise Http404
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_signature(signature=signature, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The signature has been withdrawn."))
        return redirect("letters:my-signatures")
    return render(
        request, "letters/signature_withdraw.html", {"signature": signature, "form": form}
    )


@login_required
def letter_signatures(request: HttpRequest, slug: str) -> HttpResponse:
    """A coordinator's view of every signature, in every state, with contact details."""
    if is_moderator(request.user):
        letter = get_object_or_404(Letter.objects.public(), slug=slug)  # moderators read
    else:
        letter = get_coordinated_letter(request.user, slug)
    status = request.GET.get("status", "")
    if status and status not in Signature.Status.values:
        raise Http404
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(
        selectors.signatures_for_coordinator(letter, status=status, query=query), 50
    ).get_page(request.GET.get("page"))
    counts = selectors.signature_counts(letter)
    return render(
        request,
        "letters/letter_signatures.html",
        {
            "letter": letter,
            "page": page,
            "status": status,
            "query": query,
            "statuses": Signature.Status.choices,
            "counts": [(label, counts[value]) for value, label in Signature.Status.choices],
            "section": "signatures",
            "is_coordinator": coordinator_role(request.user, letter) is not None,
        },
    )
