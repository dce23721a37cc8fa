"""Benchmark: the public letter page with 10,000 signatories, against a bare Django view, in
the same run, on the same production-shaped gunicorn (DESIGN.md §10); and the time to export
the letter with 10,000 signatories as PDF and as CSV.

    DATABASE_URL=… .venv/bin/python bench/letter_page.py            # defaults: 10,000, 4 clients
    .venv/bin/python bench/letter_page.py --signatories 1000 --duration 10

What is measured:
1. The letter page (anonymous, list public while collecting, 10,000 approved signatories in six
   places, 2% of them counted only), its embed, the page searching its list (`?q=`), and GET
   /bench/text/ (a fixed string through the project's middleware), in interleaved rounds so
   that all see the same machine. Each client says `Accept-Encoding: gzip, deflate, br`, as a
   browser does (`--identity`: none). The figure is the ratio of requests per second to the
   fixed string's. The page is served from the cache (Redis) after the first request; the cold
   first request is timed on its own, and the bytes each answer carries are reported.
2. The SQL queries of one page request, cold and warm (in this process, with the same code).
3. Export times, in this process: the public PDF laid out by WeasyPrint, the public CSV and the
   coordinators' CSV streamed to the end; then the PDF over HTTP: the first request (503, being
   prepared), the worker's rendering (run in this process), the stored PDF.

Results: a table on stdout and bench/results/letter-page-<time>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402 - after the path is set

PLACES = ("Tibet", "Hong Kong", "East Turkestan", "China", "United Kingdom", "United States")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatories", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per scenario")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per scenario")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--identity",
        action="store_true",
        help="clients that do not accept gzip (no Accept-Encoding)",
    )
    return parser.parse_args(argv)


BROWSER_ENCODINGS = {"Accept-Encoding": "gzip, deflate, br"}


def make_letter(signatories: int):
    """An open letter whose list is public while it collects, signed by `signatories`
    organisations (bulk inserts: how they signed is the signing benchmark's business)."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import COORDINATORS
    from letters import services
    from letters.models import Letter, LetterVersion, Signature
    from organisations.models import Organisation
    from organisations.names import normalise_name

    author = User.objects.create(email="bench-coordinator@example.org", name="Bench")
    author.groups.add(Group.objects.get(name=COORDINATORS))
    letter = services.create_letter(
        author=author,
        title="Benchmark letter: 10,000 signatories",
        body="We, the undersigned organisations, urge you to raise human rights.\n\n" * 8,
        recipient="The Secretary of State",
        signatories_public_while_open=True,
    )
    services.open_letter(letter=letter, actor=author)
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bench Organisation {n:05d}",
                normalised_name=normalise_name(f"Bench Organisation {n:05d}"),
                slug=f"bench-organisation-{n:05d}",
                based_in=PLACES[n % len(PLACES)],
            )
            for n in range(signatories)
        ],
        batch_size=2000,
    )
    version = LetterVersion.objects.get(letter=letter, is_current=True)
    now = timezone.now()
    Signature.objects.bulk_create(
        [
            Signature(
                letter=letter,
                organisation=organisation,
                version=version,
                version_hash=version.content_hash,
                signer_name=f"Signer {n}",
                signer_email=f"signer{n}@bench.example.org",
                visibility=Signature.Visibility.COUNTED_ONLY
                if n % 50 == 0
                else Signature.Visibility.PUBLIC,
                status=Signature.Status.APPROVED,
                consented_at=now,
                confirmed_at=now,
                decided_at=now,
            )
            for n, organisation in enumerate(organisations)
        ],
        batch_size=2000,
    )
    return Letter.objects.get(pk=letter.pk), author


def queries_per_request(letter) -> dict:
    """The page's SQL, with an empty cache and with a warm one (this process's cache is the
    same Redis as the servers')."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    client = Client(HTTP_HOST=common.LOOPBACK)  # the servers' ALLOWED_HOSTS
    with CaptureQueriesContext(connection) as cold:
        client.get(letter.get_absolute_url())
    with CaptureQueriesContext(connection) as warm:
        response = client.get(letter.get_absolute_url())
    if response.status_code != 200:
        raise RuntimeError(f"the letter page answered {response.status_code} in this process")
    return {
        "cold": len(cold),
        "warm": len(warm),
        "warm_sql": [q["sql"][:160] for q in warm],
        "page_bytes": len(response.content),
    }


def export_times(letter, author) -> dict:
    """Seconds to produce each export of the letter with all its signatories."""
    from letters import exports, selectors

    timings: dict[str, float] = {}
    signatories = selectors.public_signatories(letter)
    version = selectors.current_version_of(letter)
    start = time.perf_counter()
    pdf = exports.render_pdf(letter, signatories, version)
    timings["pdf_public_render_s"] = round(time.perf_counter() - start, 2)
    timings["pdf_bytes"] = len(pdf)
    start = time.perf_counter()
    size = sum(len(line) for line in exports.public_csv(signatories))
    timings["csv_public_s"] = round(time.perf_counter() - start, 3)
    timings["csv_public_bytes"] = size
    start = time.perf_counter()
    size = sum(len(line) for line in exports.coordinator_csv(letter))
    timings["csv_coordinator_s"] = round(time.perf_counter() - start, 3)
    timings["csv_coordinator_bytes"] = size
    return timings


def http_pdf_times(port: int, path: str, letter) -> dict:
    """A request never renders the PDF: the first answers "being prepared" (503) at once and
    queues the rendering; the worker's part (letters.render_letter_pdf) runs here, in this
    process, on the same Redis; then the request serves the stored PDF."""
    from django.conf import settings

    from letters.selectors import PUBLIC_EDITION
    from letters.tasks import render_letter_pdf

    client = common.Client(port, timeout=120)
    try:
        cold = client.request("GET", path, label="GET pdf")
        start = time.perf_counter()
        render_letter_pdf(letter.pk, PUBLIC_EDITION, settings.LANGUAGE_CODE)
        rendered = time.perf_counter() - start
        cached = client.request("GET", path, label="GET pdf")
    finally:
        client.close()
    return {
        "cold_status": cold.status,
        "cold_ms": round(cold.seconds * 1000, 1),
        "worker_render_s": round(rendered, 2),
        "cached_status": cached.status,
        "cached_ms": round(cached.seconds * 1000, 1),
        "bytes": len(cached.body),
    }


def get_operation(path: str, label: str, headers: dict[str, str]):
    def operation(client: common.Client, index: int) -> int:
        return client.request("GET", path, label=label, headers=headers).status

    return operation


def transfer_sizes(port: int, paths: dict[str, str], headers: dict[str, str]) -> dict:
    """What one answer of each carries: its body's bytes as sent, and its encoding."""
    client = common.Client(port, timeout=60)
    sizes = {}
    try:
        for name, path in paths.items():
            answer = client.request("GET", path, label=f"size {name}", headers=headers)
            sizes[name] = {
                "status": answer.status,
                "bytes": len(answer.body),
                "content_encoding": answer.headers.get("content-encoding", "identity"),
            }
    finally:
        client.close()
    return sizes


def phase_row(name: str, result: common.LoadResult, label: str) -> dict:
    ok = sum(1 for status in result.outcomes if status == 200)
    server_cpu = sum(result.cpu_seconds.get(part, 0.0) for part in common.SERVER_PARTS)
    return {
        "phase": name,
        "concurrency": result.concurrency,
        "seconds": round(result.elapsed, 1),
        "ok": ok,
        "per_second": round(result.rate(ok), 1),
        "latency": common.latency_summary(result.exchanges, label),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / ok, 3) if ok else None,
        "cpu_cores": common.cpu_cores(result.cpu_seconds),
        "failures": result.failures[:5],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.stop_on_signals()
    report: dict = {"benchmark": "letter page", "arguments": vars(args)}
    failures: list[str] = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(common.exclusive_run())
        database = stack.enter_context(common.ScratchDatabase())
        redis = stack.enter_context(common.ScratchRedis())
        static_root = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="undersigned-bench-static-")
        )
        mail_dir = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="undersigned-bench-mail-")
        )
        port = common.free_port()
        env = common.server_env(
            database_url=database.url,
            redis_url=redis.url,
            # Production refuses the console backend (it would print live links); the page
            # sends nothing, a folder stands in for a mail server.
            email_url=f"filemail://{mail_dir}",
            static_root=static_root,
            port=port,
        )
        print("preparing: scratch database, migrate, collectstatic ...", flush=True)
        common.setup_django(env)
        common.prepare_database()
        from django.db import connections

        stack.callback(connections.close_all)
        stack.callback(common.drop_bench_rows_table)
        print(f"creating a letter with {args.signatories:,} signatories ...", flush=True)
        letter, author = make_letter(args.signatories)
        report["machine"] = common.machine_and_versions(redis.url)
        report["queries"] = queries_per_request(letter)
        print("export times (in this process) ...", flush=True)
        report["exports"] = export_times(letter, author)
        from django.core.cache import cache

        cache.clear()  # the servers start cold
        connections.close_all()

        logs = common.results_path("letter-page", "")
        gunicorn = stack.enter_context(
            common.Gunicorn(
                port=port, env=env, log_path=Path(f"{logs}-gunicorn.log"), workers=args.workers
            )
        )
        report["server"] = gunicorn.describe()
        cpu = common.CpuMeter(server_group=gunicorn.process.pid)
        path = letter.get_absolute_url()

        first = common.Client(port, timeout=120)
        cold = first.request("GET", path, label="cold")
        first.close()
        report["cold_first_request_ms"] = round(cold.seconds * 1000, 1)
        if cold.status != 200:
            failures.append(f"the letter page answered {cold.status}")

        headers = {} if args.identity else BROWSER_ENCODINGS
        paths = {
            "letter page": path,
            "embed": f"{path}embed/",
            "search (?q=)": f"{path}?q=Organisation+00042",
            "bare text": "/bench/text/",
        }
        labels = {name: f"GET {name}" for name in paths}
        scenarios = {
            name: get_operation(target, labels[name], headers) for name, target in paths.items()
        }
        report["transfer"] = transfer_sizes(port, paths, headers)
        slices: dict[str, list[common.LoadResult]] = {name: [] for name in scenarios}
        if args.warmup:
            for name, operation in scenarios.items():
                common.run_load(
                    name, operation, port=port, concurrency=args.concurrency, duration=args.warmup
                )
        for number in range(1, args.rounds + 1):
            for name, operation in scenarios.items():
                print(f"round {number}/{args.rounds}: {name} ...", flush=True)
                slices[name].append(
                    common.run_load(
                        name,
                        operation,
                        port=port,
                        concurrency=args.concurrency,
                        duration=args.duration / args.rounds,
                        cpu=cpu,
                    )
                )
                gunicorn.check_alive()
        rows = [
            phase_row(name, common.merge_results(name, results), labels[name])
            for name, results in slices.items()
        ]
        report["phases"] = rows
        page, bare = rows[0], rows[-1]
        report["figure"] = {
            "letter_page_per_second": page["per_second"],
            "bare_text_per_second": bare["per_second"],
            "ratio_page_to_bare": round(page["per_second"] / bare["per_second"], 3)
            if bare["per_second"]
            else None,
            "ratios_to_bare": {
                row["phase"]: round(row["per_second"] / bare["per_second"], 3)
                if bare["per_second"]
                else None
                for row in rows[:-1]
            },
            "server_cpu_ms_per_page": page["server_cpu_ms_per_request"],
            "server_cpu_ms_per_bare_text": bare["server_cpu_ms_per_request"],
        }
        for row in rows:
            bad = sum(n for code, n in row["latency"]["statuses"].items() if code != "200")
            if bad or row["failures"]:
                failures.append(f"{row['phase']}: {bad} answers other than 200")

        print("the PDF over HTTP, being prepared then served ...", flush=True)
        report["pdf_over_http"] = pdf = http_pdf_times(port, f"{path}letter.pdf", letter)
        if (pdf["cold_status"], pdf["cached_status"]) != (503, 200):
            failures.append(
                f"the PDF answered {pdf['cold_status']} then {pdf['cached_status']}, not 503 "
                "(being prepared) then 200"
            )
        report["failures"] = failures
        out = common.write_results("letter-page", report)
        print_report(report)
        print(f"\nresults: {out}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


def print_report(report: dict) -> None:
    machine = report["machine"]
    print(
        f"\nmachine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), Python "
        f"{machine['python']}, Django {machine['django']}, gunicorn {machine['gunicorn']} "
        f"({report['server']['workers']} {report['server']['worker_class']} workers), "
        f"PostgreSQL {machine.get('postgresql', '?')}, Redis {machine.get('redis', '?')}\n"
    )
    common.print_table(
        ["phase", "conc", "s", "ok", "per s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/req"],
        [
            [
                row["phase"],
                row["concurrency"],
                row["seconds"],
                row["ok"],
                row["per_second"],
                row["latency"]["p50_ms"],
                row["latency"]["p95_ms"],
                row["latency"]["p99_ms"],
                row["server_cpu_ms_per_request"],
            ]
            for row in report["phases"]
        ],
    )
    figure = report["figure"]
    print(
        "\nratios to the bare view: "
        + ", ".join(f"{name} {ratio}" for name, ratio in figure["ratios_to_bare"].items())
        + "; bytes sent: "
        + ", ".join(
            f"{name} {size['bytes']:,} ({size['content_encoding']})"
            for name, size in report["transfer"].items()
        )
    )
    print(
        f"letter page / bare view: {figure['ratio_page_to_bare']} "
        f"({figure['letter_page_per_second']} vs {figure['bare_text_per_second']} req/s); "
        f"cold first request {report['cold_first_request_ms']} ms; "
        f"queries cold {report['queries']['cold']}, warm {report['queries']['warm']}; "
        f"page {report['queries']['page_bytes']:,} bytes"
    )
    exports = report["exports"]
    pdf = report["pdf_over_http"]
    print(
        f"exports of {report['arguments']['signatories']:,} signatories: PDF "
        f"{exports['pdf_public_render_s']} s ({exports['pdf_bytes']:,} bytes; over HTTP the "
        f"first request {pdf['cold_ms']} ms (503, being prepared), the worker's rendering "
        f"{pdf['worker_render_s']} s, then {pdf['cached_ms']} ms), public CSV "
        f"{exports['csv_public_s']} s, coordinators' CSV {exports['csv_coordinator_s']} s"
    )


if __name__ == "__main__":
    sys.exit(main())
