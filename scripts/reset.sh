#!/usr/bin/env bash
# `make reset`: delete the embedded default's var dir ($GLOAM_VAR_DIR, default var/): the
# SQLite database (every organisation, user, instrument, trade and holding), the chain (blocks,
# state, provisioner keys, genesis), the broker's queue, the generated secret keys and the logs.
# Stops nothing: refuses while `make run` is running from that var dir. Asks for confirmation
# unless RESET=yes.
set -euo pipefail
cd "$(dirname "$0")/.."
var=$(realpath -m "${GLOAM_VAR_DIR:-var}")
pidfile="$var/supervisord.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "Gloam is running from $var (supervisord pid $(cat "$pidfile")): stop it (Ctrl-C in its terminal) first." >&2
  exit 1
fi
if [ ! -e "$var" ]; then
  echo "nothing to reset: $var does not exist"
  exit 0
fi
echo "WARNING: this deletes $var: every organisation, user, instrument, trade, holding and"
echo "the whole chain (blocks, keys, genesis), queued tasks, the generated secret keys and the logs."
if [ "${RESET:-}" != "yes" ]; then
  if [ ! -t 0 ]; then
    echo "not a terminal: run 'make reset RESET=yes' to confirm" >&2
    exit 1
  fi
  read -r -p "Type 'yes' to delete it: " answer
  [ "$answer" = "yes" ] || { echo "nothing deleted"; exit 1; }
fi
rm -rf -- "$var"
echo "deleted $var; the next 'make run' starts from scratch"
