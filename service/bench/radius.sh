#!/usr/bin/env bash
# Access-Requests per second through FreeRADIUS 3.2: with our service behind rlm_rest
# (service/integrations/freeradius, virtual server `kode`), against the same FreeRADIUS
# answering the same requests from a local `files` entry (virtual server `baseline`, no
# service asked) — FreeRADIUS's own ceiling on this machine, or the driver's: radclient is
# one thread, and the summary says how busy it was (at ~100 % the driver set the pace and
# the ratio is an upper bound). Same driver (radclient, with PARALLEL requests
# outstanding), same request file, in one run; RUNS rounds, alternating which target goes
# first; prints each round and the medians.
#
#   bash service/bench/radius.sh        # USERS=10000 RUNS=5 PARALLEL=128 by default
#   DB_DIR=/dev/shm bash service/bench/radius.sh   # the database on a memory file system:
#                                       # not durable, the path without the disk's latency
#
# Every request is a right, fresh code: USERS HOTP readers (one secret, so round k's code
# is counter k's for everyone) activated for users KR0 … KR(USERS-1); each round sends
# every user's next code once. Every accept is durable (SQLite, synchronous = FULL). The
# JSON lines give each process's CPU time per request too (from /proc; radclient's from
# the shell's `time`).
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=${USERS:-10000}
RUNS=${RUNS:-5}
PARALLEL=${PARALLEL:-128}
SECRET=bench-radius-secret
B32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

cargo build --release --quiet --locked -p service --bin service
SERVICE=${CARGO_TARGET_DIR:-target}/release/service
DIR=$(mktemp -d)
DB_DIR=${DB_DIR:-$DIR}
DB="$DB_DIR/kode-radius-bench-$$.db"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$DIR" "$DB"*
}
trap cleanup EXIT
STORE=(--db "sqlite://$DB" --key-file "$DIR/secret.key")

python3 - "$DIR/devices.txt" "$USERS" "$B32" <<'PY'
import sys
path, users, b32 = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    for i in range(users):
        f.write(f"KR{i} otpauth://hotp/bench:KR{i}?secret={b32}&counter=0\n")
PY
"$SERVICE" "${STORE[@]}" import "$DIR/devices.txt" >/dev/null
# Bench fixture only (as service-bench does): bind every reader to its user directly.
python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE devices SET user_id = serial, state = 'active'")
db.commit()
PY

free_port() {
    python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.$1); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}
HTTP_PORT=$(free_port SOCK_STREAM)
KODE_PORT=$(free_port SOCK_DGRAM)
BASE_PORT=$(free_port SOCK_DGRAM)
RUST_LOG=error "$SERVICE" "${STORE[@]}" serve --listen "127.0.0.1:$HTTP_PORT" \
    --rate-per-client 0 --rate-per-user 0 &
SERVICE_PID=$!
PIDS+=("$SERVICE_PID")
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

RADDB="$DIR/raddb"
cp -r service/integrations/freeradius "$RADDB"
mkdir -p "$RADDB/run"
KODE_RADDB="$RADDB" KODE_SERVICE_URL="http://127.0.0.1:$HTTP_PORT" KODE_RADIUS_SECRET=$SECRET \
KODE_RADIUS_ADDRESS=127.0.0.1 KODE_RADIUS_PORT=$KODE_PORT KODE_RADIUS_BASELINE_PORT=$BASE_PORT \
    /usr/sbin/freeradius -f -n bench -l "$DIR/freeradius.log" -d "$RADDB" &
RADIUS_PID=$!
PIDS+=("$RADIUS_PID")
for _ in $(seq 1 200); do
    grep -q "Ready to process requests" "$DIR/freeradius.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "Ready to process requests" "$DIR/freeradius.log" || { cat "$DIR/freeradius.log"; exit 1; }

# One round: every user's code for HOTP counter $1, as a radclient request file.
requests() {
    python3 - "$1" "$USERS" "$DIR/requests.txt" <<'PY'
import hmac, hashlib, struct, sys
counter, users, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
mac = hmac.new(b"12345678901234567890", struct.pack(">Q", counter), hashlib.sha1).digest()
offset = mac[-1] & 0x0F
code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
with open(path, "w") as f:
    for i in range(users):
        f.write(f'User-Name = "KR{i}", User-Password = "{code:06d}"\n\n')
PY
}

# CPU time (user + system, in clock ticks) a process has used so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# Sends the request file to port $1; prints "seconds accepted freeradius_cpu_s
# service_cpu_s radclient_cpu_s". radclient is one thread: when its CPU time is near the
# round's seconds, the driver, not FreeRADIUS, set the pace.
drive() {
    local start end accepted radius0 service0 TIMEFORMAT='%U %S'
    radius0=$(ticks "$RADIUS_PID")
    service0=$(ticks "$SERVICE_PID")
    start=$(date +%s.%N)
    { time radclient -q -s -p "$PARALLEL" -r 1 -t 10 -f "$DIR/requests.txt" \
        "127.0.0.1:$1" auth "$SECRET" >"$DIR/radclient.out" 2>&1 || true; } 2>"$DIR/radclient.time"
    end=$(date +%s.%N)
    accepted=$(awk '/Accepted/ {print $NF}' "$DIR/radclient.out")
    echo "$(echo "$end - $start" | bc -l) ${accepted:-0}" \
        "$(echo "($(ticks "$RADIUS_PID") - $radius0) / $HZ" | bc -l)" \
        "$(echo "($(ticks "$SERVICE_PID") - $service0) / $HZ" | bc -l)" \
        "$(awk '{print $1 + $2}' "$DIR/radclient.time")"
}

echo "FreeRADIUS $(/usr/sbin/freeradius -v | head -1 | sed 's/.*Version //; s/,.*//'), $USERS users a round, $PARALLEL outstanding, $RUNS rounds after a warm-up round, the service's database in $DB_DIR"
# Warm-up, not counted: the service reads each reader once (database, at-rest key) and
# FreeRADIUS opens its connections; later rounds find both ready, as a running system does.
requests 1
for port in "$KODE_PORT" "$BASE_PORT"; do
    read -r _ accepted _ _ _ < <(drive "$port")
    [ "$accepted" -eq "$USERS" ] || { echo "warm-up: $accepted of $USERS accepted" >&2; exit 1; }
done
KODE_RATES=()
BASE_RATES=()
BASE_DRIVER=()
for run in $(seq 1 "$RUNS"); do
    requests $((run + 1))
    if [ $((run % 2)) -eq 1 ]; then order="kode baseline"; else order="baseline kode"; fi
    for target in $order; do
        if [ "$target" = kode ]; then port=$KODE_PORT; else port=$BASE_PORT; fi
        read -r seconds accepted radius_cpu service_cpu radclient_cpu < <(drive "$port")
        rate=$(echo "$accepted / $seconds" | bc -l)
        printf '{"round":%d,"target":"%s","requests":%d,"accepted":%d,"seconds":%.3f,"per_second":%.0f,"freeradius_cpu_us_per_request":%.0f,"service_cpu_us_per_request":%.0f,"radclient_cpu_us_per_request":%.0f,"radclient_busy":%.2f}\n' \
            "$run" "$target" "$USERS" "$accepted" "$seconds" "$rate" \
            "$(echo "$radius_cpu * 1000000 / $USERS" | bc -l)" "$(echo "$service_cpu * 1000000 / $USERS" | bc -l)" \
            "$(echo "$radclient_cpu * 1000000 / $USERS" | bc -l)" "$(echo "$radclient_cpu / $seconds" | bc -l)"
        if [ "$accepted" -ne "$USERS" ]; then
            echo "round $run: $target accepted $accepted of $USERS" >&2
            exit 1
        fi
        if [ "$target" = kode ]; then
            KODE_RATES+=("$rate")
        else
            BASE_RATES+=("$rate")
            BASE_DRIVER+=("$(echo "$radclient_cpu / $seconds" | bc -l)")
        fi
    done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
KODE=$(median "${KODE_RATES[@]}")
BASE=$(median "${BASE_RATES[@]}")
printf 'median Access-Requests/s: through the service %.0f, files baseline %.0f, ratio %.2f\n' \
    "$KODE" "$BASE" "$(echo "$KODE / $BASE" | bc -l)"
DRIVER=$(median "${BASE_DRIVER[@]}")
printf 'radclient (one thread) was busy %.0f %% of the files baseline rounds (median)%s\n' \
    "$(echo "$DRIVER * 100" | bc -l)" \
    "$(if [ "$(echo "$DRIVER > 0.9" | bc -l)" -eq 1 ]; then echo ": the driver set that pace, so FreeRADIUS's own ceiling is higher and the ratio above is an upper bound"; fi)"
