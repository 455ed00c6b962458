"""What a physician may attach to an answer: PDF, PNG or JPEG, told by content, not by name.

A file is read by the library that opens its kind (pypdf, Pillow): a program or a web page
renamed `report.pdf` is refused, and so is a PNG named `.pdf`. The size limit is the setting
VPSELECT_ATTACHMENT_MAX_BYTES.
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from .models import InformationAttachment

MAX_ATTACHMENTS = 5
PDF, PNG, JPEG = (
    InformationAttachment.ContentType.PDF,
    InformationAttachment.ContentType.PNG,
    InformationAttachment.ContentType.JPEG,
)
EXTENSIONS: dict[str, frozenset[str]] = {
    PDF: frozenset({".pdf"}),
    PNG: frozenset({".png"}),
    JPEG: frozenset({".jpg", ".jpeg"}),
}
KIND_WORDS: dict[str, str] = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG"}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, with what they found."""

    upload: UploadedFile
    name: str
    content_type: str
    size: int
    sha256: str


def max_megabytes() -> str:
    return f"{settings.VPSELECT_ATTACHMENT_MAX_BYTES / (1024 * 1024):g}"


def _shown_name(upload: UploadedFile) -> str:
    # The browser's name without any folder part, shortened: it is shown and offered back.
    return PurePath((upload.name or "file").replace("\\", "/")).name[:200] or "file"


def _pdf(content: bytes) -> bool:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise ValidationError("encrypted")
        return len(reader.pages) > 0
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return False


def _image(content: bytes) -> str | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds for a file that is not an image it reads
        return None
    return {"PNG": PNG, "JPEG": JPEG}.get(kind or "")


def _content_type(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return PDF if _pdf(content) else None
    if content.startswith(b"\x89PNG\r\n\x1a\n") or content.startswith(b"\xff\xd8\xff"):
        return _image(content)
    return None


def check_attachment(upload: UploadedFile) -> CheckedFile:
    """The upload's kind, size and checksum; ValidationError in the physician's words when it
    is too big, empty, not a readable PDF, PNG or JPEG, or named as another kind."""
    name = _shown_name(upload)
    size = upload.size or 0
    if size > settings.VPSELECT_ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is too big: the largest file accepted is %(limit)s MB.")
            % {"name": name, "limit": max_megabytes()},
            code="too_big",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    try:
        content_type = _content_type(content)
    except ValidationError:
        raise ValidationError(
            _("“%(name)s” is a password-protected PDF: send it without a password.")
            % {"name": name},
            code="encrypted",
        ) from None
    if content_type is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a PDF, PNG or JPEG file (its content was checked, not its "
                "name): export or scan the report as a PDF, or send a photo as PNG or JPEG."
            )
            % {"name": name},
            code="wrong_type",
        )
    if PurePath(name).suffix.lower() not in EXTENSIONS[content_type]:
        raise ValidationError(
            _(
                "“%(name)s” is a %(kind)s file, but its name says otherwise: "
                "rename it to end in %(ext)s."
            )
            % {
                "name": name,
                "kind": KIND_WORDS[content_type],
                "ext": sorted(EXTENSIONS[content_type])[0],
            },
            code="wrong_name",
        )
    return CheckedFile(
        upload=upload,
        name=name,
        content_type=content_type,
        size=size,
        sha256=hashlib.sha256(content).hexdigest(),
    )
