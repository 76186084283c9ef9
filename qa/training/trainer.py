"""Training the reader: a cross-encoder from the bundled MiniLM weights on SQuAD (question, sentence) pairs, resumable.

    python -m qa train-reader --out runs/reader            # 140k pairs, ~95 min on 2 CPU cores; Ctrl-C and rerun resumes

The pairs and their batches are made in `qa.training.pairs`; here the training loop, its checkpoints (a run resumes
only with the same settings) and the ONNX export of the trained model.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

from qa.answer.cross_encoder import READING_FILE
from qa.errors import UserError
from qa.training.pairs import batches, make_pairs

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
    reasons_first: bool = False  # every why- and how-it-is-done question of SQuAD 1.1 train is among the pairs
    context: bool = False  # each sentence is read with the one before it (the fit then reads news sentences so too)


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
                              settings.swaps, settings.reasons_first, settings.context)
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
        # A checkpoint from before a setting was added (swaps) was made with that setting's default.
        defaults = {f.name: f.default for f in fields(TrainSettings) if f.default is not MISSING}
        if {**defaults, **state["settings"]} != asdict(settings):
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


def export(model_dir: Path, target: Path, quantize: bool = True, context: bool = False, max_length: int = 96) -> Path:
    """Export a trained reader to ONNX (int8 with `quantize`) with its tokenizer.json and how it reads (reading.json:
    with `context`, each sentence with the one before it; `max_length` tokens) into `target`; returns the .onnx."""
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
    (target / READING_FILE).write_text(json.dumps({"context": context, "max_length": max_length}) + "\n")
    return final


def log_event(out: Path, record: dict) -> None:
    """Append a record (a held-out measurement, say) to the run's log."""
    _append(out / LOG, record)
