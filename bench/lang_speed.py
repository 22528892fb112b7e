"""How long language detection takes: building the model, then one message of each kind.

    python bench/lang_speed.py                         # the test excerpt shipped in tests/data
    python bench/lang_speed.py --data ../shared/data/lang-testdata

In one fresh process: the model is built on first use (timed once); then every line of the
held-out half (odd line numbers) of each kind is detected once, in file order, as members'
messages would arrive, and a 10 kB Swahili text (read up to locales.language.MAX_CHARS) `--repeat`
times. Prints one Markdown table of per-call times.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import ROOT, machine, percentile, table

from locales import language

KINDS = ("single-words", "word-pairs", "sentences")
LONG_TEXT = "Wavuvi wa ziwa wanauza samaki sokoni kila siku. " * 210  # about 10 kB
LONG_TEXT_TARGET = 0.5  # s: a 10 kB message must not hold the webhook up


def held_out(path: Path) -> list[str]:
    """Odd line numbers, counting from 1 (docs/LANGUAGE.md)."""
    return path.read_text(encoding="utf-8").splitlines()[0::2]


def timed(texts: list[str]) -> list[float]:
    """Seconds per detect_code call, one per text."""
    times = []
    for text in texts:
        start = time.perf_counter()
        language.detect_code(text)
        times.append(time.perf_counter() - start)
    return times


def row(name: str, times: list[float]) -> list:
    ms = [t * 1000 for t in times]
    return [name, len(ms), percentile(ms, 50), percentile(ms, 95), max(ms)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "lang-testdata",
                        help="lang-testdata directory (<kind>/<lang>.txt)")
    parser.add_argument("--repeat", type=int, default=50, help="calls on the 10 kB text")
    args = parser.parse_args()

    print(machine())
    start = time.perf_counter()
    language.model()
    print(f"model built on first use in {time.perf_counter() - start:.2f} s\n")

    rows = []
    for kind in KINDS:
        lines = [line for lang in language.SHIPPED
                 for line in held_out(args.data / kind / f"{lang}.txt")]
        rows.append(row(kind, timed(lines)))
    long_times = timed([LONG_TEXT] * args.repeat)
    rows.append(row(f"10 kB text ({len(LONG_TEXT):,} characters)", long_times))
    print(table(["messages", "calls", "median ms", "p95 ms", "slowest ms"], rows))
    slowest = max(long_times)
    print(f"\n10 kB text, slowest call {slowest * 1000:.1f} ms: target < {LONG_TEXT_TARGET * 1000:.0f} ms "
          f"{'met' if slowest < LONG_TEXT_TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
