"""The command line: `python -m qa index | search | show | articles | ask | verify | calibrate | bench | train-reader`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from qa import Settings, UserError
from qa.cli.commands import COMMANDS, EXIT_USER_ERROR
from qa.text import clip


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"error: {message} (see `{self.prog} --help`)\n")


def _not_negative(text: str) -> int:
    """A count of 0 or more (argparse reports anything else as a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {clip(text)}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    Settings.add_flags(parser, Settings.LIBRARY)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _search_options(parser: argparse.ArgumentParser) -> None:
    Settings.add_flags(parser, ("mode", "k"))
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
    p.add_argument("--around", type=_not_negative, default=1, help="paragraphs to show before and after (default 1)")

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
                   help="save the threshold in FILE (default: the index folder's calibration.json)")

    p = sub.add_parser("bench", help="benchmark retrieval per mode on a question set (or a BEIR dataset): metrics, latency, reports")
    _common(p)
    p.add_argument("--queries", metavar="FILE", action="append", help="JSON Lines question set; repeat to join several files into one set (default: the shipped bench/queries/russia-taliban.jsonl)")
    p.add_argument("--modes", metavar="LIST", help=f"comma-separated retrieval modes (default: {','.join(Settings.MODES)})")
    p.add_argument("--k", help="passages ranked per question (default 10; metrics with a cutoff above k are left out)")
    p.add_argument("--out", metavar="DIR", help="write report.json, report.md and PNG charts here "
                   "(default: bench/out/<time>-<name>/, with bench/out/latest pointing at it; env SOURCEQA_BENCH_OUT for bench/out)")
    p.add_argument("--compare", metavar="OLD.json", help="show each metric's change against an earlier report.json")
    p.add_argument("--fail-on-drop", metavar="X", help="with --compare: exit 1 when any metric gets worse by more than X "
                   "(absolute, on the 0-1 scale, e.g. 0.02)")
    p.add_argument("--no-build", action="store_true", help="skip timing a fresh index build (saves the corpus's encoding time)")
    p.add_argument("--beir", metavar="DIR", help="benchmark on a BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv) "
                   "instead; --index-dir then holds its vector cache (default <--cache-dir>/beir-<name>)")
    p.add_argument("--split", help="with --beir: the qrels split to score (default test; tune on train)")
    Settings.add_flags(p, ("cache_dir",))
    p.add_argument("--squad", metavar="FILE", action="append",
                   help="benchmark the reader on SQuAD instead (repeatable): a 1.1 dev file scores sentence choice, a 2.0 "
                        "dev file answerability, built-in and trained reader side by side")
    p.add_argument("--limit", type=int, default=2000, help="with --squad: questions scored per file (default 2000)")

    p = sub.add_parser("train-reader", help="train the reader (a cross-encoder) on SQuAD; resumable")
    train_reader_flags(p)
    return parser


def default_squad() -> Path:
    """The SQuAD folder beside the checkout (../shared/squad), where the project's data lies."""
    return Path(__file__).resolve().parents[3] / "shared" / "squad"


def train_reader_flags(parser: argparse.ArgumentParser) -> None:
    """The train-reader command's options (its defaults are TrainSettings')."""
    from qa.training.trainer import TrainSettings

    squad = default_squad()
    d = TrainSettings("", "", "")
    parser.add_argument("--out", default="runs/reader", help="checkpoints, log and model (default runs/reader)")
    parser.add_argument("--squad-train", default=str(squad / "train-v1.1.json.gz"), metavar="FILE",
                        help="SQuAD 1.1 train (default ../shared/squad/train-v1.1.json.gz)")
    parser.add_argument("--squad-v2", default=str(squad / "dev-v2.0.json.gz"), metavar="FILE",
                        help="SQuAD 2.0 dev: its training half's unanswerable questions (default ../shared/squad/dev-v2.0.json.gz)")
    parser.add_argument("--base", help="model to start from (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--pairs", type=int, default=d.pairs, help=f"training pairs (default {d.pairs:,})")
    parser.add_argument("--batch", type=int, default=d.batch, help=f"pairs per step (default {d.batch})")
    parser.add_argument("--max-length", type=int, default=d.max_length, help=f"tokens per pair (default {d.max_length})")
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate, help=f"peak learning rate (default {d.learning_rate})")
    parser.add_argument("--seed", type=int, default=d.seed, help=f"seed of the pair sampling and the model (default {d.seed})")
    parser.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help=f"steps between checkpoints (default {d.checkpoint_every})")
    parser.add_argument("--swaps", type=float, default=d.swaps,
                        help="share of answerable questions that also get a swapped question (a name or year replaced by "
                             f"another of the article's) as a negative (default {d.swaps})")
    parser.add_argument("--reasons-first", action="store_true",
                        help="train on every question of SQuAD 1.1 train that asks why or how something is done (few "
                             "among its questions, many among a news reader's), the rest of the pairs drawn as usual")
    parser.add_argument("--context", action="store_true",
                        help="read each sentence with the sentence before it in its paragraph (then the reader "
                             "reads news sentences so too; a longer --max-length, 128, keeps the context)")
    parser.add_argument("--steps", type=int, help="stop after this many steps (a smoke run; the checkpoint resumes it)")
    parser.add_argument("--fp32", action="store_true", help="export the ONNX model without int8 quantisation")


def main(argv: Sequence[str] | None = None, encoder: object | None = None) -> int:
    """Run a subcommand; a user error prints one line and returns 2.

    `encoder` is an already loaded model (an engine's `.encoder`) to use instead of loading one: for programs and
    tests that run many commands in one process.
    """
    from qa import runtime

    runtime.setup()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command as typed, recorded in benchmark reports
    args.encoder = encoder
    try:
        return COMMANDS[args.command](args) or 0
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:  # a file or folder it needs cannot be read or written: one line, not a traceback
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error:{where} {exc.strerror or exc}: check that the path exists and can be read and written "
              "(--corpus, --index-dir)", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
