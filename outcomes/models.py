"""What was done (the procedure, level by level) and how the patient fared (follow-ups).

A procedure belongs to an accepted referral and to the accept decision it carried out. Its
six follow-ups are created with it (see `outcomes.schedule`); each records the patient's
pain and function at one interval. Baseline pain is copied onto the procedure when it is
recorded, so outcomes stay comparable whatever happens to the referral later.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.history import history_records
from patients.models import LEVEL_LABELS, Etiology

from .schedule import (
    INTERVALS,
    INTERVALS_BY_KEY,
    FollowUpState,
    Interval,
    follow_up_state,
    overdue_from,
)

# The seed: "Injection of few ml of cement (from 2 to 4 ml)". Outside it is shown, not refused.
USUAL_CEMENT_ML_MIN = 2
USUAL_CEMENT_ML_MAX = 4
CEMENT_ML_MAX = 15
LEVEL_CHOICES = [(label, label) for label in LEVEL_LABELS]


class NeedleApproach(models.TextChoices):
    TRANSPEDICULAR = "transpedicular", _("Transpedicular")
    PARAPEDICULAR = "parapedicular", _("Parapedicular")
    OTHER = "other", _("Other")


class Guidance(models.TextChoices):
    CT = "ct", _("CT")
    FLUOROSCOPY = "fluoroscopy", _("Fluoroscopy")
    BOTH = "both", _("CT and fluoroscopy")


class Anaesthesia(models.TextChoices):
    LOCAL = "local", _("Local")
    SEDATION = "sedation", _("Local with sedation")
    GENERAL = "general", _("General")


class Admission(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient (same day)")
    ADMITTED = "admitted", _("Admitted")


class LeakageSite(models.TextChoices):
    VENOUS = "venous", _("Venous")
    EPIDURAL = "epidural", _("Epidural")
    DISC = "disc", _("Disc")
    SOFT_TISSUE = "soft_tissue", _("Soft tissue")


class Analgesics(models.TextChoices):
    NONE = "none", _("None")
    NON_OPIOID = "non_opioid", _("Non-opioid")
    OPIOID = "opioid", _("Opioid")


class Mobility(models.TextChoices):
    INDEPENDENT = "independent", _("Independent")
    WITH_AID = "with_aid", _("With an aid")
    BEDRIDDEN = "bedridden", _("Bedridden")


class FollowUpStatus(models.TextChoices):
    SCHEDULED = FollowUpState.SCHEDULED.value, _("Scheduled")
    DUE = FollowUpState.DUE.value, _("Due")
    OVERDUE = FollowUpState.OVERDUE.value, _("Overdue")
    COMPLETED = FollowUpState.COMPLETED.value, _("Completed")


INTERVAL_CHOICES = [(interval.key, interval.label) for interval in INTERVALS]


class Procedure(models.Model):
    """One vertebroplasty session for an accepted referral."""

    referral = models.OneToOneField(
        "patients.Referral", on_delete=models.PROTECT, related_name="procedure"
    )
    decision = models.ForeignKey(
        "reviews.ReviewDecision", on_delete=models.PROTECT, related_name="procedures"
    )
    performed_on = models.DateField(_("Procedure date"))
    guidance = models.CharField(max_length=16, choices=Guidance.choices)
    anaesthesia = models.CharField(max_length=16, choices=Anaesthesia.choices)
    admission = models.CharField(max_length=16, choices=Admission.choices)
    # Complications: none, or cement leakage at one or more sites, and/or another one.
    had_complications = models.BooleanField(_("Complications"))
    leakage_sites = models.JSONField(
        default=list, blank=True, help_text=_("LeakageSite values; [] = no cement leakage.")
    )
    leakage_symptomatic = models.BooleanField(null=True, blank=True)
    other_complication = models.TextField(blank=True)
    # Max intake pain NRS over the treated levels, from the evaluation the decision was made on.
    baseline_pain_nrs = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    # Told about follow-ups falling due: the referral's radiologist when recorded.
    responsible_radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_procedures",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = history_records()

    class Meta:
        ordering = ["-performed_on", "-id"]
        indexes = [models.Index(fields=["performed_on"])]

    def __str__(self) -> str:
        return f"Procedure #{self.pk} (referral #{self.referral_id})"

    def get_absolute_url(self) -> str:
        return reverse("outcomes:referral-outcome", args=[self.referral_id])

    @property
    def leakage_site_labels(self) -> list[str]:
        return [str(LeakageSite(site).label) for site in self.leakage_sites]


class TreatedLevel(models.Model):
    """One vertebra injected during a procedure."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(max_length=3, choices=LEVEL_CHOICES)
    # Copied from the intake so the dashboard filters without reading the referral.
    etiology = models.CharField(max_length=16, choices=Etiology.choices, blank=True, default="")
    cement_volume_ml = models.DecimalField(
        _("Cement volume (ml)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(CEMENT_ML_MAX)],
    )
    approach = models.CharField(max_length=16, choices=NeedleApproach.choices)

    history = history_records()

    class Meta:
        ordering = ["procedure", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "level"], name="treated_level_unique")
        ]

    def __str__(self) -> str:
        return self.level

    @property
    def volume_outside_usual_range(self) -> bool:
        return not USUAL_CEMENT_ML_MIN <= self.cement_volume_ml <= USUAL_CEMENT_ML_MAX


class FollowUp(models.Model):
    """The patient's state at one interval after the procedure; empty until recorded."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="follow_ups")
    interval = models.CharField(max_length=10, choices=INTERVAL_CHOICES)
    target_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED
    )
    assessed_on = models.DateField(null=True, blank=True)
    pain_nrs = models.PositiveSmallIntegerField(
        _("Pain NRS"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    analgesics = models.CharField(max_length=12, choices=Analgesics.choices, blank=True)
    mobility = models.CharField(max_length=12, choices=Mobility.choices, blank=True)
    back_to_usual_activities = models.BooleanField(null=True, blank=True)
    new_fracture = models.BooleanField(null=True, blank=True)
    new_fracture_level = models.CharField(max_length=3, choices=LEVEL_CHOICES, blank=True)
    new_fracture_date = models.DateField(null=True, blank=True)
    # Scores only: the questionnaires themselves are not reproduced here.
    odi_pct = models.PositiveSmallIntegerField(
        _("Oswestry Disability Index (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    roland_morris = models.PositiveSmallIntegerField(
        _("Roland-Morris score"), null=True, blank=True, validators=[MaxValueValidator(24)]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    # Set when the patient's answers need a call (fever, wound, weakness); cleared once called.
    needs_call = models.BooleanField(default=False)

    history = history_records()

    class Meta:
        ordering = ["procedure", "target_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "interval"], name="follow_up_unique")
        ]
        indexes = [
            models.Index(fields=["status", "target_date"]),
            # The due list and its older page (outcomes.selectors.open_follow_ups).
            models.Index(
                fields=["target_date", "id"],
                name="follow_up_open",
                condition=~models.Q(status="completed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interval_spec.label} follow-up of procedure #{self.procedure_id}"

    @property
    def interval_spec(self) -> Interval:
        return INTERVALS_BY_KEY[self.interval]

    @property
    def is_completed(self) -> bool:
        return self.status == FollowUpStatus.COMPLETED

    def state_on(self, today) -> FollowUpState:
        """The follow-up's state on `today`, computed (the stored status may be a day behind)."""
        return follow_up_state(
            interval=self.interval_spec,
            target_date=self.target_date,
            completed=self.is_completed,
            today=today,
        )

    def overdue_from(self):
        return overdue_from(self.interval_spec, self.target_date)


class FollowUpReminder(models.Model):
    """An in-app reminder that a follow-up fell due or overdue, for one recipient."""

    class Kind(models.TextChoices):
        DUE = "due", _("Due")
        OVERDUE = "overdue", _("Overdue")
        NEEDS_CALL = "needs_call", _("Patient needs a call")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_up_reminders"
    )
    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The daily task may run twice a day: each reminder still goes out once.
            models.UniqueConstraint(
                fields=["recipient", "follow_up", "kind"], name="follow_up_reminder_once"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: follow-up #{self.follow_up_id}"

    @property
    def text(self) -> str:
        """One line for staff (page and e-mail): the referral number, never patient data."""
        follow_up = self.follow_up
        number, interval = follow_up.procedure.referral_id, follow_up.interval_spec.label
        if self.kind == self.Kind.NEEDS_CALL:
            return _(
                "Referral #{number}: the patient's answers to the {interval} questionnaire "
                "need a call."
            ).format(number=number, interval=interval)
        if self.kind == self.Kind.OVERDUE:
            return _("Referral #{number}: {interval} follow-up is overdue.").format(
                number=number, interval=interval
            )
        return _("Referral #{number}: {interval} follow-up is due.").format(
            number=number, interval=interval
        )


# --- Patient-reported outcomes ------------------------------------------------------------


class Language(models.TextChoices):
    """Languages the patient pages and messages are written in."""

    ENGLISH = "en", "English"
    ITALIAN = "it", "Italiano"


class PatientContact(models.Model):
    """How and whether the clinic may contact a patient for follow-up questionnaires.

    Kept in the outcomes app, one-to-one with the patient: contact is asked for follow-up.
    """

    class OptOutSource(models.TextChoices):
        STAFF = "staff", _("Recorded by the clinic")
        LINK = "link", _("From the questionnaire link")

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="contact"
    )
    email = models.EmailField(_("E-mail"), blank=True)
    mobile = models.CharField(_("Mobile number"), max_length=20, blank=True)
    consent_to_contact = models.BooleanField(_("Consents to be contacted"), default=False)
    consent_recorded_on = models.DateField(_("Consent date"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opt_out_source = models.CharField(
        max_length=8, choices=OptOutSource.choices, blank=True, default=""
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = history_records()

    def __str__(self) -> str:
        return f"Contact of patient #{self.patient_id}"

    @property
    def may_be_contacted(self) -> bool:
        return (
            self.consent_to_contact
            and self.opted_out_at is None
            and bool(self.email or self.mobile)
        )


class QuestionnaireInvitation(models.Model):
    """The invitation of one follow-up to the patient's questionnaire, and its reminders.

    One per follow-up, so a second run of the daily task never invites twice.
    """

    follow_up = models.OneToOneField(FollowUp, on_delete=models.CASCADE, related_name="invitation")
    language = models.CharField(max_length=2, choices=Language.choices)
    by_email = models.BooleanField(default=False)
    by_sms = models.BooleanField(default=False)
    invited_on = models.DateField()
    invited_at = models.DateTimeField(default=timezone.now)
    reminded_2_days_at = models.DateTimeField(null=True, blank=True)
    reminded_7_days_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-invited_at", "-id"]
        indexes = [models.Index(fields=["answered_at", "invited_on"])]

    def __str__(self) -> str:
        return f"Questionnaire invitation for follow-up #{self.follow_up_id}"

    @property
    def reminders_sent(self) -> int:
        return (self.reminded_2_days_at is not None) + (self.reminded_7_days_at is not None)


class QuestionnaireLink(models.Model):
    """One personal link sent to the patient; only the SHA-256 of its token is kept."""

    class Message(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER_2_DAYS = "reminder_2", _("Reminder after 2 days")
        REMINDER_7_DAYS = "reminder_7", _("Reminder after 7 days")

    invitation = models.ForeignKey(
        QuestionnaireInvitation, on_delete=models.CASCADE, related_name="links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    message = models.CharField(max_length=10, choices=Message.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    first_opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_message_display()} link of invitation #{self.invitation_id}"


class PatientReport(models.Model):
    """The patient's own answers for one follow-up (the patient-reported part)."""

    follow_up = models.OneToOneField(
        FollowUp, on_delete=models.CASCADE, related_name="patient_report"
    )
    questionnaire_key = models.CharField(max_length=64)
    questionnaire_version = models.PositiveSmallIntegerField()
    answers = models.JSONField(help_text=_("Answer values by question key, as submitted."))
    language = models.CharField(max_length=2, choices=Language.choices)
    submitted_at = models.DateTimeField(default=timezone.now)
    # Denormalised for the dashboard and the due list.
    pain_now_nrs = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    needs_call = models.BooleanField(default=False)
    reminders_before = models.PositiveSmallIntegerField(default=0)
    after_call = models.BooleanField(default=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Patient report for follow-up #{self.follow_up_id}"


class CohortTally(models.Model):
    """How many of a cohort's procedures, treated levels, follow-ups, invitations or patient
    reports share one value of a dashboard figure (outcomes.cohort.cohort_counts), for the
    whole cohort and for each etiology, level and etiology at a level. The dashboard reads a
    few hundred of these rows instead of the cohort; the services that record keep them
    (outcomes.services.tallies), `cohort_tally_rebuild` rebuilds them."""

    # Which cohort: "" (all), "etiology=…", "level=…" or "etiology=…&level=…".
    cohort = models.CharField(max_length=60, default="")
    measure = models.CharField(max_length=16)
    value = models.CharField(max_length=200)  # the values counted, as a JSON list
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "measure", "value"], name="cohort_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cohort or 'all'} {self.measure} {self.value}: {self.count}"
