"""Bare baseline views: the cheapest Django can answer, through the project's own middleware.

A benchmark reports a page's throughput as a ratio to one of these, measured side by side in
the same run (DESIGN.md §10). They are routed only when settings.BENCH_VIEWS is on.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

# The table bare_insert writes to. The benchmark script creates and drops it with plain SQL
# (bench.common.create_bench_rows_table), so no model and no migration exist for it.
BENCH_ROWS_TABLE = "bench_rows"
BENCH_ROWS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {BENCH_ROWS_TABLE} ("
    " id bigserial PRIMARY KEY,"
    " created_at timestamptz NOT NULL DEFAULT now(),"
    " payload text NOT NULL)"
)

FIXED_TEXT = "bare"


@require_GET
def bare_text(request: HttpRequest) -> HttpResponse:
    """A fixed string: the ceiling of a Django page on this machine."""
    return HttpResponse(FIXED_TEXT, content_type="text/plain")


# A baseline, not a form: there is no page to carry a CSRF token, and nothing to protect.
@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """One SQL INSERT in autocommit: the ceiling of a Django page that writes one row."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BENCH_ROWS_TABLE} (payload) VALUES (%s)",  # noqa: S608 - constant name
            ["bench"],
        )
    return HttpResponse("inserted", content_type="text/plain")
