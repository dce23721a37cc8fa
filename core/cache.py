"""The cache backend of the full stack: Redis, and a local stand-in while Redis does not answer.

Everything the request path keeps in the cache can do without Redis (issue 13):

- cached fragments (the letter page, the list of signatories, rendered Markdown) are rendered
  again instead of read; they are keyed by what they show (the list's version), so nothing
  stale can be read once Redis is back;
- rate-limit counters (ours and allauth's) and allauth's record of used TOTP codes fall back
  to a local-memory cache of this process: the limits still hold, per process instead of for
  the whole site (with two gunicorn workers a client gets at most twice its allowance, for as
  long as the outage lasts). Failing closed instead would refuse every signature and every
  login while Redis is down, which is the harm the outage already is;
- the PDF store and the rest read as a miss and write nowhere (the local stand-in keeps them
  for this process only).

A circuit breaker keeps the cost of an outage to one short timeout per process and per
BREAKER_SECONDS: after a failure every call goes to the local cache at once, without trying
Redis, until the breaker closes again. The socket timeouts (settings.CACHES OPTIONS) are short
so that a hung Redis — one that accepts connections and never answers — costs about 100 ms.

`redis_unavailable()` tells other parts (core.broker's task publishing) that Redis is known to
be down in this process, so that they too skip it instead of waiting on it.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

# How long Redis is left alone after it failed once, before one call tries it again.
BREAKER_SECONDS = 5.0

T = TypeVar("T")


class _Breaker:
    """Per process: open (skip Redis) for BREAKER_SECONDS after a failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open_until = 0.0
        self.failures = 0

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, exc: BaseException) -> None:
        with self._lock:
            first = not self.is_open() and self.failures == 0
            self.failures += 1
            self.open_until = time.monotonic() + BREAKER_SECONDS
        if first:
            # No URL in the message: REDIS_URL may carry a password.
            logger.warning(
                "Redis does not answer (%s); the cache falls back to this process's memory",
                type(exc).__name__,
            )

    def reset(self) -> None:
        with self._lock:
            if self.failures:
                logger.warning("Redis answers again; the cache is back on Redis")
            self.failures = 0
            self.open_until = 0.0


breaker = _Breaker()


def redis_unavailable() -> bool:
    """True while this process knows Redis to be down (the breaker is open)."""
    return breaker.is_open()


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    # ConnectionError and TimeoutError of redis-py; OSError for a socket that died mid-read.
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class _KeptClients(RedisCacheClient):
    """Django's Redis cache client makes a new redis-py client object for every cache
    operation; setting up its response callbacks cost more than the round trip (≈0.1 ms of
    a cache read, issue 16). One client is kept per connection pool instead: redis-py
    clients are thread-safe, and each command still takes a connection from the pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


# core.cache.ResilientRedisCache.count_first_over: count each key in turn (INCR, then EXPIRE),
# and stop at the first over its limit; its 1-based index, or 0.
_COUNT_SCRIPT = """
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[2 * i - 1])
  if count > tonumber(ARGV[2 * i]) then
    return i
  end
end
return 0
"""


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, which answers from a local-memory cache when Redis fails."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _KeptClients
        self._errors = _redis_errors()
        self.local = LocMemCache(
            f"undersigned-fallback-{id(self)}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": 10_000}},
        )

    def _call(self, redis_call: Callable[[], T], local_call: Callable[[], T]) -> T:
        if breaker.is_open():
            return local_call()
        try:
            result = redis_call()
        except self._errors as exc:
            breaker.trip(exc)
            return local_call()
        if breaker.failures:
            breaker.reset()
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self.local.add(key, value, timeout, version),
        )

    def get(self, key, default=None, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            lambda: self.local.get(key, default, version),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self.local.set(key, value, timeout, version),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            lambda: self.local.touch(key, timeout, version),
        )

    def delete(self, key, version=None):
        # Deleted in both: an entry the stand-in kept must not outlive a deletion.
        self.local.delete(key, version)
        return self._call(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: False,
        )

    def get_many(self, keys, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            lambda: self.local.get_many(keys, version),
        )

    def has_key(self, key, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            lambda: self.local.has_key(key, version),
        )

    def incr(self, key, delta=1, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            lambda: self.local.incr(key, delta, version),
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            lambda: self.local.set_many(data, timeout, version),
        )

    def delete_many(self, keys, version=None):
        self.local.delete_many(keys, version)
        return self._call(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            lambda: None,
        )

    def clear(self):
        self.local.clear()
        return self._call(lambda: super(ResilientRedisCache, self).clear(), lambda: None)

    def count(self, key: str, timeout: int) -> int:
        """Add one to the counter at `key` and return it, in one round trip to Redis (INCR and
        EXPIRE in a pipeline): the rate limits' counter (core.ratelimit). The expiry is set
        again at each count; the limits key their counters by window, so that only keeps a
        window's counter a little longer than the window."""

        def redis_count() -> int:
            client = self._cache.get_client(key, write=True)
            redis_key = self.make_and_validate_key(key)
            pipeline = client.pipeline(transaction=False)
            pipeline.incr(redis_key)
            pipeline.expire(redis_key, timeout)
            value, _expiry_set = pipeline.execute()
            return int(value)

        return self._call(redis_count, lambda: self._local_count(key, timeout))

    def _local_count(self, key: str, timeout: int) -> int:
        if self.local.add(key, 1, timeout):
            return 1
        try:
            return self.local.incr(key)
        except ValueError:  # expired between the two
            self.local.add(key, 1, timeout)
            return 1

    def count_first_over(self, counters: Sequence[tuple[str, int, int]]) -> int | None:
        """Count one at each (key, timeout, limit), in order, stopping at the first counter
        that goes over its limit: its index, or None when none did. The counters after it
        are not counted. One round trip to Redis (a script: INCR and EXPIRE per counter);
        the rate limits that apply together (core.ratelimit.hit_all)."""

        def redis_counts() -> int | None:
            client = self._cache.get_client(counters[0][0], write=True)
            script = self.__dict__.get("_count_script")
            if script is None:  # EVALSHA, and EVAL once if Redis does not know it yet
                script = self.__dict__["_count_script"] = client.register_script(_COUNT_SCRIPT)
            over = script(
                keys=[self.make_and_validate_key(key) for key, _timeout, _limit in counters],
                args=[value for _key, timeout, limit in counters for value in (timeout, limit)],
                client=client,
            )
            return int(over) - 1 if over else None

        def local_counts() -> int | None:
            for index, (key, timeout, limit) in enumerate(counters):
                if self._local_count(key, timeout) > limit:
                    return index
            return None

        return self._call(redis_counts, local_counts)

    def ping(self) -> None:
        """One round trip to Redis, past the breaker (for /healthz); raises if it fails, and
        closes the breaker if it succeeds."""
        self._cache.get_client(write=True).ping()
        breaker.reset()
