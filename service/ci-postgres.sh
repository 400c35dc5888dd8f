#!/usr/bin/env bash
# Installs (Debian package `postgresql`) and starts a local PostgreSQL cluster, creates the
# test role and database, and prints the URL for KODE_TEST_POSTGRES_URL. Idempotent and
# non-interactive; run as root on Debian 12. Everything but the URL goes to stderr.
#   export KODE_TEST_POSTGRES_URL="$(bash service/ci-postgres.sh)"
set -euo pipefail

ROLE=kode
PASSWORD=kode
# KODE_PG_DATABASE picks another database; KODE_PG_FRESH=1 drops and recreates it (the
# benchmark starts from an empty database each run).
DATABASE=${KODE_PG_DATABASE:-kode_test}
FRESH=${KODE_PG_FRESH:-0}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$VERSION main"; then
    pg_createcluster "$VERSION" main >&2
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')
if ! pg_ctlcluster "$VERSION" main status >/dev/null 2>&1; then
    pg_ctlcluster "$VERSION" main start >&2
fi
for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2

as_postgres() { su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -tAc \"$1\""; }
if [ "$(as_postgres "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    as_postgres "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$FRESH" = 1 ]; then
    as_postgres "DROP DATABASE IF EXISTS $DATABASE" >&2
fi
if [ "$(as_postgres "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
    as_postgres "CREATE DATABASE $DATABASE OWNER $ROLE" >&2
fi

echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
