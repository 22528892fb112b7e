"""Measure language-detection accuracy on the held-out half of the lingua test data.

Each data file is split by line number (counting from 1): odd lines are the held-out test
half, even lines the tune half. Prints one Markdown table; "und" counts as wrong.

    python bench/lang_accuracy.py                 # held-out half, all detectors
    python bench/lang_accuracy.py --half tune     # the half that settings were chosen on
    python bench/lang_accuracy.py --misses 20     # also list the detector's misses
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from locales import language  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "lang-testdata"
KINDS = ("single-words", "word-pairs", "sentences")
LANGS = language.SHIPPED


def read_half(path: Path, half: str) -> list[str]:
    """Odd line numbers are the held-out test half, even ones the tune half."""
    lines = path.read_text(encoding="utf-8").splitlines()
    wanted = 1 if half == "test" else 0
    return [line for number, line in enumerate(lines, 1) if number % 2 == wanted]


def langdetect_detector(languages: tuple[str, ...] | None) -> Callable[[str], str]:
    """Seeded langdetect over all its profiles, or over the given languages only."""
    factory = DetectorFactory()
    if languages is None:
        factory.load_profile(str(language.PROFILES))
    else:
        profiles = [(language.PROFILES / lang).read_text(encoding="utf-8") for lang in languages]
        factory.load_json_profile(profiles)
    factory.seed = 0

    def detect(text: str) -> str:
        detector = factory.create()
        detector.append(text)
        try:
            return detector.detect()
        except LangDetectException:
            return "und"

    return detect


def lingua_detector() -> Callable[[str], str] | None:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    wanted = [Language.ENGLISH, Language.SWAHILI, Language.FRENCH, Language.PORTUGUESE]
    detector = LanguageDetectorBuilder.from_languages(*wanted).build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "und"

    return detect


def detectors() -> dict[str, Callable[[str], str]]:
    found = {
        "langdetect, all 55 languages": langdetect_detector(None),
        "langdetect, en/sw/fr/pt only": langdetect_detector(LANGS),
        "**clusterbot** (no priors)": language.detect_code,
        "clusterbot, Kenyan cluster (en, sw)": lambda text: language.detect_code(
            text, cluster_languages=("en", "sw")
        ),
    }
    lingua = lingua_detector()
    if lingua:
        found["lingua, en/sw/fr/pt only"] = lingua
    return found


def percent(right: int, total: int) -> str:
    return f"{100 * right / total:.1f}" if total else "-"


def accuracy_row(detect: Callable[[str], str],
                 lines: dict[str, list[str]]) -> tuple[list[str], list]:
    """Percent right per language and overall, and the misses as (language, line, guess)."""
    cells, misses, right_all, total_all = [], [], 0, 0
    for lang in LANGS:
        guesses = [detect(line) for line in lines[lang]]
        right = sum(guess == lang for guess in guesses)
        cells.append(percent(right, len(guesses)))
        right_all, total_all = right_all + right, total_all + len(guesses)
        misses += [(lang, line, guess)
                   for line, guess in zip(lines[lang], guesses) if guess != lang]
    return cells + [percent(right_all, total_all)], misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="lang-testdata directory")
    parser.add_argument("--half", choices=("test", "tune"), default="test")
    parser.add_argument("--misses", type=int, default=0,
                        help="list up to N misses of clusterbot per file")
    args = parser.parse_args()

    found = detectors()
    print(f"Accuracy (%) on the {args.half} half of {args.data}\n")
    print("| kind | detector | " + " | ".join(LANGS) + " | all |")
    print("|---|---|" + "---:|" * (len(LANGS) + 1))
    listed = []
    for kind in KINDS:
        lines = {lang: read_half(args.data / kind / f"{lang}.txt", args.half) for lang in LANGS}
        for name, detect in found.items():
            cells, misses = accuracy_row(detect, lines)
            print(f"| {kind} | {name} | " + " | ".join(cells) + " |")
            if detect is language.detect_code:
                for lang in LANGS:
                    listed += [(kind, *miss) for miss in misses if miss[0] == lang][: args.misses]
    for kind, lang, line, guess in listed:
        print(f"{kind}\t{lang} -> {guess}\t{line}")


if __name__ == "__main__":
    main()
