"""HTML to PDF with WeasyPrint, and the "superseded" stamp put on an outdated summary."""

import functools
import gc
import io
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.html import escape
from pypdf import PdfReader, PdfWriter

STYLESHEET = "css/summary-print.css"

# WeasyPrint logs every rendering step at INFO; only its warnings are worth a log line.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


# WeasyPrint is imported on first use: web processes that never render start faster.
@functools.cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def _url_fetcher():
    from weasyprint.urls import URLFetcher

    # The summary embeds everything it needs: no file or network access while rendering.
    return URLFetcher(allowed_protocols={"data"})


@functools.cache
def _stylesheet():
    from weasyprint import CSS

    # Parsed once per process: parsing is a noticeable part of a render.
    path = finders.find(STYLESHEET) or Path(settings.BASE_DIR) / "static" / STYLESHEET
    return CSS(
        string=Path(path).read_text(encoding="utf-8"),
        url_fetcher=_url_fetcher(),
        font_config=_font_config(),
    )


@functools.cache
def _freeze_loaded_objects() -> None:
    """Once per process, after its first render: keep what is loaded out of the GC's sight.

    By then the process holds ~120,000 long-lived objects (Django, WeasyPrint, the fonts, the
    parsed stylesheet) that are never garbage. A render allocates enough to trigger a full
    collection every third or fourth PDF, and each walked all of them: ~60 ms, the benchmark's
    p90. `gc.freeze()` moves them to the permanent generation; later full collections walk
    only what renders left behind. Nothing is collected that would not have been: objects
    alive now stay alive (reference counting still frees any that are dropped).
    """
    gc.collect()
    gc.freeze()


# Tagged PDF (PDF/UA-1): a screen reader reads the patient copy in order, with its headings,
# tables, document title (the page's <title>) and language (<html lang>).
# https://doc.courtbouillon.org/weasyprint/stable/api_reference.html#weasyprint.DEFAULT_OPTIONS
PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str) -> bytes:
    """Render an HTML page (A4, the summary print stylesheet) to tagged PDF bytes."""
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=_url_fetcher())
    pdf = document.write_pdf(
        stylesheets=[_stylesheet()], font_config=_font_config(), pdf_variant=PDF_VARIANT
    )
    _freeze_loaded_objects()
    return pdf


_STAMP_HTML = """<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 0; }}
body {{ margin: 0; font-family: "DejaVu Sans", sans-serif; }}
.mark {{ position: absolute; top: 120mm; left: -20mm; width: 250mm; text-align: center;
  transform: rotate(-35deg); color: rgba(190, 0, 0, 0.22); font-size: 64pt; font-weight: bold; }}
.note {{ position: absolute; top: 4mm; left: 0; width: 210mm; text-align: center;
  color: #b00000; font-size: 9pt; font-weight: bold; }}
</style></head><body><div class="mark">SUPERSEDED</div>
<div class="note">{note}</div></body></html>"""


def superseded_note(newer_id: int) -> str:
    return f"SUPERSEDED by summary #{newer_id}: do not use this copy."


def stamp_superseded(pdf: bytes, *, newer_id: int) -> bytes:
    """The PDF with a "superseded" watermark and note over every page."""
    from weasyprint import HTML

    stamp_pdf = HTML(
        string=_STAMP_HTML.format(note=escape(superseded_note(newer_id))),
        url_fetcher=_url_fetcher(),
    ).write_pdf(font_config=_font_config())
    stamp = PdfReader(io.BytesIO(stamp_pdf)).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        page.merge_page(stamp, over=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
