"""Rate limits of the read API, counted in the cache by core.ratelimit: anonymous clients per
client (a keyed hash of the address, never stored), tokens per token. Over the limit, DRF
answers 429 with Retry-After (the seconds left in the window)."""

import time

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from core import ratelimit

from .models import ApiToken


def anonymous_limit() -> ratelimit.Limit:
    return ratelimit.Limit(settings.API_RATE_ANONYMOUS_PER_MINUTE, 60)


def token_limit() -> ratelimit.Limit:
    return ratelimit.Limit(settings.API_RATE_TOKEN_PER_MINUTE, 60)


class ApiRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view) -> bool:
        if isinstance(request.auth, ApiToken):
            scope, key, limit = "api-token", str(request.auth.pk), token_limit()
        else:
            scope, key, limit = "api-anonymous", ratelimit.client_key(request), anonymous_limit()
        self.limit = limit
        return ratelimit.hit(scope, key, limit)

    def wait(self) -> float:
        seconds = self.limit.seconds
        return seconds - int(time.time()) % seconds
