"""The command line: `python -m qa index | search | show | articles | ask | verify | calibrate | bench` over the public API."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from qa.answer import Answer, Citation, citation_for
from qa.calibration import fit_threshold, save_threshold
from qa.chunking import paragraph_label
from qa.corpus import load_corpus
from qa.engine import Engine, clean_question, open_engine
from qa.errors import UserError
from qa.queries import load_queries
from qa.retrieve import Filters, Hit
from qa.settings import MODES, Settings, parse_k
from qa.verify import citation_from_dict, verify

EXIT_USER_ERROR = 2
EXIT_REGRESSION = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"error: {message} (see `{self.prog} --help`)\n")


def library_options(parser: argparse.ArgumentParser) -> None:
    """The flags that choose the articles, the index and the model (shared by the CLI and app.py)."""
    parser.add_argument("--corpus", metavar="DIR", help="folder of articles: .txt, .md, .html, .htm, .pdf (default: the bundled corpus; env SOURCEQA_CORPUS)")
    parser.add_argument("--index-dir", metavar="DIR", help="index folder (default: DIR/.sourceqa inside the corpus; env SOURCEQA_INDEX_DIR)")
    parser.add_argument("--model", metavar="NAME_OR_PATH", help="sentence-transformers model name or folder (default: bundled all-MiniLM-L6-v2; env SOURCEQA_MODEL)")
    parser.add_argument("--index-type", choices=("auto", "flat", "hnsw", "ivf"),
                        help="vector index: 'auto' (default: exact up to 100,000 vectors, IVF above), exact 'flat', or "
                             "approximate 'hnsw'/'ivf' (env SOURCEQA_INDEX_TYPE)")
    parser.add_argument("--backend", choices=("onnx", "onnx-int8", "torch"),
                        help="encoder: ONNX Runtime 'onnx' (default; exported once into the index folder), 'onnx-int8' "
                             "(quantised: faster, its own index) or 'torch' (env SOURCEQA_BACKEND)")
    parser.add_argument("--reader", metavar="NAME_OR_PATH", help="a sentence-transformers CrossEncoder that rescores answer sentences (default: the built-in reader; env SOURCEQA_READER)")
    parser.add_argument("--max-paragraphs", metavar="N", help="paragraphs indexed per file, the rest left out with a warning (default 1000; env SOURCEQA_MAX_PARAGRAPHS)")


def _common(parser: argparse.ArgumentParser) -> None:
    library_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _search_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=MODES, help="retrieval mode (default: hybrid; env SOURCEQA_MODE)")
    parser.add_argument("--k", help="number of passages (default: 5; env SOURCEQA_K)")
    parser.add_argument("--article", action="append", metavar="DOC_ID", help="only search this article (repeatable)")
    parser.add_argument("--from", dest="date_from", metavar="DATE", help="only articles dated on or after DATE (YYYY[-MM[-DD]])")
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="only articles dated on or before DATE (YYYY[-MM[-DD]])")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="python -m qa", description="Ask questions of a folder of articles; every answer sentence is cited.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("index", help="load or build the index and print a summary")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="ignore the saved index (cached vectors are still reused)")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="read, chunk and encode on Ray (a cluster's HOST:PORT, ray://HOST:PORT or 'auto'; without an "
                        "address a local Ray is started for the run), then build the same index as a local build")

    p = sub.add_parser("search", help="ranked passages for a question")
    _common(p)
    _search_options(p)
    p.add_argument("question")

    p = sub.add_parser("show", help="a paragraph (ARTICLE:N) with its neighbours")
    _common(p)
    p.add_argument("passage_id", metavar="ARTICLE:N")
    p.add_argument("--around", type=int, default=1, help="paragraphs to show before and after (default 1)")

    p = sub.add_parser("articles", help="the articles in the corpus, with paragraph counts")
    _common(p)

    p = sub.add_parser("ask", help="an answer made of the articles' own sentences, each cited [n]")
    _common(p)
    _search_options(p)
    p.add_argument("question")
    p.add_argument("--after", action="append", metavar="QUESTION", help="an earlier question of the conversation (repeatable, oldest first)")

    p = sub.add_parser("verify", help="check citations against the source files")
    _common(p)
    p.add_argument("target", metavar="ARTICLE:N|ANSWER.json", help="a passage id, or a file saved from `ask --json`")

    p = sub.add_parser("calibrate", help="fit the 'not in the sources' threshold for the model on a question set")
    _common(p)
    p.add_argument("--queries", metavar="FILE", help="JSON Lines question set with off-topic questions (default: the shipped set)")
    p.add_argument("--save", nargs="?", const="", metavar="FILE",
                   help="save the threshold in FILE (default: the index folder's calibration.json, which overrides qa/calibration.json)")

    p = sub.add_parser("bench", help="benchmark retrieval per mode on a question set (or a BEIR dataset): metrics, latency, reports")
    _common(p)
    p.add_argument("--queries", metavar="FILE", action="append", help="JSON Lines question set; repeat to join several files into one set (default: the shipped bench/queries/russia-taliban.jsonl)")
    p.add_argument("--modes", metavar="LIST", help=f"comma-separated retrieval modes (default: {','.join(MODES)})")
    p.add_argument("--k", help="passages ranked per question (default 10; metrics with a cutoff above k are left out)")
    p.add_argument("--out", metavar="DIR", help="write report.json, report.md and PNG charts here "
                   "(default: bench/out/<time>-<name>/, with bench/out/latest pointing at it)")
    p.add_argument("--compare", metavar="OLD.json", help="show each metric's change against an earlier report.json")
    p.add_argument("--fail-on-drop", metavar="X", help="with --compare: exit 1 when any metric gets worse by more than X "
                   "(absolute, on the 0-1 scale, e.g. 0.02)")
    p.add_argument("--no-build", action="store_true", help="skip timing a fresh index build (saves the corpus's encoding time)")
    p.add_argument("--beir", metavar="DIR", help="benchmark on a BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv) "
                   "instead; --index-dir then holds its vector cache (default ~/.cache/sourceqa/beir-<name>)")
    p.add_argument("--split", help="with --beir: the qrels split to score (default test; tune on train)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    # Cheap checks first, so a typo is reported before the model takes seconds to load.
    if getattr(args, "question", None) is not None:
        clean_question(args.question)
    settings = Settings.load(
        corpus=args.corpus, index_dir=args.index_dir, model=args.model, index_type=args.index_type,
        mode=getattr(args, "mode", None), k=getattr(args, "k", None), max_paragraphs=args.max_paragraphs,
        reader=getattr(args, "reader", None),
        backend=args.backend,
    )
    if not settings.corpus.is_dir():
        load_corpus(settings.corpus)  # raises the UserError that names the folder and the fix
    return settings


def _filters(args: argparse.Namespace) -> Filters:
    return Filters.checked(args.article or (), args.date_from, args.date_to)


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_index(args: argparse.Namespace) -> None:
    settings = _settings(args)
    if args.ray is not None:
        from qa.distributed import check_ray

        check_ray(args.ray or None)  # before the model loads: a wrong address fails in seconds
    engine = Engine(settings)
    distributed = None
    if args.ray is not None:
        from qa.distributed import embed_with_ray

        distributed = embed_with_ray(engine.settings, engine.encoder, args.ray or None)
    report = engine.rebuild() if args.rebuild or distributed else engine.open()
    if args.json:
        _print_json({"index_dir": str(engine.settings.index_path), **report.__dict__,
                     **({"ray": distributed} if distributed else {})})
    else:
        if distributed:
            print(f"Ray: {distributed['files']} files read and chunked, {distributed['encoded']} texts encoded by "
                  f"{distributed['actors']} encoder actor(s) in {distributed['seconds']:.1f} s")
        print(report.summary())


def cmd_search(args: argparse.Namespace) -> None:
    filters = _filters(args)  # a malformed date is reported before the model loads
    engine = open_engine(_settings(args))
    question = engine.question(args.question)
    hits = engine.search(question, filters=filters)
    if args.json:
        _print_json({"question": question.text, "notes": list(question.notes), "mode": engine.settings.mode,
                     "hits": [h.to_dict() for h in hits]})
        return
    for note in question.notes:
        print(f"note: {note}")
    if not hits:
        print("no passages match")
    for h in hits:
        a = h.passage.article
        print(f"{h.rank}. [{h.passage.id}] {h.score:.3f}  {a.title if a else ''} ({a.publisher if a else ''}, {a.date if a else ''}) {paragraph_label(h.passage.n, h.passage.page)}")
        print(f"   {h.passage.text}\n")


def cmd_show(args: argparse.Namespace) -> None:
    engine = open_engine(_settings(args))
    target = engine.passage(args.passage_id)
    around = engine.neighbours(target.id, max(0, args.around))
    if args.json:
        _print_json({"passage": target.to_dict(), "article": target.article.to_dict() if target.article else None,
                     "neighbours": [p.to_dict() for p in around]})
        return
    a = target.article
    if a:
        print(f"{a.title} ({a.publisher or 'unknown publisher'}, {a.date or 'undated'}) - {a.path}\n")
    for p in around:
        mark = ">>" if p.id == target.id else "  "
        section = f" [{p.section}]" if p.section else ""
        print(f"{mark} {paragraph_label(p.n, p.page)}{section} (chars {p.start}-{p.end})\n{p.text}\n")


def cmd_articles(args: argparse.Namespace) -> None:
    engine = open_engine(_settings(args))
    rows = [
        {**c.article.to_dict(), "paragraphs": len(c.passages), "dropped_boilerplate": len(c.boilerplate)}
        for c in engine.articles()
    ]
    if args.json:
        _print_json(rows)
        return
    for r in rows:
        print(f"{r['doc_id']}\n   {r['title']} ({r['publisher'] or '-'}, {r['date'] or 'undated'}): "
              f"{r['paragraphs']} paragraphs, {r['dropped_boilerplate']} boilerplate dropped")


def _print_answer(answer: Answer) -> None:
    for note in answer.notes:
        print(f"note: {note}")
    print(answer.text)
    if answer.citations:
        print()
    for c in answer.citations:
        weak = " (weak)" if c.weak else ""
        print(f"[{c.marker}]{weak} {c.title} - {c.publisher or 'unknown publisher'}, {c.date or 'undated'}, {paragraph_label(c.n, c.page)} "
              f"({c.passage_id}, score {c.score:.3f})")
        for a, b in c.highlights:
            print(f"    > {c.text[a:b]}  (chars {a}-{b} of the paragraph)")


def cmd_ask(args: argparse.Namespace) -> None:
    filters = _filters(args)  # a malformed date is reported before the model loads
    engine = open_engine(_settings(args))
    answer = engine.ask(args.question, history=args.after or (), filters=filters)
    if answer.status == "invalid":
        raise UserError(answer.message)
    if args.json:
        _print_json(answer.to_dict())
    else:
        _print_answer(answer)


def _citations_in(path: str) -> list[Citation]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {path} as JSON ({exc}): pass ARTICLE:N or a file saved from `ask --json`") from None
    items = data.get("citations", data) if isinstance(data, dict) else data
    items = [] if items is None else items if isinstance(items, list) else [items]
    try:
        return [citation_from_dict(item) for item in items]
    except ValueError as exc:
        raise UserError(f"{path}: {exc}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    if args.target.endswith(".json") or Path(args.target).is_file():
        citations = _citations_in(args.target)
    else:
        engine = open_engine(_settings(args))
        p = engine.passage(args.target)
        hit = Hit(p, 0.0, 1)
        citations = [citation_for(hit, 1)]
    results = [verify(c) for c in citations]
    if not results and not args.json:
        print(f"{args.target}: no citations to verify (an answer that cites nothing)")
    if args.json:
        _print_json([r.to_dict() for r in results])
    else:
        for r in results:
            print(r.message())
    return 0 if all(r.ok for r in results) else 1


def cmd_calibrate(args: argparse.Namespace) -> None:
    engine = open_engine(_settings(args))
    queries = load_queries(args.queries)
    evidence = {q.id: engine.ask(q.question).evidence for q in queries}
    try:
        entry = fit_threshold([evidence[q.id] for q in queries if q.answerable],
                              [evidence[q.id] for q in queries if not q.answerable])
    except ValueError as exc:
        raise UserError(f"{args.queries or 'the shipped set'}: {exc}") from None
    entry["queries"] = str(args.queries or "bench/queries/russia-taliban.jsonl")
    model = engine.encoder.model_id
    target = Path(args.save) if args.save else engine.settings.index_path / "calibration.json"
    if args.save is not None:
        save_threshold(target, model, entry)
    if args.json:
        _print_json({"model": model, **entry})
        return
    print(f"model {model}: threshold {entry['threshold']} on the best sentence cosine "
          f"(weakest answerable {entry['answerable_min']}, strongest off-topic {entry['off_topic_max']}, "
          f"{'separated' if entry['separated'] else 'NOT separated: some questions will be misjudged'})")
    if args.save is not None:
        print(f"saved in {target}")


def _fail_limit(args: argparse.Namespace) -> float | None:
    if args.fail_on_drop is None:
        return None
    if not args.compare:
        raise UserError("--fail-on-drop needs --compare OLD.json: the report to measure the drop against")
    try:
        limit = float(args.fail_on_drop)
    except ValueError:
        raise UserError(f"--fail-on-drop must be a number such as 0.02, not {args.fail_on_drop!r}") from None
    if not 0 <= limit <= 1:
        raise UserError(f"--fail-on-drop is an absolute drop on the 0-1 scale (e.g. 0.02), not {limit}")
    return limit


class _ProgressBar:
    """A progress callback drawing one tqdm bar on stderr, opened at the first report (so early errors stay one line)."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm.auto import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, unit="step", mininterval=1.0, file=sys.stderr)
        elif self._bar.total != total or done < self._bar.n:
            self._bar.reset(total=total)  # a new stage with its own count (BEIR: encoding, then each mode)
        self._bar.set_description(stage, refresh=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Close the bar, if one was opened."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def cmd_bench(args: argparse.Namespace) -> int:
    from qa import bench
    from qa import report as reports

    # Everything that can be wrong with the flags or files is checked before the model takes seconds to load.
    limit = _fail_limit(args)
    if args.split and not args.beir:
        raise UserError("--split applies to BEIR data: pass --beir DIR too (a question set has no splits)")
    old = reports.load_report(args.compare) if args.compare else None
    modes = bench.parse_modes(args.modes)
    command = "python -m qa " + shlex.join(getattr(args, "argv", None) or ["bench"])
    progress = _ProgressBar()
    try:
        if args.beir:
            from embeddings import Encoder, ModelLoadError
            from qa import beir

            data = beir.load_beir(args.beir, args.split or "test")
            settings = Settings.load(model=args.model, index_type=args.index_type, backend=args.backend)
            try:
                encoder = Encoder(settings.model, backend=settings.backend)
            except ModelLoadError as exc:
                raise UserError(str(exc)) from None
            report = beir.run_beir(data, encoder, modes, index_dir=args.index_dir, index_type=settings.index_type,
                                   progress=progress, command=command)
        else:
            queries = load_queries(args.queries)
            k = parse_k(args.k) if args.k is not None else bench.DEFAULT_K
            name = bench.queries_name(args.queries)
            engine = open_engine(_settings(args))
            report = bench.run_benchmark(engine, queries, modes, k, build=not args.no_build, progress=progress,
                                         name=name, command=command)
    finally:
        progress.close()
    deltas = reports.compare(old, report) if old else ()
    against = args.compare or ""
    folder = bench.save_run(report, args.out, deltas, against)
    failed = reports.regressions(deltas, limit) if limit is not None else ()
    if args.json:
        _print_json({"out": str(folder), "metrics": {m.mode: m.metrics for m in report.modes},
                     "latency_ms": {m.mode: m.latency_ms for m in report.modes}, "encode_ms": report.encode_ms,
                     "build": report.build.to_dict() if report.build else None,
                     "comparison": [d.to_dict() for d in deltas], "regressions": [d.to_dict() for d in failed]})
    else:
        print(reports.markdown(report, deltas, against))
        print(f"reports written to {folder}/")
    if failed:
        worst = ", ".join(f"{d.mode} {reports.label(d.metric)} {d.old:.3f} -> {d.new:.3f}" for d in failed)
        print(f"regression: {len(failed)} metric(s) fell by more than {limit}: {worst}", file=sys.stderr)
        return EXIT_REGRESSION
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int | None]] = {
    "index": cmd_index, "search": cmd_search, "show": cmd_show, "articles": cmd_articles, "ask": cmd_ask,
    "verify": cmd_verify, "calibrate": cmd_calibrate, "bench": cmd_bench,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; a user error prints one line and returns 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("qa").setLevel(logging.INFO)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command as typed, recorded in benchmark reports
    try:
        return COMMANDS[args.command](args) or 0
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
