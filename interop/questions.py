"""What a physician still has to answer, worded as on the intake form (patients.questions)."""

import re

from patients.questions import question_for_path

# Inputs the intake form does not ask as such.
OTHER_QUESTIONS: dict[str, str] = {
    "levels": "Which vertebral levels are to be treated?",
    "patient.sex": "The patient's sex",
    "patient.date_of_birth": "The patient's date of birth",
}
_LEVEL_PATH = re.compile(r"^levels\[(\d+)\]\.\w+$")


def question_for(path: str, case: dict) -> str:
    """The question for a missing input named by its case path, e.g. "L2: Etiology"."""
    question = question_for_path(path)
    text = question.label if question is not None else OTHER_QUESTIONS.get(path, path)
    match = _LEVEL_PATH.match(path)
    if match is None:
        return text
    index = int(match.group(1))
    levels = case.get("levels") or []
    label = levels[index].get("level") if index < len(levels) else None
    return f"{label or f'Level {index + 1}'}: {text}"
