#!/usr/bin/env python3
"""Watches for stalls of the whole machine: sleeps 1 ms at a time for SECONDS and prints
each wake-up that came more than 5 ms late, as (ms since start, ms asleep). Run it beside
a benchmark to see whether slow requests come with the machine itself held (an
independent process is held too) or from the program under test alone.

    python3 service/bench/stall-watch.py 3
"""
import sys
import time


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    start = time.monotonic()
    stalls = []
    while time.monotonic() - start < seconds:
        before = time.monotonic()
        time.sleep(0.001)
        asleep = time.monotonic() - before
        if asleep > 0.005:
            stalls.append((round((before - start) * 1000), round(asleep * 1000, 1)))
    print(f"{len(stalls)} wake-ups over 5 ms late in {seconds:g} s: {stalls}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
