"""Smoke tests of the benchmark scripts in bench/: each imports what it uses and parses its command line (`--help`),
so a change inside the library that a script depends on fails here, not on the day the benchmark is run again."""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import runpy
import sys

import pytest
from helpers import ROOT

import qa

SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*.py"))
# Modules the scripts share, with no command line of their own.
SHARED = {p.name for p in SCRIPTS if '__name__ == "__main__"' not in p.read_text(encoding="utf-8")}


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


# What a script may import from qa: the public API (and the runtime setup and benchmark packages it documents), the
# names each layer's package lists in its __all__ for these scripts, and the text folding the scripts match gold with.
ALLOWED = {"qa": {*qa.__all__, "runtime", "bench"}, "qa.text": {"fold"}}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_benchmark_script_uses_the_public_api_or_the_documented_internal_one(script):
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("qa", "embeddings"):
            allowed = ALLOWED.get(node.module) or set(getattr(importlib.import_module(node.module), "__all__", ()))
            names = {a.name for a in node.names}
            assert names <= allowed, f"{script.name}:{node.lineno} imports {sorted(names - allowed)} from {node.module}"
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith(("qa.", "embeddings.")) for a in node.names), f"{script.name}:{node.lineno}"
