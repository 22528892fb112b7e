"""How fast language detection is: start-up, messages per second, and time per message.

    python bench/lang_speed.py                                  # the excerpt shipped in tests/data
    python bench/lang_speed.py --data ../shared/data/lang-testdata

Every figure comes from fresh processes, started the way the bot and the command start, with a
scratch cache folder (XDG_CACHE_HOME), so that a run does not depend on an earlier one:

1. Start-up: importing locales.language and getting its model ready, first with no cache file
   (the first process after an install or an upgrade builds the model and writes it), then with
   the file that process left; and `python -m bot lang detect` from its start to its first
   answer, against a process that imports bot.cli (the command's imports alone), alternated
   `--rounds` times in the same run, medians.
2. Messages per second of locales.language.detect_code (what the engine's detect does) over every
   line of each kind (the four languages' files one after the other), with the word cache of a
   fresh process, then once more; langdetect alone (restricted to en/sw/fr/pt, seeded, one
   Detector per text as the detector asks it) as a reference on the same lines; and the
   sentences once more in another fresh process, with the phone and cluster languages the
   engine passes.
3. The command's sentences per second after its first answer, and whether it answered as the
   function does.
4. Per call: the held-out half (odd line numbers) of each kind, in file order, and a 10 kB
   Swahili text (read up to locales.language.MAX_CHARS) `--repeat` times.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, machine, percentile, table

KINDS = ("single-words", "word-pairs", "sentences")
LANGS = ("en", "sw", "fr", "pt")
LONG_TEXT = "Wavuvi wa ziwa wanauza samaki sokoni kila siku. " * 210  # about 10 kB
LONG_TEXT_TARGET = 0.5  # s: a 10 kB message must not hold the webhook up
RATE_TARGET = 2000  # sentences a second, in the bot (issue 19)

# Run in a fresh interpreter: how long the import and the model take, then each kind's rate.
CHILD = """
import json, sys, time
start = time.perf_counter()
from locales import language
imported = time.perf_counter()
language.model()
ready = time.perf_counter()
result = {"import": imported - start, "model": ready - imported, "rates": {}}
if sys.argv[1] in ("rates", "engine"):
    sys.path.insert(0, "bench")
    from lang_accuracy import langdetect_detector
    langdetect_alone = langdetect_detector(("en", "sw", "fr", "pt"))

    def as_the_engine(text):  # a Kenyan member's message
        return language.detect(text, cluster_languages=("en", "sw"), phone="+254722000001")

    detectors = (language.detect_code, language.detect_code, langdetect_alone)
    if sys.argv[1] == "engine":
        detectors = (as_the_engine, as_the_engine)
    for kind, lines in json.loads(sys.stdin.read()).items():
        rates = []
        for detect in detectors:
            begin = time.perf_counter()
            for line in lines:
                detect(line)
            rates.append(len(lines) / (time.perf_counter() - begin))
        result["rates"][kind] = rates
print(json.dumps(result))
"""


def all_lines(data: Path, kind: str) -> list[str]:
    return [line for lang in LANGS
            for line in (data / kind / f"{lang}.txt").read_text(encoding="utf-8").splitlines()]


def held_out(path: Path) -> list[str]:
    """Odd line numbers, counting from 1 (docs/LANGUAGE.md)."""
    return path.read_text(encoding="utf-8").splitlines()[0::2]


def child(what: str, env: dict, stdin: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, what], input=stdin, env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def imports_alone(env: dict) -> float:
    """Seconds from starting a process to its having imported what the command imports (the
    command's module), measured like the command's first answer (not its exit)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", "import bot.cli; print('ready', flush=True)"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    child.stdout.readline()
    ready = time.perf_counter()
    child.wait()
    return ready - start


def through_command(lines: list[str], env: dict) -> tuple[float, float, list[str]]:
    """`python -m bot lang detect`: seconds to the first answer, lines a second after it, and
    the answers."""
    start = time.perf_counter()
    command = subprocess.Popen([sys.executable, "-m", "bot", "lang", "detect"], cwd=ROOT, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    command.stdin.write(lines[0] + "\n")
    command.stdin.flush()
    answers = [command.stdout.readline().strip()]
    first = time.perf_counter()

    def feed():
        command.stdin.write("".join(line + "\n" for line in lines[1:]))
        command.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    answers += [command.stdout.readline().strip() for _ in lines[1:]]
    last = time.perf_counter()
    writer.join()
    command.wait()
    return first - start, (len(lines) - 1) / (last - first), answers


def timed(detect, texts: list[str]) -> list[float]:
    """Seconds per call, one per text."""
    times = []
    for text in texts:
        start = time.perf_counter()
        detect(text)
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
    parser.add_argument("--rounds", type=int, default=3, help="runs of the command")
    args = parser.parse_args()
    data = args.data.resolve()
    print(machine())
    print(f"code: {ROOT}, data: {data}\n")

    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache  # this process's model too
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        # 1. start-up
        cold = child("start", env)
        warm = child("start", env)
        sentences = all_lines(data, "sentences")
        bare, first_answers, command_rates = [], [], []
        for _ in range(args.rounds):  # alternated, medians
            bare.append(imports_alone(env))
            first_answer, command_rate, answers = through_command(sentences, env)
            first_answers.append(first_answer)
            command_rates.append(command_rate)
        bare, first_answer = statistics.median(bare), statistics.median(first_answers)
        command_rate = statistics.median(command_rates)
        print(table(["start-up", "seconds"], [
            ["import locales.language", warm["import"]],
            ["model, no cache file (built)", cold["model"]],
            ["model, from the cache file", warm["model"]],
            ["`import bot.cli` in a new process (baseline: the command's imports), median",
             bare],
            ["`python -m bot lang detect`: start to first answer, median", first_answer],
            ["first answer - imports alone (the command's own start-up)", first_answer - bare],
        ]))

        # 2. messages per second in a fresh process
        lines = {kind: all_lines(data, kind) for kind in KINDS}
        rates = child("rates", env, json.dumps(lines))["rates"]
        print()
        print(table(["messages", "lines", "detect/s, first seen", "detect/s, again",
                     "langdetect alone/s", "detect / langdetect (first seen)"],
                    [[kind, len(lines[kind]), *rates[kind],
                      f"{rates[kind][0] / rates[kind][2]:.2f}"] for kind in KINDS]))
        engine = child("engine", env, json.dumps({"sentences": lines["sentences"]}))["rates"]
        first, again = engine["sentences"]
        print(f"\nsentences as the engine asks (a Kenyan member: phone +254..., cluster en, sw): "
              f"{first:,.0f}/s first seen, {again:,.0f}/s again")
        rate = min(rates["sentences"][0], first)
        print(f"sentences a second in the bot's function, first seen: {rate:,.0f}, target >= "
              f"{RATE_TARGET:,}: {'met' if rate >= RATE_TARGET else 'NOT met'}")

        # 3. per call, in this process: the model read from the cache, the word cache empty
        from locales import language

        language.model()
        rows = []
        for kind in KINDS:
            held = [line for lang in LANGS for line in held_out(data / kind / f"{lang}.txt")]
            rows.append(row(kind, timed(language.detect_code, held)))
        long_times = timed(language.detect_code, [LONG_TEXT] * args.repeat)
        rows.append(row(f"10 kB text ({len(LONG_TEXT):,} characters)", long_times))
        print()
        print(table(["messages (held-out half)", "calls", "median ms", "p95 ms", "slowest ms"],
                    rows))
        slowest = max(long_times)
        met = "met" if slowest < LONG_TEXT_TARGET else "NOT met"
        print(f"\n10 kB text, slowest call {slowest * 1000:.1f} ms: "
              f"target < {LONG_TEXT_TARGET * 1000:.0f} ms {met}")

    # 4. the command
    agree = sum(answer == language.detect_code(line) for answer, line in zip(answers, sentences))
    print(f"\n`python -m bot lang detect` < {len(sentences):,} sentences: {command_rate:,.0f} "
          f"sentences/s after the first answer (median of {args.rounds}); "
          f"answers as detect_code: {agree:,}/{len(sentences):,}")

if __name__ == "__main__":
    main()
