"""Shared fixtures: the real model and a real index over the bundled corpus, each loaded once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from embeddings import Encoder
from qa import Settings, open_engine
from qa.settings import DEFAULT_CORPUS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The bundled all-MiniLM-L6-v2, loaded once."""
    return Encoder()


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the bundled corpus (tests never write into the repository)."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(DEFAULT_CORPUS, target, ignore=shutil.ignore_patterns(".*"))
    return target


@pytest.fixture(scope="session")
def engine(encoder: Encoder, corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory):
    """An engine over the bundled corpus with a real FAISS + BM25 index in a temporary folder."""
    settings = Settings.load(corpus=corpus_copy, index_dir=tmp_path_factory.mktemp("index"))
    return open_engine(settings, encoder=encoder)
