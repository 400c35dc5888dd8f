#!/usr/bin/env bash
# Boots the emulated arm64 device (build it first: reader-device/qemu/build-image.sh).
#
#   reader-device/qemu/run.sh              boot it and press its keys from this terminal:
#                                          Enter = red key, 0-9 digits, F = hold red
#                                          (function), O = hold red (off), s = show the
#                                          screen again, q = quit. The screen is drawn
#                                          here from QEMU's screendump; speech goes to
#                                          target/qemu/run/speech.wav; the console log
#                                          to target/qemu/run/serial.log.
#   run.sh --exec [options]                only exec QEMU (the e2e test and the bench):
#     --disk IMG --serial FILE --wav FILE --qmp SOCKET [--rtc BASE] [--append ARGS]
#
# The machine: -M virt, cortex-a57 under TCG, Debian's kernel and the initramfs from
# build-image.sh, a virtio keyboard, virtio-gpu at 240x240 (the device's screen), an
# Intel HDA card whose output QEMU writes to a WAV file, the PL031 RTC set to BASE and a
# virtio disk for the device's state.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${CARGO_TARGET_DIR:-$here/../../target}/qemu"

qemu_command() { # disk serial wav qmp rtc append -> the array $command
    command=(qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512 -smp 1 -nodefaults -no-user-config
        -kernel "$out/vmlinuz" -initrd "$out/initrd.cpio.gz"
        -append "console=ttyAMA0 quiet $6"
        -serial "file:$2" -display none
        -device virtio-gpu-pci,xres=240,yres=240 -device virtio-keyboard-pci
        -audiodev "wav,id=snd0,path=$3" -device intel-hda -device hda-output,audiodev=snd0
        -drive "file=$1,format=raw,if=virtio"
        -rtc "base=$5" -qmp "unix:$4,server=on,wait=off")
}

for file in vmlinuz initrd.cpio.gz state.img; do
    [ -f "$out/$file" ] || { echo "run.sh: $out/$file is missing: run reader-device/qemu/build-image.sh" >&2; exit 2; }
done

if [ "${1:-}" = "--exec" ]; then
    shift
    disk= serial= wav= qmp= rtc=2026-06-01T12:00:00 append=
    while [ $# -gt 0 ]; do
        case "$1" in
            --disk) disk=$2 ;; --serial) serial=$2 ;; --wav) wav=$2 ;; --qmp) qmp=$2 ;;
            --rtc) rtc=$2 ;; --append) append=$2 ;;
            *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        esac
        shift 2
    done
    for name in disk serial wav qmp; do
        [ -n "${!name}" ] || { echo "run.sh --exec: --$name is required" >&2; exit 2; }
    done
    qemu_command "$disk" "$serial" "$wav" "$qmp" "$rtc" "$append"
    exec "${command[@]}"
fi

run="$out/run"
mkdir -p "$run"
[ -f "$run/state.img" ] || cp "$out/state.img" "$run/state.img"
rm -f "$run/qmp.sock"
rtc=$(date -u +%Y-%m-%dT%H:%M:%S)
qemu_command "$run/state.img" "$run/serial.log" "$run/speech.wav" "$run/qmp.sock" "$rtc" ""
"${command[@]}" &
qemu=$!
trap 'kill "$qemu" 2>/dev/null || true' EXIT
echo "Booting (the RTC says $rtc UTC); state on $run/state.img, log in $run/serial.log"
python3 "$here/keys.py" "$run/qmp.sock" "$run/serial.log"
