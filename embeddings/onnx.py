"""A sentence-transformers model run by ONNX Runtime: exported once (torch needed then only), tokenised by `tokenizers`.

The export is the model's transformer alone; mean pooling and normalisation are done here in numpy, so the vectors
equal sentence-transformers' own. Loading an existing export imports neither torch nor transformers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock

log = logging.getLogger("qa")

# Bump when the export recipe changes, so older exports are made again rather than reused.
EXPORT_VERSION = 1
OPSET = 17
# The temporary files an export writes before renaming them into place (see _export_fp32, quantize_int8).
TEMP_GLOB = ".model*.onnx.tmp"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_SUPPORTED_MODULES = {
    "sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
    "sentence_transformers.base.modules.Transformer", "sentence_transformers.base.modules.Pooling",
    "sentence_transformers.base.modules.Normalize",
}


class ExportError(Exception):
    """The model cannot be run by ONNX Runtime (its layout is not supported, or the export failed)."""


@dataclass(frozen=True)
class ModelLayout:
    """What the ONNX path needs from a sentence-transformers folder: pooling, normalisation, length limit, files."""

    folder: Path
    pooling: str
    normalize: bool
    max_tokens: int
    dim: int

    @property
    def tokenizer_file(self) -> Path:
        """The fast tokenizer's JSON file."""
        return self.folder / "tokenizer.json"

    def digest(self) -> str:
        """A short hash of the files the export depends on (weights by size and mtime: hashing 90 MB each load is slow)."""
        h = hashlib.sha256(f"v{EXPORT_VERSION};{self.pooling};{self.normalize};{self.max_tokens}".encode())
        for name in sorted(os.listdir(self.folder)):
            path = self.folder / name
            if path.is_file():
                st = path.stat()
                h.update(f"{name}:{st.st_size}:{int(st.st_mtime)};".encode())
        return h.hexdigest()[:16]


def read_layout(folder: str | Path) -> ModelLayout:
    """The layout of a local sentence-transformers folder; ExportError when ONNX cannot reproduce its vectors."""
    folder = Path(folder)
    try:
        modules = json.loads((folder / "modules.json").read_text())
    except (OSError, ValueError) as exc:
        raise ExportError(f"{folder / 'modules.json'} is missing or unreadable") from exc
    kinds = [m.get("type", "") for m in modules]
    unknown = [k for k in kinds if k not in _SUPPORTED_MODULES]
    if unknown:
        raise ExportError(f"module(s) {', '.join(unknown)} are not supported by the ONNX backend")
    if not (folder / "tokenizer.json").is_file():
        raise ExportError(f"{folder} has no tokenizer.json (a fast tokenizer is needed)")
    pooling_dir = next((folder / m["path"] for m in modules if m.get("type", "").endswith("Pooling")), None)
    if pooling_dir is None:
        raise ExportError("the model has no pooling module")
    config = json.loads((pooling_dir / "config.json").read_text())
    modes = [k for k in ("cls_token", "mean_tokens") if config.get(f"pooling_mode_{k}")]
    others = [k for k, v in config.items() if k.startswith("pooling_mode_") and v and k[13:] not in ("cls_token", "mean_tokens")]
    if len(modes) != 1 or others:
        raise ExportError(f"pooling {config} is not supported by the ONNX backend (mean or CLS only)")
    try:
        st_config = json.loads((folder / "sentence_bert_config.json").read_text())
    except (OSError, ValueError):
        st_config = {}
    max_tokens = int(st_config.get("max_seq_length") or 256)
    dim = int(config.get("word_embedding_dimension") or json.loads((folder / "config.json").read_text())["hidden_size"])
    return ModelLayout(folder, "mean" if modes[0] == "mean_tokens" else "cls",
                       any(k.endswith("Normalize") for k in kinds), max_tokens, dim)


def export_folder(cache_dir: str | Path, model_id: str, layout: ModelLayout) -> Path:
    """Where the exports of a model live inside a cache folder."""
    slug = "".join(c if c.isalnum() or c in "._-" else "_" for c in model_id).strip("_")[-60:]
    return Path(cache_dir) / "onnx" / f"{slug}-{layout.digest()}"


def export_model(layout: ModelLayout, target: Path, quantize: bool) -> Path:
    """Write `model.onnx` (and with `quantize`, `model-int8.onnx`) into `target` unless already there; the path used."""
    fp32 = target / "model.onnx"
    int8 = target / "model-int8.onnx"
    done = fp32.is_file() and (int8.is_file() or not quantize)
    if done and not any(target.glob(TEMP_GLOB)):
        return int8 if quantize else fp32
    target.mkdir(parents=True, exist_ok=True)
    # One exporter at a time per folder; the temporary files found while holding the lock are an export killed
    # midway (25 MB each, which no later start would otherwise remove).
    with FileLock(target / ".export.lock"):
        for stale in sorted(target.glob(TEMP_GLOB)):
            log.warning("removing %s, left by an ONNX export that was interrupted", stale)
            stale.unlink(missing_ok=True)
        if not fp32.is_file():
            _export_fp32(layout, fp32)
        if quantize and not int8.is_file():
            quantize_int8(fp32, int8)
    return int8 if quantize else fp32


def _export_fp32(layout: ModelLayout, path: Path) -> None:
    """Trace the transformer (eager attention, a padded batch so the mask is part of the graph) into ONNX."""
    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()
    model = AutoModel.from_pretrained(str(layout.folder), attn_implementation="eager").eval()
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2023, 102, 0, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()

    class Body(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    fd, tmp = tempfile.mkstemp(prefix=".model.", suffix=".onnx.tmp", dir=path.parent)
    os.close(fd)
    try:
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer notes about constants that do not apply to this graph
            torch.onnx.export(Body(model), (ids, mask, torch.zeros_like(ids)), tmp, input_names=list(INPUTS),
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
                              dynamo=False)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def quantize_int8(fp32: Path, int8: Path, ops: tuple[str, ...] = ("MatMul",)) -> None:
    """Dynamic int8 quantisation of the MatMul weights, per output channel (per-tensor loses far more accuracy);
    with "Gather" in `ops` the word embeddings too (a quarter of the file's size)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fd, tmp = tempfile.mkstemp(prefix=".model-int8.", suffix=".onnx.tmp", dir=int8.parent)
    os.close(fd)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs advice about pre-processing on the root logger
    try:
        quantize_dynamic(str(fp32), tmp, per_channel=True, op_types_to_quantize=list(ops),
                         weight_type=QuantType.QInt8)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep other users from reading a shared model
        os.replace(tmp, int8)
    finally:
        root.setLevel(level)
        Path(tmp).unlink(missing_ok=True)
        # quantize_dynamic leaves a pre-processed copy beside its output on some versions
        for extra in int8.parent.glob(".model-int8.*-inferred.onnx"):
            extra.unlink(missing_ok=True)


def remove_export(target: Path) -> None:
    """Delete a damaged export so the next load makes it again."""
    shutil.rmtree(target, ignore_errors=True)


class OnnxModel:
    """An exported transformer with its tokenizer: texts in, pooled and normalised float32 vectors out."""

    def __init__(self, layout: ModelLayout, path: Path) -> None:
        """Open the tokenizer; inference sessions are created on first use (one thread for queries, all for bulk)."""
        from tokenizers import Tokenizer

        self.layout = layout
        self.path = path
        self.tokenizer = Tokenizer.from_file(str(layout.tokenizer_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=layout.max_tokens)
        self.tokenizer.enable_padding(pad_id=self._pad_id(), pad_token="[PAD]")
        # A second tokenizer without truncation or padding gives the character offsets for `truncate`.
        self.plain = Tokenizer.from_file(str(layout.tokenizer_file))
        self.plain.no_truncation()
        self.plain.no_padding()
        self._sessions: dict[int, object] = {}
        self._session_lock = threading.Lock()
        self._inputs: tuple[str, ...] = ()
        self.session(1)  # fail now (damaged file) rather than on the first question

    def _pad_id(self) -> int:
        pad = self.tokenizer.token_to_id("[PAD]")
        return 0 if pad is None else int(pad)

    def session(self, threads: int):
        """An inference session on `threads` intra-op threads (0: onnxruntime's default, all cores)."""
        with self._session_lock:
            session = self._sessions.get(threads)
            if session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
                self._inputs = tuple(i.name for i in session.get_inputs())
                self._sessions[threads] = session
        return session

    def encode_batch(self, texts: list[str], threads: int, spans: list | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of one batch of texts (padded to its longest), and with `spans` each text's span vectors pooled from
        its token vectors (embeddings.spans.pool_spans)."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        session = self.session(threads)
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        if self.layout.pooling == "cls":
            pooled = hidden[:, 0, :]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled = pooled.astype(np.float32)
        if self.layout.normalize:
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        if spans is None:
            return pooled, []
        from embeddings.spans import pool_spans

        return pooled, [pool_spans(hidden[i], e.offsets, e.special_tokens_mask, s)
                        for i, (e, s) in enumerate(zip(encodings, spans))]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the text's tokens, special tokens left out."""
        return self.plain.encode(text, add_special_tokens=False).offsets
