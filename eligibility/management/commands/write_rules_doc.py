"""`manage.py write_rules_doc`: regenerate docs/rules.md from the rule definitions."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from eligibility.engine import render_rules_markdown

RULES_DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


class Command(BaseCommand):
    # Needs settings only: no system checks, no database.
    requires_system_checks: list[str] = []
    help = "Write docs/rules.md from the engine's rules and default thresholds."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit with status 1 when docs/rules.md is out of date.",
        )

    def handle(self, *args, check: bool, **options) -> None:
        # The document describes the shipped defaults, not one clinic's overrides.
        text = render_rules_markdown()
        current = RULES_DOC.read_text(encoding="utf-8") if RULES_DOC.exists() else None
        if check:
            if current != text:
                raise CommandError(
                    f"{RULES_DOC} is out of date: run `python manage.py write_rules_doc`."
                )
            self.stdout.write(f"{RULES_DOC} is up to date.")
            return
        if current == text:
            self.stdout.write(f"{RULES_DOC} is already up to date.")
            return
        RULES_DOC.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {RULES_DOC}.")
