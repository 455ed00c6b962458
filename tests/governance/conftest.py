import pytest


@pytest.fixture(autouse=True)
def in_process_celery(request):
    """Tasks run in-process unless the test uses the real worker (whose session fixture turns
    eager mode off for the rest of the session)."""
    from vpselect.celery import app

    if "celery_worker_process" in request.fixturenames:
        yield
        return
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager
