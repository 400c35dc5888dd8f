#!/usr/bin/env bash
# Schemathesis (PyPI, pinned) against the running service's /openapi.json: every documented
# operation gets generated requests (valid and invalid), and each answer must not be a 5xx
# and must match the schema documented for its status. The service runs from a temporary
# SQLite database with one device activated, the admin token set and its default request
# limits, on a loopback port of its own; it is stopped at the end.
#   service/schemathesis.sh [MAX_EXAMPLES]   (default 40 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
EXAMPLES=${1:-40}
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version | grep -q "$VERSION"; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

cargo build --quiet --locked -p service --bin service
SERVICE=target/debug/service
DIR=$(mktemp -d)
SERVICE_PID=""
cleanup() {
    [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT
STORE=(--db "sqlite://$DIR/kode.db" --key-file "$DIR/secret.key")
TOKEN=schemathesis-admin-token

echo "KR-000001 otpauth://hotp/MitID:KR-000001?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0" >"$DIR/devices.txt"
"$SERVICE" "${STORE[@]}" import "$DIR/devices.txt" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KODE_ADMIN_TOKEN=$TOKEN RUST_LOG=warn "$SERVICE" "${STORE[@]}" serve --listen "127.0.0.1:$PORT" &
SERVICE_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
CODE=$(curl -fsS -X POST "$URL/v1/activation-codes" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' \
    -d '{"serial":"KR-000001","user":"person-1","channel":"paper"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["activation_code"])')
curl -fsS -X POST "$URL/v1/activate" -H 'content-type: application/json' \
    -d "{\"serial\":\"KR-000001\",\"user\":\"person-1\",\"activation_code\":\"$CODE\",\"code\":\"755224\"}" >/dev/null

# From the temporary directory: schemathesis and hypothesis leave their caches in the
# working directory.
ST="$PWD/$VENV/bin/st"
cd "$DIR"
"$ST" run "$URL/openapi.json" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$EXAMPLES" \
    --seed 14 \
    --workers 2 \
    --header "Authorization: Bearer $TOKEN" \
    --generation-database none \
    --no-color
