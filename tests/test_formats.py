"""Web pages, PDFs and text without front matter: extraction, metadata and where it came from, pages in citations,
verification after an edit, uploads; every file is made by the test (tests/documents.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from documents import (
    CHROME,
    CLINICS_REPORT,
    CLINICS_TXT,
    RUNNING_HEADER,
    encrypted_pdf,
    long_pdf,
    news_page,
    pdf_pages,
    scanned_pdf,
)
from helpers import assert_well_formed, write

from qa import Engine, Settings, open_engine, verify
from qa.ingest.chunking import chunk_article, split_paragraphs
from qa.ingest.corpus import load_corpus, read_article, read_source
from qa.ingest.formats import Unreadable, extract
from qa.ingest.formats.meta import read_line
from qa.ingest.formats.pdf import MAX_PAGES, NO_TEXT
from qa.settings import DEFAULT_CORPUS

QUAY = [
    "Divers inspecting the northern quay in January found deep cracks in the oak pilings that have held it up since 1887.",
    "The harbour authority said the quay will close for eighteen months from April while the pilings are replaced with steel.",
    "Fishing crews will moor at the southern basin, which engineers say can take sixty boats at once.",
]
# Page 1 ends inside a paragraph that page 2 finishes; "extraor-dinary" is hyphenated at a line break.
LIGHTHOUSE = [
    [
        "The town council voted on Tuesday to restore the old lighthouse on Gull Point, closed to visitors since a storm "
        "cracked its lantern room in 2019.",
        "Restorers will first take down the cast-iron gallery, piece by piece, and ship it to a foundry in the north for "
        "an extraor-\ndinary repair that no local workshop could manage, the council's heritage officer said, adding that",
    ],
    [
        "the gallery should be back in place before the autumn gales begin.",
        "The restoration will cost 2.4 million pounds, of which the national heritage fund pays two thirds and the town "
        "the rest.",
    ],
]
TIDES = (
    "Coastal Ledger, 2024-03-14\n\n"
    "Tide Tables Revised After Storm\n\n"
    "The port authority revised its tide tables on Thursday because the storm shifted the sandbanks at the harbour "
    "mouth, a spokesman said.\n\n"
    "Pilots will guide larger ships into the harbour until new soundings of the channel are complete.\n"
)


def _plain(text: str) -> str:
    return " ".join(text.split())


# --- HTML ----------------------------------------------------------------------------------------------------
def test_a_news_page_gives_its_paragraphs_and_metadata_and_no_page_chrome(tmp_path):
    path = write(tmp_path, "quay.html", news_page("Northern Quay to Close for Repairs", QUAY))
    article, warnings = read_article(path, "quay")
    assert not warnings
    assert [p.text for p in chunk_article(article).passages] == QUAY
    assert (article.title, article.publisher, article.date, article.author) == (
        "Northern Quay to Close for Repairs", "Riverton Daily", "2025-03-03", "Daniel Okafor")
    assert set(article.origins.values()) == {"file metadata"} and article.format == "html"
    assert not any(bit in article.text for bit in CHROME)


def test_a_page_date_is_as_precise_as_the_page_gives_it():
    page = news_page("Quay Repairs", QUAY, date="2020-03")  # htmldate alone would make it 2020-03-<today's day>
    assert extract("quay.html", page.encode()).date == "2020-03"


def test_broken_html_is_read_as_far_as_it_goes_and_a_page_without_text_is_skipped_by_name(tmp_path, caplog):
    broken = news_page("Quay Repairs", QUAY).replace("</article>", "").replace("</p>", "")[:-200]
    write(tmp_path, "broken.html", broken)
    write(tmp_path, "empty-page.htm", "<html><head><title>Nothing</title></head><body><nav><a href='/'>Home</a></nav>")
    write(tmp_path, "binary.html", b"\x00\x01\x02\xff\xfe garbage")
    with caplog.at_level(logging.WARNING, logger="qa"):
        corpus = load_corpus(tmp_path)
    (article,) = corpus.articles
    assert [_plain(p.text) for p in chunk_article(article).passages] == QUAY
    joined = "\n".join(corpus.warnings)
    assert "empty-page.htm" in joined and "binary.html" in joined and "skipped" in joined


def test_the_bundled_articles_as_web_pages_give_the_same_paragraphs_as_the_text_files():
    """Each bundled article rendered as a news page (navigation, an ad, related links, comments, footer; captions
    in <figure>, as pages print them): at least 95% of the text file's paragraphs come out identical, to the
    character (no-break spaces included), and no page chrome becomes a passage."""
    total = same = 0
    for path in sorted(Path(DEFAULT_CORPUS).glob("*.txt")):
        article, _ = read_article(path, path.stem)
        chunk = chunk_article(article)
        figures = {(d.start, d.end) for d in chunk.dropped if d.reason in ("caption", "photo credit")}
        items = [("figure" if (s.start, s.end) in figures else "p", article.text[s.start:s.end])
                 for s in split_paragraphs(article.text, article.body_start)]
        page = news_page(article.title, items, publisher=article.publisher, date=article.date, author=article.author)
        web, _ = read_article(path.with_suffix(".html"), path.stem, page.encode())
        assert (web.title, web.publisher, web.author) == (article.title, article.publisher, article.author)
        passages = chunk_article(web).passages
        for p in passages:
            assert not any(bit in p.text for bit in CHROME), p.text
        total += len(chunk.passages)
        same += len({p.text for p in chunk.passages} & {p.text for p in passages})
    assert same >= 0.95 * total, (same, total)


# --- PDF -----------------------------------------------------------------------------------------------------
def test_a_pdf_gives_paragraphs_across_lines_and_pages_without_its_header_and_page_numbers(tmp_path):
    path = write(tmp_path, "lighthouse.pdf", pdf_pages(LIGHTHOUSE, title="Lighthouse to Be Restored"))
    article, warnings = read_article(path, "lighthouse")
    passages = chunk_article(article).passages
    assert not warnings and article.title == "Lighthouse to Be Restored" and article.origins["title"] == "file metadata"
    assert [p.page for p in passages] == [1, 1, 2]
    assert "an extraordinary repair" in passages[1].text
    assert passages[1].text.endswith("adding that the gallery should be back in place before the autumn gales begin.")
    assert passages[2].text.startswith("The restoration will cost 2.4 million pounds")
    assert RUNNING_HEADER not in article.text and "Page 1" not in article.text and "Page 2" not in article.text
    assert read_source(path) == article.text  # extracted again: the same text, to the character


def test_a_pdf_without_text_an_encrypted_one_and_a_damaged_one_are_refused_by_name(tmp_path):
    with pytest.raises(Unreadable, match=r"scan\.pdf: no text layer \(scanned\?\): OCR is not supported"):
        extract(write(tmp_path, "scan.pdf", scanned_pdf()))
    with pytest.raises(Unreadable, match=r"locked\.pdf: is encrypted \(password-protected\)"):
        extract(write(tmp_path, "locked.pdf", encrypted_pdf(LIGHTHOUSE[0][0])))
    with pytest.raises(Unreadable, match=r"half\.pdf: is not a readable PDF"):
        extract(write(tmp_path, "half.pdf", pdf_pages(LIGHTHOUSE)[:300]))


def test_a_pdf_of_10000_pages_is_capped_with_a_warning(tmp_path):
    path = write(tmp_path, "archive.pdf", long_pdf(10_000))
    article, warnings = read_article(path, "archive")
    (warning,) = warnings
    assert "archive.pdf" in warning and "10,000 pages" in warning and f"first {MAX_PAGES:,}" in warning
    assert len(article.pages) == MAX_PAGES and chunk_article(article).passages


# --- text without front matter -------------------------------------------------------------------------------
def test_a_dateline_or_byline_gives_the_metadata_and_front_matter_wins(tmp_path):
    write(tmp_path, "tides.txt", TIDES)
    write(tmp_path, "quay.txt", "By Daniel Okafor | Riverton Daily | March 3, 2025\n\n" + "\n\n".join(QUAY) + "\n")
    write(tmp_path, "front.md", "---\ntitle: Tides\npublisher: Port Gazette\n---\n" + TIDES.replace("Tide Tables", "Tables"))
    articles = {a.doc_id: a for a in load_corpus(tmp_path).articles}
    tides, quay, front = articles["tides"], articles["quay"], articles["front"]
    assert (tides.title, tides.publisher, tides.date, tides.author) == (
        "Tide Tables Revised After Storm", "Coastal Ledger", "2024-03-14", None)
    assert dict(tides.origins) == {"title": "text", "publisher": "text", "date": "text", "author": "nowhere"}
    assert (quay.publisher, quay.date, quay.author) == ("Riverton Daily", "2025-03-03", "Daniel Okafor")
    assert quay.title == QUAY[0]  # no title line: the first paragraph, as before
    assert (front.title, front.publisher, front.date) == ("Tides", "Port Gazette", "2024-03-14")
    assert (front.origins["publisher"], front.origins["date"]) == ("file metadata", "text")
    assert [p.text for p in chunk_article(tides).passages] == TIDES.strip().split("\n\n")[2:]  # dateline dropped


def test_a_text_opening_with_its_title_and_a_byline_gives_publisher_and_date_and_related_links_are_boilerplate(tmp_path):
    write(tmp_path, "clinics.txt", CLINICS_TXT)
    article = load_corpus(tmp_path).articles[0]
    assert (article.title, article.publisher, article.date, article.author) == (
        "Meridian Clinics Add Night Hours", "The Coastal Ledger", "2025-03-14", "Amina Rahman")
    assert set(article.origins.values()) == {"text"}
    chunk = chunk_article(article)
    assert [p.text[:15] for p in chunk.passages] == ["The Meridian cl", "Nurses at the s"]
    assert any("Most read this week" in b.text for b in chunk.boilerplate)


def test_a_pdf_without_a_title_takes_its_first_heading_line_else_its_file_name(tmp_path):
    write(tmp_path, "meridian-report.pdf", pdf_pages(CLINICS_REPORT))
    write(tmp_path, "annual.pdf", pdf_pages([["Meridian Clinics Annual Review", *CLINICS_REPORT[0]], CLINICS_REPORT[1]]))
    articles = {a.doc_id: a for a in load_corpus(tmp_path).articles}
    untitled, headed = articles["meridian-report"], articles["annual"]
    assert (untitled.title, untitled.origins["title"]) == ("meridian-report", "file name")  # not its first paragraph
    assert (headed.title, headed.origins["title"]) == ("Meridian Clinics Annual Review", "text")


@pytest.mark.parametrize("line, expected", [
    ("Coastal Ledger, 2024-03-14", ("Coastal Ledger", "2024-03-14", None)),
    ("By Daniel Okafor | Riverton Daily | March 3, 2025", ("Riverton Daily", "2025-03-03", "Daniel Okafor")),
    ("By Jane Roe, Staff Writer", (None, None, "Jane Roe")),
    ("Published: Monday, 3 March 2025 · The Harbour Times", ("The Harbour Times", "2025-03-03", None)),
    ("March 2025", (None, "2025-03", None)),
    ("WASHINGTON, March 3, 2025", (None, "2025-03-03", None)),
    ("By Amina Rahman, Health Desk, The Coastal Ledger, March 14, 2025", ("The Coastal Ledger", "2025-03-14", "Amina Rahman")),
])
def test_byline_and_dateline_forms(line, expected):
    got = read_line(line)
    assert got is not None and (got.publisher, got.date, got.author) == expected


@pytest.mark.parametrize("line", [
    "Lessons of 1989 for Kabul",
    "The storm of March 3, 2025 shifted the sandbanks at the harbour mouth, a spokesman for the port said today.",
    "Tide Tables Revised After Storm",
])
def test_titles_and_sentences_with_dates_are_not_datelines(line):
    assert read_line(line) is None


# --- the whole way: a folder of a web page, a PDF and a text file with only a dateline --------------------------
@pytest.fixture()
def mixed(tmp_path, encoder) -> Engine:
    """An engine over a folder holding a news page, a two-page PDF and a .txt with only a dateline."""
    corpus = tmp_path / "corpus"
    write(corpus, "quay.html", news_page("Northern Quay to Close for Repairs", QUAY))
    write(corpus, "lighthouse.pdf", pdf_pages(LIGHTHOUSE))
    write(corpus, "tides.txt", TIDES)
    return open_engine(Settings.load(corpus=corpus, index_dir=tmp_path / "index"), encoder=encoder)


QUESTIONS = [  # question, article, page, words of the paragraph that answers it
    ("What did divers find in the pilings of the northern quay?", "quay", None, "Divers inspecting"),
    ("How much will the lighthouse restoration cost?", "lighthouse", 2, "The restoration will cost"),
    ("Where will the cast-iron gallery of the lighthouse be repaired?", "lighthouse", 1, "Restorers will first"),
    ("Why were the tide tables revised?", "tides", None, "The port authority revised"),
]


def test_a_mixed_folder_answers_from_each_file_citing_file_page_and_paragraph(mixed):
    articles = {c.article.doc_id: c.article for c in mixed.articles()}
    quay, tides = articles["quay"], articles["tides"]
    assert (quay.publisher, quay.date, quay.origins["publisher"], quay.origins["date"]) == (
        "Riverton Daily", "2025-03-03", "file metadata", "file metadata")
    assert (tides.publisher, tides.date, tides.origins["publisher"], tides.origins["date"]) == (
        "Coastal Ledger", "2024-03-14", "text", "text")
    for question, doc, page, words in QUESTIONS:
        answer = mixed.ask(question)
        assert_well_formed(answer)
        first = answer.citations[0]
        expected = next(p for p in mixed.article(doc).passages if p.text.startswith(words))
        assert (answer.status, first.doc_id, first.page, first.n) == ("answered", doc, page, expected.n), question
        assert first.to_dict()["page"] == page
        for c in answer.citations:
            assert not any(bit in c.text for bit in CHROME) and RUNNING_HEADER not in c.text


def test_verify_passes_on_each_format_and_flags_each_after_an_edit(mixed, encoder):
    corpus = Path(mixed.settings.corpus)
    cited = {}
    for question, doc, _, _ in QUESTIONS:
        citation = mixed.ask(question).citations[0]
        assert verify(citation).ok, verify(citation).message()
        cited.setdefault(doc, citation)  # the lighthouse: its page-2 paragraph, edited below
    write(corpus, "quay.html", news_page("Northern Quay to Close for Repairs",
                                         [QUAY[0].replace("deep cracks", "shallow cracks"), *QUAY[1:]]))
    write(corpus, "lighthouse.pdf", pdf_pages([LIGHTHOUSE[0], [LIGHTHOUSE[1][0], LIGHTHOUSE[1][1].replace("2.4", "3.1")]]))
    write(corpus, "tides.txt", TIDES.replace("revised its tide tables", "reissued its tide tables"))
    for doc, citation in cited.items():
        check = verify(citation)
        assert not check.ok and check.problems[0].startswith(citation.path), (doc, check.problems)
        assert "changed after indexing" in check.problems[0]
    report = mixed.refresh()  # the saved index notices the edited page, PDF and text and indexes them again
    assert not report.loaded and report.embedded > 0
    assert any("3.1 million" in p.text for p in mixed.article("lighthouse").passages)


def test_uploads_of_each_format_through_the_python_api_say_what_happened_to_each_file(mixed, tmp_path):
    files = [
        ("ferry.html", news_page("Ferry Moves to a Pontoon", ["The ferry will sail from a temporary pontoon beside the "
                                                              "old customs house while the quay is rebuilt."]).encode()),
        ("council minutes.pdf", pdf_pages([["The council agreed to light the restored lighthouse again on the first "
                                            "night of the regatta, the mayor said."]])),
        ("scan.pdf", scanned_pdf()),
        ("locked.pdf", encrypted_pdf("A locked page.")),
        ("notes.docx", b"PK\x03\x04 not ours"),
        ("nav-only.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
    ]
    results, report = mixed.add_files(files)
    assert [r.status for r in results] == ["added", "added", "rejected", "rejected", "rejected", "rejected"]
    assert [r.saved_as for r in results[:2]] == ["ferry.html", "council-minutes.pdf"]
    assert all(r.paragraphs for r in results[:2]) and report is not None
    messages = [r.message for r in results[2:]]
    assert messages[0] == f"scan.pdf: {NO_TEXT}"
    assert "locked.pdf: is encrypted" in messages[1]
    assert messages[2] == "notes.docx: only .txt, .md, .html, .htm or .pdf files can be added"
    assert messages[3].startswith("nav-only.html: no article text")
    assert mixed.ask("When will the restored lighthouse be lit again?").citations[0].doc_id == "council-minutes"
    again, _ = mixed.add_files([("copy.html", files[0][1])])
    assert again[0].status == "duplicate"


def test_the_command_line_verifies_a_pdf_citation_and_flags_it_after_an_edit(mixed, tmp_path):
    from conftest import run_cli

    env = {"SOURCEQA_CORPUS": str(mixed.settings.corpus), "SOURCEQA_INDEX_DIR": str(mixed.settings.index_path)}

    def run(*args: str):
        return run_cli(list(args), mixed.encoder, env)

    asked = run("ask", "How much will the lighthouse restoration cost?", "--json")
    assert asked.returncode == 0, asked.stderr
    saved = write(tmp_path, "answer.json", asked.stdout)
    assert '"page": 2' in asked.stdout
    ok = run("verify", str(saved))
    assert ok.returncode == 0 and ok.stdout.startswith("ok: [lighthouse:"), ok.stdout + ok.stderr
    write(Path(mixed.settings.corpus), "lighthouse.pdf",
          pdf_pages([LIGHTHOUSE[0], [LIGHTHOUSE[1][0], LIGHTHOUSE[1][1].replace("2.4", "3.1")]]))
    flagged = run("verify", str(saved))
    assert flagged.returncode == 1 and "lighthouse.pdf" in flagged.stdout and "MISMATCH" in flagged.stdout


def test_the_library_says_where_metadata_came_from_and_the_article_view_gives_pages(tmp_path):
    from webui import render

    write(tmp_path, "tides.txt", TIDES)
    write(tmp_path, "lighthouse.pdf", pdf_pages(LIGHTHOUSE))
    lighthouse, tides = (chunk_article(a) for a in load_corpus(tmp_path).articles)
    table = render.library_table([lighthouse, tides])
    # Said once above the table where most of it came from, in a cell only where it differs; a missing author reads
    # "not given", never "– nowhere".
    assert "<th>Author</th>" in table and "nowhere" not in table and "not given" in table
    assert table.count("from text") + table.count("from file name") == sum(
        1 for c in (lighthouse, tides) for how in c.article.origins.values() if how not in ("nowhere", render.usual_origin(
            [lighthouse, tides])))
    view = render.article_view(lighthouse)
    assert [f"p. {p.page}, ¶{p.n}" in view for p in lighthouse.passages] == [True, True, True]
    assert "p. 2, ¶3" in view and "¶1</span>" in render.article_view(tides)
