#!/usr/bin/env bash
# Builds Gloam's circuits (circuits/src/*.circom with a `component main`) with circom 2
# (npm circom2, WebAssembly) for BLS12-381, and checks the committed artifacts.
#
#   scripts/build_circuits.sh build   (make circuits)        generate src/hades252_constants.circom,
#       src/jubjub_constants.circom and src/citadel_constants.circom from chain/crypto/{poseidon,jubjub,citadel}.py, compile, export the verification
#       keys from the committed setup (circuits/ceremony/), write circuits/build/MANIFEST.sha256
#   scripts/build_circuits.sh check   (make circuits-check, CI)  rebuild the deterministic artifacts
#       (r1cs, wasm) in a scratch directory and compare them with the manifest; regenerate the
#       Poseidon, Jubjub and Citadel constants and compare them with the committed include files; check every
#       committed file against the manifest; `snarkjs powersoftau verify` the committed phase 1;
#       re-export each verification key from its proving key and compare it; verify each fixture
#       proof with it. A circuit without ceremony/<name>.zkey is witness-only (the test vehicles):
#       no key is checked. About 3 minutes.
#   scripts/build_circuits.sh verify-setup   (make circuits-verify-setup)  the same, plus
#       `snarkjs powersoftau prepare phase2` (deterministic; 10+ minutes at 2^14 on 2 cores,
#       docs/zk.md) and `zkey verify` of each proving key against the rebuilt r1cs: the whole
#       transcript, phase 2 included. PREPARED_PTAU=<file> reuses a prepared copy.
#
# circom2 runs under WASI with only its working directory visible: it cannot read a file
# outside it (an absolute path elsewhere fails with "previous errors were found"). So this
# script always runs it from circuits/ with relative paths, and keeps every include inside
# circuits/src/.
#
# The tools are installed by `npm ci` into circuits/node_modules (circuits/package.json pins
# circom2 0.2.23 = circom 2.2.3 and snarkjs 0.7.6), apart from the web assets' node_modules.
set -euo pipefail
export LC_ALL=C
mode=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/circuits"
PYTHON=${PYTHON:-$root/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3

"$root/scripts/ensure-npm.sh"
if [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.installed
fi
CIRCOM=node_modules/.bin/circom2
SNARKJS=node_modules/.bin/snarkjs
PTAU=ceremony/pot_final.ptau

names=()
for f in src/*.circom; do
  grep -q '^component main' "$f" && names+=("$(basename "$f" .circom)")
done

work=.work
rm -rf "$work"
mkdir -p "$work" build
trap 'rm -rf "$root/circuits/$work"' EXIT

compile() { # compile <name> <out_dir>: <out_dir>/<name>.r1cs and <out_dir>/<name>.wasm
  "$CIRCOM" "src/$1.circom" --r1cs --wasm --prime bls12381 -o "$2" >"$work/$1.log" \
    || { cat "$work/$1.log" >&2; exit 1; }
  mv "$2/$1_js/$1.wasm" "$2/$1.wasm"
  rm -rf "$2/$1_js"
}

prepared_ptau() { # the phase-2 form of the committed phase-1 transcript (deterministic; PREPARED_PTAU:
  # an already prepared copy, e.g. the ceremony's, to skip the minutes this takes at 2^14)
  if [ -n "${PREPARED_PTAU:-}" ]; then echo "$PREPARED_PTAU"; return; fi
  [ -f "$work/prepared.ptau" ] || "$SNARKJS" powersoftau prepare phase2 "$PTAU" "$work/prepared.ptau" >/dev/null
  echo "$work/prepared.ptau"
}

quiet() { # run a snarkjs command, show its output only if it fails
  "$@" >"$work/snarkjs.log" 2>&1 || { sed 's/\x1b\[[0-9;]*m//g' "$work/snarkjs.log" >&2; exit 1; }
}

# Generated include files: <file in src/> <generator module> (the module writes the file it is given).
generated=(
  "hades252_constants.circom chain.tools.poseidon_circom"   # Hades252's constants, chain/crypto/poseidon.py
  "jubjub_constants.circom chain.tools.jubjub_circom"       # d, 8^-1 mod r_J, G and G' tables, chain/crypto/jubjub.py
  "citadel_constants.circom chain.tools.citadel_circom"     # Citadel's Poseidon contexts and r_J - 1, chain/crypto/citadel.py
)
constants() { # constants <dir>: write every generated include file into <dir>
  local entry file module
  for entry in "${generated[@]}"; do
    read -r file module <<<"$entry"
    PYTHONPATH="$root" "$PYTHON" -m "$module" "$1/$file"
  done
}

case "$mode" in
build)
  constants src
  for n in "${names[@]}"; do
    compile "$n" build
    if [ -f "ceremony/$n.zkey" ]; then
      # the key's transcript is verified by scripts/ceremony.sh and `make circuits-verify-setup`
      [ -n "${PREPARED_PTAU:-}" ] && quiet "$SNARKJS" zkey verify "build/$n.r1cs" "$(prepared_ptau)" "ceremony/$n.zkey"
      quiet "$SNARKJS" zkey export verificationkey "ceremony/$n.zkey" "build/$n.vk.json"
      PYTHONPATH="$root" "$PYTHON" -m chain.tools.snarkjs_convert vk "build/$n.vk.json" "build/$n.vk"
    else
      rm -f "build/$n.vk.json" "build/$n.vk"
      echo "build_circuits: $n has no setup yet: run scripts/ceremony.sh $n" >&2
    fi
    echo "built $n: $(wc -c <"build/$n.r1cs") B r1cs, $(wc -c <"build/$n.wasm") B wasm"
  done
  ls build/*.r1cs build/*.wasm build/*.vk.json build/*.vk ceremony/*.ptau ceremony/*.zkey 2>/dev/null \
    | sort | xargs sha256sum >build/MANIFEST.sha256
  echo "wrote circuits/build/MANIFEST.sha256"
  ;;
check | verify-setup)
  sha256sum --quiet -c build/MANIFEST.sha256 || { echo "circuits: committed files differ from the manifest" >&2; exit 1; }
  mkdir -p "$work/build"
  constants "$work"
  for entry in "${generated[@]}"; do
    read -r file module <<<"$entry"
    cmp -s "$work/$file" "src/$file" \
      || { echo "circuits: src/$file is not what $module generates (run make circuits)" >&2; exit 1; }
  done
  for n in "${names[@]}"; do
    compile "$n" "$work/build"
    for ext in r1cs wasm; do
      want=$(awk -v f="build/$n.$ext" '$2 == f {print $1}' build/MANIFEST.sha256)
      got=$(sha256sum "$work/build/$n.$ext" | cut -d' ' -f1)
      [ "$want" = "$got" ] || { echo "circuits: build/$n.$ext does not rebuild to the manifest's hash (run make circuits)" >&2; exit 1; }
    done
  done
  quiet "$SNARKJS" powersoftau verify "$PTAU"
  for n in "${names[@]}"; do
    [ -f "ceremony/$n.zkey" ] || continue # witness-only (no setup): nothing more to check
    if [ "$mode" = verify-setup ]; then
      quiet "$SNARKJS" zkey verify "$work/build/$n.r1cs" "$(prepared_ptau)" "ceremony/$n.zkey"
    fi
    quiet "$SNARKJS" zkey export verificationkey "ceremony/$n.zkey" "$work/$n.vk.json"
    cmp -s "$work/$n.vk.json" "build/$n.vk.json" || { echo "circuits: build/$n.vk.json is not the key of ceremony/$n.zkey" >&2; exit 1; }
    PYTHONPATH="$root" "$PYTHON" -m chain.tools.snarkjs_convert vk "$work/$n.vk.json" "$work/$n.vk"
    cmp -s "$work/$n.vk" "build/$n.vk" || { echo "circuits: build/$n.vk is not the bytes of build/$n.vk.json" >&2; exit 1; }
    if [ -f "fixtures/$n.proof.json" ]; then
      quiet "$SNARKJS" groth16 verify "build/$n.vk.json" "fixtures/$n.public.json" "fixtures/$n.proof.json"
    fi
  done
  if [ "$mode" = verify-setup ]; then
    echo "circuits: ${names[*]} rebuild to the manifest; phase 1 and every proving key's transcript verified"
  else
    echo "circuits: ${names[*]} rebuild to the manifest; phase 1 verified (proving keys: make circuits-verify-setup)"
  fi
  ;;
*)
  echo "usage: scripts/build_circuits.sh build|check|verify-setup" >&2
  exit 2
  ;;
esac
