#!/usr/bin/env bash
# Speed of the device program on the emulated arm64 device against the same program on
# this host, medians over RUNS runs (default 5), as ratios guest/host:
#   boot → ready     guest: QEMU started → "ready for the red key" on the console;
#                    host: the program started → the same line
#   start → ready    the program's own figure (process start → ready), both sides
#   key → audio      the red key's release (a tap acts on release) → the first sample of
#                    "Din kode er …" reaching the audio output (ALSA's queue in the guest,
#                    the WAV writer here), measured inside the program on both sides
# Both are the same debug build of the same code (aarch64 with --features linux in the
# image, x86_64 with the terminal backend here), speaking with the same voice pack.
# Needs the image: reader-device/qemu/build-image.sh. Usage: bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
out="${CARGO_TARGET_DIR:-$PWD/target}/qemu"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --locked -p reader-device --no-default-features --bin reader-device
host_binary="${CARGO_TARGET_DIR:-$PWD/target}/debug/reader-device"

now_ms() { date +%s%3N; }
# wait_line FILE PATTERN: waits (at most 300 s) for PATTERN in FILE; prints the line.
wait_line() {
    local deadline=$(( $(date +%s) + 300 ))
    until grep -q "$2" "$1" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "bench: no '$2' in $1" >&2; tail -20 "$1" >&2; exit 1; }
        sleep 0.05
    done
    grep -m1 "$2" "$1"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
program_ms() { sed -n 's/.*ready for the red key (\([0-9]*\) ms after start).*/\1/p'; }
audio_ms() { sed -n 's/.*first audio sample \([0-9.]*\) ms after the key.*/\1/p'; }

qmp_key() { # socket: connects, presses the red key, disconnects
    python3 - "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for c in ({"execute": "qmp_capabilities"},
          {"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "kp_enter"}], "hold-time": 100}}):
    f.write(json.dumps(c) + "\n"); f.flush()
    while "return" not in (a := json.loads(f.readline())):
        if "error" in a: sys.exit(str(a))
PY
}

for run in $(seq "$runs"); do
    # Guest.
    cp "$out/state.img" "$work/state.img"
    rm -f "$work/serial.log" "$work/qmp.sock"
    start=$(now_ms)
    reader-device/qemu/run.sh --exec --disk "$work/state.img" --serial "$work/serial.log" \
        --wav "$work/speech.wav" --qmp "$work/qmp.sock" >/dev/null 2>&1 &
    qemu=$!
    line=$(wait_line "$work/serial.log" "ready for the red key")
    echo "$(( $(now_ms) - start ))" >> "$work/guest-boot"
    echo "$line" | program_ms >> "$work/guest-start"
    qmp_key "$work/qmp.sock"
    wait_line "$work/serial.log" "first audio sample" | audio_ms >> "$work/guest-audio"
    kill "$qemu"; wait "$qemu" 2>/dev/null || true

    # Host: the same program with the terminal backend (keys on stdin, speech to WAV).
    rm -rf "$work/host" && mkdir -p "$work/host"
    cat > "$work/host/device.toml" <<TOML
serial = "1234 5678 90"
provisioning = "$PWD/reader-device/qemu/totp.uri"
state_dir = "$work/host/state"
voice_packs = ["$PWD/voice-packs/da"]
[hardware]
kind = "terminal"
wav_dir = "$work/host/wav"
TOML
    mkfifo "$work/host/keys"
    start=$(now_ms)
    RUST_LOG=info NO_COLOR=1 "$host_binary" --config "$work/host/device.toml" \
        < "$work/host/keys" > /dev/null 2> "$work/host/log" &
    host=$!
    exec 3> "$work/host/keys"
    line=$(wait_line "$work/host/log" "ready for the red key")
    echo "$(( $(now_ms) - start ))" >> "$work/host-boot"
    echo "$line" | program_ms >> "$work/host-start"
    echo "headphones on" >&3; sleep 0.5; echo "f" >&3
    wait_line "$work/host/log" "first audio sample" | audio_ms >> "$work/host-audio"
    echo "quit" >&3; exec 3>&-
    wait "$host" 2>/dev/null || true
    echo "run $run/$runs done" >&2
done

report() { # name file-stem unit
    local guest host
    guest=$(median < "$work/guest-$2"); host=$(median < "$work/host-$2")
    printf '%-16s guest %9.1f ms   host %7.1f ms   ratio guest/host %7.1f\n' "$1" "$guest" "$host" \
        "$(awk -v g="$guest" -v h="$host" 'BEGIN {print (h > 0 ? g / h : 0)}')"
}
echo "medians over $runs runs (qemu-system-aarch64 -M virt, cortex-a57, TCG, 1 vCPU vs this host):"
report "boot → ready" boot
report "start → ready" start
report "key → audio" audio
