// Gloam's Groth16 prover process: snarkjs 0.7.6 (a maintained prover) behind a JSON protocol.
// Driven by Python's prover package (prover/snarkjs.py); nothing here is a protocol rule.
//
//   node circuits/prover.mjs --once    read ONE request (JSON) from stdin, answer on stdout, exit
//   node circuits/prover.mjs --serve   warm mode: one request per stdin line, one answer per
//                                      stdout line, until stdin closes; each circuit's witness
//                                      generator (build/<name>.wasm) and proving key
//                                      (ceremony/<name>.zkey) are read once and kept in memory,
//                                      as is snarkjs's BLS12-381 engine.
//
// Request:  {"id": "...", "circuit": "range_product", "input": {"amount": "7", "price": "3"}}
// Progress: {"id": "...", "stage": "proving"}                  (the witness is computed)
// Answer:   {"id": "...", "ok": true, "proof": {snarkjs proof JSON}, "public": ["21", "3"],
//            "witness_ms": 12.3, "prove_ms": 456.7}
//        or {"id": "...", "ok": false, "error": CODE, "message": TEXT}
//            CODE: unknown_circuit | bad_witness_shape | witness_rejected | bad_request | prover_error
//
// The witness never touches disk: it is computed into a memory buffer (snarkjs wtns.calculate
// with {type: "mem"}) and handed to groth16.prove. Nothing is logged: console output is
// switched off (circom's witness calculator prints failing signal VALUES on errors), and error
// messages are rebuilt from fixed text plus template names and line numbers, never echoed.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import * as snarkjs from "snarkjs";

for (const name of ["log", "info", "warn", "error", "debug", "trace"]) {
  console[name] = () => {};
}

const ROOT = dirname(fileURLToPath(import.meta.url));
const NAME = /^[a-z0-9_]{1,64}$/;
const cache = new Map(); // warm mode: circuit name -> {wasm, zkey}

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function artifacts(circuit, keep) {
  if (typeof circuit !== "string" || !NAME.test(circuit)) {
    throw new Refusal("unknown_circuit", "circuit names are 1-64 characters a-z, 0-9 and _");
  }
  if (keep && cache.has(circuit)) return cache.get(circuit);
  const wasm = join(ROOT, "build", `${circuit}.wasm`);
  const zkey = join(ROOT, "ceremony", `${circuit}.zkey`);
  if (!existsSync(wasm) || !existsSync(zkey)) {
    throw new Refusal("unknown_circuit", `no circuit ${circuit} with a witness generator and a proving key`);
  }
  const loaded = { wasm: new Uint8Array(readFileSync(wasm)), zkey: new Uint8Array(readFileSync(zkey)) };
  if (keep) cache.set(circuit, loaded);
  return loaded;
}

const SHAPE = [/^Signal \S+ not found/, /^Not enough values for input signal \S+/,
  /^Too many values for input signal \S+/, /^Not all inputs have been set\. Only \d+ out of \d+/];

function witnessRefusal(err) {
  const text = String((err && err.message) || err);
  for (const pattern of SHAPE) {
    const match = text.match(pattern);
    if (match) return new Refusal("bad_witness_shape", match[0]);
  }
  if (err instanceof SyntaxError || err instanceof RangeError || /BigInt/.test(text)) {
    return new Refusal("bad_witness_shape", "every input value must be an integer (decimal string)");
  }
  const where = text.match(/Error in template (\w+) line: (\d+)/);
  const detail = where ? ` (template ${where[1]}, line ${where[2]})` : "";
  return new Refusal("witness_rejected", `the witness does not satisfy the circuit's constraints${detail}`);
}

async function prove(request, keep, progress) {
  if (request === null || typeof request !== "object" || typeof request.input !== "object" || request.input === null) {
    throw new Refusal("bad_request", "a request is {id, circuit, input}");
  }
  const { wasm, zkey } = artifacts(request.circuit, keep);
  const wtns = { type: "mem" };
  const t0 = performance.now();
  try {
    await snarkjs.wtns.calculate(request.input, wasm, wtns);
  } catch (err) {
    throw witnessRefusal(err);
  }
  const t1 = performance.now();
  progress();
  let result;
  try {
    result = await snarkjs.groth16.prove(zkey, wtns);
  } catch {
    throw new Refusal("prover_error", "snarkjs groth16.prove failed");
  } finally {
    if (wtns.data) wtns.data.fill(0);
  }
  const t2 = performance.now();
  return { proof: result.proof, public: result.publicSignals, witness_ms: t1 - t0, prove_ms: t2 - t1 };
}

function write(message) {
  return new Promise((resolve) => process.stdout.write(JSON.stringify(message) + "\n", resolve));
}

async function answer(line, keep) {
  let request;
  let id = null;
  try {
    request = JSON.parse(line);
    id = request && typeof request.id === "string" ? request.id : null;
  } catch {
    return write({ id, ok: false, error: "bad_request", message: "the request is not JSON" });
  }
  try {
    const result = await prove(request, keep, () => write({ id, stage: "proving" }));
    return write({ id, ok: true, ...result });
  } catch (err) {
    if (err instanceof Refusal) return write({ id, ok: false, error: err.code, message: err.message });
    return write({ id, ok: false, error: "prover_error", message: "the prover failed" });
  }
}

async function terminate() {
  if (globalThis.curve_bls12381) await globalThis.curve_bls12381.terminate();
}

const mode = process.argv[2];
if (mode === "--once") {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  await answer(Buffer.concat(chunks).toString("utf8"), false);
  await terminate();
} else if (mode === "--serve") {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() !== "") await answer(line, true);
  }
  await terminate();
} else {
  process.stderr.write("usage: node prover.mjs --once | --serve\n");
  process.exit(2);
}
