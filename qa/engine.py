"""The engine: settings, the encoder and the current Library, safe to share between threads."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from embeddings import EmbeddingCache, Encoder, ModelLoadError
from qa.answer import NOT_IN_SOURCES, Answer, Status, elapsed_ms
from qa.calibration import GENERIC_QUESTIONS, null_threshold, threshold_for
from qa.chunking import Chunked, Passage
from qa.compose import compose
from qa.conversation import Turn, history_turns, is_follow_up, refers_to_answer, search_text
from qa.corpus import body_key, doc_id_for, load_corpus
from qa.errors import UserError
from qa.library import BuildReport, Library, chunk_corpus, index_chunks
from qa.question import Analysis, analyze
from qa.reader import CANDIDATE_PASSAGES, read, reading_depth
from qa.reader_model import ReaderModel
from qa.retrieve import Filters, Hit, retrieve, with_earlier_citations
from qa.settings import Settings, parse_k, parse_mode
from qa.store import index_folder_writable, load_library, remove_leftovers, save_library
from qa.text import tidy
from qa.uploads import Upload, save_upload

log = logging.getLogger("qa")

_PASSAGE_ID = re.compile(r"^(?P<doc>.+):(?P<n>\d+)$")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Question:
    """A question as searched: cleaned, cut to what the model reads, with notes on what was changed."""

    text: str
    notes: tuple[str, ...] = ()


def clean_question(text: object) -> str:
    """A question with control characters and runs of whitespace removed; UserError when nothing is left."""
    if not isinstance(text, str):
        raise UserError("the question must be text")
    clean = tidy(text)
    if not any(ch.isalnum() for ch in clean):
        what = "has no words (only symbols or punctuation)" if clean else "is empty"
        raise UserError(f"the question {what}: type a question, e.g. \"Why does Russia engage the Taliban?\"")
    return clean


def prepare_question(text: str, encoder: Encoder) -> Question:
    """Clean a question (control characters out), refuse an empty one, cut a long one to the model's limit."""
    clean = clean_question(text)
    cut, was_cut = encoder.truncate(clean)
    notes = ()
    if was_cut:
        notes = (f"The question was cut to its first {len(cut)} of {len(clean)} characters, which is what the model reads.",)
    return Question(cut, notes)


class Engine:
    """Answers searches over the current Library and applies changes to the corpus, one writer at a time."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        """Load the model; call `open()` to load or build the index."""
        self.settings = settings
        try:
            self.encoder = encoder or Encoder(settings.model, backend=settings.backend, cache_dir=settings.model_cache)
        except ModelLoadError as exc:
            raise UserError(f"{exc}") from exc
        self._library: Library | None = None
        self._write = threading.RLock()
        self.last_report: BuildReport | None = None
        self._fitted: float | None = None
        self.reader = ReaderModel(settings.reader) if settings.reader else None
        self._null: tuple[Library, float] | None = None

    @property
    def library(self) -> Library:
        """The current snapshot (queries keep using the one they started with while an update swaps it)."""
        if self._library is None:
            raise RuntimeError("the engine is not open: call Engine.open() first")
        return self._library

    def open(self, progress: Progress | None = None) -> BuildReport:
        """Use the saved index when it matches the corpus and model; otherwise build (reusing cached vectors)."""
        with self._write:
            return self._refresh(progress)

    def rebuild(self, progress: Progress | None = None) -> BuildReport:
        """Build the index again, ignoring the saved one (cached vectors are still reused)."""
        with self._write:
            return self._refresh(progress, force=True)

    def _refresh(self, progress: Progress | None, force: bool = False) -> BuildReport:
        began = time.perf_counter()
        self._fitted = threshold_for(self.encoder.model_id, self.settings.index_path)  # a calibrate --save takes effect now
        settings = self.settings
        corpus = load_corpus(settings.corpus)
        folder = settings.index_path
        remove_leftovers(folder)
        chunks = chunk_corpus(corpus, settings.max_paragraphs)
        if force:
            library, reasons = None, ["rebuild requested"]
        else:
            library, reasons = load_library(folder, corpus, self.encoder.model_id, settings.index_type, chunks)
        if library is not None:
            self._library = library
            report = BuildReport(
                articles=len(library.chunks), passages=len(library.passages),
                dropped=sum(len(c.boilerplate) for c in library.chunks), sentences=len(library.sentences),
                embedded=0, reused=0, seconds=time.perf_counter() - began, loaded=True,
            )
            self.last_report = report
            return report
        if reasons not in (["no saved index"], ["rebuild requested"]):
            level = logging.WARNING if any("damaged" in r for r in reasons) else logging.INFO
            log.log(level, "rebuilding the index in %s: %s", folder, "; ".join(reasons))
        problem = index_folder_writable(folder)
        cache = EmbeddingCache(folder / "cache", self.encoder.model_id, self.encoder.dim)
        library, report = index_chunks(chunks, corpus.folder, self.encoder, cache, index_type=settings.index_type,
                                       progress=progress, warnings=corpus.warnings)
        report = replace(report, reasons=tuple(reasons))
        if problem is None:
            try:
                save_library(library, folder, cache)
            except OSError as exc:
                problem = f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or folder})"
        if problem is not None:
            log.warning("could not save the index: %s; serving it from memory", problem)
            report = replace(report, saved=False, save_error=problem)
        self._library = library
        self.last_report = report
        return report

    def refresh(self, progress: Progress | None = None) -> BuildReport:
        """Re-read the corpus folder and index what changed."""
        return self.open(progress)

    # --- queries -------------------------------------------------------------------------------------------
    def question(self, text: str) -> Question:
        """`prepare_question` with this engine's model."""
        return prepare_question(text, self.encoder)

    def search(
        self,
        question: str | Question,
        *,
        mode: str | None = None,
        k: int | None = None,
        filters: Filters | None = None,
        library: Library | None = None,
    ) -> list[Hit]:
        """Ranked passages for a question (`mode`, `k` default to the settings)."""
        q = question if isinstance(question, Question) else self.question(question)
        mode = parse_mode(mode or self.settings.mode)
        k = parse_k(k or self.settings.k)
        library = library or self.library
        filters = known_articles(filters or Filters(), library)
        vector = self.encoder.encode_query(q.text) if mode != "bm25" else None
        return retrieve(library, q.text, vector, mode=mode, k=k, filters=filters)

    def threshold(self, library: Library | None = None) -> float:
        """The "not in the sources" threshold: one fitted with `calibrate --save`, else this corpus's null threshold.

        The null threshold comes from generic questions no news archive answers, asked of this library once (one
        batched encoder call) and kept until the library changes.
        """
        if self._fitted is not None:
            return self._fitted
        library = library or self.library
        known = self._null
        if known is not None and known[0] is library:
            return known[1]
        vectors = self.encoder.encode(list(GENERIC_QUESTIONS), show_progress=False)
        maxima = [float(library.sentence_vectors.search(v, 1)[0][:1].max(initial=0.0)) for v in vectors]
        value = null_threshold(maxima)
        self._null = (library, value)
        return value

    def ask(
        self,
        question: str,
        history: Sequence[object] = (),
        *,
        mode: str | None = None,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        """An extractive, cited answer; problems with the question come back as an Answer, never raised."""
        return self.ask_ranked(question, history, mode=mode, k=k, filters=filters)[0]

    def ask_ranked(
        self,
        question: str,
        history: Sequence[object] = (),
        *,
        mode: str | None = None,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> tuple[Answer, list[Hit]]:
        """`ask`, with the top k passages the answer was composed from: the ranking and the answer of one encoding."""
        began = time.perf_counter()
        library = self.library  # one snapshot for the whole question, even if an upload swaps it meanwhile
        try:
            q = self.question(question)
            mode = parse_mode(mode or self.settings.mode)
            k = parse_k(k or self.settings.k)
            filters = known_articles(filters or Filters(), library)
        except UserError as exc:
            return Answer(question=str(question)[:500], status="invalid", message=str(exc)), []
        turns = history_turns(history)
        timings: dict[str, float] = {}
        threshold = self.threshold(library)
        own = analyze(q.text)
        follow, text, vectors, hits = self.gather(q.text, turns, mode, k, filters, library, timings, reading_depth(own.wants))
        t = time.perf_counter()
        analysis, focus = self.analyses(own, text if follow else q.text)
        pool = read(library, analysis, hits, vectors, reading_depth(own.wants))
        if self.reader is not None:
            pool = self.reader.rescore(analysis.text, pool)
        made = compose(library, analysis, focus, hits, pool, threshold, own, earlier=earlier_passages(library, q.text, turns))
        timings["answer"] = elapsed_ms(t)
        timings["total"] = elapsed_ms(began)
        notes = q.notes + (("Read as a follow-up to the previous question.",) if follow else ())
        if not hits and filters.active:
            message = "No article matches the filters (articles or dates): widen or clear them and ask again."
        else:
            message = NOT_IN_SOURCES if made.status == Status.NOT_IN_SOURCES else made.message
        answer = Answer(
            question=q.text, status=made.status, sentences=made.sentences, citations=made.citations,
            message=message, notes=notes, search_text=text, follow_up=follow, evidence=made.evidence,
            threshold=threshold, mode=mode, wants=str(analysis.wants), missing=made.missing, timings_ms=timings,
        )
        return answer, hits[:k]

    def gather(self, question: str, turns: Sequence[Turn], mode: str, k: int, filters: Filters, library: Library,
               timings: dict[str, float], depth: int = CANDIDATE_PASSAGES) -> tuple[bool, str, np.ndarray, list[Hit]]:
        """(follow-up?, text searched, query vectors, hits) for a cleaned question: what the reader reads from."""
        follow = is_follow_up(question, turns)
        text, _ = self.encoder.truncate(search_text(question, turns))
        t = time.perf_counter()
        # One encoder call: a follow-up also needs its own vector, to pick the sentences that answer it.
        vectors = self.encoder.encode([text, question] if follow else [text], show_progress=False)
        timings["encode"] = elapsed_ms(t)
        hits = retrieve(library, text, vectors[0] if mode != "bm25" else None, mode=mode,
                        k=max(k, depth), filters=filters, timings=timings)
        hits = with_earlier_citations(library, hits, earlier_passages(library, question, turns))
        return follow, text, vectors, hits

    @staticmethod
    def analyses(own: Analysis, searched: str) -> tuple[Analysis, Analysis]:
        """The question as the reader reads it, and as the partial check reads it (with the questions it follows).

        A follow-up keeps its own answer kind ("Who said that?" wants a speaker) and takes its focus from the
        conversation, since its own words ("that") name nothing.
        """
        if searched == own.text:
            return own, own
        whole = analyze(searched)
        return replace(own, focus=whole.focus, entities=whole.entities), whole

    def encode(self, text: str) -> np.ndarray:
        """The query vector of a text."""
        return self.encoder.encode_query(text)

    # --- lookups -------------------------------------------------------------------------------------------
    def passage(self, passage_id: str) -> Passage:
        """A passage by id `<doc-id>:<n>`; a clear UserError when there is none."""
        library = self.library
        row = library.rows.get(passage_id.strip())
        if row is None:
            match = _PASSAGE_ID.match(passage_id.strip())
            if not match:
                raise UserError(f"{passage_id!r} is not a passage id: use ARTICLE:N, e.g. {library.passages[0].id if library.passages else 'article:1'}")
            doc = match.group("doc")
            if doc not in library.articles:
                raise UserError(f"no article {doc!r} in {library.folder}: see `python -m qa articles` for the ids")
            count = sum(1 for p in library.passages if p.doc_id == doc)
            raise UserError(f"article {doc!r} has paragraphs 1 to {count}, not {match.group('n')}")
        return library.passages[row]

    def neighbours(self, passage_id: str, around: int = 1) -> list[Passage]:
        """A passage with up to `around` paragraphs of the same article before and after it."""
        p = self.passage(passage_id)
        chunk = self.chunk(p.doc_id)
        lo, hi = max(0, p.n - 1 - around), min(len(chunk.passages), p.n + around)
        return list(chunk.passages[lo:hi])

    def chunk(self, doc_id: str) -> Chunked:
        """An article's passages and dropped paragraphs."""
        for c in self.library.chunks:
            if c.article.doc_id == doc_id:
                return c
        raise UserError(f"no article {doc_id!r} in {self.library.folder}")

    def articles(self) -> list[Chunked]:
        """Every article with its passages and what was dropped, in corpus order."""
        return list(self.library.chunks)

    # --- changes -------------------------------------------------------------------------------------------
    def add_files(self, files: Iterable[tuple[str, bytes]], progress: Progress | None = None) -> tuple[list[Upload], BuildReport | None]:
        """Save uploaded files into the corpus folder (checked, safely named), then index what is new."""
        folder = Path(self.settings.corpus)
        results: list[Upload] = []
        with self._write:
            known = {body_key(c.article.text, c.article.body_start) for c in self.library.chunks}
            for name, data in files:
                results.append(save_upload(folder, name, data, known))
            report = None
            if any(r.status == "added" for r in results):
                report = self._refresh(progress)
                results = [_indexed(r, self.library, folder) for r in results]
        return results, report


def earlier_passages(library: Library, question: str, turns: Sequence[Turn]) -> tuple[str, ...]:
    """The passages a follow-up points at: those the previous answer cited, then the paragraph before each (where
    "said Kabulov" or the date often stands when the cited one says "he replied")."""
    cited = refers_to_answer(question, turns)
    before = []
    for pid in cited:
        doc, _, n = pid.rpartition(":")
        prev = f"{doc}:{int(n) - 1}" if n.isdigit() and int(n) > 1 else ""
        if prev in library.rows and prev not in cited:
            before.append(prev)
    return tuple(cited) + tuple(dict.fromkeys(before))


def known_articles(filters: Filters, library: Library) -> Filters:
    """The filters, if every article they name is in the library; otherwise a UserError naming the unknown ones."""
    known = library.articles  # built once per library, not per question
    unknown = [d for d in filters.doc_ids if d not in known]
    if unknown:
        listed = ", ".join(sorted(known)[:8]) + (", …" if len(known) > 8 else "")
        raise UserError(f"no article {', '.join(map(repr, unknown))} in the library; article ids are: {listed} "
                        "(`python -m qa articles` lists them)")
    return filters


def _indexed(upload: Upload, library: Library, folder: Path) -> Upload:
    """An added upload with the count of its paragraphs now in the index, and a warning when nothing of it is."""
    if upload.status != "added" or upload.saved_as is None:
        return upload
    doc_id = doc_id_for(folder, folder / upload.saved_as)
    chunk = next((c for c in library.chunks if c.article.doc_id == doc_id), None)
    count = len(chunk.passages) if chunk else 0
    message = upload.message
    if count == 0:
        why = sorted({d.reason for d in chunk.dropped}) if chunk else []
        message += ("; but no paragraph of it is article prose, so nothing of it can be searched"
                    + (f" (dropped as {', '.join(why)})" if why else "")
                    + ": give each paragraph whole sentences, or put the title in a front matter")
    return replace(upload, message=message, paragraphs=count)


def open_engine(settings: Settings | None = None, progress: Progress | None = None, encoder: Encoder | None = None) -> Engine:
    """An engine with its index loaded or built: the usual way in."""
    engine = Engine(settings or Settings.load(), encoder)
    engine.open(progress)
    return engine


_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The engine for the default settings (environment variables included), opened once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = open_engine(Settings.load())
        return _default


def ask(question: str, history: Sequence[object] = (), **options: object) -> Answer:
    """Answer a question from the default engine's articles (see Engine.ask for `history` and options)."""
    return default_engine().ask(question, history, **options)  # type: ignore[arg-type]
