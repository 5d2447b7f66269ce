"""Language detection for comments that arrive without a language.

Uses lingua, which is built for short texts and ships its models inside the
wheel (nothing is downloaded). The detector is built once per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

#: The languages feedback is expected in: detection only chooses among these,
#: which is both faster and more accurate than choosing among all 75.
SUPPORTED = ("en", "de", "fr", "nl", "sv", "da", "nb", "fi", "it", "es", "pt", "pl", "cs")
#: Texts shorter than this carry too little signal to name a language.
MIN_CHARS = 8


@cache
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_minimum_relative_distance(0.05)
        .with_preloaded_language_models()
        .build()
    )


def detect(texts: Sequence[str], codes: tuple[str, ...] = SUPPORTED) -> list[str | None]:
    """ISO 639-1 codes for *texts*, None where a text is too short or ambiguous.

    Runs across all cores; callers batch many texts per call.
    """
    if not texts:
        return []
    detected = _detector(codes).detect_languages_in_parallel_of(list(texts))
    return [
        None if lang is None or len(text) < MIN_CHARS else lang.iso_code_639_1.name.lower()
        for text, lang in zip(texts, detected, strict=True)
    ]
