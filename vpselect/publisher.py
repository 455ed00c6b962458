"""The one background publisher: hands work to Celery after the commit, off the request thread.

A slow or absent broker must never hold the web request, and the change being reported is
already committed whatever the broker does. So the publishing call (`outbox_publish`,
`summary_enqueue`, which never raise and leave their row for a periodic sweep when the
broker is down) runs on one background thread, in order. When Celery runs tasks in-process
(`make run` without Redis) it runs at once in the calling thread instead.
"""

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from django.db import close_old_connections, transaction

from .celery import app

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _background() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publisher")
        return _executor


def publish(send: Callable[..., object], /, **ids: int) -> None:
    """Call `send(**ids)` on the background publisher (in this thread when tasks run eagerly)."""
    if app.conf.task_always_eager:
        send(**ids)
    else:
        _background().submit(_publish_in_background, send, ids)


def publish_on_commit(send: Callable[..., object], /, **ids: int) -> None:
    """`publish(send, **ids)` once the current transaction commits; nothing if it rolls back."""
    transaction.on_commit(partial(publish, send, **ids))


def _publish_in_background(send: Callable[..., object], ids: dict[str, int]) -> None:
    # This thread has a database connection of its own, kept between publishes as a request
    # thread's is: reused while CONN_MAX_AGE allows and it works, else closed and opened
    # anew. Closing it every time cost every decision a new PostgreSQL backend.
    close_old_connections()
    try:
        send(**ids)
    finally:
        close_old_connections()


def publisher_idle(timeout: float = 10.0) -> None:
    """Wait until the background publishes queued so far are done (tests, shutdown)."""
    marker: Future = _background().submit(lambda: None)
    marker.result(timeout=timeout)
