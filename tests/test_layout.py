"""The layout is the architecture: each layer of `qa/` imports only the layers below it, and no face is imported by the
library; every package says what it is for."""

from __future__ import annotations

import ast
import re

import pytest
from helpers import ROOT

import qa
from qa.errors import setting_name
from qa.settings import OPTIONS

# The library's layers, lowest first; a module may import its own layer and those before it. The helpers beside
# every layer (qa.errors, qa.text, qa.recent) and the embeddings package are below all of them.
LAYERS = ("qa.ingest", "qa.index", "qa.search", "qa.answer", "qa.training",
          "qa.settings", "qa.engine", "qa.types", "qa.runtime", "qa")
BASE = ("embeddings", "qa.errors", "qa.text", "qa.recent")
# The faces: the library below them never imports them.
FACES = ("qa.cli", "qa.bench", "webui", "app", "bench")


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def layer_of(name: str) -> int | None:
    """The index of the layer a module is in (the longest prefix that matches), None for a base module or outside."""
    if any(name == b or name.startswith(b + ".") for b in BASE):
        return None
    within = [i for i, layer in enumerate(LAYERS) if name == layer or name.startswith(layer + ".")]
    return max(within, key=lambda i: len(LAYERS[i]), default=None)


LIBRARY = [p for p in sorted((ROOT / "qa").rglob("*.py"))
           if not module_name(p).startswith(("qa.cli", "qa.bench")) and module_name(p) not in ("qa.__main__",)]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_modules_import_only_down_the_flow_and_no_face(path):
    here = layer_of(module_name(path))
    for name in imports(path):
        assert not any(name == f or name.startswith(f + ".") for f in FACES), f"{path.name} imports the face {name}"
        there = layer_of(name)
        if here is None:  # a base module imports only base modules and outside libraries
            assert not name.startswith("qa") or there is None or name == "qa", f"{path.name} imports {name}"
        elif there is not None and name != "qa":
            assert there <= here, f"{module_name(path)} imports {name}, a layer above it"


def test_every_package_says_in_one_line_what_it_is_for():
    for init in [*(ROOT / "qa").rglob("__init__.py"), ROOT / "embeddings" / "__init__.py", ROOT / "webui" / "__init__.py"]:
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and doc.splitlines()[0].strip(), init


def test_the_public_api_is_small():
    assert len(qa.__all__) <= 12
    assert all(hasattr(qa, name) for name in qa.__all__)


def test_no_module_is_over_300_lines():
    # A module that grows past this holds more than one idea: split it by concept, as the layers are.
    code = [*(ROOT / "qa").rglob("*.py"), *(ROOT / "embeddings").rglob("*.py"), *(ROOT / "webui").rglob("*.py"),
            ROOT / "app.py"]
    long = {str(p.relative_to(ROOT)): n for p in code if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert not long


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module and its classes and functions (they may show a face's command)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


# The flags of the settings and of the commands that call the library with more than settings.
_NAMES = "|".join(re.escape(f) for f in [o.flag for o in OPTIONS] + ["--ray", "--out", "--squad-train", "--squad-v2"])
FLAGS = re.compile(rf"(?<![\w-])(?:{_NAMES})(?![\w-])")


@pytest.mark.parametrize("path", [p for p in LIBRARY if module_name(p) != "qa.settings"]
                         + sorted((ROOT / "embeddings").glob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_messages_below_the_faces_name_the_setting_not_a_flag(path):
    # qa.settings is the table of flags the faces read; every other module is called by every face.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            assert not FLAGS.search(node.value), f"{path.name}:{node.lineno} names a flag: {node.value!r}"


def test_a_setting_is_named_with_its_own_variable():
    for option in OPTIONS:
        assert setting_name(option.field) == f"the {option.field.replace('_', ' ')} setting ({option.env})"
