"""The security tests share one data set per module, built once and rolled back at the end."""

import pytest
from django.db import transaction
from django.test import override_settings

from .world import build_world


@pytest.fixture(scope="session")
def tiny_pdf() -> bytes:
    """A real, one-line PDF: the summaries' content is not what these tests are about."""
    from summaries.pdf import html_to_pdf

    return html_to_pdf("<p>Summary stand-in.</p>")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory, tiny_pdf):
    """Users of every role and their objects, in a transaction rolled back after the module.

    Tests using it take the `db` fixture as well: each then runs in a savepoint of its own.
    """
    from vpselect.celery import app

    media = tmp_path_factory.mktemp("media")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with (
        pytest.MonkeyPatch.context() as patch,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        patch.setattr("summaries.services.html_to_pdf", lambda html: tiny_pdf)
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            app.conf.task_always_eager = eager
