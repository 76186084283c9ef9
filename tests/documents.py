"""Files the tests make: news pages with page chrome, PDFs (running header, page numbers, hyphenation), broken ones."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence

from fpdf import FPDF

# Page chrome put around every test page: none of it may ever become a passage.
NAV = ("Home", "World", "Business", "Sport", "Opinion", "Subscribe")
AD = "Advertisement"
RELATED = ("Ferry fares rise again as fuel costs climb", "Council budget approved after long night of talks",
           "Ten photos of the harbour in winter light")
COMMENTS = ("Great article, thanks for covering this at last!", "I live near the quay and nobody asked us anything.")
FOOTER = ("© 2025 Riverton Media Group. All rights reserved.", "Privacy policy", "Terms of use", "Contact us")
CHROME = NAV[1:] + (AD,) + RELATED + COMMENTS + FOOTER
RUNNING_HEADER = "The Riverton Daily - Harbour Report"
# A text file with no front matter: its title, a byline with a desk, and a "Related … | Most read" line among its prose.
CLINICS_TXT = (
    "Meridian Clinics Add Night Hours\n"
    "By Amina Rahman, Health Desk, The Coastal Ledger, March 14, 2025\n\n"
    "The Meridian clinic network will keep six of its clinics open until midnight from April, its director said on "
    "Thursday, after waiting times doubled over the winter.\n\n"
    "Related: Harbour fees rise again as ferry traffic falls | Most read this week\n\n"
    "Nurses at the six clinics voted last month to accept the longer shifts in return for a pay rise of eight percent.\n"
)
# A PDF's two pages with no title line and no title in its metadata: its first paragraph is prose, not a title.
CLINICS_REPORT = [
    ["The Meridian clinic network treated 214,000 patients in 2024, an increase of a fifth on the year before, its "
     "annual report says, most of them in the three coastal towns."],
    ["The network plans two new clinics in the hill villages, where the nearest doctor is now an hour's drive away."],
]


def news_page(title: str, paragraphs: Sequence[str | tuple[str, str]], *, publisher: str | None = "Riverton Daily",
              date: str | None = "2025-03-03", author: str | None = "Daniel Okafor") -> str:
    """A saved news page: metadata in the head, the article among navigation, ads, related links, comments, footer.

    A paragraph starting with "•" becomes a list item; a ("figure", text) pair a picture's caption.
    """
    e = html.escape
    meta = [f'<meta property="og:title" content="{e(title)}">']
    if publisher:
        meta.append(f'<meta property="og:site_name" content="{e(publisher)}">')
    if date:
        stamp = f"{date}T07:30:00Z" if len(date) == 10 else date
        meta.append(f'<meta property="article:published_time" content="{e(stamp)}">')
    if author:
        meta.append(f'<meta name="author" content="{e(author)}">')
    body = []
    for item in paragraphs:
        kind, text = item if isinstance(item, tuple) else ("p", item)
        if kind == "figure":
            body.append(f'<figure><img src="/photo.jpg" alt=""><figcaption>{e(text)}</figcaption></figure>')
        elif text.lstrip().startswith("\u2022"):
            body.append(f"<ul><li>{e(text.lstrip()[1:].strip())}</li></ul>")
        else:
            body.append(f"<p>{e(text)}</p>")
    nav = " ".join(f'<a href="/{e(x.lower())}">{e(x)}</a>' for x in NAV)
    related = "".join(f'<li><a href="/story/{i}">{e(x)}</a></li>' for i, x in enumerate(RELATED))
    comments = "".join(f'<div class="comment"><span class="user">reader{i}</span><p>{e(x)}</p></div>'
                       for i, x in enumerate(COMMENTS))
    footer = "".join(f"<p>{e(x)}</p>" for x in FOOTER)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}{f" | {e(publisher)}" if publisher else ""}</title>
{"".join(meta)}
<script>window.analytics = {{"page": "article"}};</script><style>.ad {{ height: 250px }}</style></head>
<body><header><div class="logo">{e(publisher or "News")}</div><nav class="menu">{nav}</nav></header>
<div class="ad banner"><span>{AD}</span></div>
<main><article><h1>{e(title)}</h1>
{"".join(body)}
</article>
<aside class="related"><h3>Related stories</h3><ul>{related}</ul></aside>
<section id="comments" class="comments"><h3>{len(COMMENTS)} Comments</h3>{comments}
<form><textarea name="comment"></textarea><button>Post comment</button></form></section></main>
<footer class="site-footer">{footer}</footer></body></html>
"""


class _Paper(FPDF):
    """An A4 page with a running header and a centred "Page n" footer."""

    face = "Helvetica"

    def header(self) -> None:
        self.set_font(self.face, size=8)
        self.cell(0, 8, RUNNING_HEADER, align="C")
        self.ln(12)
        self.set_font(self.face, size=11)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.face, size=8)
        self.cell(0, 10, f"Page {self.page_no()}", align="C")


def pdf_pages(pages: Sequence[Sequence[str]], *, title: str | None = None, author: str | None = None,
              font: str | None = None) -> bytes:
    """A PDF with one page per item, each paragraph written as wrapped lines (a "\\n" forces a line break there).

    The built-in Helvetica writes Latin-1 only; `font`, a TrueType file, writes any text.
    """
    pdf = _Paper(format="A4")
    if font:
        pdf.add_font("Body", fname=font)
        pdf.face = "Body"
    pdf.set_auto_page_break(True, margin=20)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_font(pdf.face, size=11)
    for paragraphs in pages:
        pdf.add_page()
        for text in paragraphs:
            pdf.multi_cell(0, 6, text)
            pdf.ln(4)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF whose pages hold only a drawing, no text layer (what a scanner without OCR makes)."""
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 150, 200, style="F")
    return bytes(pdf.output())


def encrypted_pdf(text: str, password: str = "secret") -> bytes:
    """A PDF that opens only with a password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_pages([[text]]))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def long_pdf(pages: int) -> bytes:
    """A PDF of `pages` pages, each with a short paragraph (made by repeating one page: fast even for 10,000)."""
    from pypdf import PdfReader, PdfWriter

    one = PdfReader(io.BytesIO(pdf_pages([["Page after page of the same tidal record, kept for the harbour archive by the clerks of the port "
                                            "authority since the quay was first built."]])))
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_page(one.pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def lines_pdf(lines: int, text: str = "ab-") -> bytes:
    """A one-page PDF of `lines` short lines, each `text` (hyphenated at its end by default), written by hand: the
    content stream compressed, so 10,000 lines take about 1 KB (a page fpdf could not hold)."""
    import zlib

    leading = 12
    height = leading * lines + 40
    stream = zlib.compress("\n".join([f"BT /F1 10 Tf {leading} TL 10 {height - 20} Td",
                                      *[f"({text}) Tj T*"] * lines, "ET"]).encode(), 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 %d] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>" % height,
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
