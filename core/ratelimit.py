"""Fixed-window rate limits on public forms, kept in the cache (Redis in the full stack).

The client is identified by a keyed hash of its address that lives only in the cache for the
length of the window: no IP address is ever written to the database (DESIGN.md §2).
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def client_key(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    if settings.RATELIMIT_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = forwarded.split(",")[0].strip()
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:24]


def hit(scope: str, key: str, limit: Limit) -> bool:
    """Count one attempt; False when the limit for this window is exceeded. With Redis (the
    full stack's cache, core.cache) one round trip; with another cache, add then incr."""
    window = int(time.time()) // limit.seconds
    cache_key = f"rl:{scope}:{key}:{window}"
    count = getattr(cache, "count", None)
    if count is not None:
        return count(cache_key, limit.seconds + 5) <= limit.count
    if cache.add(cache_key, 1, timeout=limit.seconds + 5):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=limit.seconds + 5)
        return True
    return count <= limit.count


def hit_all(*attempts: tuple[str, str, Limit]) -> bool:
    """hit() for each (scope, key, limit) in turn, stopping at the first that is exceeded
    (those after it do not count the attempt: a client over its own limit cannot use up a
    letter's). False when one is exceeded. With Redis, one round trip for them all."""
    now = int(time.time())
    counters = [
        (f"rl:{scope}:{key}:{now // limit.seconds}", limit.seconds + 5, limit.count)
        for scope, key, limit in attempts
    ]
    count_first_over = getattr(cache, "count_first_over", None)
    if count_first_over is not None:
        return count_first_over(counters) is None
    return all(hit(scope, key, limit) for scope, key, limit in attempts)
