"""Training the reader: a cross-encoder from the bundled MiniLM weights on SQuAD (question, sentence) pairs, resumable.

    python -m qa train-reader --out runs/reader            # 140k pairs, ~95 min on 2 CPU cores; Ctrl-C and rerun resumes

Pairs: each answerable question with the sentence that holds its answer (label 1), two other sentences of its
paragraph and the sentence of another paragraph of its article that shares most words with the question without
holding the answer (0: the near-topic sentence a news archive offers); SQuAD 2.0 dev's unanswerable questions
(articles of the training half only, `squad.held_out`) with their paragraph's most similar sentences (0), which teach
"not here". With `swaps`, a share of the answerable questions also gets a swapped question: a name or year the question
shares with its answer sentence replaced by another of the same article (the Granite Fire's toll asked of the Cedar
Ridge Fire), paired with that sentence as a negative, so that the sentence that would answer a near question is not
taken for the answer. Batches hold pairs of like length (less padding, the same pairs), in a seeded order.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from qa.errors import UserError
from qa.text import fold
from qa.training.squad import Item, held_out, items

log = logging.getLogger("qa")

CHECKPOINT = "checkpoint.pt"
LOG = "training.jsonl"


@dataclass(frozen=True)
class TrainSettings:
    """What a training run is made of; a run resumes only with the same settings."""

    squad_train: str
    squad_v2: str
    base: str
    pairs: int = 140_000
    batch: int = 32
    max_length: int = 96
    learning_rate: float = 5e-5
    warmup: float = 0.05
    weight_decay: float = 0.01
    seed: int = 13
    checkpoint_every: int = 200  # steps (about 4 minutes on two cores)
    swaps: float = 0.0  # share of answerable questions that also get a swapped-question negative


Pair = tuple[str, str, float]


_WORD = re.compile(r"\w{3,}")
BUCKET = 2048  # pairs sorted by length together: a batch of 32 then spans little of the length range


def _words(text: str) -> frozenset[str]:
    # Plain words, not the library's BM25 tokens: this runs for every sentence of thousands of paragraphs.
    return frozenset(_WORD.findall(text.lower()))


def _overlap(question: str, sentence: str) -> int:
    return len(_words(question) & _words(sentence))


_NAME = re.compile(r"\b[A-Z][\w'-]*[a-z][\w'-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'-]*[a-z][\w'-]*)*")
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
# Capitalised only because they open the question or are too common to name a thing of the article.
_NOT_NAMES = frozenset({
    "What", "Which", "Who", "Whom", "Whose", "When", "Where", "Why", "How", "Is", "Are", "Was", "Were", "Do", "Does",
    "Did", "Can", "Could", "Has", "Have", "Had", "In", "On", "At", "Of", "For", "From", "By", "The", "A", "An", "As",
    "To", "After", "Before", "During", "Since", "Under", "According",
})


def anchors(text: str) -> list[str]:
    """The names (capitalised phrases, question words left out) and years a text mentions."""
    names = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        if words:
            names.append(" ".join(words))
    return names + _YEAR.findall(text)


@lru_cache(maxsize=1 << 16)
def _folded(name: str) -> tuple[str, frozenset[str]]:
    # Every question of an article looks through the same pool of names: fold each once, not once per question.
    text = fold(name)
    return text, frozenset(text.split())


def swapped(item: Item, pool: Sequence[str], rng: random.Random) -> Pair | None:
    """A question that its answer sentence does not answer: one name or year it shares with that sentence replaced by
    another of the article's (`pool`) that the sentence does not mention, paired with the sentence as a negative."""
    sentence = item.sentences[item.positives[0]]
    shared = [a for a in dict.fromkeys(anchors(item.question)) if a in sentence]
    if not shared:
        return None
    old = rng.choice(shared)
    year = bool(_YEAR.fullmatch(old))
    folded = fold(sentence)
    was = _folded(old)[1]
    # A name whose words hold the old one's, or lie within them ("Chopin", "Frédéric Chopin"), may be the same thing.
    options = [a for a in pool if bool(_YEAR.fullmatch(a)) == year and _folded(a)[0] not in folded
               and not (was <= _folded(a)[1] or _folded(a)[1] <= was)]
    if not options:
        return None
    return (item.question.replace(old, rng.choice(options), 1), sentence, 0.0)


def near_topic(item: Item, others: Sequence[str], words: Sequence[frozenset[str]]) -> str | None:
    """The sentence of `others` (with their `words`) sharing most words with the question and holding no answer text."""
    q = _words(item.question)
    answers = [fold(a) for a in item.answers]
    ranked = sorted(range(len(others)), key=lambda i: (-len(q & words[i]), i))
    for i in ranked[:8]:
        if not any(a and a in fold(others[i]) for a in answers):
            return others[i]
    return None


def question_pairs(item: Item, others: Sequence[str], rng: random.Random,
                   words: Sequence[frozenset[str]] | None = None) -> list[Pair]:
    """The training pairs of one question: its answer sentence and harder and easier sentences that do not answer.

    With `words` (the word sets of `others`), the sentence from elsewhere in the article is the nearest to the
    question that holds no answer; without, a random one."""
    n = len(item.sentences)
    out: list[Pair] = []
    if item.answerable:
        if not item.unique or len(item.positives) != 1 or n < 2:
            return []
        pos = item.positives[0]
        out.append((item.question, item.sentences[pos], 1.0))
        rest = [i for i in range(n) if i != pos]
        out += [(item.question, item.sentences[i], 0.0) for i in rng.sample(rest, min(2, len(rest)))]
    else:
        # The most alike sentences: SQuAD 2.0's questions were written to look answerable from them.
        ranked = sorted(range(n), key=lambda i: (-_overlap(item.question, item.sentences[i]), i))
        out += [(item.question, item.sentences[i], 0.0) for i in ranked[:2]]
        rest = ranked[2:]
        if rest:
            out.append((item.question, item.sentences[rng.choice(rest)], 0.0))
    if others:
        other = near_topic(item, others, words) if words is not None else None
        out.append((item.question, other if other is not None else rng.choice(others), 0.0))
    return out


def make_pairs(train: Path, v2: Path, total: int, seed: int, swaps: float = 0.0) -> tuple[list[Pair], dict]:
    """`total` shuffled pairs: every pair of SQuAD 2.0 dev's training half, the rest from SQuAD 1.1 train; with
    `swaps`, that share of answerable questions also gets a swapped-question negative."""
    rng = random.Random(seed)

    def groups(path: Path, keep) -> list[list[Pair]]:
        by_article: dict[str, list[Item]] = {}
        for it in items(path):
            if keep(it):
                by_article.setdefault(it.title, []).append(it)
        out = []
        for its in by_article.values():
            sentences = sorted({(it.paragraph, s) for it in its for s in it.sentences})
            words = [_words(s) for _, s in sentences]
            pool = sorted({a for _, s in sentences for a in anchors(s)}) if swaps else []
            for it in its:
                keep = [i for i, (p, _) in enumerate(sentences) if p != it.paragraph]
                pairs = question_pairs(it, [sentences[i][1] for i in keep], rng, [words[i] for i in keep])
                # rng is drawn from only with swaps, so that a run without them makes the pairs it always made
                if pairs and swaps and it.answerable and rng.random() < swaps:
                    extra = swapped(it, pool, rng)
                    if extra is not None:
                        pairs.append(extra)
                if pairs:
                    out.append(pairs)
        return out

    v2_groups = groups(v2, lambda it: not held_out(it.title))
    squad_groups = groups(train, lambda it: True)
    rng.shuffle(squad_groups)
    chosen = list(v2_groups)
    size = sum(len(g) for g in chosen)
    for g in squad_groups:
        if size >= total:
            break
        chosen.append(g)
        size += len(g)
    rng.shuffle(chosen)
    pairs = [p for g in chosen for p in g][:total]
    pairs = bucketed(pairs, BUCKET)
    stats = {"pairs": len(pairs), "positives": sum(1 for p in pairs if p[2] > 0),
             "questions": len(chosen), "v2_questions": len(v2_groups),
             "swapped": sum(1 for g in chosen for q, _, y in g[1:] if y == 0 and q != g[0][0]),
             "v2_unanswerable_pairs": sum(len(g) for g in v2_groups if all(p[2] == 0 for p in g))}
    return pairs, stats


def bucketed(pairs: list[Pair], size: int) -> list[Pair]:
    """The same pairs, each run of `size` sorted by length, so that the batches cut from them pad little."""
    out: list[Pair] = []
    for start in range(0, len(pairs), size):
        out += sorted(pairs[start:start + size], key=lambda p: len(p[0]) + len(p[1]))
    return out


def batches(pairs: list[Pair], batch: int, seed: int) -> list[list[Pair]]:
    """The pairs in batches of `batch`, in a seeded order (like-length pairs share a batch)."""
    chunks = [pairs[i:i + batch] for i in range(0, len(pairs), batch)]
    random.Random(seed).shuffle(chunks)
    return chunks


def _append(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def train(settings: TrainSettings, out: Path, progress: bool = True, stop_after: int | None = None) -> Path:
    """Train (or resume) a reader into `out`; returns the folder of the saved CrossEncoder-loadable model."""
    import torch  # training only: asking never imports torch
    from tqdm import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    out.mkdir(parents=True, exist_ok=True)
    for p in (settings.squad_train, settings.squad_v2):
        if not Path(p).exists():
            raise UserError(f"SQuAD file {p} not found: set squad_train / squad_v2 to SQuAD's files (../shared/squad/ has them)")
    torch.manual_seed(settings.seed)
    random.seed(settings.seed)
    pairs, stats = make_pairs(Path(settings.squad_train), Path(settings.squad_v2), settings.pairs, settings.seed,
                              settings.swaps)
    order = batches(pairs, settings.batch, settings.seed)
    steps = len(order)
    tokenizer = AutoTokenizer.from_pretrained(settings.base)
    model = AutoModelForSequenceClassification.from_pretrained(settings.base, num_labels=1)
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm"))]
    flat = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm"))]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                                   {"params": flat, "weight_decay": 0.0}], lr=settings.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(settings.warmup * steps), steps)
    step = 0
    ckpt = out / CHECKPOINT
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)  # tensors and plain values only: no code runs from the file
        if state["settings"] != asdict(settings):
            raise UserError(f"{ckpt} was made with other settings ({state['settings']}); pass the same options to "
                            "resume, or another output folder to start afresh")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        step = state["step"]
        log.info("resuming %s at step %d of %d", out, step, steps)
    else:
        _append(out / LOG, {"event": "start", "settings": asdict(settings), "data": stats, "steps": steps})
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    bar = tqdm(total=steps, initial=step, desc="training reader", unit="step", disable=not progress)
    running, seen, began = 0.0, 0, time.time()

    def save() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"settings": asdict(settings), "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(), "rng": torch.get_rng_state(), "step": step}, tmp)
        os.replace(tmp, ckpt)

    while step < steps:
        batch = order[step]
        enc = tokenizer([q for q, _, _ in batch], [s for _, s, _ in batch], truncation=True,
                        max_length=settings.max_length, padding=True, return_tensors="pt")
        labels = torch.tensor([y for _, _, y in batch], dtype=torch.float32)
        logits = model(**enc).logits.squeeze(-1)
        loss = loss_fn(logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        running += loss.item()
        seen += 1
        bar.update(1)
        if step % settings.checkpoint_every == 0 or step == steps:
            rate = seen * settings.batch / max(1e-9, time.time() - began)
            _append(out / LOG, {"event": "checkpoint", "step": step, "loss": round(running / seen, 5),
                                "pairs_per_s": round(rate, 2), "time": time.strftime("%Y-%m-%dT%H:%M:%S")})
            bar.set_postfix(loss=f"{running / seen:.4f}", pairs_s=f"{rate:.1f}")
            running, seen, began = 0.0, 0, time.time()
            save()
            save_model(model, tokenizer, out / "model")
        if stop_after is not None and step >= stop_after:
            break
    bar.close()
    save_model(model, tokenizer, out / "model")
    return out / "model"


def save_model(model, tokenizer, folder: Path) -> None:
    """Save the model and tokenizer where CrossEncoder(folder) and the ONNX export read them."""
    tmp = folder.with_name(folder.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if folder.exists():
        import shutil
        shutil.rmtree(folder)
    os.replace(tmp, folder)


def export(model_dir: Path, target: Path, quantize: bool = True) -> Path:
    """Export a trained reader to ONNX (int8 with `quantize`) with its tokenizer.json into `target`; returns the .onnx."""
    import tempfile
    import warnings

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from embeddings.onnx import OPSET, quantize_int8

    target.mkdir(parents=True, exist_ok=True)
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    enc = tokenizer(["what is this", "who"], ["this is a test sentence", "a name"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer notes about constants that do not apply to this graph
            torch.onnx.export(model, tuple(enc[n] for n in names), str(fp32), input_names=names,
                              output_names=["logits"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
        final = target / "model.onnx"
        if quantize:
            quantize_int8(fp32, final, ops=("MatMul", "Gather"))  # ≤ 25 MB to ship
        else:
            os.replace(fp32, final)
    tokenizer.backend_tokenizer.save(str(target / "tokenizer.json"))
    return final


def log_event(out: Path, record: dict) -> None:
    """Append a record (a held-out measurement, say) to the run's log."""
    _append(out / LOG, record)
