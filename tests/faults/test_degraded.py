"""The request path without Redis (issue 13): a Redis server of the test's own, killed or
hung, under the real cache backend (core.cache.ResilientRedisCache) and the real broker."""

import json
import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from core import cache as core_cache
from core import ratelimit
from tests.faults.conftest import reset_producers


@pytest.fixture
def redis_cache(redis_server, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }
    core_cache.breaker.reset()
    yield caches["default"]
    core_cache.breaker.reset()


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_killed_redis_reads_as_a_miss_and_counts_locally(redis_server, redis_cache):
    redis_cache.set("fragment", "<p>cached</p>")
    assert redis_cache.get("fragment") == "<p>cached</p>"
    redis_server.kill()
    value, seconds = _timed(lambda: redis_cache.get("fragment"))
    assert value is None  # rendered again by the caller
    assert seconds < 0.5
    assert core_cache.redis_unavailable()
    # The rate limit still limits, in this process.
    limit = ratelimit.Limit(count=2, seconds=60)
    assert [ratelimit.hit("test", "client", limit) for _ in range(3)] == [True, True, False]


def _commands(client, before) -> dict[str, int]:
    """The Redis commands run since `before` (INFO commandstats), by name, with their count."""
    after = client.info("commandstats")
    calls = {
        name: after[name]["calls"] - before.get(name, {}).get("calls", 0)
        for name in after
        if name.startswith("cmdstat_")
        and after[name]["calls"] != before.get(name, {}).get("calls", 0)
    }
    for own in ("cmdstat_info", "cmdstat_hello", "cmdstat_client|setinfo"):
        calls.pop(own, None)  # this test's own, and the cache's connection handshake
    return calls


def test_a_rate_limit_counts_in_redis_in_one_round_trip(redis_server, redis_cache):
    """Issue 16: INCR and EXPIRE in one pipeline, where add-then-incr took three commands."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    before = client.info("commandstats")
    limit = ratelimit.Limit(count=2, seconds=60)

    results = [ratelimit.hit("test", "client", limit) for _ in range(3)]

    calls = _commands(client, before)
    assert results == [True, True, False]
    # redis-py's incr is INCRBY: one INCRBY and one EXPIRE per attempt, nothing else.
    assert calls == {"cmdstat_incrby": 3, "cmdstat_expire": 3}
    [key] = client.keys("*rl:test:client:*")
    assert 60 < client.ttl(key) <= 65


def test_limits_that_apply_together_count_in_one_round_trip(redis_server, redis_cache):
    """The sign form's two limits (the client's, the letter's): one script call each time,
    and a client over its own limit is not counted against the letter's."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    own, shared = ratelimit.Limit(count=2, seconds=60), ratelimit.Limit(count=10, seconds=60)
    ratelimit.hit_all(("warm", "x", own))  # the script is loaded once (EVALSHA, then EVAL)
    before = client.info("commandstats")

    results = [ratelimit.hit_all(("client", "one", own), ("letter", "7", shared)) for _ in range(4)]

    calls = _commands(client, before)
    assert results == [True, True, False, False]
    assert calls.pop("cmdstat_evalsha") == 4  # one round trip per attempt
    assert set(calls) <= {"cmdstat_incr", "cmdstat_expire"}
    [letter_key] = client.keys("*rl:letter:7:*")
    assert int(client.get(letter_key)) == 2  # the refused attempts did not count against it
    [client_key] = client.keys("*rl:client:one:*")
    assert 60 < client.ttl(client_key) <= 65


def test_limits_that_apply_together_still_limit_with_redis_killed(redis_server, redis_cache):
    own, shared = ratelimit.Limit(count=2, seconds=60), ratelimit.Limit(count=3, seconds=60)
    redis_server.kill()

    first = [ratelimit.hit_all(("client", "a", own), ("letter", "7", shared)) for _ in range(3)]
    # Another client: its own limit is fresh, the letter's has counted 2 of 3.
    second = [ratelimit.hit_all(("client", "b", own), ("letter", "7", shared)) for _ in range(2)]

    assert first == [True, True, False]
    assert second == [True, False]
    assert core_cache.redis_unavailable()


def test_a_hung_redis_costs_one_short_timeout_then_nothing(redis_server, redis_cache):
    redis_cache.set("fragment", "x")
    redis_server.hang()
    try:
        _, first = _timed(lambda: redis_cache.get("fragment"))
        _, second = _timed(lambda: redis_cache.get("fragment"))
    finally:
        redis_server.resume()
    assert first < 0.5, first
    assert second < 0.01, second  # the breaker is open: Redis is not tried


def test_redis_is_used_again_once_it_answers(redis_server, redis_cache):
    redis_server.kill()
    redis_cache.set("k", "local")  # kept by the stand-in
    redis_server.start()
    core_cache.breaker.open_until = 0  # the breaker's period is over
    redis_cache.set("k", "redis")
    assert redis_cache.get("k") == "redis"
    assert not core_cache.redis_unavailable()


def test_publishing_a_task_with_the_broker_down_returns_at_once_and_raises_nothing(
    redis_server, redis_cache
):
    from config.celery import app
    from core.broker import publish
    from outbox.tasks import send_emails

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=redis_server.url)
    reset_producers(app)
    try:
        redis_server.kill()
        published, seconds = _timed(lambda: publish(send_emails, ([1],)))
        assert published is False
        assert seconds < 3
        # Known down: not even tried.
        published, seconds = _timed(lambda: publish(send_emails, ([1],)))
        assert (published, seconds < 0.05) == (False, True)
    finally:
        app.conf.update(saved)
        reset_producers(app)


@pytest.mark.django_db
def test_healthz_names_the_degraded_parts_and_stays_200(client, redis_server, redis_cache):
    with override_settings(CELERY_BROKER_URL=redis_server.url):
        from config.celery import app

        saved = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            healthy = json.loads(client.get("/healthz").content)
            redis_server.kill()
            response = client.get("/healthz")
        finally:
            app.conf.task_always_eager = saved
    assert healthy["status"] == "ok", healthy
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["degraded"] == ["cache", "broker"]
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1" not in response.content.decode()  # no host, no URL, no password


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    from config import views

    def down():
        raise ConnectionError("no database")

    monkeypatch.setattr(views, "_check_database", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["status"] == "down"


def test_the_cache_keeps_one_redis_client_and_it_outlives_a_restart(
    redis_server, redis_cache, monkeypatch
):
    """Django's cache made a redis-py client for every operation (issue 16): now one per
    connection pool, and the same one serves again once Redis is back after a restart."""
    import redis

    made = []
    real_init = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        made.append(1)
        real_init(self, *args, **kwargs)

    redis_cache.set("warm", 1)
    monkeypatch.setattr(redis.Redis, "__init__", counting)

    for n in range(5):
        redis_cache.set(f"k{n}", n)
        assert redis_cache.get(f"k{n}") == n
    assert made == []

    redis_server.kill()
    redis_server.start()
    made.clear()  # start() made one, to wait for the server's answer
    core_cache.breaker.reset()
    redis_cache.set("after", "restart")

    assert redis_cache.get("after") == "restart"
    assert made == []


def test_the_broker_keeps_one_redis_client_per_pool_and_a_new_one_with_a_new_pool(
    redis_server, monkeypatch
):
    """kombu made a redis-py client for every message it published (issue 16): the channel
    keeps one per connection pool, and makes a new one when kombu replaces its pool (as it
    does after a connection loss)."""
    import redis
    from kombu import Connection

    queue = "test-kept-client"
    made = []
    real_init = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        made.append(1)
        real_init(self, *args, **kwargs)

    with Connection(redis_server.url, transport="core.redis_transport:Transport") as connection:
        simple = connection.SimpleQueue(queue)
        simple.put({"n": 0})
        monkeypatch.setattr(redis.Redis, "__init__", counting)
        for n in range(1, 6):
            simple.put({"n": n})
        assert made == []

        simple.channel._disconnect_pools()  # what kombu does when the connection is lost
        simple.put({"n": 6})
        assert len(made) == 1  # a client on the new pool
        simple.put({"n": 7})
        assert len(made) == 1

    monkeypatch.undo()
    client = redis.Redis.from_url(redis_server.url)
    assert client.llen(queue) == 8
