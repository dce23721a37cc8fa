"""make run's periodic work: beat's schedule run in a thread of the server (issue 13)."""

import pytest

from core import embedded


@pytest.mark.parametrize(
    ("argv", "run_main", "enabled", "expected"),
    [
        (["manage.py", "runserver"], "true", True, True),
        (["manage.py", "runserver"], None, True, False),  # the autoreloader's watcher
        (["manage.py", "runserver", "--noreload"], None, True, True),
        (["manage.py", "migrate"], "true", True, False),
        (["manage.py", "runserver"], "true", False, False),
    ],
)
def test_it_starts_only_in_the_serving_process_of_make_run(
    settings, monkeypatch, argv, run_main, enabled, expected
):
    settings.EMBEDDED_SCHEDULER = enabled
    if run_main:
        monkeypatch.setenv("RUN_MAIN", run_main)
    else:
        monkeypatch.delenv("RUN_MAIN", raising=False)
    assert embedded.should_start(argv) is expected


@pytest.mark.django_db
def test_due_entries_run_at_once_then_at_their_interval(monkeypatch):
    from config.celery import app

    ran: list[str] = []

    def tick():
        ran.append("tick")

    monkeypatch.setitem(app.tasks, "test.tick", app.task(tick, name="test.tick"))
    schedule = {"tick": {"task": "test.tick", "schedule": 10}}
    next_run: dict[str, float] = {}
    assert embedded.run_due(schedule, next_run, now=100.0) == ["tick"]
    assert embedded.run_due(schedule, next_run, now=105.0) == []
    assert embedded.run_due(schedule, next_run, now=110.0) == ["tick"]
    assert ran == ["tick", "tick"]


@pytest.mark.django_db
def test_a_failing_task_is_logged_and_the_others_still_run(monkeypatch, caplog):
    from config.celery import app

    def boom():
        raise RuntimeError("boom")

    ran: list[str] = []

    def ok():
        ran.append("ok")

    monkeypatch.setitem(app.tasks, "test.boom", app.task(boom, name="test.boom"))
    monkeypatch.setitem(app.tasks, "test.ok", app.task(ok, name="test.ok"))
    schedule = {
        "boom": {"task": "test.boom", "schedule": 60},
        "ok": {"task": "test.ok", "schedule": 60},
    }
    assert embedded.run_due(schedule, {}, now=0.0) == ["boom", "ok"]
    assert ran == ["ok"]
    assert "embedded scheduler: boom failed" in caplog.text


@pytest.mark.django_db
def test_the_real_schedule_closes_a_letter_past_its_deadline(coordinator):
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from letters import services
    from letters.models import Letter

    letter = services.create_letter(
        author=coordinator,
        title="T",
        body="B",
        recipient="R",
        summary="S",
        deadline=timezone.now() + dt.timedelta(days=1),
    )
    services.open_letter(letter=letter, actor=coordinator)
    Letter.objects.filter(pk=letter.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    embedded.run_due(dict(settings.CELERY_BEAT_SCHEDULE), {}, now=0.0)
    assert Letter.objects.get(pk=letter.pk).status == Letter.Status.CLOSED
