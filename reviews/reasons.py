"""The clinic's seeded coded reasons (migration 0002) in the reader's language.

A decision keeps the label of its reason as it was when decided (`reason_label`); the seeded
labels are shown translated, a reason the clinic wrote itself is shown as written.
"""

from django.utils.translation import gettext, gettext_noop

SEEDED_REASON_LABELS = frozenset(
    {
        gettext_noop("No acute fracture on MRI"),
        gettext_noop("Pain is controlled by medical therapy"),
        gettext_noop("A contraindication to vertebroplasty is present"),
        gettext_noop("The fracture does not explain the patient's pain"),
        gettext_noop("Please send an MRI with STIR sequence"),
        gettext_noop("Please send INR and platelet count"),
        gettext_noop("Please give the date of the fracture or of the pain onset"),
        gettext_noop("Please answer the radiologist's question"),
        gettext_noop("Clinical judgement of the interventional radiologist"),
        gettext_noop("Imaging reviewed: the findings differ from the referral"),
        gettext_noop("The expected benefit outweighs the risk"),
        gettext_noop("Decision of a multidisciplinary meeting"),
    }
)


def reason_text(label: str) -> str:
    """A coded reason's label in the active language (a seeded one), else as written."""
    return gettext(label) if label in SEEDED_REASON_LABELS else label
