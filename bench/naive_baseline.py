"""The naive hybrid the engine is measured against: every non-empty line of the raw articles is a passage.

No cleaning, no sections, no sentence vectors: BM25 (bm25s, Lucene stopwords, English stemmer) and MiniLM cosine,
min-max normalised and averaged. Run: `python bench/naive_baseline.py [--queries FILE]`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import Encoder
from qa import Settings
from qa.bench import ir_metrics, load_queries, ranked_run
from qa.ingest import load_corpus
from qa.search import minmax
from qa.text import fold

METRICS = ("hit_rate@1", "hit_rate@5", "recall@1", "recall@5", "mrr@10", "ndcg@10")


def main() -> None:
    """Print the naive baseline's metrics per mode on a query set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", help="query file (default: the shipped set)")
    parser.add_argument("--corpus", default=str(Settings().corpus))
    args = parser.parse_args()
    lines: list[tuple[str, str]] = []
    for article in load_corpus(args.corpus).articles:
        body = article.text[article.body_start:]
        lines += [(f"{article.doc_id}:{i}", line.strip()) for i, line in enumerate(body.splitlines(), 1) if line.strip()]
    ids, texts = [i for i, _ in lines], [t for _, t in lines]
    stemmer = Stemmer.Stemmer("english")
    bm25 = bm25s.BM25()
    bm25.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    encoder = Encoder(cache_dir=Settings.load().cache_dir)
    vectors = encoder.encode(texts)
    queries = [q for q in load_queries(args.queries) if q.answerable]
    qrels = {q.id: {i: 1 for i, t in zip(ids, texts) if any(fold(g) in fold(t) for g in q.gold)} for q in queries}
    runs: dict[str, dict[str, dict[str, float]]] = {"bm25": {}, "dense": {}, "hybrid": {}}
    for q in queries:
        tokens = bm25s.tokenize([q.question], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)[0]
        tokens = [t for t in tokens if t in bm25.vocab_dict]
        lexical = bm25.get_scores(tokens) if tokens else np.zeros(len(ids))
        dense = vectors @ encoder.encode_query(q.question)
        for mode, scores in (("bm25", lexical), ("dense", dense), ("hybrid", (minmax(lexical) + minmax(dense)) / 2)):
            top = np.argsort(-scores, kind="stable")[:10]
            runs[mode][q.id] = ranked_run([ids[i] for i in top])
    print(f"naive line-split baseline: {len(ids)} passages (every non-empty line), {len(queries)} answerable questions")
    print("mode    " + "  ".join(f"{m:>10}" for m in METRICS))
    for mode, run in runs.items():
        scores = ir_metrics(qrels, run, METRICS)
        print(f"{mode:7} " + "  ".join(f"{scores[m]:>10.3f}" for m in METRICS))


if __name__ == "__main__":
    main()
