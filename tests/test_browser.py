"""The page in a real browser (Playwright driving Debian's Chromium): ask, open citations, refusals, library, XSS.

Screenshots of the main states are saved in test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from browsing import Watched, ask
from conftest import start_web_app
from helpers import ROOT, WHY, seed_earlier_run, write

from qa import Settings

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=javascript:alert(1)>",
            "[click](javascript:alert(1))")
# Same payloads, setting a global instead of opening a dialog; the test checks it stays undefined.
SETTERS = ("<script>window.pwned=1</script>", '<img src=x onerror="window.pwned=1">', "${window.pwned=1}",
           "{{constructor.constructor('window.pwned=1')()}}", "[click](javascript:window.pwned=1)")
FALCONS = f"""---
title: {PAYLOADS[0]} Saker falcons {PAYLOADS[1]}
publisher: {PAYLOADS[2]}
date: 2022
---
Saker falcons migrate across the Caspian Sea every autumn {PAYLOADS[0]} because warm winds over the water carry them south.

Ornithologists tracking the falcons with satellite tags {PAYLOADS[1]} {SETTERS[1]} found that most birds rest on oil platforms.

The tracking study was paid for by a conservation group {PAYLOADS[2]} {PAYLOADS[3]} {SETTERS[0]} and published in 2022.
"""
SEALS = f"""---
title: {PAYLOADS[3]} Caspian seals {SETTERS[2]} {SETTERS[3]}
publisher: Sea Notes {SETTERS[4]}
date: 2021-04
---
Caspian seals are the only marine mammals of the Caspian Sea {PAYLOADS[3]} and they breed on the winter ice {SETTERS[3]}.

Warmer winters leave less ice for the seal pups {SETTERS[2]}, and their numbers have fallen by nine tenths in a century.
"""


@pytest.fixture
def watched(browser) -> Iterator[Watched]:
    """A fresh page (its own Gradio session) that must end with no dialog and no script error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    w = Watched(context.new_page())
    yield w
    context.close()
    w.check()


def test_why_question_cites_sources_and_opens_the_cited_paragraph(watched, web_app):
    from playwright.sync_api import expect

    page = watched.open(web_app.url)
    watched.shot("01-ready")
    page.get_by_role("button", name=WHY).click()  # an example question
    cards = page.locator("#sources .sqa-card")
    expect(cards.first).to_be_visible()
    markers = page.locator('#chat a[href^="#cite-0-"]')
    cited = {markers.nth(i).get_attribute("href") for i in range(markers.count())}
    assert len(cited) >= 2 and cards.count() == len(cited)  # one card per cited passage (two sentences may share one)
    expect(page.locator("#sources .sqa-card mark.sqa-hl").first).to_be_visible()
    watched.shot("02-answer")

    second = cards.nth(1)
    pid = second.get_attribute("data-pid")
    n = re.search(r":(\d+)$", pid).group(1)
    marks = second.locator("mark").all_inner_texts()
    page.locator('#chat a[href="#cite-0-2"]').first.click()
    cited = page.locator("#article .sqa-cited")
    expect(cited).to_have_attribute("data-pid", pid)
    expect(cited.locator(".sqa-pn")).to_have_text(f"¶{n}")
    assert [m.strip() for m in cited.locator("mark").all_inner_texts()] == marks
    expect(page.locator("#article .sqa-verified")).to_contain_text("Verified")
    expect(cited).to_be_in_viewport()
    watched.shot("03-article")

    first = cards.nth(0)
    pid = first.get_attribute("data-pid")
    first.click()
    expect(cited).to_have_attribute("data-pid", pid)
    expect(cited).to_be_in_viewport()

    ask(page, "And who said that?")  # a follow-up: read with the conversation before it
    expect(page.locator("#chat")).to_contain_text("Read as a follow-up")


def test_off_topic_question_is_shown_as_not_in_the_sources(watched, web_app):
    from playwright.sync_api import expect

    page = watched.open(web_app.url)
    ask(page, WHY)
    expect(page.locator("#sources .sqa-card").first).to_be_visible()
    ask(page, "What is the boiling point of mercury?")
    refusal = page.locator("#chat .sqa-nis")
    expect(refusal).to_contain_text("Not in the sources")
    expect(page.locator("#sources .sqa-weak-head")).to_be_visible()
    assert page.locator("#sources .sqa-card.sqa-weak").count() >= 1
    assert page.locator("#sources .sqa-card:not(.sqa-weak)").count() == 0
    assert refusal.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"  # drawn apart from answers
    watched.shot("04-not-in-sources")
    page.get_by_role("button", name="New chat").click()
    expect(page.locator("#chat .sqa-nis")).to_have_count(0)
    expect(page.locator("#sources .sqa-card")).to_have_count(0)


def test_library_lists_articles_and_uploads_are_searchable_at_once(watched, web_app, tmp_path):
    from playwright.sync_api import expect

    page = watched.open(web_app.url)
    page.get_by_role("tab", name="Library").click()
    rows = page.locator("#library tbody tr")
    expect(rows).to_have_count(len(web_app.backend.engine().articles()))
    before = rows.count()
    new = write(tmp_path, "tardigrades.md", "---\ntitle: Tardigrades Survive Drying Out\npublisher: Field Notes\n"
                "date: 2023\n---\nTardigrades survive drying out by replacing the water in their cells with a glassy sugar.\n\n"
                "Once wetted again, the animals revive within hours and carry on feeding on moss.\n")
    latin1 = write(tmp_path, "latin1.txt", "caf\xe9".encode("latin-1"))
    page.locator("#upload input[type=file]").set_input_files([str(new), str(latin1)])
    page.get_by_role("button", name="Add to library").click()
    expect(page.locator("#upload-report .sqa-up-added")).to_contain_text("saved as tardigrades.md")
    expect(page.locator("#upload-report .sqa-up-rejected")).to_contain_text("not valid UTF-8")
    expect(rows).to_have_count(before + 1)
    expect(page.locator("#library")).to_contain_text("Tardigrades Survive Drying Out")
    watched.shot("05-library")

    page.get_by_role("link", name="Tardigrades Survive Drying Out").click()  # opens the article view
    expect(page.locator("#article .sqa-article-title")).to_have_text("Tardigrades Survive Drying Out")
    ask(page, "How do tardigrades survive drying out?")
    expect(page.locator("#sources .sqa-card").first).to_have_attribute("data-pid", re.compile(r"^tardigrades:\d+$"))


def test_benchmark_tab_runs_the_set_with_a_progress_bar_and_shows_the_report(watched, web_app, ten_questions):
    import httpx
    from playwright.sync_api import expect

    page = watched.open(web_app.url)
    page.get_by_role("tab", name="Benchmark").click()
    expect(page.locator("#bench-none")).to_contain_text("No benchmark run yet")  # this app's folder has no run yet
    watched.shot("10-benchmark-empty")
    run = page.locator("#bench-run")
    run.click()
    expect(run).to_be_disabled()  # no second run from this page; other pages are refused until it ends
    expect(page.locator('#bench-summary [role="progressbar"]')).to_be_visible()
    watched.shot("11-benchmark-running")
    expect(run).to_be_enabled()
    metrics = page.locator("#bench-metrics tbody tr")  # one row per measure, one column per mode
    expect(metrics.first).to_be_visible()
    assert metrics.count() >= 8
    expect(page.locator("#bench-metrics thead")).to_contain_text("hybrid")
    expect(page.locator("#bench-metrics")).to_contain_text("nDCG@10")
    expect(page.locator("#bench-latency thead th")).to_have_count(5)  # the step, three modes and the model alone
    expect(page.locator("#bench-compare")).to_contain_text("No earlier run")
    expect(page.locator("#bench-metrics-bars .sqa-chart-row")).to_have_count(3 * metrics.count())
    expect(page.locator("#bench-latency-bars .sqa-chart-row")).to_have_count(4)
    watched.shot("12-benchmark-report", full_page=True)

    seed_earlier_run(web_app.bench_out, "recall@1", "hybrid", 0.1)  # hybrid's R@1 was 0.1 higher before
    page.get_by_role("tab", name="Ask").click()
    page.get_by_role("tab", name="Benchmark").click()  # the tab reads the saved runs again
    worse = page.locator("#bench-compare td.sqa-worse")
    expect(worse).to_have_count(1)
    expect(worse).to_contain_text("(-0.100) ▼")
    assert worse.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    worse.scroll_into_view_if_needed()
    watched.shot("13-benchmark-comparison", full_page=True)

    # Neither the benchmark folder (reports, load-test corpora and indexes) nor the articles are served.
    folder = web_app.bench_out.resolve()
    for path in (folder / "latest" / "metrics.png", folder / "latest" / "report.json",
                 next(web_app.corpus.resolve().glob("*.txt"))):
        assert path.is_file() and httpx.get(f"{web_app.url}/gradio_api/file={path}").status_code == 403, path


@pytest.fixture(scope="module")
def hostile_app(encoder, tmp_path_factory):
    """The app over articles whose bodies, titles, publishers and file names carry script payloads."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    write(corpus, f"{PAYLOADS[1]} falcons.txt", FALCONS)
    write(corpus, f"{PAYLOADS[3]} {PAYLOADS[2]}.md", SEALS)
    shutil.copy(ROOT / "corpus" / "the-diplomat-2017-four-reasons-russia-favors-taliban.txt", corpus / "<script>alert(1).txt")
    app, demo = start_web_app(Settings.load(corpus=corpus, index_dir=root / "index"), encoder, root / "bench-out")
    yield app
    demo.close()


def test_hostile_articles_and_questions_are_shown_as_text_and_run_nothing(watched, hostile_app):
    from playwright.sync_api import expect

    page = watched.open(hostile_app.url)
    ask(page, "Why do saker falcons migrate across the Caspian Sea?")
    expect(page.locator("#sources .sqa-card").first).to_be_visible()
    expect(page.locator("#chat")).to_contain_text(PAYLOADS[0])  # the characters, shown as text
    expect(page.locator("#sources")).to_contain_text(f"{PAYLOADS[0]} Saker falcons {PAYLOADS[1]}")
    watched.shot("06-hostile-answer")
    page.locator('#chat a[href="#cite-0-1"]').first.click()
    expect(page.locator("#article .sqa-article-title")).to_contain_text(PAYLOADS[1])
    expect(page.locator("#article")).to_contain_text(PAYLOADS[2])
    watched.shot("07-hostile-article")
    ask(page, "Where do Caspian seals breed?")
    expect(page.locator("#chat")).to_contain_text(PAYLOADS[3])
    page.locator("#sources .sqa-card").first.click()
    expect(page.locator("#article .sqa-article-title")).to_contain_text("Caspian seals ${window.pwned=1}")
    # A question carrying the payloads is echoed in the chat as the characters typed, never as markup.
    ask(page, f"{SETTERS[1]} {PAYLOADS[1]} Why do saker falcons rest on oil platforms? {SETTERS[0]} {SETTERS[4]}")
    expect(page.locator("#chat")).to_contain_text(f"{SETTERS[1]} {PAYLOADS[1]} Why do saker falcons rest on oil platforms?")
    expect(page.locator("#chat")).to_contain_text(SETTERS[4])
    expect(page.locator("#sources .sqa-card").first).to_be_visible()
    page.locator("#settings").get_by_text("Settings").click()
    page.locator("#filter-articles input").click()  # the article filter lists the hostile titles
    expect(page.get_by_role("option").first).to_be_visible()
    watched.shot("08-hostile-settings")
    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library")).to_contain_text(f"{PAYLOADS[1]} falcons.txt")
    watched.shot("09-hostile-library")

    assert page.evaluate("typeof window.pwned") == "undefined"
    found = page.evaluate("""() => ({
        images: document.querySelectorAll('img[src="x"]').length,
        iframes: document.querySelectorAll('iframe').length,
        scripts: [...document.scripts].filter(s => s.textContent.includes('alert(1)') || s.textContent.includes('pwned')).length,
        jsLinks: [...document.querySelectorAll('[href]')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
    })""")
    assert found == {"images": 0, "iframes": 0, "scripts": 0, "jsLinks": 0}


def test_web_pages_and_pdfs_are_uploaded_with_one_line_per_file_and_cited_by_page(watched, web_app, tmp_path):
    from documents import news_page, pdf_pages
    from playwright.sync_api import expect

    page = watched.open(web_app.url)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library thead")).to_contain_text("Author")
    pdf = write(tmp_path, "beacon report.pdf", pdf_pages(
        [["The beacon on Hare Island was first lit in 1851 by the harbour trust."],
         ["Keepers lived on Hare Island until 1962, when the beacon was automated and the keepers' cottage sold."]],
        title="Hare Island Beacon"))
    web = write(tmp_path, "otters.html", news_page("Otters Return to the Estuary", [
        "Otters have returned to the Wend estuary for the first time in forty years, volunteers counting tracks said."]))
    other = write(tmp_path, "notes.docx", b"PK\x03\x04")
    page.locator("#upload input[type=file]").set_input_files([str(pdf), str(web), str(other)])
    page.get_by_role("button", name="Add to library").click()
    report = page.locator("#upload-report li")
    expect(report).to_have_count(3)
    expect(page.locator("#upload-report .sqa-up-added")).to_have_count(2)
    expect(page.locator("#upload-report .sqa-up-rejected")).to_have_text(
        "✗ notes.docx: only .txt, .md, .html, .htm or .pdf files can be added")
    assert page.locator(".toast-body").count() == 0  # no stacked pop-up messages beside the report
    row = page.locator("#library tbody tr", has_text="Otters Return to the Estuary")
    expect(row).to_contain_text("Daniel Okafor")
    expect(row).not_to_contain_text("from file metadata")  # as most of the library's: said once, above the table
    expect(page.locator("#library .sqa-origins-note")).to_contain_text("each file's metadata")
    watched.shot("07-library-formats")

    page.get_by_role("button", name="Add to library").click()  # nothing chosen: the report says so, replacing the last
    expect(page.locator("#upload-report")).to_contain_text("Choose one or more")
    expect(report).to_have_count(0)
    assert page.locator(".toast-body").count() == 0

    page.get_by_role("tab", name="Ask").click()
    ask(page, "When were the keepers of the Hare Island beacon withdrawn?")
    card = page.locator("#sources .sqa-card").first
    expect(card).to_have_attribute("data-pid", re.compile(r"^beacon-report:\d+$"))
    expect(card.locator(".sqa-meta")).to_contain_text("p. 2, ¶")
    card.click()
    expect(page.locator("#article .sqa-cited .sqa-pn")).to_contain_text("p. 2, ¶")
    expect(page.locator("#article .sqa-verified")).to_contain_text("extracted again from the file")
    watched.shot("08-pdf-citation")
