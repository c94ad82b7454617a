#!/usr/bin/env bash
# Builds every contract chain/contracts/<name>/<name>.c (linked with sdk/gloam.c) into
# <out>/<name>.wasm, default chain/contracts/build/. Deterministic: the same Debian clang 14
# and lld give the same bytes on any machine and from any directory (no debug info, no
# custom sections, no absolute paths). `make contracts` runs it; CI checks that the committed
# .wasm files are what it produces.
#   usage: chain/contracts/build.sh [out_dir] [name ...]
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
shift || true
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here"
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null 2>&1 || { echo "build.sh: $CLANG not found (apt-get install clang lld)" >&2; exit 1; }
command -v wasm-ld >/dev/null 2>&1 || { echo "build.sh: wasm-ld not found (apt-get install lld)" >&2; exit 1; }

# 256 pages of 64 KiB (MAX_MEMORY_PAGES, docs/vm-abi.md); 64 KiB of stack placed first, so an
# overflow traps instead of running into data. The stack pointer (a mutable global) is
# exported: the VM resets every mutable global before each call, and can reach only exported
# ones (docs/vm-abi.md, Module requirements).
CFLAGS=(
  --target=wasm32 -mcpu=mvp -mmutable-globals -std=c11 -O2
  -ffreestanding -nostdlib -fno-builtin
  -Wall -Wextra -Werror
  -g0 -ffile-prefix-map="$(pwd)"=. -fdebug-prefix-map="$(pwd)"=.
  -Isdk
)
LDFLAGS=(
  -Wl,--no-entry
  -Wl,--export=A
  -Wl,--export=__stack_pointer
  -Wl,--max-memory=16777216
  -Wl,-z,stack-size=65536 -Wl,--stack-first
  -Wl,--strip-all
)

if [ $# -gt 0 ]; then names=("$@"); else
  names=()
  for d in */; do
    n=${d%/}
    [ -f "$n/$n.c" ] && names+=("$n")
  done
fi
for n in "${names[@]}"; do
  "$CLANG" "${CFLAGS[@]}" "${LDFLAGS[@]}" -o "$out/$n.wasm" "$n/$n.c" sdk/gloam.c
  chmod 644 "$out/$n.wasm"
  echo "built $n.wasm ($(wc -c <"$out/$n.wasm") bytes)"
done
