#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the test run: its own data directory, a free
# port, run as the unprivileged `postgres` user. Prints the SQLAlchemy URL on stdout.
# Usage: source it via `eval "$(.ci/postgres.sh start)"`, and `.ci/postgres.sh stop DIR` after.
set -euo pipefail

case "${1:-start}" in
start)
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    else
      echo "# PostgreSQL is not installed and this is not root: the PostgreSQL tests will be skipped" >&2
      exit 0
    fi
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  data=$(mktemp -d /tmp/fulfil-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  run_as=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$data"; run_as=(su postgres -s /bin/sh -c); else run_as=(sh -c); fi
  "${run_as[@]}" "$bin/initdb -D $data -A trust -U fulfil --no-sync -E UTF8" >/dev/null
  "${run_as[@]}" "$bin/pg_ctl -D $data -l $data/server.log -w -o \"-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off\" start" >/dev/null
  echo "export FULFIL_TEST_DATABASE_URL=postgresql+psycopg://fulfil@127.0.0.1:$port/postgres"
  echo "export FULFIL_TEST_PGDATA=$data"
  ;;
stop)
  data="${2:?data directory}"
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$bin/pg_ctl -D $data -m fast stop" >/dev/null || true
  else "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null || true; fi
  rm -rf "$data"
  ;;
esac
