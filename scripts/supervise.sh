#!/usr/bin/env bash
# `make run`'s process manager: supervisord in the foreground with config/supervisord.conf
# (docs/architecture.md, Supervision).
#   scripts/supervise.sh            run supervisord (Ctrl-C or SIGTERM stops every program)
#   scripts/supervise.sh prepare    create var/, migrate, seed, write the devnet (once), with the
#                                   private redis-server running meanwhile (seeding queues tasks)
#   scripts/supervise.sh ctl ARGS…  supervisorctl against the running one (status, restart worker, …)
# The variables the config expands get make run's defaults here, exactly as before; the
# supervisord pid file and control socket live in $GLOAM_VAR_DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GLOAM_VAR_DIR=$(realpath -m "${GLOAM_VAR_DIR:-var}")
export GLOAM_VAR_DIR
export GLOAM_HOST="${GLOAM_HOST:-127.0.0.1}"
export GLOAM_PORT="${GLOAM_PORT:-8000}"
export GLOAM_NODE_PORT="${GLOAM_NODE_PORT:-9100}"
export GLOAM_DEVNET_NODES="${GLOAM_DEVNET_NODES:-4}"
export GLOAM_REDIS_PORT="${GLOAM_REDIS_PORT:-6380}"
export GUNICORN_WORKERS="${GUNICORN_WORKERS:-2}"
# where python, celery and gunicorn are (the virtualenv of `make install`)
export GLOAM_BIN="${GLOAM_BIN:-$ROOT/.venv/bin}"
conf="$ROOT/config/supervisord.conf"

if [ "${1:-}" = "ctl" ]; then
  shift
  exec "$GLOAM_BIN/supervisorctl" -c "$conf" "$@"
fi
pidfile="$GLOAM_VAR_DIR/supervisord.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "Gloam is already running from $GLOAM_VAR_DIR (supervisord pid $(cat "$pidfile"))" >&2
  exit 1
fi
mkdir -p "$GLOAM_VAR_DIR/log" "$GLOAM_VAR_DIR/redis"

if [ "${1:-}" = "prepare" ]; then
  # another Redis on our port would silently carry this platform's tasks: refuse
  if (exec 3<>"/dev/tcp/127.0.0.1/$GLOAM_REDIS_PORT") 2>/dev/null; then
    echo "port $GLOAM_REDIS_PORT is in use: set GLOAM_REDIS_PORT to a free port for this platform's redis-server" >&2
    exit 1
  fi
  # the same redis-server as [program:redis] (same port and data), only while preparing
  /usr/bin/redis-server --bind 127.0.0.1 --port "$GLOAM_REDIS_PORT" --dir "$GLOAM_VAR_DIR/redis" \
    --appendonly yes --appendfsync everysec --save "" --protected-mode yes --daemonize no \
    --logfile "$GLOAM_VAR_DIR/log/redis.log" &
  redis_pid=$!
  trap 'kill -TERM "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$GLOAM_REDIS_PORT") 2>/dev/null && break
    kill -0 "$redis_pid" 2>/dev/null || { echo "redis-server did not start: see $GLOAM_VAR_DIR/log/redis.log" >&2; exit 1; }
    sleep 0.1
  done
  manage=("$GLOAM_BIN/python" manage.py)
  "${manage[@]}" prepare_var
  "${manage[@]}" migrate --noinput
  "${manage[@]}" seed_demo
  "${manage[@]}" seed_reference_data
  "${manage[@]}" devnet_init
  exit 0
fi
exec "$GLOAM_BIN/supervisord" -c "$conf"
