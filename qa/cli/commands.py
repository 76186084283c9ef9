"""The CLI's subcommands: each parses nothing itself, calls the public API and prints text or JSON."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from qa import Answer, Citation, Engine, Filters, Hit, Settings, UserError, open_engine, verify
from qa.answer.question import clean_question
from qa.answer.result import citation_for
from qa.ingest.corpus import check_folder
from qa.text import clip, parse_json
from qa.types import Passage

EXIT_USER_ERROR = 2
EXIT_REGRESSION = 1


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings the flags and environment give; a missing corpus folder is reported before any model loads."""
    settings = Settings.from_args(args)
    check_folder(settings.corpus)
    return settings


def engine_of(args: argparse.Namespace, **options: object) -> Engine:
    """The engine the flags describe, reusing a model the caller already loaded (`main(encoder=...)`)."""
    if getattr(args, "question", None) is not None:
        clean_question(args.question)  # an empty question is reported before the index is opened
    return open_engine(settings_of(args), encoder=getattr(args, "encoder", None), **options)  # type: ignore[arg-type]


def filters_of(args: argparse.Namespace) -> Filters:
    """The --article/--from/--to filters, checked (a malformed date is reported before the model loads)."""
    return Filters.checked(args.article or (), args.date_from, args.date_to)


def print_json(data: object) -> None:
    """JSON on stdout, readable, non-ASCII kept."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_index(args: argparse.Namespace) -> None:
    """Load or build the index; with --ray, read, chunk and encode on Ray first."""
    engine = engine_of(args, rebuild=args.rebuild, ray=args.ray)
    report, ray = engine.report, engine.distributed
    if args.json:
        print_json({"index_dir": str(engine.settings.index_path), **report.__dict__, **({"ray": ray} if ray else {})})
        return
    if ray:
        print(f"Ray: {ray['files']} files read and chunked, {ray['encoded']} texts encoded by "
              f"{ray['actors']} encoder actor(s) in {ray['seconds']:.1f} s")
    print(report.summary())


def cmd_search(args: argparse.Namespace) -> None:
    """Ranked passages for a question."""
    filters = filters_of(args)
    engine = engine_of(args)
    question = engine.question(args.question)
    hits = engine.search(question, filters=filters)
    if args.json:
        print_json({"question": question.text, "notes": list(question.notes), "mode": engine.settings.mode,
                    "hits": [h.to_dict() for h in hits]})
        return
    for note in question.notes:
        print(f"note: {note}")
    if not hits:
        print("no passages match")
    for h in hits:
        a = h.passage.article
        print(f"{h.rank}. [{h.passage.id}] {h.score:.3f}  {a.title if a else ''} ({a.publisher if a else ''}, "
              f"{a.date if a else ''}) {h.passage.label}")
        print(f"   {h.passage.text}\n")


def neighbours(engine: Engine, passage: Passage, around: int = 1) -> list[Passage]:
    """A passage with up to `around` paragraphs of the same article before and after it."""
    chunk = engine.article(passage.doc_id)
    lo, hi = max(0, passage.n - 1 - around), min(len(chunk.passages), passage.n + around)
    return list(chunk.passages[lo:hi])


def paragraph_citation(engine: Engine, passage_id: str) -> Citation:
    """A citation of one whole paragraph, to verify it against its file."""
    return citation_for(Hit(engine.passage(passage_id), 0.0, 1), 1)


def cmd_show(args: argparse.Namespace) -> None:
    """A paragraph with its neighbours."""
    engine = engine_of(args)
    target = engine.passage(args.passage_id)
    around = neighbours(engine, target, max(0, args.around))
    if args.json:
        print_json({"passage": target.to_dict(), "article": target.article.to_dict() if target.article else None,
                    "neighbours": [p.to_dict() for p in around]})
        return
    a = target.article
    if a:
        print(f"{a.title} ({a.publisher or 'unknown publisher'}, {a.date or 'undated'}) - {a.path}\n")
    for p in around:
        mark = ">>" if p.id == target.id else "  "
        section = f" [{p.section}]" if p.section else ""
        print(f"{mark} {p.label}{section} (chars {p.start}-{p.end})\n{p.text}\n")


def cmd_articles(args: argparse.Namespace) -> None:
    """The articles with their paragraph counts."""
    rows = [{**c.article.to_dict(), "paragraphs": len(c.passages), "dropped_boilerplate": len(c.boilerplate)}
            for c in engine_of(args).articles()]
    if args.json:
        print_json(rows)
        return
    for r in rows:
        print(f"{r['doc_id']}\n   {r['title']} ({r['publisher'] or '-'}, {r['date'] or 'undated'}): "
              f"{r['paragraphs']} paragraphs, {r['dropped_boilerplate']} boilerplate dropped")


def print_answer(answer: Answer) -> None:
    """An answer as text: notes, the sentences with [n], then each citation with its highlighted sentences."""
    for note in answer.notes:
        print(f"note: {note}")
    print(answer.text)
    if answer.citations:
        print()
    for c in answer.citations:
        weak = " (weak)" if c.weak else ""
        print(f"[{c.marker}]{weak} {c.title} - {c.publisher or 'unknown publisher'}, {c.date or 'undated'}, {c.label} "
              f"({c.passage_id}, score {c.score:.3f})")
        for a, b in c.highlights:
            print(f"    > {c.text[a:b]}  (chars {a}-{b} of the paragraph)")


def cmd_ask(args: argparse.Namespace) -> None:
    """An answer of cited sentences."""
    filters = filters_of(args)
    engine = engine_of(args)
    answer = engine.ask(args.question, history=args.after or (), filters=filters)
    if args.json:
        print_json(answer.to_dict())
    else:
        print_answer(answer)


def citations_in(path: str) -> list[Citation]:
    """The citations of a file saved from `ask --json` (or a list of citations)."""
    try:
        data = parse_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {clip(path)} as JSON ({clip(str(exc))}): pass ARTICLE:N or a file saved from "
                        "`ask --json`") from None
    items = data.get("citations", data) if isinstance(data, dict) else data
    items = [] if items is None else items if isinstance(items, list) else [items]
    try:
        return [Citation.from_dict(item) for item in items]
    except ValueError as exc:
        raise UserError(f"{path}: {exc}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    """Check citations (a saved answer's, or one paragraph's) against their files; exit 1 on a mismatch."""
    if args.target.endswith(".json") or Path(args.target).is_file():
        citations = citations_in(args.target)
    else:
        citations = [paragraph_citation(engine_of(args), args.target)]
    results = [verify(c) for c in citations]
    if args.json:
        print_json([r.to_dict() for r in results])
    elif not results:
        print(f"{args.target}: no citations to verify (an answer that cites nothing)")
    for r in [] if args.json else results:
        print(r.message())
    return 0 if all(r.ok for r in results) else 1


def cmd_calibrate(args: argparse.Namespace) -> None:
    """Fit the "not in the sources" threshold on a question set's answerable and off-topic questions."""
    from qa import bench  # the question-set format belongs to the benchmark

    queries = bench.load_queries(args.queries)
    engine = engine_of(args)
    target = Path(args.save) if args.save else engine.settings.index_path / "calibration.json"
    try:
        entry = engine.calibrate([q.question for q in queries if q.answerable],
                                 [q.question for q in queries if not q.answerable],
                                 save=target if args.save is not None else None,
                                 source=str(args.queries or "bench/queries/russia-taliban.jsonl"))
    except UserError as exc:
        raise UserError(f"{args.queries or 'the shipped set'}: {exc}") from None
    if args.json:
        print_json(entry)
        return
    print(f"model {entry['model']}: threshold {entry['threshold']} on the best sentence cosine "
          f"(weakest answerable {entry['answerable_min']}, strongest off-topic {entry['off_topic_max']}, "
          f"{'separated' if entry['separated'] else 'NOT separated: some questions will be misjudged'})")
    if args.save is not None:
        print(f"saved in {target}")


def cmd_bench(args: argparse.Namespace) -> int:
    """Benchmark a question set (or a BEIR dataset) per retrieval mode; exit 1 on a regression past --fail-on-drop."""
    from qa import bench

    return bench.main(args, command="python -m qa " + shlex.join(getattr(args, "argv", None) or ["bench"]),
                      open_engine=lambda **options: engine_of(args, **options), out=sys.stdout)


# Questions of SQuAD 2.0 dev's held-out articles a finished training run is measured on.
HELD_OUT_QUESTIONS = 1000


def cmd_train_reader(args: argparse.Namespace) -> None:
    """Train (or resume) the reader on SQuAD, then export it to ONNX beside the checkpoints."""
    from qa.training import trainer as training

    settings = train_settings(args)
    out = Path(args.out)
    print(f"training the reader into {out} ({settings.pairs:,} pairs; stop with Ctrl-C, run again to resume)",
          file=sys.stderr)
    model = training.train(settings, out, stop_after=args.steps)
    onnx = training.export(model, out / "onnx", quantize=not args.fp32, context=settings.context,
                           max_length=settings.max_length)
    if args.steps is None:  # a whole run: its export measured on SQuAD 2.0 dev articles it never saw
        from qa.answer.cross_encoder import ReaderModel
        from qa.bench.squad import run_squad

        encoder = getattr(args, "encoder", None) or Settings.load().encoder_spec(documents=True).load()
        result = run_squad(Path(settings.squad_v2), encoder, ReaderModel(onnx.parent), limit=HELD_OUT_QUESTIONS)
        figures = {"event": "held_out", "file": result.file, "questions": result.questions,
                   "first_sentence": round(result.first_sentence["model alone"], 4),
                   "auc": round(result.auc["model alone"], 4), "builtin_first_sentence": round(result.first_sentence["builtin"], 4),
                   "builtin_auc": round(result.auc["builtin"], 4)}
        training.log_event(out, figures)
        print(f"held-out SQuAD 2.0 dev ({result.questions} questions): best sentence right {figures['first_sentence']:.3f}, "
              f"answerability AUC {figures['auc']:.3f} (built-in reader {figures['builtin_first_sentence']:.3f}, "
              f"{figures['builtin_auc']:.3f})", file=sys.stderr)
    print(f"reader model: {model}\nONNX export: {onnx} (fit it with python bench/reader_fit.py --model {onnx.parent})")


def train_settings(args: argparse.Namespace):
    """TrainSettings from the command's options (paths resolved, so a resumed run compares equal)."""
    if args.base:
        base = str(Path(args.base).resolve())
    else:
        from embeddings.loading import resolve_model
        base = resolve_model(None)[1]
    from qa.training.trainer import TrainSettings

    return TrainSettings(squad_train=str(Path(args.squad_train).resolve()), squad_v2=str(Path(args.squad_v2).resolve()),
                         base=base, pairs=args.pairs, batch=args.batch, max_length=args.max_length,
                         learning_rate=args.learning_rate, seed=args.seed, checkpoint_every=args.checkpoint_every,
                         swaps=args.swaps, reasons_first=args.reasons_first, context=args.context)


COMMANDS: dict[str, Callable[[argparse.Namespace], int | None]] = {
    "index": cmd_index, "search": cmd_search, "show": cmd_show, "articles": cmd_articles, "ask": cmd_ask,
    "verify": cmd_verify, "calibrate": cmd_calibrate, "bench": cmd_bench, "train-reader": cmd_train_reader,
}
