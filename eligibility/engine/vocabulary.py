"""The engine's closed vocabulary: rule kinds, finding statuses and recommendations."""

from enum import StrEnum


class RuleKind(StrEnum):
    """What a met rule means for a level."""

    INDICATION = "indication"
    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class Status(StrEnum):
    """The three-valued outcome of one rule on one level."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Recommendation(StrEnum):
    """The recommendation for a level or a referral, declared most favourable first."""

    ELIGIBLE = "eligible"
    REVIEW = "review"
    INCOMPLETE = "incomplete"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def favourability(self) -> int:
        """Higher is more favourable: eligible 3, review 2, incomplete 1, not_eligible 0."""
        return _FAVOURABILITY[self._value_]


# Most favourable first: the referral takes the first of these that any level has.
RECOMMENDATION_ORDER: tuple[Recommendation, ...] = tuple(Recommendation)
_FAVOURABILITY = {
    rec.value: len(RECOMMENDATION_ORDER) - 1 - i for i, rec in enumerate(RECOMMENDATION_ORDER)
}
