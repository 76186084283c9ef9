"""The Library of a new folder in Chromium: where the metadata came from said once, missing fields in plain words, a
PDF without a title named by its file, a byline with a desk read for publisher and date, related links dropped."""

from __future__ import annotations

import shutil

import pytest
from browsing import BOTH_SIZES
from conftest import start_web_app
from documents import CLINICS_REPORT, CLINICS_TXT, news_page, pdf_pages
from helpers import write

from qa import Settings
from qa.settings import DEFAULT_CORPUS

DIPLOMAT = "the-diplomat-2017-four-reasons-russia-favors-taliban.txt"


@pytest.fixture(scope="module")
def new_folder_app(encoder, tmp_path_factory):
    """The app over a folder it has never read: a bundled article, a saved page, a text file with only a title and a
    byline, and a PDF with no title anywhere."""
    root = tmp_path_factory.mktemp("new-folder")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(DEFAULT_CORPUS / DIPLOMAT, corpus / DIPLOMAT)
    write(corpus, "quay.html", news_page("Northern Quay to Close for Repairs", [
        "Divers inspecting the northern quay in January found deep cracks in the oak pilings that hold it up."]))
    write(corpus, "clinics.txt", CLINICS_TXT)
    write(corpus, "meridian-report.pdf", pdf_pages(CLINICS_REPORT))
    app, demo = start_web_app(Settings.load(corpus=corpus, index_dir=root / "index"), encoder, root / "bench-out")
    yield app
    demo.close()


@BOTH_SIZES
def test_a_new_folder_reads_cleanly_in_the_library(page_in, new_folder_app):
    from playwright.sync_api import expect

    watched, view = page_in
    page = watched.open(new_folder_app.url)
    page.get_by_role("tab", name="Library").click()
    rows = page.locator("#library tbody tr")
    expect(rows).to_have_count(4)
    # Where most of the metadata came from, said once; a cell says so only where it differs, and never "nowhere".
    expect(page.locator("#library .sqa-origins-note")).to_contain_text("each file's metadata")
    table = page.locator("#library tbody")
    expect(table).not_to_contain_text("from file metadata")
    expect(table).not_to_contain_text("nowhere")
    # The byline "By <name>, <desk>, <publication>, <date>" gives publisher, date and author.
    clinics = rows.filter(has_text="Meridian Clinics Add Night Hours")
    for text in ("The Coastal Ledger", "2025-03-14", "Amina Rahman", "from text"):
        expect(clinics).to_contain_text(text)
    # A PDF with no title is named by its file, not by its first paragraph; its missing fields read plainly.
    report = rows.filter(has_text="meridian-report.pdf")
    expect(report.locator("a.sqa-open")).to_have_text("meridian-report")
    expect(report).to_contain_text("from file name")
    expect(report.locator('td[data-label="Author"]')).to_have_text("not given")
    expect(report.locator('td[data-label="Date"]')).to_have_text("undated")
    watched.shot(f"library-new-folder-{view.name}", full_page=True)
    # "Related: <headline> | Most read this week" is boilerplate: not a paragraph of the article.
    clinics.locator("a.sqa-open").click()
    article = page.locator("#article .sqa-article")
    expect(article).to_contain_text("Meridian Clinics Add Night Hours")
    expect(article.locator(".sqa-par")).to_have_count(2)
    expect(article).not_to_contain_text("Most read this week")
