"""The worker's crash after a Redis connection loss (issue 13), reproduced without a worker.

What Celery's consumer does when the connection drops: the kombu Connection is collected
(its transport detached: `transport.client = None`), then the remaining channels are closed by
the bootsteps, which puts their unacknowledged messages back. With kombu's own transport that raised
AttributeError("'NoneType' object has no attribute 'hostname'") — an error the worker does not
recover from — and the message stayed unacknowledged in Redis for the visibility timeout.
"""

import uuid

import pytest
from kombu import Connection


def _redis(redis_url: str):
    import redis

    return redis.Redis.from_url(redis_url)


@pytest.mark.parametrize(
    "transport",
    [
        "core.redis_transport:Transport",
        pytest.param(
            "redis",
            marks=pytest.mark.xfail(
                raises=AttributeError, strict=True, reason="kombu's own transport: the crash"
            ),
        ),
    ],
)
def test_closing_a_channel_of_a_detached_transport_puts_its_messages_back(redis_url, transport):
    queue = f"test-restore-{uuid.uuid4().hex}"
    with Connection(redis_url, transport=transport) as producer:
        producer.SimpleQueue(queue).put({"n": 1})

    connection = Connection(redis_url, transport=transport)
    channel = connection.channel()
    consumer_queue = connection.SimpleQueue(queue, channel=channel)
    message = consumer_queue.get(timeout=5)  # delivered, not acknowledged
    assert message.payload == {"n": 1}
    assert _redis(redis_url).llen(queue) == 0

    # The state the worker's consumer reaches after a connection loss: the connection is
    # collected, which detaches its transport, while a channel with unacknowledged messages is
    # still open (not every channel is the transport's to close: the task consumer's, the
    # gossip and event channels are closed by their bootsteps afterwards).
    connection._do_close_transport()
    channel.close()

    # The message is back in its queue, for the next worker.
    assert _redis(redis_url).llen(queue) == 1
    with Connection(redis_url, transport=transport) as again:
        back = again.SimpleQueue(queue).get(timeout=5)
        assert back.payload == {"n": 1}
        back.ack()
