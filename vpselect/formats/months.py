"""The month names as a date writes them (`|date:"DATE_FORMAT"`, "F"): "5 dicembre 2026".

Django's own Italian catalog capitalises them ("Dicembre"), as a heading would; inside a
date Italian writes them in lower case. Marked here, the twelve names stay in the project's
catalog (`locale/`), which Django reads before its own. A language whose dates capitalise
months translates them capitalised.
"""

from django.utils.translation import gettext_noop

MONTH_NAMES = (
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
)
