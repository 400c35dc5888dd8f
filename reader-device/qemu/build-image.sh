#!/usr/bin/env bash
# Builds the emulated arm64 device from Debian packages and this workspace only:
#   target/qemu/vmlinuz      Debian's linux-image-arm64 kernel (apt-get download + dpkg-deb -x)
#   target/qemu/initrd.cpio.gz  busybox-static:arm64 as init, the kernel modules the device
#                            needs, reader-device cross-built for aarch64 (--features linux,
#                            a voice pack instead of espeak-ng) with its libraries (libc,
#                            libasound2 from the arm64 multiarch packages), ALSA's config
#                            and amixer (alsa-utils:arm64) to unmute the card
#   target/qemu/state.img    a blank 16 MiB ext4 disk for the device's state (copy it per run)
# Idempotent and non-interactive: installs what is missing (root or sudo), keeps the
# downloaded .debs and the extracted kernel under target/qemu, rebuilds the initramfs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out="${CARGO_TARGET_DIR:-$root/target}/qemu"
mkdir -p "$out/debs"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

packages=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross libasound2-dev:arm64
          libasound2-data cpio kmod e2fsprogs)
missing=()
for package in "${packages[@]}"; do installed "$package" || missing+=("$package"); done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    dpkg --print-foreign-architectures | grep -qx arm64 || as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's arm64 kernel and busybox: downloaded once, unpacked, never installed.
fetch() { # arm64 package -> path of its .deb in $out/debs
    local deb
    deb=$(ls "$out/debs/$1"_*_arm64.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        (cd "$out/debs" && apt-get download "$1:arm64" >/dev/null 2>&1) \
            || { as_root apt-get update -qq && (cd "$out/debs" && apt-get download "$1:arm64" >/dev/null); }
        deb=$(ls "$out/debs/$1"_*_arm64.deb | head -n1)
    fi
    echo "$deb"
}
kernel_package=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/ *Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -n1)
[ -n "$kernel_package" ] || { echo "build-image: cannot resolve linux-image-arm64:arm64" >&2; exit 1; }
kernel_deb=$(fetch "$kernel_package")
busybox_deb=$(fetch busybox-static)
alsa_utils_deb=$(fetch alsa-utils)
if [ ! -f "$out/kernel/.from" ] || [ "$(cat "$out/kernel/.from")" != "$kernel_deb" ]; then
    rm -rf "$out/kernel" && mkdir -p "$out/kernel"
    dpkg-deb -x "$kernel_deb" "$out/kernel"
    echo "$kernel_deb" > "$out/kernel/.from"
fi
rm -rf "$out/busybox" && dpkg-deb -x "$busybox_deb" "$out/busybox"
rm -rf "$out/alsa-utils" && dpkg-deb -x "$alsa_utils_deb" "$out/alsa-utils"
cp "$out"/kernel/boot/vmlinuz-* "$out/vmlinuz"
moddir=$(ls -d "$out"/kernel/lib/modules/*)

# The device program for aarch64: no espeak-ng (the image speaks with a voice pack).
target=aarch64-unknown-linux-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export PKG_CONFIG_ALLOW_CROSS=1 PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=/
export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
cargo build --quiet --locked -p reader-device --no-default-features --features linux \
    --target "$target" --bin reader-device
binary="${CARGO_TARGET_DIR:-$root/target}/$target/debug/reader-device"

rootfs="$out/rootfs"
rm -rf "$rootfs"
mkdir -p "$rootfs"/{bin,dev,proc,sys,state,etc/kodeoplaeser,usr/bin,usr/share/kodeoplaeser/voices,lib/modules}
cp "$out/busybox/bin/busybox" "$rootfs/bin/busybox"
cp reader-device/qemu/init "$rootfs/init"
aarch64-linux-gnu-strip -o "$rootfs/usr/bin/reader-device" "$binary"
cp reader-device/qemu/device.toml reader-device/qemu/device-hotp.toml \
   reader-device/qemu/totp.uri reader-device/qemu/hotp.uri "$rootfs/etc/kodeoplaeser/"
chmod 600 "$rootfs"/etc/kodeoplaeser/*.uri
cp -r voice-packs/da "$rootfs/usr/share/kodeoplaeser/voices/da"
cp -r /usr/share/alsa "$rootfs/usr/share/alsa"
printf 'root:x:0:\naudio:x:29:\n' > "$rootfs/etc/group"

# The program's shared libraries, found as the dynamic loader would (arm64 multiarch).
copy_libs() {
    local needed lib found dir
    for needed in $(aarch64-linux-gnu-readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ -e "$rootfs/lib/$needed" ] && continue
        found=
        for dir in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/aarch64-linux-gnu/lib; do
            if [ -e "$dir/$needed" ]; then found="$dir/$needed"; break; fi
        done
        [ -n "$found" ] || { echo "build-image: library $needed not found" >&2; exit 1; }
        cp -L "$found" "$rootfs/lib/$needed"
        copy_libs "$found"
    done
}
# amixer: a new sound card's mixer starts muted (a Pi restores it with alsactl).
cp "$out/alsa-utils/usr/bin/amixer" "$rootfs/usr/bin/amixer"
copy_libs "$rootfs/usr/bin/reader-device"
copy_libs "$rootfs/usr/bin/amixer"
interpreter=$(aarch64-linux-gnu-readelf -l "$rootfs/usr/bin/reader-device" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
mkdir -p "$rootfs$(dirname "$interpreter")"
[ -e "$rootfs$interpreter" ] || cp -L "/usr/aarch64-linux-gnu/lib/$(basename "$interpreter")" "$rootfs$interpreter"
mkdir -p "$rootfs/lib/aarch64-linux-gnu" "$rootfs/usr/lib"
ln -sf /lib "$rootfs/usr/lib/aarch64-linux-gnu"

# Kernel modules: virtio PCI, disk, keyboard and GPU (with DRM's fbdev emulation), the
# HDA sound card with its generic codec, ext4; each after what it depends on.
wanted=(virtio_pci virtio_blk virtio_input evdev virtio_gpu snd_hda_codec_generic
        snd_hda_intel crc32c_generic ext4)
declare -A done_modules=()
order=()
add_module() {
    local name=$1 path dep
    [ -n "${done_modules[$name]:-}" ] && return
    done_modules[$name]=1
    path=$(find "$moddir/kernel" -name "$name.ko" -o -name "${name//_/-}.ko" | head -n1)
    [ -n "$path" ] || { echo "build-image: module $name not in $kernel_package" >&2; exit 1; }
    for dep in $(modinfo -F depends "$path" | tr ',' ' '); do add_module "${dep//-/_}"; done
    for dep in $(modinfo -F softdep "$path" | sed -n 's/.*pre: *//p'); do
        [ -n "$(find "$moddir/kernel" -name "$dep.ko" | head -n1)" ] && add_module "$dep"
    done
    cp "$path" "$rootfs/lib/modules/"
    order+=("$(basename "$path")")
}
for module in "${wanted[@]}"; do add_module "$module"; done
printf '%s\n' "${order[@]}" > "$rootfs/lib/modules/load-order"

(cd "$rootfs" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 > "$out/initrd.cpio.gz"
if [ ! -f "$out/state.img" ]; then
    truncate -s 16M "$out/state.img.tmp"
    mke2fs -q -t ext4 -O ^metadata_csum -F "$out/state.img.tmp"
    mv "$out/state.img.tmp" "$out/state.img"
fi
echo "build-image: $out/vmlinuz, $out/initrd.cpio.gz ($(du -h "$out/initrd.cpio.gz" | cut -f1)), $out/state.img; modules: ${order[*]}"
