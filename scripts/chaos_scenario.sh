#!/usr/bin/env bash
# The chaos test (issue 15): run_scenario against a platform running under its supervisor
# while scripts/chaos.py SIGKILLs a node, the worker, beat or web at seeded random moments;
# then every trade must have settled exactly once (run_scenario reconciles every holding and
# cash balance), and manage.py settlement_integrity must find no submission left open and
# nothing settled twice. Uses the same environment as the platform (GLOAM_VAR_DIR, ports,
# DATABASE_URL, CELERY_BROKER_URL).
#
#   scripts/chaos_scenario.sh [--kills N] [--min-kills N] [--seed S] [--repeat] [--trades N]
#
# --repeat runs one scenario after another until the kill schedule is done (the long run:
# --kills 100 --repeat); otherwise one scenario, and the schedule stops with it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
kills=14 min_kills=10 seed=11 repeat=0 trades=100
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills=$2; shift 2 ;;
    --min-kills) min_kills=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --repeat) repeat=1; shift ;;
    --trades) trades=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
python=${GLOAM_BIN:-$ROOT/.venv/bin}/python
var=$(realpath -m "${GLOAM_VAR_DIR:-var}")
done_file="$var/chaos.done" kills_log="$var/log/chaos-kills.jsonl"
vectors="$ROOT/../shared/vectors/securities"
rm -f "$done_file"
mkdir -p "$var/log"
"$python" scripts/chaos.py --kills "$kills" --seed "$seed" --min-gap 1.5 --max-gap 4 \
  --until-file "$done_file" >"$kills_log" &
chaos_pid=$!
trap 'touch "$done_file"; wait "$chaos_pid" 2>/dev/null || true' EXIT
scenario_args=(--url "http://${GLOAM_HOST:-127.0.0.1}:${GLOAM_PORT:-8000}" --trades "$trades" --brokers 3
  --instruments 1 --timeout 600)
if [ -d "$vectors" ]; then
  scenario_args+=(--treasury-csv "$vectors/us-treasury-auctions/data.csv"
    --lei-file "$vectors/gleif-lei-sample/L1Data.ttl")
fi
round=0
while :; do
  round=$((round + 1))
  echo "== chaos: scenario $round (kill schedule: seed $seed, $kills points)"
  "$python" manage.py run_scenario "${scenario_args[@]}" --seed "$((seed + round))"
  if [ "$repeat" = 0 ] || ! kill -0 "$chaos_pid" 2>/dev/null; then break; fi
done
touch "$done_file"
status=0
wait "$chaos_pid" || status=$?
trap - EXIT
cat "$kills_log"
summary=$(tail -1 "$kills_log")
done_kills=$(echo "$summary" | "$python" -c "import json,sys; print(json.load(sys.stdin)['kills'])")
if [ "$status" != 0 ]; then echo "chaos: a killed program was not restarted" >&2; exit 1; fi
if [ "$done_kills" -lt "$min_kills" ]; then
  echo "chaos: only $done_kills kills during the scenario (at least $min_kills wanted)" >&2; exit 1
fi
"$python" manage.py settlement_integrity --wait 300
echo "chaos: $round scenario(s), $done_kills kills, every program restarted, integrity ok"
