"""Precision and recall of redaction on the labelled set `tests/disclosure/redaction_cases.jsonl`.

`python -m bench.redaction_quality [--patterns-only] [--show]` prints the figures that
docs/disclosure.md reports; `--show` lists every sentence where a personal span survived or a
fact was removed. `--module FILE` scores another version of redaction.py the way the
disclosure service of that time called it (the "before" figures: `git show
f37215c:services/disclosure/domain/redaction.py > /tmp/before.py`).

Each case is a realistic sentence of penalty facts, decisions or revocation reasons, with the
spans that are personal data (a name, an ID or phone number, a home address, a health term)
and the context the case data gives (known people, the party, the party's home, public names).
The rules were tuned on the first 123 sentences; the last 25 (`"held_out": true`) were written
afterwards and scored once, untuned, to show how far the figures carry.
The redacted text is compared with the input character by character (difflib):

- recall: personal spans removed / personal spans. A span counts as removed only if every
  character of it was replaced; a name keeps its surname (王某某), so only the given name
  must go.
- precision: characters replaced inside personal spans / all characters replaced. A rule that
  blanks "执法人员于2026年3月2日在衡山路18号" loses precision for every character of it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.disclosure.domain.redaction import Tagger, normalise, redact_text

CASES = Path(__file__).resolve().parent.parent / "tests" / "disclosure" / "redaction_cases.jsonl"
_SURNAME2 = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文")

Redactor = Callable[[dict], str]


@dataclass
class Figures:
    spans: int = 0
    spans_removed: int = 0
    changed_chars: int = 0
    changed_in_spans: int = 0
    sentences: int = 0
    leaks: list[tuple[str, str, str]] = field(default_factory=list)  # text, span, output
    over: list[tuple[str, str]] = field(default_factory=list)  # text, output

    @property
    def recall(self) -> float:
        return self.spans_removed / self.spans if self.spans else 1.0

    @property
    def precision(self) -> float:
        return self.changed_in_spans / self.changed_chars if self.changed_chars else 1.0


def load_cases(path: Path = CASES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _must_go(span: str, kind: str) -> range:
    """Offsets within `span` that redaction must replace (a name keeps its surname)."""
    if kind != "name":
        return range(len(span))
    return range(2 if span[:2] in _SURNAME2 and len(span) > 3 else 1, len(span))


def score(cases: list[dict], redactor: Redactor) -> Figures:
    f = Figures()
    for case in cases:
        f.sentences += 1
        base = normalise(case["text"])
        out = normalise(redactor(case))
        changed = [False] * len(base)
        matcher = difflib.SequenceMatcher(None, base, out, autojunk=False)
        for op, i1, i2, _, _ in matcher.get_opcodes():
            if op in ("replace", "delete"):
                for i in range(i1, i2):
                    changed[i] = True
        personal = [False] * len(base)
        for span, kind in case["spans"]:
            span = normalise(span)
            for m in re.finditer(re.escape(span), base):
                f.spans += 1
                must = [m.start() + k for k in _must_go(span, kind)]
                for i in range(m.start(), m.end()):
                    personal[i] = True
                if all(changed[i] for i in must):
                    f.spans_removed += 1
                else:
                    f.leaks.append((case["text"], span, out))
        n_changed = sum(changed)
        in_spans = sum(1 for c, p in zip(changed, personal, strict=True) if c and p)
        f.changed_chars += n_changed
        f.changed_in_spans += in_spans
        if n_changed > in_spans:
            f.over.append((case["text"], out))
    return f


def redactor(tagger: Tagger | None) -> Redactor:
    def run(case: dict) -> str:
        return redact_text(
            case["text"],
            known_people=case.get("known_people", ()),
            party_person=case.get("party_person", ""),
            home_addresses=case.get("home_addresses", ()),
            public_names=case.get("public_names", ()),
            tagger=tagger,
        )

    return run


def old_redactor(path: Path) -> Redactor:
    """An earlier redaction.py as publication.py called it: known names, then the party."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("redaction_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(case: dict) -> str:
        party = case.get("party_person", "")
        others = [n for n in case.get("known_people", ()) if n != party]
        out = module.redact_text(case["text"], known_people=others)
        return out.replace(party, module.mask_person(party)) if party else out

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns-only", action="store_true", help="no word segmenter")
    parser.add_argument("--show", action="store_true", help="list leaks and over-redaction")
    parser.add_argument("--module", type=Path, help="score an earlier redaction.py instead")
    parser.add_argument(
        "--held-out", action="store_true", help="only the sentences written after the rules"
    )
    args = parser.parse_args()
    cases = [c for c in load_cases() if c.get("held_out") or not args.held_out]
    if args.module:
        f = score(cases, old_redactor(args.module))
    else:
        tagger = None
        if not args.patterns_only:
            from services.disclosure.segmenter import load_tagger

            tagger = load_tagger()
        f = score(cases, redactor(tagger))
    print(f"sentences: {f.sentences}, personal spans: {f.spans}")
    print(f"recall:    {f.recall:.3f} ({f.spans_removed}/{f.spans} spans removed)")
    print(f"precision: {f.precision:.3f} ({f.changed_in_spans}/{f.changed_chars} characters)")
    print(f"sentences with a fact removed: {len(f.over)}")
    if args.show:
        for text, span, out in f.leaks:
            print(f"LEAK {span!r}\n  in:  {text}\n  out: {out}")
        for text, out in f.over:
            print(f"OVER\n  in:  {text}\n  out: {out}")


if __name__ == "__main__":
    main()
