"""The Celery app of the resilience run's workers: VPSelect's own, plus two markers.

While the file `<run dir>/slow-render` exists, a summary render announces itself in
`<run dir>/rendering` (worker name, document id) and takes 3 s longer, so that the run can
kill its worker in the middle of rendering. Every finished render is appended to
`<run dir>/rendered` (worker name, document id). Nothing else changes.
"""

import os
import time
from pathlib import Path

from celery.signals import task_postrun, task_prerun

from vpselect.celery import app

__all__ = ["app"]

RUN_DIR = Path(os.environ["VPSELECT_SCALE_DIR"])
RENDER_TASK = "summaries.render_summary"


@task_prerun.connect
def _announce_render(sender=None, args=None, **kwargs):
    if sender is None or sender.name != RENDER_TASK or not (RUN_DIR / "slow-render").exists():
        return
    (RUN_DIR / "rendering").write_text(f"{sender.request.hostname} {args[0]}\n")
    time.sleep(3)


@task_postrun.connect
def _record_render(sender=None, args=None, state=None, **kwargs):
    if sender is not None and sender.name == RENDER_TASK and state == "SUCCESS":
        with (RUN_DIR / "rendered").open("a") as rendered:
            rendered.write(f"{sender.request.hostname} {args[0]}\n")
