#!/usr/bin/env bash
# Gloam's Groth16 trusted setup over BLS12-381 (docs/zk.md, "Proofs"): phase 1 (powers of tau,
# universal) and phase 2 (one per circuit), each with several contributions and a final
# random beacon, then `make circuits` to export the verification keys and the manifest.
#
#   scripts/ceremony.sh                 the circuits with a setup: range_product, note_spend,
#                                       phoenix_transfer, phoenix_transfer_2, citadel_license
#   scripts/ceremony.sh NAME...         these circuits (each circuits/src/NAME.circom has a
#                                       `component main`); a new phase 1 invalidates the others
#   PHASE1=keep scripts/ceremony.sh NAME...   phase 2 only, for NAME..., on the committed
#                                       phase 1 (ceremony/pot_final.ptau): the other circuits'
#                                       keys stay valid; the transcript is appended to
#
# The other circuits with a `component main` (jubjub_ops, poseidon_hash, schnorr_verify, ...)
# are witness-only test vehicles: no setup, no keys.
#
# Environment:
#   PHASE1=new       new: a fresh phase 1; keep: reuse the committed one (see above)
#   PREPARED_PTAU=<file>  with PHASE1=keep: a `prepare phase2` of the committed phase 1 made
#                    before (deterministic; saves its 10+ minutes), else it is prepared here
#   POWER=16         phase 1 supports circuits of up to 2^POWER constraints (16: 65,536, the
#                    smallest that fits phoenix_transfer_2's 60,169 constraints + 30 public
#                    signals + 1)
#   CONTRIBUTORS=3   contributions in each phase
#   BEACON=<hex>     the beacon: 32 bytes nobody could know before the last contribution (in a
#                    real ceremony: a future block hash announced in advance). Default: SHA-256
#                    of the current git commit id, which is NOT unpredictable; see docs/zk.md.
#   ENTROPY_FROM_TTY=1  ask each contributor for entropy at the terminal (snarkjs's prompt)
#                    instead of taking 64 bytes from /dev/urandom. Entropy is never written down.
#
# Writes circuits/ceremony/pot_final.ptau (phase 1 after the beacon), circuits/ceremony/<name>.zkey
# (the proving key after the phase-2 beacon), circuits/ceremony/transcript.txt (every
# contribution hash as printed: each contributor checks that theirs is there and that
# `make circuits-check` verifies the chain), and a fixture proof circuits/fixtures/<name>.*.json
# from circuits/fixtures/<name>.input.json. This replaces the previous setup: every earlier
# proof stops verifying.
#
# A contributor on another machine runs, on the file they are sent:
#   snarkjs powersoftau contribute in.ptau out.ptau --name="<who>"     (phase 1)
#   snarkjs zkey contribute in.zkey out.zkey --name="<who>"            (phase 2)
# and publishes the "Contribution Hash" it prints; this script plays every part on one machine.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/circuits"
POWER=${POWER:-16}
CONTRIBUTORS=${CONTRIBUTORS:-3}
BEACON=${BEACON:-$(git -C "$root" rev-parse HEAD | tr -d '\n' | sha256sum | cut -d' ' -f1)}
[[ "$BEACON" =~ ^[0-9a-f]{64}$ ]] || { echo "ceremony: BEACON must be 64 hex digits" >&2; exit 2; }
PYTHON=${PYTHON:-$root/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3

"$root/scripts/build_circuits.sh" build >/dev/null 2>&1 || true   # installs the tools, compiles
SNARKJS=node_modules/.bin/snarkjs
work=.ceremony-work
rm -rf "$work"
mkdir -p "$work" ceremony fixtures
trap 'rm -rf "$root/circuits/$work"' EXIT
transcript=$work/transcript.txt

log() { echo "$*" | tee -a "$transcript"; }
run() { # run snarkjs, keep its hash lines in the transcript
  "$SNARKJS" "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$work/out.log" || { cat "$work/out.log" >&2; exit 1; }
  grep -q -i 'error' "$work/out.log" && { cat "$work/out.log" >&2; exit 1; }
  awk '/Hash/ {print; for (i = 0; i < 4; i++) { getline; print }}' "$work/out.log" | tee -a "$transcript"
}
entropy() {
  if [ "${ENTROPY_FROM_TTY:-0}" = 1 ]; then return; fi
  echo "-e=$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(range_product note_spend phoenix_transfer phoenix_transfer_2 citadel_license)
for n in "${names[@]}"; do
  grep -q '^component main' "src/$n.circom" || { echo "ceremony: src/$n.circom has no component main" >&2; exit 2; }
done

if [ "${PHASE1:-new}" = keep ]; then
  [ -f ceremony/pot_final.ptau ] || { echo "ceremony: PHASE1=keep needs ceremony/pot_final.ptau" >&2; exit 2; }
  cp ceremony/transcript.txt "$transcript"
  log "# Phase 2 added $(date -u +%Y-%m-%d) on the phase 1 above (snarkjs $(node -p 'require("./node_modules/snarkjs/package.json").version'))"
  if [ -n "${PREPARED_PTAU:-}" ]; then
    cp "$PREPARED_PTAU" "$work/prepared.ptau"
  else
    "$SNARKJS" powersoftau prepare phase2 ceremony/pot_final.ptau "$work/prepared.ptau" >/dev/null
  fi
else
  log "# Gloam trusted setup transcript ($(date -u +%Y-%m-%d), snarkjs $(node -p 'require("./node_modules/snarkjs/package.json").version'), BLS12-381)"
  log "## Phase 1: powers of tau, 2^$POWER"
  "$SNARKJS" powersoftau new bls12381 "$POWER" "$work/pot_0.ptau" >/dev/null
  for i in $(seq 1 "$CONTRIBUTORS"); do
    log "### contribution $i (phase 1, contributor $i)"
    # shellcheck disable=SC2046
    run powersoftau contribute "$work/pot_$((i - 1)).ptau" "$work/pot_$i.ptau" --name="contributor $i" $(entropy)
  done
  log "### beacon (phase 1): $BEACON, 2^10 iterations"
  run powersoftau beacon "$work/pot_$CONTRIBUTORS.ptau" ceremony/pot_final.ptau "$BEACON" 10 -n="beacon"
  run powersoftau verify ceremony/pot_final.ptau
  "$SNARKJS" powersoftau prepare phase2 ceremony/pot_final.ptau "$work/prepared.ptau" >/dev/null
fi

for n in "${names[@]}"; do
  log "## Phase 2: $n"
  run groth16 setup "build/$n.r1cs" "$work/prepared.ptau" "$work/${n}_0.zkey"
  for i in $(seq 1 "$CONTRIBUTORS"); do
    log "### contribution $i (phase 2 $n, contributor $i)"
    # shellcheck disable=SC2046
    run zkey contribute "$work/${n}_$((i - 1)).zkey" "$work/${n}_$i.zkey" --name="contributor $i" $(entropy)
  done
  log "### beacon (phase 2 $n): $BEACON, 2^10 iterations"
  run zkey beacon "$work/${n}_$CONTRIBUTORS.zkey" "ceremony/$n.zkey" "$BEACON" 10 -n="beacon"
  run zkey verify "build/$n.r1cs" "$work/prepared.ptau" "ceremony/$n.zkey"
done
cp "$transcript" ceremony/transcript.txt

PREPARED_PTAU="$root/circuits/$work/prepared.ptau" "$root/scripts/build_circuits.sh" build
for n in "${names[@]}"; do
  [ -f "fixtures/$n.input.json" ] || continue
  "$SNARKJS" wtns calculate "build/$n.wasm" "fixtures/$n.input.json" "$work/$n.wtns"
  "$SNARKJS" groth16 prove "ceremony/$n.zkey" "$work/$n.wtns" "fixtures/$n.proof.json" "fixtures/$n.public.json"
  "$SNARKJS" groth16 verify "build/$n.vk.json" "fixtures/$n.public.json" "fixtures/$n.proof.json" >/dev/null
  echo "fixture proof for $n: circuits/fixtures/$n.proof.json"
done
echo "ceremony done: commit circuits/ceremony, circuits/build and circuits/fixtures"
