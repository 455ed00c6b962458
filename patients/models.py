"""Patients, their vertebroplasty referrals and the target levels of each referral.

Every clinical answer maps one-to-one to a key of the case schema
(../shared/clinical/case.schema.json); `patients.cases.referral_case` builds the case.
A nullable field means the answer may be unknown: NULL (or "" for choices) is unknown.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .history import history_records
from .languages import clinic_language

LEVEL_LABELS: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    *(f"S{i}" for i in range(1, 6)),
)


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class Etiology(models.TextChoices):
    OSTEOPOROSIS = "osteoporosis", _("Osteoporosis")
    METASTASIS = "metastasis", _("Metastasis")
    MYELOMA = "myeloma", _("Myeloma")
    HEMANGIOMA = "hemangioma", _("Haemangioma (vertebral angioma)")
    TRAUMATIC = "traumatic", _("Traumatic (non-osteoporotic)")
    OTHER = "other", _("Other")


TUMOUR_ETIOLOGIES = frozenset({Etiology.METASTASIS, Etiology.MYELOMA, Etiology.HEMANGIOMA})


class RadicularCause(models.TextChoices):
    VERTEBRAL_COLLAPSE = "vertebral_collapse", _("Caused by the vertebral body collapse")
    UNRELATED_COMPRESSION = "unrelated_compression", _("Compression unrelated to the collapse")


class Allergy(models.TextChoices):
    CEMENT = "cement", _("Bone cement (PMMA)")
    CONTRAST = "contrast", _("Contrast medium")
    ANESTHETIC = "anesthetic", _("Local anaesthetic")
    OTHER = "other", _("Other required component")


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(
        "MRN", max_length=32, help_text=_("Medical record number in this clinic.")
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=8, choices=Sex.choices)
    # The patient's letters, messages and pages are in this language (patients/languages.py).
    preferred_language = models.CharField(
        _("Preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=clinic_language,
        help_text=_("The patient copy of the summary and the patient's messages use it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = history_records()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_per_clinic")
        ]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patients:patient-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


# The radiologists' worklist order: flagged (review) first, then incomplete, eligible,
# not eligible. Used by reviews.selectors and by the index that serves that order.
WORKLIST_RANK = models.Case(
    models.When(flagged=True, then=models.Value(0)),
    models.When(recommendation="incomplete", then=models.Value(1)),
    models.When(recommendation="eligible", then=models.Value(2)),
    models.When(recommendation="not_eligible", then=models.Value(3)),
    default=models.Value(4),
    output_field=models.IntegerField(),
)
WAITING_STATUSES = ("submitted", "under_review")


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        INFORMATION_REQUESTED = "information_requested", _("Information requested")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals"
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    # Optimistic locking: bumped by every state change and edit; a decision posted against
    # an older version is refused.
    version = models.PositiveIntegerField(default=1)
    assigned_radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_referrals",
    )
    # The latest evaluation and its outcome, kept here so lists sort and filter cheaply.
    latest_evaluation = models.ForeignKey(
        "eligibility.Evaluation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recommendation = models.CharField(max_length=16, blank=True, default="")
    flagged = models.BooleanField(default=False)

    # Answers of the case schema (referral level). NULL / "" = unknown.
    assessed_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("The day the patient was assessed; fracture ages are counted to it."),
    )
    pain_controlled_by_medical_therapy = models.BooleanField(null=True, blank=True)
    coagulopathy = models.BooleanField(null=True, blank=True)
    coagulopathy_corrected = models.BooleanField(null=True, blank=True)
    inr = models.DecimalField(
        "INR",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    platelets = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Platelet count, ×10⁹/L."),
    )
    systemic_infection = models.BooleanField(null=True, blank=True)
    local_infection = models.BooleanField(null=True, blank=True)
    # A list of Allergy values; [] = none known; NULL = not asked.
    allergies = models.JSONField(null=True, blank=True)
    radicular_pain = models.BooleanField(null=True, blank=True)
    radicular_cause = models.CharField(
        max_length=24, choices=RadicularCause.choices, blank=True, default=""
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    history = history_records()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["physician", "-updated_at"]),
            models.Index(fields=["status", "recommendation", "submitted_at"]),
            # Hands PostgreSQL the worklist's first page in order instead of sorting every
            # waiting referral (docs/performance.md: 70.7 ms -> 4.0 ms on 20,000 referrals).
            models.Index(
                WORKLIST_RANK,
                "submitted_at",
                "id",
                name="referral_worklist_queue",
                condition=models.Q(status__in=WAITING_STATUSES),
            ),
            # The worklist's counts per status read it alone (an index-only scan), instead of
            # visiting every waiting referral's row (25 x: 19,790 rows over 8,700 pages).
            models.Index(
                "status",
                "id",
                name="referral_waiting_status",
                condition=models.Q(status__in=WAITING_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("patients:referral-detail", args=[self.pk])

    @property
    def is_editable_by_physician(self) -> bool:
        return self.status in PHYSICIAN_EDITABLE_STATUSES


# The statuses in which the referring physician may change and submit a referral.
PHYSICIAN_EDITABLE_STATUSES = frozenset(
    {Referral.Status.DRAFT, Referral.Status.INFORMATION_REQUESTED}
)
# Each status as the pages name it.
REFERRAL_STATUS_LABELS = dict(Referral.Status.choices)


class TargetLevel(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(max_length=3, choices=[(label, label) for label in LEVEL_LABELS])
    etiology = models.CharField(max_length=16, choices=Etiology.choices, blank=True, default="")
    pain_nrs = models.PositiveSmallIntegerField(
        "Pain NRS", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    fracture = models.BooleanField(null=True, blank=True)
    fracture_date = models.DateField(null=True, blank=True)
    imaging_acute = models.BooleanField(null=True, blank=True)
    high_fracture_risk = models.BooleanField(null=True, blank=True)
    osteomyelitis = models.BooleanField(null=True, blank=True)
    canal_compromise_pct = models.DecimalField(
        "Canal compromise (%)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    epidural_extension = models.BooleanField(null=True, blank=True)

    history = history_records()

    class Meta:
        ordering = ["referral", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "level"], name="target_level_unique")
        ]

    def __str__(self) -> str:
        return self.level
