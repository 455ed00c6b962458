"""The browser tests refresh the README's pictures only when asked."""

from tests.e2e.conftest import publish_docs_image


def test_screenshots_leave_the_readme_pictures_alone_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("VPSELECT_UPDATE_DOCS_IMAGES", raising=False)
    target = tmp_path / "docs"
    monkeypatch.setattr("tests.e2e.conftest.DOCS_IMAGES", target)
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"png")

    assert publish_docs_image(shot, "intake.png") is False
    assert not target.exists()


def test_make_docs_images_copies_the_screenshot_over_the_picture(tmp_path, monkeypatch):
    monkeypatch.setenv("VPSELECT_UPDATE_DOCS_IMAGES", "1")
    target = tmp_path / "docs"
    monkeypatch.setattr("tests.e2e.conftest.DOCS_IMAGES", target)
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"png")

    assert publish_docs_image(shot, "intake.png") is True
    assert (target / "intake.png").read_bytes() == b"png"
