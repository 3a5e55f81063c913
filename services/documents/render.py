"""Documents to PDF with WeasyPrint (Pango from Debian, `make pdf-deps`), and the case file.

Each document is PDF/A-3u where WeasyPrint allows it (`pdf_variant`): fonts embedded, text
selectable and mapped to Unicode. The QR code (segno, SVG) points to the public verification
page. The case file binds the issued PDFs unchanged (pypdf), so every page in it is the one
whose hash is in the record.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import segno
from pypdf import PdfReader, PdfWriter

TEMPLATES = Path(__file__).resolve().parent / "templates"
PDF_VARIANT = "pdf/a-3u"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html"]),
)


def qr_data_uri(url: str) -> str:
    svg = segno.make(url, error="m").svg_data_uri(scale=4, border=1)
    return svg


def _pdf(html: str) -> bytes:
    import weasyprint  # Pango is loaded here, not when the service module is imported

    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant=PDF_VARIANT)


def render_document(
    content: dict[str, Any], verify_url: str, signatures: list[dict[str, Any]] = ()
) -> bytes:
    """One document as PDF bytes; `signatures` carry `line` (which signer line), and either
    `png` (bytes) or `refused` with `witness`."""
    placed = []
    for s in signatures:
        s = dict(s)
        if s.get("png"):
            s["data_uri"] = "data:image/png;base64," + base64.b64encode(s["png"]).decode()
        placed.append(s)
    html = _env.get_template("document.html").render(
        c=content, qr=qr_data_uri(verify_url), verify_url=verify_url, signatures=placed
    )
    return _pdf(html)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


@dataclass(frozen=True)
class BoundFile:
    pdf: bytes
    pages: int


def bind_case_file(
    front: dict[str, Any], documents: list[tuple[dict[str, Any], bytes]]
) -> BoundFile:
    """案卷: the cover and index, every document in filing order as issued, the evidence list.

    `front` has the cover's fields and `evidence`; `documents` pairs each document's index row
    with its PDF. The index names each document's pages, counted after the front matter."""
    counts = [page_count(pdf) for _, pdf in documents]
    template = _env.get_template("case_file.html")

    def front_pdf(front_pages: int) -> bytes:
        page, rows = front_pages + 1, []
        for (row, _), n in zip(documents, counts, strict=True):
            rows.append({**row, "pages_label": f"{page}-{page + n - 1}" if n > 1 else str(page)})
            page += n
        f = {**front, "documents": rows, "evidence_pages_label": f"{page}-"}
        return _pdf(template.render(f=f, part="front", footer="卷首 第 "))

    first = front_pdf(2)
    n_front = page_count(first)
    if n_front != 2:  # a long index: count again with its real length
        first = front_pdf(n_front)
    rows = [row for row, _ in documents]
    back = _pdf(template.render(f={**front, "documents": rows}, part="back", footer="证据清单 第 "))
    writer = PdfWriter()
    for part in (first, *(pdf for _, pdf in documents), back):
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": f"案卷 {front.get('case_no', '')}"})
    out = io.BytesIO()
    writer.write(out)
    pdf = out.getvalue()
    return BoundFile(pdf, page_count(pdf))
