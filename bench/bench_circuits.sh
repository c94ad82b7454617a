#!/usr/bin/env bash
# Circuit figures for docs/benchmarks.md: prints them; not a test. Needs `make circuits`.
#
#   bench/bench_circuits.sh [--runs N]
#
# For every compiled circuit: constraints, wires and public signals (`snarkjs r1cs info`) and
# file sizes; then, for the circuits with a setup (range_product, note_spend), the proving
# figures of bench/bench_circuits.mjs (a warm Node worker, median of N >= 5 runs), the cold
# command-line prove (`snarkjs groth16 prove`, a fresh Node each time, median of 5) and the
# verification in the node's Python verifier (bench/bench_groth16.py --circuit NAME).
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/circuits"
SNARKJS=node_modules/.bin/snarkjs
PYTHON=${PYTHON:-$root/.venv/bin/python}
runs=5
[ "${1:-}" = "--runs" ] && runs=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== constraints (snarkjs r1cs info) and sizes"
for r1cs in build/*.r1cs; do
  n=$(basename "$r1cs" .r1cs)
  info=$("$SNARKJS" r1cs info "$r1cs" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
  c=$(echo "$info" | awk -F': ' '/# of Constraints/ {print $NF}')
  w=$(echo "$info" | awk -F': ' '/# of Wires/ {print $NF}')
  o=$(echo "$info" | awk -F': ' '/# of Outputs/ {print $NF}')
  p=$(echo "$info" | awk -F': ' '/# of Public Inputs/ {print $NF}')
  zk=""
  [ -f "ceremony/$n.zkey" ] && zk=", zkey $(wc -c <"ceremony/$n.zkey") B, vk $(wc -c <"build/$n.vk") B"
  echo "$n: $c constraints, $w wires, $o public outputs + $p public inputs; r1cs $(wc -c <"$r1cs") B, wasm $(wc -c <"build/$n.wasm") B$zk"
done
echo "phase 1: ceremony/pot_final.ptau $(wc -c <ceremony/pot_final.ptau) B"

echo "== prove, warm worker (bench/bench_circuits.mjs)"
node "$root/bench/bench_circuits.mjs" --runs "$runs"

echo "== prove, cold command line (snarkjs wtns calculate + groth16 prove, a new Node each; median of 5)"
for n in range_product note_spend; do
  times=()
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$SNARKJS" wtns calculate "build/$n.wasm" "fixtures/$n.input.json" "$work/w.wtns" >/dev/null
    "$SNARKJS" groth16 prove "ceremony/$n.zkey" "$work/w.wtns" "$work/proof.json" "$work/public.json" >/dev/null
    times+=($(( ($(date +%s%N) - t0) / 1000000 )))
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
  echo "$n: median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) ms (runs, sorted: $sorted)"
done

echo "== verify in the node (Python, chain.crypto.groth16)"
for n in range_product note_spend; do
  PYTHONPATH="$root" "$PYTHON" "$root/bench/bench_groth16.py" --circuit "$n" --runs 21 | sed -n '2,6p'
done
