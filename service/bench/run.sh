#!/usr/bin/env bash
# Side-by-side load benchmark on this machine, loopback only, bounded in time:
# our service on SQLite and on PostgreSQL, and privacyIDEA (PyPI, in a virtualenv, its
# SQLite backend, gunicorn), each with the same number of TOTP devices/tokens and the
# same load driver (service-bench). Prints one JSON line per phase and the ratios.
#
#   bash service/bench/run.sh    # DEVICES=10000 PHASE_SECONDS=10 RUNS=3 by default
#
# Our service runs RUNS times on each database, each run followed by one of privacyIDEA
# (the speed of this shared 2-core virtual machine varies from run to run and from hour to
# hour, privacyIDEA's too): "× privacyIDEA" is the median of the runs' own ratios (ours in
# run k / privacyIDEA in run k), and the summary gives every run's ratio and p99.
# PostgreSQL comes from KODE_BENCH_POSTGRES_URL, or else service/ci-postgres.sh (as root)
# makes a fresh database `kode_bench` for each run, as SQLite gets a fresh file.
set -euo pipefail

SERVICE_DIR=$(cd "$(dirname "$0")/.." && pwd)
DEVICES=${DEVICES:-10000}
PHASE_SECONDS=${PHASE_SECONDS:-10}
RUNS=${RUNS:-3}
# Concurrent connections for our service: each request waits for its group commit, so
# the peak needs more requests in flight than privacyIDEA (8) can use.
CONCURRENCY=${CONCURRENCY:-256}
# Our service's endpoint: v1 (/v1/validate) or check (privacyIDEA's /validate/check, form).
ENDPOINT=${ENDPOINT:-v1}
WORK=${WORK:-/tmp/kode-bench}
# A memory file system for one more SQLite run that is not durable (its fdatasync returns
# at once): the service's own part of the latency, without the disk's.
MEMORY_DIR=${MEMORY_DIR:-/dev/shm}
VENV=${VENV:-/tmp/pi-venv}
PI_PORT=${PI_PORT:-18517}
TARGET_DIR=${CARGO_TARGET_DIR:-$SERVICE_DIR/../target}

rm -rf "$WORK"
mkdir -p "$WORK"
RESULTS="$WORK/results.jsonl"

(cd "$SERVICE_DIR" && cargo build --release -q -p service --bin service-bench)
BENCH="$TARGET_DIR/release/service-bench"

# The machine's own floor first, with nothing else running: pauses of a spinning thread
# on each core, and fdatasync latency on the disk the databases use.
echo "== the machine alone" >&2
"$BENCH" --machine-probe "$WORK" --seconds "$PHASE_SECONDS" | tee -a "$RESULTS"

# Each run starts on a quiet machine: the last run's files are deleted, its PostgreSQL
# database emptied (or autovacuum and checkpoints on it would run into the next run),
# and everything written back before the next one starts.
settle() { sync; sleep 3; }
fresh_postgres() { KODE_PG_DATABASE=kode_bench KODE_PG_FRESH=1 bash "$SERVICE_DIR/ci-postgres.sh"; }
# Our service on database URL $1, its JSON lines labelled $2, after the machine settles.
ours() {
    settle
    "$BENCH" --db "$1" --devices "$DEVICES" --seconds "$PHASE_SECONDS" \
        --concurrency "$CONCURRENCY" --endpoint "$ENDPOINT" --label "$2" | tee -a "$RESULTS"
}
echo "== privacyIDEA (PyPI, SQLite, gunicorn with 2 workers): set up once, idle between its runs" >&2
if [ ! -x "$VENV/bin/pi-manage" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q privacyidea==3.14 gunicorn
fi
cat > "$WORK/pi.cfg" <<CFG
SQLALCHEMY_DATABASE_URI = 'sqlite:///$WORK/pi.sqlite'
SECRET_KEY = 'bench-secret-key'
PI_PEPPER = 'bench-pepper'
PI_ENCFILE = '$WORK/enckey'
PI_AUDIT_KEY_PRIVATE = '$WORK/private.pem'
PI_AUDIT_KEY_PUBLIC = '$WORK/public.pem'
PI_LOGFILE = '$WORK/privacyidea.log'
PI_LOGLEVEL = 30
CFG
export PRIVACYIDEA_CONFIGFILE="$WORK/pi.cfg"
"$VENV/bin/pi-manage" setup create_enckey >/dev/null 2>&1
"$VENV/bin/pi-manage" setup create_audit_keys >/dev/null 2>&1
"$VENV/bin/pi-manage" setup create_tables >/dev/null 2>&1
"$VENV/bin/python" "$SERVICE_DIR/bench/privacyidea_tokens.py" "$DEVICES"
"$VENV/bin/gunicorn" --chdir "$WORK" -w 2 -b "127.0.0.1:$PI_PORT" --log-level warning \
    "privacyidea.app:create_app(config_name='production', silent=True)" &
PI_PID=$!
trap 'kill "$PI_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PI_PORT/healthz/" >/dev/null 2>&1 && break
    curl -s -o /dev/null "http://127.0.0.1:$PI_PORT/" && break
    sleep 0.5
done
MEMORY_DB="$MEMORY_DIR/kode-bench-$$.db"
for run in $(seq 1 "$RUNS"); do
    echo "== our service, SQLite (run $run of $RUNS)" >&2
    rm -f "$WORK"/kode.db*
    ours "sqlite://$WORK/kode.db" kode-sqlite

    if [ -d "$MEMORY_DIR" ]; then
        echo "== our service, SQLite in memory, not durable (run $run of $RUNS)" >&2
        rm -f "$MEMORY_DB"*
        ours "sqlite://$MEMORY_DB" kode-sqlite-memory
        rm -f "$MEMORY_DB"*
    fi

    echo "== our service, PostgreSQL (run $run of $RUNS)" >&2
    ours "${KODE_BENCH_POSTGRES_URL:-$(fresh_postgres)}" kode-postgres
    [ -n "${KODE_BENCH_POSTGRES_URL:-}" ] || fresh_postgres >/dev/null

    # privacyIDEA right after ours, so each run's ratio compares two measurements taken
    # minutes apart on the same machine (its speed here changes from hour to hour).
    echo "== privacyIDEA (run $run of $RUNS)" >&2
    settle
    "$BENCH" --target-url "http://127.0.0.1:$PI_PORT" --devices "$DEVICES" --seconds "$PHASE_SECONDS" \
        --concurrency 8 --label privacyidea | tee -a "$RESULTS"
done
kill "$PI_PID"
wait "$PI_PID" 2>/dev/null || true
trap - EXIT

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def runs(label, phase):
    return [r for r in rows if r["label"] == label and r.get("phase") == phase]
machine = next(r for r in rows if r["label"] == "machine")
pauses, sync = machine["pauses"], machine["fdatasync"]
print()
print(f"the machine alone, {machine['seconds']:.0f} s: a spinning thread on each of "
      f"{pauses['cores']} cores paused {pauses['over_3ms']} times over 3 ms "
      f"(max {pauses['max_ms']:.1f} ms); fdatasync of 8 KiB p50 {sync['p50_ms']:.2f} ms, "
      f"p99 {sync['p99_ms']:.2f} ms, {sync['over_5ms']} over 5 ms (max {sync['max_ms']:.1f} ms)")
stalled = sync.get("stalled_over_5ms_share", 0.0)
print(f"the disk held a sync past its first 5 ms for {100 * stalled:.2f} % of the time: a durable "
      f"answer that arrives then waits over 5 ms for the disk alone"
      + (" — over 1 %, so no durable p99 can be under 5 ms on this disk" if stalled > 0.01 else ""))
print("median of the runs; × privacyIDEA is the median of each run's own ratio; p99 at half peak counted from each request's due time; "
      "kode-sqlite-memory is not durable (its database on a memory file system); "
      "stolen: the machine's CPU time the hypervisor took at half peak")
print(f"{'target':<15}{'runs':>5}{'peak/s':>10}{'× privacyIDEA':>15}{'half/s':>10}{'p50 half':>10}"
      f"{'p99 half':>10}{'writes/commit':>15}{'CPU µs/req':>12}{'stolen':>8}   p99 half of each run")
for label in ["kode-sqlite", "kode-postgres", "kode-sqlite-memory", "privacyidea"]:
    peak, half = runs(label, "peak"), runs(label, "half_peak")
    if not peak:
        continue
    med = lambda rs, key: statistics.median(r[key] for r in rs)
    # Each run's ratio against privacyIDEA's run right after it.
    pis = runs("privacyidea", "peak")
    ratios = [o["validations_per_s"] / p["validations_per_s"]
              for o, p in zip(peak, pis) if p["validations_per_s"]]
    ratio = statistics.median(ratios) if ratios else float("nan")
    each_ratio = ", ".join(f"{r:.0f}×" for r in ratios)
    each = ", ".join(f"{r['p99_ms']:.1f}" for r in half)
    under = sum(r["p99_ms"] < 5 for r in half)
    wpc = "-" if half[0]["writes_per_commit"] is None else f"{med(half, 'writes_per_commit'):.1f}"
    print(f"{label:<15}{len(peak):>5}{med(peak, 'validations_per_s'):>10.0f}{ratio:>14.0f}×"
          f"{med(half, 'validations_per_s'):>10.0f}{med(half, 'p50_ms'):>8.2f}ms"
          f"{med(half, 'p99_ms'):>8.1f}ms{wpc:>15}{med(half, 'cpu_us_per_request'):>12.0f}"
          f"{100 * med(half, 'cpu_stolen'):>7.1f}%   {each} ms ({under} of {len(half)} under 5 ms)"
          + (f"; × privacyIDEA per run: {each_ratio}" if label != "privacyidea" else ""))
PY
