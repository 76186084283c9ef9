"""The engine: one opened library with its model, answering questions; safe to share between threads."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from embeddings import EmbeddingCache, Encoder
from qa.answer.calibration import GENERIC_QUESTIONS, fit_threshold, null_threshold, save_threshold, threshold_for
from qa.answer.conversation import history_turns
from qa.answer.cross_encoder import ReaderModel, load_reader
from qa.answer.pipeline import answer_question
from qa.answer.question import Question, prepare_question
from qa.answer.result import Answer, elapsed_ms
from qa.errors import UserError
from qa.index.library import BuildReport, Library, Progress, index_chunks
from qa.index.opening import LoadResult, open_or_build
from qa.index.store import LoadReason
from qa.ingest.chunking import Chunked, Passage, chunk_document
from qa.ingest.corpus import Document
from qa.ingest.formats import SUFFIX_LIST, body_key
from qa.ingest.uploads import MAX_UPLOAD_BYTES, Upload, UploadStatus, indexed, save_upload
from qa.search.filters import Filters, known_articles
from qa.search.retrieve import Hit, retrieve
from qa.settings import Settings, parse_k, parse_mode
from qa.text import clip


def build_documents(documents: Iterable[Document], settings: Settings, encoder: Encoder,
                    progress: Progress | None = None) -> LoadResult:
    """A library of in-memory documents; vectors cached under the settings' index folder when one is set."""
    chunks = tuple(chunk_document(d) for d in documents)
    if not chunks:
        raise UserError("no documents to index: pass at least one Document")
    if len({c.article.doc_id for c in chunks}) != len(chunks):
        raise UserError("two documents share an id: give each Document its own doc_id")
    with tempfile.TemporaryDirectory(prefix="sourceqa-") as scratch:
        folder = settings.index_dir / "cache" if settings.index_dir is not None else Path(scratch)
        cache = EmbeddingCache(folder, encoder.model_id, encoder.dim)
        library, report = index_chunks(chunks, "<memory>", encoder, cache, index_type=settings.index_type,
                                       progress=progress, sentences=settings.sentences)
        if settings.index_dir is not None:
            cache.save()
    return LoadResult(library, report, LoadReason.IN_MEMORY)


class Engine:
    """An opened library and its model: asks, searches, looks up, and takes new files one writer at a time."""

    FORMATS = SUFFIX_LIST  # the file types a corpus folder and an upload may hold
    UPLOAD_LIMIT = MAX_UPLOAD_BYTES  # bytes per uploaded file

    def __init__(self, settings: Settings, encoder: Encoder, loaded: LoadResult) -> None:
        """An engine over a library already opened (see `open_engine`, the usual way in)."""
        self.settings = settings
        self.encoder = encoder
        self.reader: ReaderModel | None = load_reader(settings.reader)
        self._write = threading.RLock()
        self._null: tuple[Library, float] | None = None
        self.distributed: dict[str, float] | None = None  # what Ray did, for an engine opened with `ray`
        self._set(loaded)

    def _set(self, loaded: LoadResult) -> None:
        self._library = loaded.library
        self.report: BuildReport = loaded.report
        self.reason = loaded.reason
        # A threshold fitted with `calibrate --save` applies now; documents in memory have no index folder of their own.
        folder = None if self.in_memory and self.settings.index_dir is None else self.settings.index_path
        self._fitted = threshold_for(self.encoder.model_id, folder)

    @property
    def library(self) -> Library:
        """The current snapshot (a question keeps the one it started with while an upload swaps it)."""
        return self._library

    @property
    def model_id(self) -> str:
        """The encoder's model id, as recorded in the index."""
        return self.encoder.model_id

    @property
    def passages(self) -> tuple[Passage, ...]:
        """Every indexed passage, in corpus order."""
        return self.library.passages

    @property
    def in_memory(self) -> bool:
        """Whether the engine serves documents given in memory (no corpus folder to refresh or add to)."""
        return self.reason is LoadReason.IN_MEMORY

    # --- opening and changes --------------------------------------------------------------------------------
    def refresh(self, progress: Progress | None = None, *, rebuild: bool = False) -> BuildReport:
        """Re-read the corpus folder and index what changed (`rebuild`: ignore the saved index, reuse cached vectors)."""
        if self.in_memory:
            raise UserError("this engine indexes documents given in memory: open a new one to change them")
        with self._write:
            self._set(open_or_build(self.settings.index_spec, self.encoder, rebuild=rebuild, progress=progress))
            return self.report

    def rebuild(self, progress: Progress | None = None) -> BuildReport:
        """Build the index again, ignoring the saved one (cached vectors are still reused)."""
        return self.refresh(progress, rebuild=True)

    def add_files(self, files: Iterable[tuple[str, bytes]], progress: Progress | None = None,
                  ) -> tuple[list[Upload], BuildReport | None]:
        """Save uploaded files into the corpus folder (checked, safely named), then index what is new."""
        if self.in_memory:
            raise UserError("this engine indexes documents given in memory: it has no folder to add files to")
        folder = Path(self.settings.corpus)
        with self._write:
            known = {body_key(c.article.text, c.article.body_start) for c in self.library.chunks}
            results = [save_upload(folder, name, data, known) for name, data in files]
            report = None
            if any(r.status == UploadStatus.ADDED for r in results):
                report = self.refresh(progress)
                results = [indexed(r, self.library.chunks, folder) for r in results]
        return results, report

    # --- questions ------------------------------------------------------------------------------------------
    def question(self, text: object) -> Question:
        """A question checked and cut to what this engine's model reads; UserError when it has no words."""
        return prepare_question(text, self.encoder.truncate)

    def threshold(self) -> float:
        """The "not in the sources" threshold: one fitted with `calibrate --save`, else this library's null threshold.

        The null threshold comes from generic questions no news archive answers, asked of this library once (one
        batched encoder call) and kept until the library changes.
        """
        if self._fitted is not None:
            return self._fitted
        library = self.library
        known = self._null
        if known is not None and known[0] is library:
            return known[1]
        vectors = self.encoder.encode(list(GENERIC_QUESTIONS), show_progress=False)
        maxima = [float(library.sentence_vectors.search(v, 1)[0][:1].max(initial=0.0)) for v in vectors]
        value = null_threshold(maxima)
        self._null = (library, value)
        return value

    def search(self, question: str | Question, *, mode: str | None = None, k: int | None = None,
               filters: Filters | None = None, timings: dict[str, float] | None = None) -> list[Hit]:
        """Ranked passages (`mode`, `k` default to the settings); `timings` gets the encode, search and fusion ms."""
        q = question if isinstance(question, Question) else self.question(question)
        mode, k = parse_mode(mode or self.settings.mode), parse_k(k or self.settings.k)
        library = self.library
        filters = known_articles(filters or Filters(), library)
        timings = {} if timings is None else timings
        began = time.perf_counter()
        vector = self.encoder.encode_query(q.text) if mode != "bm25" else None
        timings["encode"] = elapsed_ms(began)
        return retrieve(library, q.text, vector, mode=mode, k=k, filters=filters, timings=timings)

    def ask(self, question: str, history: Sequence[object] = (), *, mode: str | None = None, k: int | None = None,
            filters: Filters | None = None) -> Answer:
        """An extractive, cited answer; `history` holds the conversation's earlier Answers (or questions)."""
        return self.ask_ranked(question, history, mode=mode, k=k, filters=filters)[0]

    def ask_ranked(self, question: str, history: Sequence[object] = (), *, mode: str | None = None,
                   k: int | None = None, filters: Filters | None = None) -> tuple[Answer, list[Hit]]:
        """`ask`, with the top k passages the answer was composed from: the ranking and the answer of one encoding.

        A question with no words, an unknown mode, k or article raises UserError.
        """
        library = self.library  # one snapshot for the whole question, even if an upload swaps it meanwhile
        q = self.question(question)
        mode, k = parse_mode(mode or self.settings.mode), parse_k(k or self.settings.k)
        filters = known_articles(filters or Filters(), library)
        return answer_question(library, self.encoder, q, history_turns(history), mode=mode, k=k, filters=filters,
                               threshold=self.threshold(), reader=self.reader, reasons=self.settings.reasons)

    def calibrate(self, answerable: Sequence[str], off_topic: Sequence[str], save: Path | None = None,
                  source: str = "") -> dict:
        """Fit the "not in the sources" threshold on questions the articles answer and ones they do not (`source`
        names the question set in the saved entry). With `save`, it is written there and this engine uses it."""
        try:
            entry = fit_threshold([self.ask(q).evidence for q in answerable], [self.ask(q).evidence for q in off_topic])
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if source:
            entry["queries"] = source
        if save is not None:
            save_threshold(save, self.model_id, entry)
            self._fitted = float(entry["threshold"])
        return {"model": self.model_id, **entry}

    # --- lookups --------------------------------------------------------------------------------------------
    def passage(self, passage_id: str) -> Passage:
        """A passage by id `<doc-id>:<n>`; a UserError saying what exists when there is none."""
        library = self.library
        pid = str(passage_id).strip()
        row = library.rows.get(pid)
        if row is not None:
            return library.passages[row]
        doc, _, n = pid.rpartition(":")
        if not doc or not n.isdigit():
            example = library.passages[0].id if library.passages else "article:1"
            raise UserError(f"{clip(passage_id)} is not a passage id: use ARTICLE:N, e.g. {example}")
        if doc not in library.articles:
            raise UserError(f"no article {clip(doc)} in {library.folder}: see `python -m qa articles` for the ids")
        count = sum(1 for p in library.passages if p.doc_id == doc)
        raise UserError(f"article {clip(doc)} has paragraphs 1 to {count}, not {clip(n)}")

    def article(self, doc_id: str) -> Chunked:
        """An article with its passages and the paragraphs left out of them."""
        for c in self.library.chunks:
            if c.article.doc_id == doc_id:
                return c
        raise UserError(f"no article {clip(doc_id)} in {self.library.folder}: see `python -m qa articles` for the ids")

    def articles(self) -> list[Chunked]:
        """Every article with its passages and what was left out, in corpus order."""
        return list(self.library.chunks)


def open_engine(settings: Settings | None = None, *, documents: Iterable[Document] | None = None,
                encoder: Encoder | None = None, progress: Progress | None = None, rebuild: bool = False,
                ray: str | None = None) -> Engine:
    """A ready engine: the settings' corpus folder loaded or built, or the `documents` given in memory indexed.

    `encoder` shares a model another engine already loaded (`engine.encoder`; ignored when the settings name another
    model); `rebuild` ignores a saved index (documents are always indexed afresh, from cached vectors);
    `ray` reads, chunks and encodes the folder on Ray first ("" starts a local Ray, else a cluster's address), and
    `engine.distributed` then says what Ray did.
    """
    settings = settings or Settings.load()
    summary = None
    if documents is not None and ray is not None:
        raise UserError("documents in memory are indexed in this process: open them without `ray`")
    if ray is not None:
        from qa.index.distributed import check_ray, embed_with_ray  # Ray is optional: imported only when asked for

        check_ray(ray or None)  # before the model loads: a wrong address fails in seconds
    model = settings.encoder_spec(documents=documents is not None)
    if encoder is None or not model.matches(encoder):
        encoder = model.load()
    if documents is not None:
        return Engine(settings, encoder, build_documents(documents, settings, encoder, progress))
    if ray is not None:
        summary = embed_with_ray(settings.index_spec, model, encoder, ray or None)
    loaded = open_or_build(settings.index_spec, encoder, rebuild=rebuild or ray is not None, progress=progress)
    engine = Engine(settings, encoder, loaded)
    engine.distributed = summary
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


def ask(question: str, history: Sequence[object] = (), *, mode: str | None = None, k: int | None = None,
        filters: Filters | None = None) -> Answer:
    """Answer a question from the default engine's articles (as `Engine.ask`)."""
    return default_engine().ask(question, history, mode=mode, k=k, filters=filters)


def search(question: str, *, mode: str | None = None, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
    """Ranked passages from the default engine's articles (as `Engine.search`)."""
    return default_engine().search(question, mode=mode, k=k, filters=filters)
