"""Signing benchmark (issue 4, DESIGN.md §10): signatures per second through the real sign
form, next to a bare Django view that inserts one row, measured in the same run.

    make bench-signing                      # or: python bench/signing.py [--help]

gunicorn (2 workers, production settings but plain HTTP on loopback) serves a scratch
PostgreSQL database. Redis gets the delivery tasks but no worker runs during the load, so
every answer came back before any email was sent. Phases, one after the other:

1. throughput: 8 clients for 20 s; each operation is a new visitor signing for a new
   organisation: GET the sign page (CSRF cookie + token), POST the form.
2. contention: 8 clients for 5 s signing for the SAME organisation: exactly one signature,
   every other answer the same 302 to the "check your email" page, no 5xx.
3. bare insert: 8 clients for 20 s POSTing to a view that runs one INSERT.
4. bare text: 8 clients for 20 s GETting a fixed string (the ceiling, for context).

Then the integrity checks (every 2xx/3xx is exactly one signature), the queries of one GET
and one POST, optionally a cProfile of the signing path (--profile), and optionally a Celery
worker drains the outbox into the SMTP sink (each email delivered once).

The figure is signing / bare insert: signatures per second over rows per second.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402 - needs the project root on sys.path first

THROUGHPUT_PREFIX = "Bench Signatory"
CONTENDED_NAME = "Bench Contended Organisation"
LETTER_BODY = "\n\n".join(
    [
        "Dear Secretary of State,",
        "We, the undersigned organisations, write to urge you to raise the situation of human "
        "rights defenders at every meeting with your counterparts. **Arbitrary detention**, "
        "transnational repression and the surveillance of diaspora communities have grown "
        "in scale and in reach over the past decade.",
        "We ask you to:",
        "1. name the individual cases of detained defenders in public and in private;\n"
        "2. publish the outcome of each dialogue within thirty days;\n"
        "3. protect the members of diaspora communities who speak out, and their families.",
        "Many of the organisations that sign this letter do so at a risk to their staff. "
        "Some of them have chosen to be counted without being named. We trust that you will "
        "read their support for what it is: the voice of people who cannot speak freely.",
    ]
    * 3
)


@dataclass
class SignOutcome:
    organisation: str
    email: str
    get_status: int
    post_status: int | None
    location: str = ""

    @property
    def accepted(self) -> bool:
        """What the brief counts: a 2xx/3xx answer to the POST."""
        return self.post_status is not None and 200 <= self.post_status < 400


def sign_operation(*, slug: str, organisation_of, email_of):
    """One visitor: GET the sign page, POST the form. `organisation_of(client, index)` names
    the organisation (new for throughput, the same for contention)."""
    path = f"/letters/{slug}/sign/"
    visibilities = ("public", "recipient_only", "counted_only")

    def operation(client: common.Client, index: int) -> SignOutcome:
        organisation = organisation_of(client, index)
        email = email_of(client, index)
        client.clear_cookies()  # a new visitor: no CSRF cookie yet
        page = client.request("GET", path, label="GET sign")
        if page.status != 200:
            return SignOutcome(organisation, email, page.status, None)
        form = {
            "csrfmiddlewaretoken": common.csrf_token(page.body),
            "organisation_name": organisation,
            "based_in": "Geneva",
            "signer_name": f"Signer {index}",
            "signer_title": "Director",
            "signer_email": email,
            "visibility": visibilities[index % 3],
            "consent": "on",
            "website": "",  # the honeypot stays empty
        }
        if index % 2:
            form["show_signer_name"] = "on"
        answer = client.request("POST", path, label="POST sign", form=form)
        return SignOutcome(organisation, email, page.status, answer.status, answer.location)

    return operation


SPREAD_PREFIX = "Bench Spread Org"


def spread_operation(letters):
    """Client k signs letter k mod N, for a new organisation each time."""
    operations = [
        sign_operation(
            slug=letter.slug,
            organisation_of=lambda client, index: f"{SPREAD_PREFIX} {index:09d}",
            email_of=lambda client, index: f"spread-{index}@bench-{index % 97}.example.org",
        )
        for letter in letters
    ]

    def operation(client: common.Client, index: int) -> SignOutcome:
        return operations[client.number % len(operations)](client, index)

    return operation


def check_spread(letters, outcomes: list[SignOutcome]) -> dict:
    """The throughput check, letter by letter (an outcome's letter is in its redirect)."""
    per_letter = {}
    for letter in letters:
        sent = f"/letters/{letter.slug}/sign/sent/"
        mine = [o for o in outcomes if o.accepted and o.location.endswith(sent)]
        per_letter[letter.slug] = check_throughput(letter, mine, sent, prefix=SPREAD_PREFIX)
    accepted = sum(1 for o in outcomes if o.accepted)
    rows = sum(check["signature_rows"] for check in per_letter.values())
    return {
        "accepted_posts": accepted,
        "signature_rows": rows,
        "lost": sum(check["lost"] for check in per_letter.values()),
        "doubled": sum(check["doubled"] for check in per_letter.values()),
        "ok": rows == accepted and all(check["ok"] for check in per_letter.values()),
    }


def bare_insert_operation(client: common.Client, index: int) -> int:
    return client.request("POST", "/bench/insert/", label="POST bare insert").status


def bare_text_operation(client: common.Client, index: int) -> int:
    return client.request("GET", "/bench/text/", label="GET bare text").status


# --- Fixtures and checks (Django ORM in this process) ----------------------------------------


def make_open_letter(title: str):
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import COORDINATORS
    from letters import services
    from letters.models import Letter

    author, _ = User.objects.get_or_create(email="bench-coordinator@bench.undersigned.test")
    author.groups.add(Group.objects.get(name=COORDINATORS))
    letter = services.create_letter(
        author=author,
        title=title,
        body=LETTER_BODY,
        recipient="The Secretary of State for Foreign Affairs",
        sign_on_mode=Letter.SignOnMode.OPEN,
    )
    return services.open_letter(letter=letter, actor=author)


def check_throughput(letter, outcomes: list[SignOutcome], sent_path: str, prefix: str = "") -> dict:
    """Every accepted POST is exactly one signature of a new organisation, awaiting its
    signer's confirmation; no organisation is created before that (issue 11)."""
    prefix = prefix or THROUGHPUT_PREFIX
    from letters.models import Signature
    from organisations.models import Organisation
    from outbox.models import OutboundEmail

    accepted = Counter(o.organisation for o in outcomes if o.accepted)
    refused = {o.organisation for o in outcomes if not o.accepted}
    rows = Counter(
        Signature.objects.filter(letter=letter).values_list("proposed_organisation_name", flat=True)
    )
    organisations = Counter(
        Organisation.objects.filter(name__startswith=prefix).values_list("name", flat=True)
    )
    lost = sorted(name for name in accepted if rows[name] == 0)
    doubled = sorted(name for name, n in rows.items() if n > 1 or accepted[name] > 1)
    # Saved although the answer was not 2xx/3xx (or no answer came): not counted as a success.
    saved_unacknowledged = sorted(name for name in rows if name not in accepted)
    statuses = Counter(Signature.objects.filter(letter=letter).values_list("status", flat=True))
    duplicate_notices = OutboundEmail.objects.filter(kind="signature_duplicate").count()
    wrong_redirect = sum(1 for o in outcomes if o.accepted and not o.location.endswith(sent_path))
    return {
        "accepted_posts": sum(accepted.values()),
        "refused_or_failed_posts": len(refused),
        "signature_rows": sum(rows.values()),
        "organisations_created": sum(organisations.values()),
        "lost": len(lost),
        "doubled": len(doubled),
        "saved_but_not_acknowledged": len(saved_unacknowledged),
        "redirects_not_to_sent_page": wrong_redirect,
        "duplicate_notices": duplicate_notices,
        "signature_statuses": dict(statuses),
        "examples": {"lost": lost[:5], "doubled": doubled[:5]},
        "ok": (
            not lost
            and not doubled
            and not saved_unacknowledged
            and not wrong_redirect
            and not duplicate_notices
            and sum(rows.values()) == sum(accepted.values())
            and sum(organisations.values()) == 0
            and set(statuses) <= {Signature.Status.PENDING_CONFIRMATION}
        ),
    }


def check_contention(letter, outcomes: list[SignOutcome], sent_path: str) -> dict:
    """Many POSTs name one organisation at once. Each is answered alike (302 to the sent
    page) and gets its confirmation request; none holds the organisation's place, and no
    organisation is created, until someone confirms (issue 11: the form is no oracle and an
    unconfirmed submission squats nothing)."""
    from letters.models import Signature
    from organisations.models import Organisation
    from outbox.models import OutboundEmail

    answers = Counter(str(o.post_status) for o in outcomes)
    counted = Signature.objects.filter(letter=letter, status__in=Signature.COUNTED).count()
    pending = Signature.objects.filter(
        letter=letter, status=Signature.Status.PENDING_CONFIRMATION
    ).count()
    total = Signature.objects.filter(letter=letter).count()
    organisations = Organisation.objects.filter(name=CONTENDED_NAME).count()
    keys = [
        f"signature:{pk}:confirm"
        for pk in Signature.objects.filter(letter=letter).values_list("pk", flat=True)
    ]
    confirmations = list(
        OutboundEmail.objects.filter(kind="signature_confirm", dedupe_key__in=keys).values_list(
            "to", flat=True
        )
    )
    server_errors = sum(1 for o in outcomes if (o.post_status or 0) >= 500 or o.get_status >= 500)
    not_302_to_sent = sum(
        1 for o in outcomes if o.post_status != 302 or not o.location.endswith(sent_path)
    )
    contender_emails = {o.email for o in outcomes}
    return {
        "posts": len(outcomes),
        "answers": dict(answers),
        "counted_signatures": counted,
        "awaiting_confirmation": pending,
        "signature_rows": total,
        "organisations": organisations,
        "server_errors": server_errors,
        "answers_not_302_to_sent_page": not_302_to_sent,
        "confirmation_requests_queued": len(confirmations),
        "ok": (
            counted == 0
            and pending == total == len(outcomes)
            and organisations == 0
            and server_errors == 0
            and not_302_to_sent == 0
            and len(confirmations) == total  # one per submission (a client may post twice)
            and set(confirmations) <= contender_emails
        ),
    }


def check_outbox_untouched(redis: common.ScratchRedis, sink: common.SmtpSink) -> dict:
    """No email was sent during the load: the outbox rows are all queued, the SMTP sink got
    nothing, and one delivery task per row waits in Redis."""
    from outbox.models import OutboundEmail

    statuses = Counter(OutboundEmail.objects.values_list("status", flat=True))
    queued = statuses.get(OutboundEmail.Status.QUEUED, 0)
    tasks_waiting = redis.queue_length("celery")
    return {
        "outbox_rows": sum(statuses.values()),
        "outbox_statuses": dict(statuses),
        "smtp_messages_received": sink.count,
        "delivery_tasks_waiting_in_redis": tasks_waiting,
        "ok": queued == sum(statuses.values()) and sink.count == 0 and tasks_waiting == queued,
    }


def queries_per_request(letter) -> dict:
    """The SQL of one GET of the sign page and of one POST (new organisation; then the same
    organisation again), through Django's test client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(enforce_csrf_checks=True, HTTP_HOST=common.LOOPBACK)
    path = f"/letters/{letter.slug}/sign/"
    with CaptureQueriesContext(connection) as get_queries:
        page = client.get(path)
    if page.status_code != 200:
        raise RuntimeError(f"GET {path}: {page.status_code}")
    result = {"GET sign page": _sql_list(get_queries)}
    token = common.csrf_token(page.content)
    for label, email in (
        ("POST new organisation", "counter@bench.undersigned.test"),
        ("POST same organisation again", "other@bench.undersigned.test"),
    ):
        form = {
            "csrfmiddlewaretoken": token,
            "organisation_name": "Bench Query Counter",
            "based_in": "Geneva",
            "signer_name": "Query Counter",
            "signer_title": "Director",
            "signer_email": email,
            "visibility": "public",
            "consent": "on",
            "website": "",
        }
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(path, form)
        if answer.status_code != 302:
            raise RuntimeError(f"{label}: {answer.status_code}")
        result[label] = _sql_list(queries)
    return result


def _sql_list(queries) -> dict:
    statements = [q["sql"] for q in queries.captured_queries]
    return {
        "count": len(statements),
        "sql": [s if len(s) < 240 else s[:237] + "..." for s in statements],
    }


def profile_signing(letter, count: int, out_path: Path) -> list[str]:
    """cProfile of `count` GET + POST pairs through the test client (the whole Django stack,
    minus gunicorn): where the signing path spends its Python time."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_HOST=common.LOOPBACK)
    path = f"/letters/{letter.slug}/sign/"
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(count):
        page = client.get(path)
        client.post(
            path,
            {
                "csrfmiddlewaretoken": common.csrf_token(page.content),
                "organisation_name": f"Bench Profiled {index:06d}",
                "based_in": "Geneva",
                "signer_name": "Profiled Signer",
                "signer_email": f"profiled-{index}@bench.undersigned.test",
                "visibility": "public",
                "consent": "on",
                "website": "",
            },
        )
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(buffer.getvalue())
    return buffer.getvalue().splitlines()


def drain_outbox(env, sink: common.SmtpSink, log_path: Path, timeout: float) -> dict:
    """Start a worker now that the load is over; every queued email reaches the sink once."""
    from outbox.models import OutboundEmail

    expected = OutboundEmail.objects.count()
    started = time.perf_counter()
    with common.CeleryWorker(env=env, log_path=log_path) as worker:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            worker.check_alive()
            if not OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).exists():
                break
            time.sleep(0.5)
    elapsed = time.perf_counter() - started
    statuses = Counter(OutboundEmail.objects.values_list("status", flat=True))
    message_ids = sink.message_ids()
    return {
        "outbox_rows": expected,
        "outbox_statuses": dict(statuses),
        "smtp_messages_received": len(message_ids),
        "distinct_message_ids": len(set(message_ids)),
        "seconds": round(elapsed, 1),
        "ok": statuses.get(OutboundEmail.Status.SENT, 0) == expected
        and len(message_ids) == expected
        and len(set(message_ids)) == expected,
    }


# --- The run ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--duration", type=float, default=20.0, help="seconds of load per scenario, in all"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="split each scenario's time into this many slices, taken in turn (signing, bare "
        "insert, bare text, signing, ...) so that both sides of the ratio see the same machine",
    )
    parser.add_argument("--contention-duration", type=float, default=5.0)
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds per scenario, unmeasured"
    )
    parser.add_argument("--max-operations", type=int, default=100_000, help="per slice")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="with --worker-class gthread")
    parser.add_argument("--skip-bare-text", action="store_true")
    parser.add_argument(
        "--spread",
        type=int,
        default=8,
        metavar="N",
        help="also sign N letters at once, client k on letter k mod N, against the one hot "
        "letter of the signing scenario (issue 16, goal 5); 0: not measured",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="after the load, cProfile N in-process signings (GET + POST) into bench/results/",
    )
    parser.add_argument(
        "--no-drain",
        action="store_true",
        help="do not start a worker to deliver the queued emails after the load",
    )
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.concurrency < 1 or args.duration <= 0:
        parser.error("--rounds, --concurrency and --duration must be positive")
    return args


def phase_row(name: str, result: common.LoadResult, count: int, label: str) -> dict:
    latency = common.latency_summary(result.exchanges, label)
    return {
        "phase": name,
        "concurrency": result.concurrency,
        "seconds": round(result.elapsed, 2),
        "operations": result.operations,
        "successes": count,
        "per_second": round(result.rate(count), 1),
        "server_cpu_ms_per_success": result.server_cpu_ms_per(count),
        "latency_label": label,
        "latency": latency,
        "all_requests": {
            lbl: common.latency_summary(result.exchanges, lbl)
            for lbl in sorted({e.label for e in result.exchanges})
        },
        "connections_closed_by_server": result.closed_by_server,
        "cpu_cores": common.cpu_cores(result.cpu_seconds),
        "failures": result.failures[:5],
    }


# Above this many cores busy with something else, the machine was not quiet.
BUSY_MACHINE_CORES = 0.25


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.stop_on_signals()
    report: dict = {"benchmark": "signing", "arguments": vars(args), "checks": {}}
    failures: list[str] = []
    warnings: list[str] = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(common.exclusive_run())
        database = stack.enter_context(common.ScratchDatabase())
        redis = stack.enter_context(common.ScratchRedis())
        sink = stack.enter_context(common.SmtpSink())
        static_root = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="undersigned-bench-static-")
        )
        port = common.free_port()
        env = common.server_env(
            database_url=database.url,
            redis_url=redis.url,
            email_url=sink.url,
            static_root=static_root,
            port=port,
            # The sign form's abuse limits would refuse a benchmark from one address.
            extra={"SIGN_RATE_PER_CLIENT": "1000000000", "SIGN_RATE_PER_LETTER": "1000000000"},
        )
        print("preparing: scratch database, migrate, collectstatic ...", flush=True)
        common.setup_django(env)
        common.prepare_database()
        from django.db import connections

        stack.callback(connections.close_all)
        stack.callback(common.drop_bench_rows_table)
        throughput_letter = make_open_letter("Benchmark letter: throughput")
        contention_letter = make_open_letter("Benchmark letter: contention")
        spread_letters = [
            make_open_letter(f"Benchmark letter: one of {args.spread}, number {n + 1}")
            for n in range(args.spread)
        ]
        report["machine"] = common.machine_and_versions(redis.url)
        connections.close_all()  # nothing of this process holds a connection during the load

        logs = common.results_path("signing", "")
        gunicorn = stack.enter_context(
            common.Gunicorn(
                port=port,
                env=env,
                log_path=Path(f"{logs}-gunicorn.log"),
                workers=args.workers,
                worker_class=args.worker_class,
                threads=args.threads,
            )
        )
        report["server"] = gunicorn.describe()
        print(f"gunicorn up on {common.LOOPBACK}:{port} {gunicorn.describe()}", flush=True)
        cpu = common.CpuMeter(server_group=gunicorn.process.pid)

        scenarios = {
            # A new visitor signs for a new organisation each time.
            "signing": sign_operation(
                slug=throughput_letter.slug,
                organisation_of=lambda client, index: f"{THROUGHPUT_PREFIX} {index:09d}",
                email_of=lambda client, index: f"signer-{index}@bench-{index % 97}.example.org",
            ),
            "bare insert": bare_insert_operation,
        }
        if spread_letters:
            # The same visitors, each client on a letter of its own: what one hot letter costs.
            scenarios["signing, spread"] = spread_operation(spread_letters)
        if not args.skip_bare_text:
            scenarios["bare text"] = bare_text_operation
        slices: dict[str, list[common.LoadResult]] = {name: [] for name in scenarios}
        warmups: dict[str, common.LoadResult] = {}

        def run(name, operation, duration, *, first_index, measure=True):
            result = common.run_load(
                name,
                operation,
                port=port,
                concurrency=args.concurrency,
                duration=duration,
                max_operations=args.max_operations,
                first_index=first_index,
                cpu=cpu if measure else None,
            )
            gunicorn.check_alive()
            return result

        # Each slice numbers its operations apart, so every organisation name is new.
        if args.warmup:
            print(f"warm-up: {args.warmup:g} s per scenario ...", flush=True)
            for name, operation in scenarios.items():
                warmups[name] = run(name, operation, args.warmup, first_index=0, measure=False)
        slice_seconds = args.duration / args.rounds
        for number in range(1, args.rounds + 1):
            for name, operation in scenarios.items():
                print(
                    f"round {number}/{args.rounds}: {name}, {args.concurrency} clients, "
                    f"{slice_seconds:g} s ...",
                    flush=True,
                )
                slices[name].append(
                    run(name, operation, slice_seconds, first_index=number * args.max_operations)
                )
        signing = common.merge_results("signing", slices["signing"])
        bare_insert = common.merge_results("bare insert", slices["bare insert"])
        spread = (
            common.merge_results("signing, spread", slices["signing, spread"])
            if spread_letters
            else None
        )

        # Contention: everybody signs for the same organisation, on a letter of its own.
        print(
            f"contention: {args.concurrency} clients, one organisation, "
            f"{args.contention_duration:g} s ...",
            flush=True,
        )
        contention = run(
            "contention",
            sign_operation(
                slug=contention_letter.slug,
                organisation_of=lambda client, index: CONTENDED_NAME,
                email_of=lambda client, index: f"contender-{client.number}@example.org",
            ),
            args.contention_duration,
            first_index=0,
        )

        def accepted(outcomes) -> int:
            return sum(1 for o in outcomes if o.accepted)

        def answered_ok(statuses) -> int:
            return sum(1 for status in statuses if 200 <= status < 400)

        rows = [
            phase_row(
                "signing (GET form + POST)", signing, accepted(signing.outcomes), "POST sign"
            ),
            phase_row(
                "bare insert (one INSERT)",
                bare_insert,
                answered_ok(bare_insert.outcomes),
                "POST bare insert",
            ),
        ]
        if not args.skip_bare_text:
            bare_text = common.merge_results("bare text", slices["bare text"])
            rows.append(
                phase_row(
                    "bare text (fixed string)",
                    bare_text,
                    answered_ok(bare_text.outcomes),
                    "GET bare text",
                )
            )
        if spread is not None:
            rows.append(
                phase_row(
                    f"signing, {len(spread_letters)} letters (client k on letter k mod "
                    f"{len(spread_letters)})",
                    spread,
                    accepted(spread.outcomes),
                    "POST sign",
                )
            )
        rows.append(
            phase_row(
                "contention (same organisation)",
                contention,
                accepted(contention.outcomes),
                "POST sign",
            )
        )
        report["phases"] = rows
        for phase in rows:
            no_good = sum(
                n
                for summary in phase["all_requests"].values()
                for code, n in summary["statuses"].items()
                if code.startswith("5") or code == "0"
            )
            phase["server_errors_or_no_answer"] = no_good
            if no_good or phase["failures"]:
                failures.append(
                    f"{phase['phase']}: {no_good} 5xx or no answer, "
                    f"{len(phase['failures'])} client failures"
                )
            other = phase["cpu_cores"].get("other", 0.0)
            if other > BUSY_MACHINE_CORES:
                warnings.append(
                    f"{phase['phase']}: {other} cores busy with other work on the machine"
                )

        # The checks, before anything else touches the database or Redis.
        checks = report["checks"]
        warm_signing = warmups["signing"].outcomes if "signing" in warmups else []
        checks["throughput"] = check_throughput(
            throughput_letter,
            warm_signing + signing.outcomes,
            f"/letters/{throughput_letter.slug}/sign/sent/",
        )
        if spread is not None:
            warm_spread = warmups["signing, spread"].outcomes if warmups else []
            checks["spread"] = check_spread(spread_letters, warm_spread + spread.outcomes)
        checks["contention"] = check_contention(
            contention_letter,
            contention.outcomes,
            f"/letters/{contention_letter.slug}/sign/sent/",
        )
        checks["no_email_sent_during_load"] = check_outbox_untouched(redis, sink)
        inserts = answered_ok(bare_insert.outcomes) + answered_ok(
            warmups["bare insert"].outcomes if "bare insert" in warmups else []
        )
        bench_rows = common.count_bench_rows()
        checks["bare_insert"] = {
            "accepted_posts": inserts,
            "rows": bench_rows,
            "ok": bench_rows == inserts,
        }

        signing_row, bare_row = rows[0], rows[1]
        report["figure"] = {
            "signatures_per_second": signing_row["per_second"],
            "bare_insert_rows_per_second": bare_row["per_second"],
            "ratio_signing_to_bare_insert": _ratio(
                signing_row["per_second"], bare_row["per_second"]
            ),
            "server_cpu_ms_per_signature": signing_row["server_cpu_ms_per_success"],
            "server_cpu_ms_per_bare_insert": bare_row["server_cpu_ms_per_success"],
            # The same ratio from CPU cost, which other load on the machine barely moves.
            "cpu_ratio_bare_insert_to_signing": _ratio(
                bare_row["server_cpu_ms_per_success"], signing_row["server_cpu_ms_per_success"]
            ),
        }
        if not args.skip_bare_text:
            report["figure"]["bare_text_per_second"] = next(
                row["per_second"] for row in rows if row["phase"].startswith("bare text")
            )
        if spread is not None:
            spread_row = next(row for row in rows if row["phase"].startswith("signing, "))
            report["figure"]["spread_signatures_per_second"] = spread_row["per_second"]
            # One hot letter against the same load over several: 1.0 means it does not
            # serialise on the letter's row.
            report["figure"]["ratio_hot_letter_to_spread"] = _ratio(
                signing_row["per_second"], spread_row["per_second"]
            )

        # What one request costs in SQL (and, with --profile, in Python).
        report["queries"] = queries_per_request(throughput_letter)
        if args.profile:
            profile_path = Path(f"{logs}-profile.txt")
            print(f"profiling {args.profile} in-process signings ...", flush=True)
            profile_signing(throughput_letter, args.profile, profile_path)
            report["profile"] = str(profile_path)

        if not args.no_drain:
            print("draining the outbox with a Celery worker ...", flush=True)
            checks["drain"] = drain_outbox(
                env, sink, Path(f"{logs}-worker.log"), args.drain_timeout
            )

        for name, check in checks.items():
            if not check["ok"]:
                failures.append(f"check {name} failed: {check}")
        report["failures"] = failures
        report["warnings"] = warnings
        path = common.write_results("signing", report)
        print_report(report)
        print(f"\nresults: {path}")
    if warnings:
        print("\nWARNING (figures disturbed):\n  " + "\n  ".join(warnings), file=sys.stderr)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def print_report(report: dict) -> None:
    machine = report["machine"]
    print()
    print(
        f"machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
        f"Python {machine['python']}, Django {machine['django']}, gunicorn {machine['gunicorn']} "
        f"({report['server']['workers']} {report['server']['worker_class']} workers), "
        f"PostgreSQL {machine.get('postgresql', '?')}, Redis {machine.get('redis', '?')}, "
        f"commit {machine.get('commit', '?')}"
    )
    print()
    common.print_table(
        [
            "phase",
            "conc",
            "s",
            "ok",
            "per s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "CPU ms/ok",
            "statuses",
            "5xx",
        ],
        [
            [
                p["phase"],
                p["concurrency"],
                p["seconds"],
                p["successes"],
                p["per_second"],
                p["latency"]["p50_ms"],
                p["latency"]["p95_ms"],
                p["latency"]["p99_ms"],
                p["server_cpu_ms_per_success"],
                " ".join(f"{k}:{v}" for k, v in p["latency"]["statuses"].items()),
                p["server_errors_or_no_answer"],
            ]
            for p in report["phases"]
        ],
    )
    print("\nCPU cores busy during each phase (of " + str(machine["cpu_count"]) + "):")
    for p in report["phases"]:
        print(f"  {p['phase']}: " + ", ".join(f"{k} {v}" for k, v in p["cpu_cores"].items()))
    signing = report["phases"][0]["all_requests"]
    if "GET sign" in signing:
        get = signing["GET sign"]
        print(
            f"\nsign page GET: p50 {get['p50_ms']} ms, p95 {get['p95_ms']} ms, "
            f"p99 {get['p99_ms']} ms"
        )
    figure = report["figure"]
    print(
        f"\nFIGURE: {figure['signatures_per_second']} signatures/s vs "
        f"{figure['bare_insert_rows_per_second']} bare inserts/s -> ratio "
        f"{figure['ratio_signing_to_bare_insert']}"
    )
    print(
        f"server CPU (gunicorn + PostgreSQL + Redis) per signature "
        f"{figure['server_cpu_ms_per_signature']} ms, per bare insert "
        f"{figure['server_cpu_ms_per_bare_insert']} ms -> ratio "
        f"{figure['cpu_ratio_bare_insert_to_signing']}"
    )
    checks = report["checks"]
    t = checks["throughput"]
    print(
        f"integrity: {t['accepted_posts']} accepted POSTs, {t['signature_rows']} signatures, "
        f"{t['organisations_created']} organisations; lost {t['lost']}, doubled {t['doubled']}"
        f", saved-but-unacknowledged {t['saved_but_not_acknowledged']}"
        f" -> {'OK' if t['ok'] else 'FAIL'}"
    )
    c = checks["contention"]
    print(
        f"contention: {c['posts']} POSTs for one organisation -> {c['counted_signatures']} "
        f"counted, {c['awaiting_confirmation']} awaiting confirmation, {c['organisations']} "
        f"organisations, answers {c['answers']}, 5xx {c['server_errors']}, confirmation "
        f"requests queued {c['confirmation_requests_queued']} -> {'OK' if c['ok'] else 'FAIL'}"
    )
    o = checks["no_email_sent_during_load"]
    print(
        f"email: after the load {o['outbox_rows']} outbox rows {o['outbox_statuses']}, "
        f"{o['delivery_tasks_waiting_in_redis']} tasks waiting in Redis, "
        f"{o['smtp_messages_received']} messages at the SMTP sink -> {'OK' if o['ok'] else 'FAIL'}"
    )
    b = checks["bare_insert"]
    print(
        f"bare insert: {b['accepted_posts']} accepted, {b['rows']} rows -> "
        f"{'OK' if b['ok'] else 'FAIL'}"
    )
    if "drain" in checks:
        d = checks["drain"]
        print(
            f"drain: worker delivered {d['smtp_messages_received']} messages "
            f"({d['distinct_message_ids']} distinct Message-IDs) for {d['outbox_rows']} rows "
            f"in {d['seconds']} s -> {'OK' if d['ok'] else 'FAIL'}"
        )
    print("\nqueries per request:")
    for label, q in report["queries"].items():
        print(f"  {label}: {q['count']}")


if __name__ == "__main__":
    sys.exit(main())
