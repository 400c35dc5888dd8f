#!/usr/bin/env python3
"""Presses the emulated device's keys from this terminal through QEMU's QMP socket and
draws its screen (QEMU's screendump) here in half-block characters. Started by run.sh.

Usage: keys.py QMP_SOCKET SERIAL_LOG"""
import json, os, socket, sys, termios, time, tty

KEYS = {"\r": ("kp_enter", 100), "\n": ("kp_enter", 100), "F": ("kp_enter", 1200),
        "O": ("kp_enter", 2600), **{str(d): (f"kp_{d}", 100) for d in range(10)}}


def connect(path):
    for _ in range(600):
        try:
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(path)
            return sock.makefile("rw")
        except OSError:
            time.sleep(0.1)
    sys.exit(f"keys.py: no QMP socket at {path}")


def command(qmp, name, **arguments):
    qmp.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
    qmp.flush()
    while True:
        answer = json.loads(qmp.readline())
        if "return" in answer or "error" in answer:
            return answer


def draw(qmp, path):
    command(qmp, "screendump", filename=path)
    data = open(path, "rb").read()
    _, size, _, pixels = data.split(b"\n", 3)
    width, height = map(int, size.split())
    light = lambda x, y: pixels[(y * width + x) * 3] > 127
    lines = []
    for y in range(0, height - 1, 4):
        lines.append("".join(
            {(1, 1): "█", (1, 0): "▀", (0, 1): "▄", (0, 0): " "}[(light(x, y), light(x, y + 2))]
            for x in range(0, width, 2)))
    sys.stdout.write("\x1b[H\x1b[2J" + "\r\n".join(lines) + "\r\n")
    sys.stdout.write("Enter red · 0-9 digits · F function · O off · s screen · q quit\r\n")
    sys.stdout.flush()


def main():
    qmp = connect(sys.argv[1])
    qmp.readline()
    command(qmp, "qmp_capabilities")
    shot = os.path.join(os.path.dirname(sys.argv[1]), "screen.ppm")
    print("waiting for the device to be ready …")
    while "ready for the red key" not in open(sys.argv[2], errors="replace").read():
        time.sleep(0.5)
    old = termios.tcgetattr(sys.stdin)
    tty.setraw(sys.stdin)
    try:
        draw(qmp, shot)
        while True:
            key = sys.stdin.read(1)
            if key in ("q", "\x03"):
                command(qmp, "quit")
                break
            if key in KEYS:
                qcode, hold = KEYS[key]
                command(qmp, "send-key", keys=[{"type": "qcode", "data": qcode}], **{"hold-time": hold})
                time.sleep(hold / 1000 + 0.8)
            draw(qmp, shot)
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, old)


main()
