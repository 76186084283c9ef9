"""Small helpers shared by tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

from embeddings import file_sha256
from qa import Answer, UserError, verify
from qa.answer.reasons import MAX_REASONS
from qa.index.store import current_generation
from qa.ingest.corpus import read_source

ROOT = Path(__file__).resolve().parent.parent  # the checkout
WHY = "Why does Russia engage the Taliban?"
# Eight questions of every kind (answerable, off-topic, near-topic, follow-ups, listed reasons) for benchmark runs.
SMALL_QUERIES = Path(__file__).resolve().parent / "data" / "small-queries.jsonl"
# An invented article on a topic far from the bundled corpus, so its passages can only come from an upload.
GLACIER = """---
title: Svalbard Glacier Retreat Speeds Up
publisher: Polar Review
date: 2024-05
---
Glaciologists measuring the Kongsbreen glacier on Svalbard found that its front retreated 800 metres in a single summer.

The researchers blame warmer seawater flowing north from the Atlantic, which melts the ice from below.

Meltwater now reaches the fjord weeks earlier than it did in the 1990s, the team said.
"""
# An invented article for adding a file to the corpus (its name below is already a safe corpus name).
PILOTS = """---
title: Invented Report on River Pilots
publisher: Test Wire
date: 2024-02
---
River pilots on the Volga said on Monday that record ice had closed the northern channel for a week.

The pilots' union asked the shipping ministry for icebreakers, citing losses of several million roubles.
"""
PILOTS_NAME = "test-wire-2024-river-pilots.txt"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a file (creating folders) exactly as given and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def asked(engine, question: str, history=()) -> Answer:
    """The engine's answer, or for input it refuses (UserError) the "invalid" answer a face shows for it."""
    try:
        return engine.ask(question, history)
    except UserError as exc:
        return Answer.invalid(question, str(exc))


def assert_one_line_error(out, words: str) -> None:
    """A user error from the command line: exit 2, one line on stderr that holds `words`, no traceback."""
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in out.stderr


def assert_well_formed(answer: Answer) -> None:
    """Every sentence is verbatim in its cited passage and file; every citation verifies against its file."""
    assert answer.status in {"answered", "partial", "not_in_sources", "invalid"}
    markers = {c.marker: c for c in answer.citations}
    assert sorted(markers) == list(range(1, len(answer.citations) + 1))
    for s in answer.sentences + answer.more:
        c = markers[s.marker]
        assert c.passage_id == s.passage_id and c.text[s.start:s.end] == s.text
        assert read_source(c.path)[c.start + s.start:c.start + s.end] == s.text
        assert (s.start, s.end) in c.highlights
    for c in answer.citations:
        assert verify(c).ok, verify(c).message()
    for c in answer.citations:
        assert 0.0 <= c.score <= 1.0  # the support users see: one 0..1 scale in every mode
    if answer.status in ("answered", "partial"):
        # A why-question gives up to MAX_REASONS reasons, after the sentence announcing a list where it leads.
        assert 1 <= len(answer.sentences) <= MAX_REASONS + 1 and not any(c.weak for c in answer.citations)
        for sentence in answer.sentences:
            assert f"{sentence.text} [{sentence.marker}]" in answer.text
        if answer.status == "partial":
            assert answer.message.startswith("The articles") and answer.text.startswith(answer.message)
    else:
        assert not answer.sentences and answer.message
    if answer.status == "invalid":
        assert not answer.citations
    json.dumps(answer.to_dict(), allow_nan=False)  # what the API sends is plain JSON


def answer_key(answer: Answer, digits: int = 5) -> tuple:
    """What an answer says and cites, without timings or file paths (equal across copies of a corpus)."""
    return (
        answer.status, answer.message, answer.follow_up,
        tuple((s.passage_id, s.start, s.end, s.text) for s in answer.sentences),
        tuple((c.marker, c.passage_id, c.highlights, c.weak, round(c.score, digits)) for c in answer.citations),
        round(answer.evidence, digits),
    )


def seed_earlier_run(out_root: Path, metric: str = "recall@1", mode: str = "hybrid", by: float = 0.1) -> Path:
    """Save a copy of the latest run under `out_root` as an older run in which `metric` of `mode` was `by` higher.

    The latest run then shows that metric as a regression against it; `latest` still points at the real run.
    """
    from qa.bench.runs import LATEST, load_report, write_reports

    report = load_report(out_root / LATEST)
    modes = tuple(replace(m, metrics={**m.metrics, metric: m.metrics[metric] + by}) if m.mode == mode else m
                  for m in report.modes)
    folder = out_root / "20000101-000000-earlier"  # sorts before every real run
    write_reports(replace(report, created="2000-01-01T00:00:00+00:00", modes=modes), folder)
    return folder


# --- index folders and killed builds (the fault tests) -------------------------------------------------------
def leftovers(folder: Path) -> list[str]:
    """Generations CURRENT does not name and temporary files: what an interrupted build leaves behind."""
    current = current_generation(folder)
    gens = [p.name for p in folder.glob("gen-*") if p != current]
    return gens + [p.relative_to(folder).as_posix() for p in folder.rglob("*.tmp")]


def kill_when(args: list[str], marker: str, timeout: float = 300) -> str:
    """Run a child until it prints `marker`, then SIGKILL it; its output so far."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(args, cwd=Path(__file__).resolve().parent.parent, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    seen, output = threading.Event(), bytearray()

    def read() -> None:
        while chunk := proc.stdout.read1(4096):
            output.extend(chunk)
            if marker.encode() in output:
                seen.set()
        seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen.wait(timeout)
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    reader.join(10)
    text = output.decode(errors="replace")
    assert alive and marker in text and proc.returncode == -signal.SIGKILL, text[-2000:]
    return text


def gen_files(folder: Path) -> dict[str, str]:
    """The files of the current generation of an index folder, with their checksums."""
    gen = current_generation(folder)
    return {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(gen.rglob("*")) if p.is_file()}
