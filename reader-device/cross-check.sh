#!/usr/bin/env bash
# Compile check of the Raspberry Pi build: `reader-device --features rpi` for
# aarch64-unknown-linux-gnu (64-bit Raspberry Pi OS). Idempotent and non-interactive:
# installs what is missing (Debian 12: the aarch64 cross gcc and the arm64 ALSA and
# espeak-ng development packages), then builds. It only compiles; nothing is run.
#
# Usage: reader-device/cross-check.sh [--deb]   (as root, or with sudo available)
#   --deb  also builds the Raspberry Pi .deb with cargo-deb (installed if missing; a
#          release build, so slower).
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross libasound2-dev:arm64 libespeak-ng-dev:arm64)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        as_root dpkg --add-architecture arm64
    fi
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
# alsa-sys finds ALSA with pkg-config: point it at the arm64 .pc files.
export PKG_CONFIG_ALLOW_CROSS=1
export PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=/

cargo build --locked -p reader-device --features rpi --target "$TARGET" --bins
echo "cross-check: reader-device --features rpi builds for $TARGET"

if [ "${1:-}" = "--deb" ]; then
    command -v cargo-deb >/dev/null || cargo install --locked cargo-deb
    cargo deb -p reader-device --target "$TARGET"
fi
