"""Kombu's Redis transport, with the fix for a worker that died after a Redis connection loss.

The fault (issue 13): with Redis killed under load, 1 worker in 7 stopped for good with
`Unrecoverable error: AttributeError("'NoneType' object has no attribute 'hostname'")`.

The cause (kombu 5.7.0, kombu/transport/redis.py): when the consumer loses its connection,
Celery closes the old kombu Connection, which detaches its transport (`transport.client =
None`, Connection._do_close_transport) and disconnects the channel's pools. Closing a channel
then puts its unacknowledged messages back (virtual QoS.restore_unacked_once, from
Channel.close), which needs a Redis client, so a new pool, so `Channel._connparams()`, which
reads `self.connection.client.hostname`: the client is None by then, and the AttributeError,
not being one of the transport's connection errors, is not the recoverable error Celery
restarts the consumer for. (The same AttributeError on a detached transport has been reported
since kombu 3, celery/kombu#582 and #970.)

The fix: the channel keeps the connection's parameters from when it was opened, and builds
its pool from them when the transport is already detached. The unacknowledged messages are
then put back at once if Redis answers again; if it does not, the restore fails with Redis's
ConnectionError, which is a connection error Celery recovers from (and the messages stay in
Redis's unacked set, restored after the visibility timeout; the outbox's sweeper sends their
rows long before). Used through settings.CELERY_BROKER_TRANSPORT.

And one saving (issue 16): kombu makes a new redis-py client object for every message it
publishes (`conn_or_acquire`), and setting one up (its response callbacks) cost a fifth of a
publish. The channel keeps one client on its connection pool instead, made anew when the pool
is replaced (kombu drops its pools after a connection loss). redis-py clients are thread-safe;
each command still takes a connection from the pool.
"""

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def __init__(self, connection, *args, **kwargs):
        # The kombu Connection (its URL parameters), kept beyond its detachment.
        self._opened_with = connection.client
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous: bool = False) -> dict:
        transport = self.connection
        if transport.client is not None or self._opened_with is None:
            return super()._connparams(asynchronous=asynchronous)
        # Detached transport: lend it the parameters it was opened with for this one call.
        # The consumer's channels are closed by one thread (the worker's main loop).
        transport.client = self._opened_with
        try:
            return super()._connparams(asynchronous=asynchronous)
        finally:
            transport.client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        pool = self.pool
        kept = self.__dict__.get("_kept_client")
        if kept is None or kept.connection_pool is not pool:
            kept = self.__dict__["_kept_client"] = self._create_client()
        yield kept


class Transport(kombu_redis.Transport):
    Channel = Channel
