"""What a physician still has to answer, worded as on the intake form (patients.questions)."""

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from patients.questions import question_for_path

# Inputs the intake form does not ask as such.
OTHER_QUESTIONS: dict[str, Promise] = {
    "levels": _("Which vertebral levels are to be treated?"),
    "patient.sex": _("The patient's sex"),
    "patient.date_of_birth": _("The patient's date of birth"),
}
_LEVEL_PATH = re.compile(r"^levels\[(\d+)\]\.\w+$")


def question_for(path: str, case: dict) -> str:
    """The question for a missing input named by its case path, e.g. "L2: Etiology"."""
    question = question_for_path(path)
    text = str(question.label) if question is not None else str(OTHER_QUESTIONS.get(path, path))
    match = _LEVEL_PATH.match(path)
    if match is None:
        return text
    index = int(match.group(1))
    levels = case.get("levels") or []
    label = levels[index].get("level") if index < len(levels) else None
    return f"{label or _('Level %(number)s') % {'number': index + 1}}: {text}"
