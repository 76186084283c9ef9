"""Run by the fault tests in a child process, which they kill with SIGKILL at a chosen moment.

    python tests/crash_helper.py save CORPUS INDEX STOP   # open (building from the embedding cache), stop at STOP
    python tests/crash_helper.py rebuild CORPUS INDEX STOP  # the same, rebuilding even when the saved index fits
    python tests/crash_helper.py upload CORPUS INDEX FILE # open the saved index, upload FILE, die before indexing it

STOP names the moment the child announces ("STOPPED <what>" on stdout) and then sleeps, waiting to be killed:
`write:<file name>` before that file of the index folder is written, `replace:<file name>` after its temporary copy
is written but before it is renamed into place, `rmtree` before the old generation is removed.

No model is loaded: the tests give these children an embedding cache that holds every vector they need, so the
stand-in encoder below is never asked to encode (and fails loudly if it is). Nothing here is production code.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import embeddings.cache
import embeddings.files
import embeddings.index
import qa.index.opening
import qa.index.store
from embeddings.encoder import resolve_model
from qa import Settings, open_engine


class CachedVectorsOnly:
    """Stands in for the model when every text's vector is already in the embedding cache."""

    def __init__(self) -> None:
        self.model_id = resolve_model(None)[0]
        self.dim = 384
        self.max_tokens = 256
        self.texts_encoded = 0

    def encode(self, texts, **_options):
        if len(texts):
            raise RuntimeError(f"crash helper: {len(texts)} text(s) missing from the embedding cache")
        return np.zeros((0, self.dim), np.float32)


def stop(what: str) -> None:
    """Say where the process is, then wait to be killed."""
    print(f"STOPPED {what}", flush=True)
    time.sleep(600)
    sys.exit("crash helper: not killed within 600 s")


def install(point: str) -> None:
    """Make the process stop at `point` (see the module docstring)."""
    kind, _, name = point.partition(":")
    real_write, real_replace, real_rmtree = embeddings.files.atomic_write, os.replace, qa.index.store.shutil.rmtree

    def write(path, data):
        if kind == "write" and Path(path).name == name:
            stop(point)
        return real_write(path, data)

    def replace(src, dst, *args, **kwargs):
        if kind == "replace" and Path(dst).name == name:
            stop(point)
        return real_replace(src, dst, *args, **kwargs)

    def rmtree(path, *args, **kwargs):
        if kind == "rmtree":
            stop(point)
        return real_rmtree(path, *args, **kwargs)

    for module in (qa.index.store, embeddings.index, embeddings.cache):
        module.atomic_write = write
    os.replace = replace
    qa.index.store.shutil.rmtree = rmtree
    # bm25s writes its own files: stop before the first of them when asked to.
    if kind == "write" and name == "bm25":
        qa.index.store.LexicalIndex.save = lambda self, folder: stop(point)


def main(argv: list[str]) -> None:
    mode, corpus, index, arg = argv
    settings = Settings.load(corpus=corpus, index_dir=index)
    model = CachedVectorsOnly()
    if mode in ("save", "rebuild"):
        install(arg)
        open_engine(settings, encoder=model, rebuild=mode == "rebuild")  # type: ignore[arg-type]
        print("FINISHED without stopping", flush=True)
    elif mode == "upload":
        engine = open_engine(settings, encoder=model)  # type: ignore[arg-type]

        def die(*_args, **_kwargs):
            print("STOPPED after saving the upload, before indexing it", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        qa.index.opening.index_chunks = die
        path = Path(arg)
        engine.add_files([(path.name, path.read_bytes())])
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
