"""The Chinese word segmenter redaction uses to find people's names (jieba's dictionary and
HMM through `rjieba`, the jieba-rs binding; tags from the ICTCLAS set, `nr` for names).

The dictionary ships inside the package and takes about a second to load, so the service
loads it once at start-up (`load_tagger`), never at import, and hands the tagger to the
redaction rules. Nothing is fetched at run time.
"""

from __future__ import annotations

import logging
import time

from services.disclosure.domain.redaction import Tagger

log = logging.getLogger(__name__)


def load_tagger() -> Tagger:
    """A loaded segmenter as the redaction rules call it: text -> [(word, tag), ...]."""
    import rjieba  # loading the package is cheap; building the dictionary below is not

    started = time.monotonic()
    jieba = rjieba.Jieba()

    def tag(text: str) -> list[tuple[str, str]]:
        return [(word, t) for word, t in jieba.tag(text, True)]

    tag("预热")  # the HMM tables build on first use
    log.info("segmenter dictionary loaded in %.2f s", time.monotonic() - started)
    return tag
