"""A recorded or countersigned review decision gets a new summary PDF, rendered on commit."""

import logging

from django.db import transaction
from django.dispatch import receiver

from reviews.signals import decision_countersigned, decision_recorded

from .services import summary_for_decision_create

logger = logging.getLogger(__name__)


def _create_summary(decision) -> None:
    # A failure here must not undo the decision: it is logged, and staff can still generate
    # the PDF on demand from the summary page. The one savepoint is what lets the decision
    # commit when the summary's insert or update fails in the database. The referral is
    # already locked by the deciding transaction (reviews.signals).
    try:
        with transaction.atomic():
            summary_for_decision_create(decision=decision)
    except Exception:
        logger.exception("no summary created for decision %s", decision.pk)


@receiver(decision_recorded, dispatch_uid="summaries.summary_for_decision")
def summary_for_decision(sender, decision, **kwargs) -> None:
    """Create the pending summary of a new decision inside the decision's transaction."""
    _create_summary(decision)


@receiver(decision_countersigned, dispatch_uid="summaries.summary_for_countersignature")
def summary_for_countersignature(sender, decision, **kwargs) -> None:
    """A countersignature changes what the summary says: make a new one, superseding the last."""
    _create_summary(decision)
