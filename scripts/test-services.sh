#!/usr/bin/env bash
# Services for the platform tests (tests/platform): Debian's PostgreSQL and Chromium, plus a throw-away
# PostgreSQL cluster on 127.0.0.1. Idempotent and quick when everything is already there.
#
# Writes the cluster's URL to $HEGUI_TEST_PG_DIR/url (default /tmp/hegui-test-pg/url); the tests read it.
# Anything that cannot be installed or started is reported loudly; the tests that need it then skip.
set -uo pipefail

PG_DIR="${HEGUI_TEST_PG_DIR:-/tmp/hegui-test-pg}"
PG_PORT="${HEGUI_TEST_PG_PORT:-54329}"

say() { echo "test-services: $*" >&2; }

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# A CJK font, so the browser tests' screenshots show Chinese text instead of empty boxes.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${need[*]} (apt)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; } \
      || say "WARNING: apt-get install ${need[*]} failed: PostgreSQL/browser tests will be skipped"
  else
    say "WARNING: ${need[*]} missing and not root: PostgreSQL/browser tests will be skipped"
  fi
fi

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$PG_BIN" ]; then
  say "WARNING: PostgreSQL not installed: PostgreSQL tests will be skipped"
  exit 0
fi

# PostgreSQL refuses to run as root: run the cluster as the `postgres` system user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -f "$PG_DIR/url" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
  exit 0  # already running
fi

mkdir -p "$PG_DIR"
[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { say "WARNING: initdb failed (see $PG_DIR/initdb.log): PostgreSQL tests will be skipped"; exit 0; }
fi
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=300" start >/dev/null \
  || { say "WARNING: PostgreSQL did not start (see $PG_DIR/server.log): PostgreSQL tests will be skipped"; exit 0; }
echo "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" >"$PG_DIR/url.tmp" && mv "$PG_DIR/url.tmp" "$PG_DIR/url"
say "PostgreSQL running on 127.0.0.1:$PG_PORT"
