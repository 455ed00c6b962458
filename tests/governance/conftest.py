# Governance's tasks (replay, impact) run in-process as eligibility's do: the same fixture.
from tests.eligibility.conftest import in_process_celery  # noqa: F401
