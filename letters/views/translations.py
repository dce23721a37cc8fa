"""The coordinators' translations of a letter: which languages have one, whether each is of the
current authoritative version, and the page to write or update one (the authoritative text
beside it, and what changed in it since the translation was made)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError

from .. import permissions, selectors, services
from ..diffs import word_diff
from ..forms.letters import TranslationForm


@login_required
def translation_list(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    current = selectors.current_version_of(letter)
    translations = selectors.current_translations(letter)
    rows = [
        {
            "code": code,
            "name": get_language_info(code)["name_local"],
            "translation": translations.get(code),
            "out_of_date": code in translations and translations[code].is_out_of_date(current),
        }
        for code, _name in settings.LANGUAGES
        if code != letter.language
    ]
    return render(
        request,
        "letters/translation_list.html",
        {"letter": letter, "current": current, "rows": rows, "section": "translations"},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def translation_edit(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes or language == letter.language:
        raise Http404
    current = selectors.current_version_of(letter)
    history = selectors.translation_history(letter, language)
    latest = history[0] if history else None
    form = TranslationForm(
        request.POST or None,
        initial={"title": latest.title, "body": latest.body, "summary": latest.summary}
        if latest
        else {"title": current.title, "body": current.body, "summary": letter.summary},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_translation(
                letter=letter,
                actor=request.user,
                language=language,
                title=data["title"],
                body=data["body"],
                summary=data["summary"],
                note=data["note"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if saved is None:
                messages.info(request, _("Nothing changed: the translation is the same as before."))
            else:
                messages.success(
                    request,
                    _("Translation saved as version %(number)s, of version %(version)s.")
                    % {"number": saved.number, "version": current.number},
                )
            return redirect("letters:translations", slug=letter.slug)
    source_diff = None
    if latest is not None and latest.is_out_of_date(current):
        # What the translator has to carry over: the authoritative text's change since.
        source_diff = word_diff(latest.source.body, current.body)
    compare = None
    if len(history) > 1:
        older = history[1]
        compare = {"old": older, "new": latest, "diff": word_diff(older.body, latest.body)}
    return render(
        request,
        "letters/translation_edit.html",
        {
            "letter": letter,
            "current": current,
            "language": language,
            "language_name": get_language_info(language)["name_local"],
            "latest": latest,
            "history": history,
            "source_diff": source_diff,
            "compare": compare,
            "form": form,
            "section": "translations",
        },
    )
