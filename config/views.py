"""Site-wide pages: home, health check, privacy notice, and the error pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

# The home page shows the letters open for signatures, newest first; the rest are on /letters/.
HOME_OPEN_LETTERS = 5


def home(request: HttpRequest) -> HttpResponse:
    """What the product is, the letters a visitor can sign now, and how signing works. Only
    listed letters (open or published, never a draft) appear: the letter index's selector."""
    from django.utils import translation

    from letters import selectors
    from letters.models import Letter

    letters = list(
        selectors.public_index().filter(status=Letter.Status.OPEN)[: HOME_OPEN_LETTERS + 1]
    )
    selectors.attach_translations(letters[:HOME_OPEN_LETTERS], translation.get_language())
    return render(
        request,
        "home.html",
        {
            "open_letters": letters[:HOME_OPEN_LETTERS],
            "more_open_letters": len(letters) > HOME_OPEN_LETTERS,
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher (a form, no script): Django's view sets the visitor's cookie and
    sends them back to `next` (a local URL only); a logged-in reader's choice is also saved
    on their account (core.locale). An unknown language changes nothing."""
    from django.core.exceptions import ValidationError

    from accounts.services import set_account_language
    from core.locale import supported, without_language_parameter

    code = request.POST.get("language", "")
    if supported(code) is None:
        code = ""
    if request.user.is_authenticated and code:
        try:
            set_account_language(user=request.user, language=code)
        except ValidationError:
            code = ""
    post = request.POST.copy()
    post["language"] = code
    post["next"] = without_language_parameter(post.get("next", "") or "/")
    request.POST = post
    return django_set_language(request)


# Each dependency's check is bounded: a hung part costs /healthz at most this long.
HEALTH_TIMEOUT_SECONDS = 0.5


def _check_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> str:
    from django.core.cache import cache

    if hasattr(cache, "ping"):  # core.cache.ResilientRedisCache: past its breaker
        cache.ping()
        return "redis"
    return "local"  # the embedded default: this process's memory, always there


def _check_broker() -> str:
    from django.conf import settings

    from config.celery import app

    if app.conf.task_always_eager:
        return "in-process"  # the embedded default: tasks run in the web process
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=HEALTH_TIMEOUT_SECONDS,
        socket_timeout=HEALTH_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()
    return "redis"


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers, compose and people: each dependency separately (issue 13).

    200 while the site can serve pages and take signatures, which needs the database only: a
    cache or broker outage is "degraded" (rate limits count per process, mail waits in the
    outbox until the broker is back). 503 when the database does not answer. No error text:
    an exception could name a host or carry a URL with its password."""
    import time

    checks: dict[str, dict[str, object]] = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        started = time.monotonic()
        try:
            kind = check()
        except Exception as exc:  # any failure of the part is its state, not a 500
            checks[name] = {"ok": False, "error": type(exc).__name__}
        else:
            checks[name] = {"ok": True, **({"backend": kind} if kind else {})}
        checks[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    if not checks["database"]["ok"]:
        status = "down"
    elif all(check["ok"] for check in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {
            "status": status,
            "degraded": [name for name, check in checks.items() if not check["ok"]],
            "checks": checks,
        },
        status=503 if status == "down" else 200,
    )


def privacy(request: HttpRequest) -> HttpResponse:
    """The periods stated are the settings in force (issue 12): the page cannot drift."""
    from django.conf import settings

    return render(
        request,
        "privacy.html",
        {
            "retention_days": settings.SIGNER_CONTACT_RETENTION_DAYS,
            "import_keep_hours": settings.INVITATION_IMPORT_KEEP_HOURS,
            "confirmation_days": settings.SIGNATURE_CONFIRMATION_DAYS,
            "coordinator_request_days": settings.COORDINATOR_REQUEST_RETENTION_DAYS,
            "webhook_body_hours": settings.WEBHOOKS_BODY_RETENTION_HOURS,
            "webhook_record_days": settings.WEBHOOKS_DELIVERY_RETENTION_DAYS,
        },
    )


def _error(request: HttpRequest, template: str, status: int) -> HttpResponse:
    # The language switcher of an error page leads to the home page: a link back to the
    # address asked for would make a hidden page's 404 differ from a missing one's.
    return render(request, template, {"error_page": True}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "errors/400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "errors/403.html", 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "errors/404.html", 404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors and no database: whatever broke may break again.
    return HttpResponse(get_template("errors/500.html").render({}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, "errors/403_csrf.html", 403)
