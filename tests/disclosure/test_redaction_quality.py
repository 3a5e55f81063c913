"""Precision and recall of redaction on the labelled set (issue 14 part 3), with the floors the
service reaches; `python -m bench.redaction_quality` prints the same figures."""

from __future__ import annotations

import pytest

from bench.redaction_quality import load_cases, redactor, score

pytestmark = pytest.mark.unit


def test_the_labelled_set_has_at_least_100_realistic_sentences():
    cases = load_cases()
    assert len(cases) >= 100
    kinds = {kind for case in cases for _, kind in case["spans"]}
    assert kinds >= {"name", "id", "phone", "email", "account", "address", "health"}
    assert sum(1 for case in cases if not case["spans"]) >= 20  # facts with nothing personal


def test_with_the_segmenter_nearly_nothing_personal_survives_and_facts_stay(tagger):
    figures = score(load_cases(), redactor(tagger))
    assert figures.recall >= 0.98, [(span, out) for _, span, out in figures.leaks]
    assert figures.precision >= 0.98, figures.over


def test_patterns_alone_do_worse_on_names_but_still_keep_the_facts():
    figures = score(load_cases(), redactor(None))
    assert figures.recall >= 0.85
    assert figures.precision >= 0.98, figures.over


def test_the_scorer_counts_a_leak_and_a_removed_fact():
    case = {"text": "负责人李娜在衡山路18号", "spans": [["李娜", "name"]]}
    leak = score([case], lambda c: c["text"])
    assert (leak.recall, leak.spans_removed) == (0.0, 0)
    over = score([case], lambda c: "负责人李某某在[住址已隐去]")
    assert over.recall == 1.0 and over.precision < 0.5
