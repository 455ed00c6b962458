"""`manage.py write_rules_doc` keeps docs/rules.md equal to the rule definitions."""

import pytest
from django.core.management import CommandError, call_command

from eligibility.engine import render_rules_markdown
from eligibility.management.commands import write_rules_doc


def test_check_passes_when_up_to_date(capsys):
    call_command("write_rules_doc", "--check")
    assert "is up to date" in capsys.readouterr().out


def test_writes_the_document_and_check_fails_when_stale(tmp_path, monkeypatch):
    target = tmp_path / "rules.md"
    monkeypatch.setattr(write_rules_doc, "RULES_DOC", target)
    target.write_text("stale\n", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("write_rules_doc", "--check")
    call_command("write_rules_doc")
    assert target.read_text(encoding="utf-8") == render_rules_markdown()
