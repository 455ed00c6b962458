"""What reaches the radiologists from below: a submitted referral, and an activated ruleset that
changes an open referral's recommendation, each notice written in the sender's transaction; and
what the physician's pages ask of the review app (its decisions and questions on them)."""

from django.dispatch import receiver

from eligibility.signals import ruleset_impact_found
from patients.models import Referral
from patients.signals import PhysicianPage, physician_page_context, referral_submitted

from . import selectors
from .forms import InformationReplyForm
from .models import NotificationKind
from .outbox import outbox_enqueue
from .services import submission_notify


@receiver(referral_submitted, dispatch_uid="reviews.notify_submission")
def notify_submission(sender, referral, resubmitted: bool, **kwargs) -> None:
    """Queue the radiologists' notification in the outbox, inside the submitting transaction."""
    submission_notify(referral=referral, resubmitted=resubmitted)


@receiver(ruleset_impact_found, dispatch_uid="reviews.notify_ruleset_impact")
def notify_ruleset_impact(sender, referral_id: int, **kwargs) -> None:
    """Queue the "rules changed" notice of the referral in the outbox."""
    outbox_enqueue(kind=NotificationKind.RULES_CHANGED, payload={"referral_id": referral_id})


@receiver(physician_page_context, dispatch_uid="reviews.physician_page_context")
def physician_page_decisions(
    sender, page: str, user, referral: Referral | None = None, **kwargs
) -> dict | None:
    """The radiologists' decisions and questions for a physician's page: the latest decisions
    on the referral list, the referral's own on its page (templates/reviews/
    _referral_decisions.html), the information requests and the answer form on its intake
    (templates/reviews/_information_request.html)."""
    if page == PhysicianPage.LIST:
        return {"review_decisions": list(selectors.recent_decisions_in_effect(user))}
    if referral is None:
        return None
    if page == PhysicianPage.REFERRAL:
        return {"review_decisions": selectors.referral_decisions(referral)}
    if page == PhysicianPage.INTAKE:
        return {"information": _information_request(referral)}
    return None


def _information_request(referral: Referral) -> dict:
    """The referral's information requests and answers, and the answer form while a request
    waits and the referral may be edited."""
    thread = selectors.information_thread(referral)
    open_request = selectors.open_information_request(thread)
    answerable = open_request is not None and referral.is_editable_by_physician
    return {
        "thread": thread,
        "open_request": open_request,
        "form": InformationReplyForm() if answerable else None,
    }
