"""Process-wide setup for the faces (`python -m qa`, `app.py`): offline model hubs, thread pools, log levels.

Importing the library changes nothing in the process; a program that embeds it decides these for itself, and the
CLI and the web app call `setup()` once at start.
"""

from __future__ import annotations

import logging
import os

# Variables set unless the user already set them: the machines have no internet, so a model load must never wait on
# a hub, and tokenizers must not warn about forking.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",  # no version check or telemetry leaves the machine
}
# Libraries whose INFO/WARNING chatter would bury the one-line messages a user can act on.
QUIET = {"bm25s": logging.WARNING, "pypdf": logging.ERROR, "ray": logging.WARNING, "ray.data": logging.WARNING}


def setup(verbose: bool = True) -> None:
    """Offline hubs, one FAISS thread, our log lines as `LEVEL: message` on stderr (INFO with `verbose`)."""
    for name, value in OFFLINE.items():
        os.environ.setdefault(name, value)
    # The encoder's threads and FAISS's OpenMP threads fight over few cores: one FAISS thread was faster on 2 cores
    # (BENCHMARKS.md). Imported here, not at the top, so that `import qa.runtime` stays light.
    import faiss

    faiss.omp_set_num_threads(1)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("qa").setLevel(logging.INFO if verbose else logging.WARNING)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
