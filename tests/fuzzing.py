"""Hypothesis strategies for hostile questions, shared by tests/test_hostile.py (a few hundred examples in CI) and
bench/fuzz.py (ten thousand and more)."""

from __future__ import annotations

import string

from helpers import assert_well_formed
from hypothesis import strategies as st

from qa import Answer, Engine, UserError

REAL = ("Why does Russia engage the Taliban?", "Who is Vladimir Putin's special envoy for Afghanistan?",
        "And who said that?", "How much money does the Taliban make from opium?")
PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "{{7*7}}",
            "${7*7}", "'; DROP TABLE passages; --", "../../etc/passwd", "\u202eevil", "%s%n%x", "\\x00")

# Any Unicode text, lone surrogates included; only control, format and separator characters; only punctuation
# and symbols; very long strings (to 100,000 characters); real questions with hostile noise around them.
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
control = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"]), max_size=200)
punctuation = st.text(alphabet=st.sampled_from(string.punctuation + "¡¿«»…—–“”‘’·•§¶†‡※〜・"), max_size=300)
symbols = st.text(alphabet=st.characters(categories=["P", "S"]), max_size=300)
huge = st.builds(lambda unit, n: (unit * n)[:100_000], st.text(min_size=1, max_size=12), st.integers(1_000, 100_000))
noisy = st.builds(lambda a, q, b: f"{a}{q}{b}", st.sampled_from(PAYLOADS) | any_text, st.sampled_from(REAL),
                  st.sampled_from(PAYLOADS) | control)
VOCABULARY = sorted({w.strip("?'s") for q in REAL for w in q.split()} | {"Kabulov", "opium", "ISIS", "Moscow", "1989",
                                                                         "Doha", "envoy", "troops", "sanctions"})
wordy = st.builds(" ".join, st.lists(st.sampled_from(VOCABULARY) | any_text | st.sampled_from(PAYLOADS), max_size=40))
questions = st.one_of(any_text, control, punctuation, symbols, huge, noisy, wordy, wordy, st.sampled_from(PAYLOADS))
histories = st.lists(st.one_of(st.sampled_from(REAL), any_text, control, huge), max_size=3)
# Mostly valid settings, so most examples reach retrieval and the answer; some invalid ones must come back "invalid".
modes = st.one_of(st.none(), st.sampled_from(["", "bm25", "dense", "hybrid", " Hybrid "]), st.sampled_from(["sparse", "\x00"]))
ks = st.one_of(st.none(), st.integers(1, 100), st.integers(-10, 200))


def ask_and_check(engine: Engine, question: object, history: list, mode: object, k: object) -> str:
    """Ask; no exception may escape and the answer must be well-formed. Returns its status."""
    try:
        answer = engine.ask(question, history, mode=mode, k=k)  # type: ignore[arg-type]
    except UserError as exc:  # a question with no words, a bad mode or k: one clear message, nothing searched
        answer = Answer.invalid(question, str(exc))
        assert answer.message
    assert_well_formed(answer)
    cleaned = any(ch.isalnum() for ch in str(question))
    if answer.status != "invalid":
        assert cleaned and answer.question and len(answer.question) <= len(str(question))
    return answer.status
