"""Smoke tests of the benchmark scripts in bench/: each imports what it uses and parses its command line (`--help`),
so a change inside the library that a script depends on fails here, not on the day the benchmark is run again."""

from __future__ import annotations

import contextlib
import io
import runpy
import sys

import pytest
from helpers import ROOT

SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*.py"))
# Modules the scripts share, with no command line of their own.
SHARED = {"beir_corpus.py", "fusion.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_benchmark_script_imports_and_parses_its_command_line(script, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(script), "--help"])
    monkeypatch.setattr(sys, "path", list(sys.path))  # what a script inserts stays with the script
    out = io.StringIO()
    if script.name in SHARED:
        module = runpy.run_path(str(script), run_name=f"bench_{script.stem}")
        assert any(callable(v) and getattr(v, "__module__", None) == f"bench_{script.stem}" for v in module.values())
        return
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(script), run_name="__main__")
    assert exit_.value.code in (0, None) and "usage:" in out.getvalue(), out.getvalue()[-500:]
