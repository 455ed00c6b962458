"""How typed numbers and dates are read: exactly as typed, or refused with a reason.

The browser's own number and date controls follow the browser's locale and silently turn
`1,4` into 14 or 02/10/2026 into 10 February; the intake therefore takes text and reads it
here, the same way whatever the browser's language.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# A number as a clinician types it: digits, at most one decimal separator (point or comma).
_NUMBER = re.compile(r"^(?P<sign>[-+]?)(?P<whole>[0-9]*)(?:(?P<sep>[.,])(?P<fraction>[0-9]*))?$")
# Groups of three after a separator (1.000 or 1,000,5) read as a thousands separator in
# half of the clinics: refused rather than guessed.
_GROUPED = re.compile(r"^[-+]?[1-9][0-9]{0,2}(?:[.,' \u00a0\u202f][0-9]{3})+(?:[.,][0-9]*)?$")

NOT_A_NUMBER = _("Enter a number, for example {example}.")
THOUSANDS_SEPARATOR = _(
    "Write the number without a thousands separator: “{text}” could be read two ways."
)
TOO_MANY_DECIMALS = _("Enter at most {places} decimal(s).")
NOT_A_WHOLE_NUMBER = _("Enter a whole number.")
NOT_A_DATE = _("Enter the date as {placeholder} (or as YYYY-MM-DD).")
NO_SUCH_DATE = _("There is no such date: check the day and the month.")
# The letters of a date's placeholder (dd/mm/yyyy), in the reader's language (gg/mm/aaaa).
PLACEHOLDER_DAY = pgettext_lazy("date placeholder: the day's two digits", "dd")
PLACEHOLDER_MONTH = pgettext_lazy("date placeholder: the month's two digits", "mm")
PLACEHOLDER_YEAR = pgettext_lazy("date placeholder: the year's four digits", "yyyy")


class EntryError(ValueError):
    """Typed text that cannot be read as the value asked for; `message` says why."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def parse_decimal(text: str, *, places: int, example: str = "1.4") -> Decimal | None:
    """The number typed, with a point or a comma as decimal separator; None when empty.

    Refused (EntryError): letters, exponents, NaN or infinity, more than one separator, a
    thousands separator, more than `places` decimals. Never rounded.
    """
    text = (text or "").strip()
    if not text:
        return None
    if _GROUPED.match(text) and not _is_plain_decimal(text, places):
        raise EntryError(str(THOUSANDS_SEPARATOR).format(text=text), "thousands")
    match = _NUMBER.match(text)
    if match is None or not (match["whole"] or match["fraction"]):
        raise EntryError(str(NOT_A_NUMBER).format(example=example))
    fraction = match["fraction"] or ""
    if len(fraction) > places:
        if places == 0:
            raise EntryError(str(NOT_A_WHOLE_NUMBER))
        raise EntryError(str(TOO_MANY_DECIMALS).format(places=places))
    number = Decimal(f"{match['sign']}{match['whole'] or '0'}.{fraction or '0'}")
    return number


def _is_plain_decimal(text: str, places: int) -> bool:
    # "1.000" has three decimals: with fewer allowed it can only be a grouped thousand.
    return places >= 3 and text.count(".") + text.count(",") == 1


def parse_int(text: str) -> int | None:
    """A whole number typed (`7`, also `7.0` or `7,0`); None when empty."""
    number = parse_decimal(text, places=1, example="7")
    if number is None:
        return None
    if number != number.to_integral_value():
        raise EntryError(str(NOT_A_WHOLE_NUMBER))
    return int(number)


@dataclass(frozen=True, slots=True)
class DateEntry:
    """The clinic's date format: how dates are typed (also ISO 8601) and the placeholder."""

    input_format: str  # strptime format with a four-digit year, e.g. "%d/%m/%Y"

    @property
    def placeholder(self) -> str:
        """The format as a reader types it: "dd/mm/yyyy", in Italian "gg/mm/aaaa"."""
        return (
            self.input_format.replace("%d", str(PLACEHOLDER_DAY))
            .replace("%m", str(PLACEHOLDER_MONTH))
            .replace("%Y", str(PLACEHOLDER_YEAR))
        )

    def parse(self, text: str) -> date | None:
        """The date typed in the clinic's format or as YYYY-MM-DD; None when empty."""
        text = (text or "").strip()
        if not text:
            return None
        for pattern, fmt in (
            (r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d"),
            (self._pattern(), self.input_format),
        ):
            if re.match(pattern, text):
                try:
                    return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
                except ValueError:
                    raise EntryError(str(NO_SUCH_DATE), "no_such_date") from None
        raise EntryError(str(NOT_A_DATE).format(placeholder=self.placeholder))

    def format(self, value: date) -> str:
        return value.strftime(self.input_format)

    def _pattern(self) -> str:
        # The format with each field as digits: a four-digit year is required.
        pattern = re.escape(self.input_format)
        for directive, digits in (("%d", r"\d{1,2}"), ("%m", r"\d{1,2}"), ("%Y", r"\d{4}")):
            pattern = pattern.replace(re.escape(directive), digits)
        return f"^{pattern}$"
