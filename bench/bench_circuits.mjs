// Groth16 proving benchmark for Gloam's circuits with a setup (snarkjs in Node): prints figures;
// not a test. Run by bench/bench_circuits.sh (which also prints constraints and sizes):
//
//   node bench/bench_circuits.mjs [--runs 5] [NAME ...]      default: range_product note_spend
//
// For each circuit: a warm worker (one Node process, the proving key, the witness generator and
// the input read into memory once, one warm-up proof first), then `--runs` timed proofs:
// witness calculation (wtns calculate) and groth16 prove, each the median in ms (wall). Every
// proof is checked with snarkjs groth16 verify against build/<name>.vk.json outside the timing.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import os from "node:os";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const circuits = join(root, "circuits");
const require = createRequire(join(circuits, "package.json"));
const snarkjs = require("snarkjs");

const args = process.argv.slice(2);
let runs = 5;
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runs") runs = Math.max(5, Number(args[++i]));
  else names.push(args[i]);
}
if (names.length === 0) names.push("range_product", "note_spend");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const version = JSON.parse(readFileSync(join(circuits, "node_modules", "snarkjs", "package.json"), "utf8")).version;
console.log(`snarkjs ${version}, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model})`);
for (const name of names) {
  const wasm = { type: "mem", data: new Uint8Array(readFileSync(join(circuits, "build", `${name}.wasm`))) };
  const zkey = { type: "mem", data: new Uint8Array(readFileSync(join(circuits, "ceremony", `${name}.zkey`))) };
  const input = JSON.parse(readFileSync(join(circuits, "fixtures", `${name}.input.json`), "utf8"));
  const vk = JSON.parse(readFileSync(join(circuits, "build", `${name}.vk.json`), "utf8"));
  const witnessMs = [];
  const proveMs = [];
  let proofBytes = 0;
  for (let i = 0; i <= runs; i++) {
    const wtns = { type: "mem" };
    const t0 = performance.now();
    await snarkjs.wtns.calculate(input, wasm, wtns);
    const t1 = performance.now();
    const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtns);
    const t2 = performance.now();
    if (!(await snarkjs.groth16.verify(vk, publicSignals, proof))) throw new Error(`${name}: a proof did not verify`);
    proofBytes = JSON.stringify(proof).length;
    if (i > 0) {
      witnessMs.push(t1 - t0);
      proveMs.push(t2 - t1);
    }
  }
  console.log(
    `${name}: witness ${median(witnessMs).toFixed(0)} ms, prove ${median(proveMs).toFixed(0)} ms ` +
      `(median of ${runs}, warm; prove runs ${proveMs.map((x) => x.toFixed(0)).join(", ")} ms); ` +
      `proof JSON ${proofBytes} B (192 B in the chain's encoding)`,
  );
}
process.exit(0);
