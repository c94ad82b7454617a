"""The prover seam ``prove(circuit, witness)`` on the real snarkjs (Node.js, circuits/prover.mjs)
and its proofs checked by the chain's verifier (docs/zk.md, "Proofs"). No mocks: the tests
skip only where Node.js or circuits/node_modules (``scripts/build_circuits.sh``) is absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chain.crypto import groth16
from chain.crypto.exceptions import ProofRefused
from proving import prover
from proving.prover.circuits import DEFAULT_CIRCUITS_DIR, FIELD_ORDER, r1cs_info

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (DEFAULT_CIRCUITS_DIR / "node_modules" / "snarkjs").is_dir(),
    reason="needs Node.js and circuits/node_modules (scripts/build_circuits.sh runs npm ci)",
)
PRICE = 18446744073709551615  # 2^64 - 1, the largest price the circuit admits
FIXTURE = {"amount": "1234567", "price": str(PRICE)}


def test_range_product_is_the_provable_circuit_and_witness_only_ones_are_not() -> None:
    names = prover.list_circuits()
    assert "range_product" in names
    assert "poseidon_permutation" not in names  # no setup: witness-only
    with pytest.raises(prover.UnknownCircuit):
        prover.get_circuit("poseidon_permutation")


@pytest.mark.parametrize("name", ["", "../build/range_product", "Range_Product", "x" * 65, 7, None])
def test_invalid_circuit_names_are_refused(name: object) -> None:
    with pytest.raises(prover.UnknownCircuit):
        prover.prove(name, FIXTURE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("witness", "reason"),
    [
        ([1, 2], "not_an_object"),
        ({}, "not_an_object"),
        ({"amount": "1"}, "missing_input"),
        ({"amount": "1", "price": "2", "total": "2"}, "unknown_input"),
        ({"amount": "1", "nonsense": "2"}, "unknown_input"),
        ({"amount": "1.5", "price": "2"}, "not_an_integer"),
        ({"amount": "-1", "price": "2"}, "not_an_integer"),
        ({"amount": True, "price": "2"}, "not_an_integer"),
        ({"amount": None, "price": "2"}, "not_an_integer"),
        ({"amount": str(FIELD_ORDER), "price": "2"}, "out_of_range"),
        ({"amount": ["1", "2"], "price": "2"}, "wrong_count"),
        ({"amount bad": "1", "price": "2"}, "bad_name"),
    ],
)
def test_invalid_witness_shapes_are_refused_before_node_runs(witness: object, reason: str) -> None:
    with pytest.raises(prover.WitnessShapeError) as refused:
        prover.validate_witness(prover.get_circuit("range_product"), witness)
    assert refused.value.reason == reason
    assert refused.value.code == "bad_witness_shape"


def test_witness_is_canonicalised_to_decimal_strings() -> None:
    circuit = prover.get_circuit("range_product")
    assert prover.validate_witness(circuit, {"amount": 7, "price": "0003"}) == {"amount": "7", "price": "3"}


def test_r1cs_header_gives_the_documented_counts() -> None:
    info = r1cs_info(prover.get_circuit("range_product").r1cs)
    assert (info.constraints, info.public_outputs, info.public_inputs, info.private_inputs) == (131, 1, 1, 1)


@needs_node
def test_prove_range_product_and_verify_with_the_chain_verifier() -> None:
    stages: list[str] = []
    result = prover.prove("range_product", FIXTURE, on_stage=stages.append)
    assert stages == ["witness", "proving", "verifying"]
    assert len(result.proof) == groth16.PROOF_LENGTH == 192
    assert result.public_signals == (1234567 * PRICE, PRICE)
    assert result.public_inputs == groth16.encode_public_inputs(list(result.public_signals))
    vk = (DEFAULT_CIRCUITS_DIR / "build" / "range_product.vk").read_bytes()
    groth16.verify(vk, result.public_inputs, result.proof)  # raises ProofRefused unless it verifies
    prover.verify(vk, result.public_inputs, result.proof)  # raises ProofRefused unless it verifies
    # the proof is bound to its statement: another total does not verify
    other = groth16.encode_public_inputs([1234568 * PRICE, PRICE])
    with pytest.raises(ProofRefused) as refused:
        prover.verify(vk, other, result.proof)
    assert refused.value.reason == "pairing_check_failed"


@needs_node
def test_invalid_witness_violating_the_circuit_is_rejected_with_a_reason_and_no_value() -> None:
    amount = 2**64 + 424242  # right shape, outside the 64-bit range the circuit enforces
    with pytest.raises(prover.WitnessRejected) as rejected:
        prover.prove("range_product", {"amount": str(amount), "price": "3"})
    assert rejected.value.code == "witness_rejected"
    assert "constraints" in rejected.value.message
    assert str(amount) not in str(rejected.value)
    assert "424242" not in str(rejected.value)


@needs_node
def test_cold_and_warm_provers_both_give_verifying_proofs() -> None:
    cold = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, warm=False)
    warm = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, warm=True)
    try:
        for engine in (cold, warm, warm):
            result = prover.prove("range_product", {"amount": 5, "price": 9}, prover=engine)
            assert result.public_signals == (45, 9)
    finally:
        warm.close()


@needs_node
def test_timeout_kills_the_warm_process_and_the_next_proof_starts_a_new_one() -> None:
    engine = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, warm=True)
    try:
        with pytest.raises(prover.ProverTimeout) as timed_out:
            prover.prove("range_product", FIXTURE, prover=engine, timeout=0.001)
        assert timed_out.value.transient
        assert prover.prove("range_product", FIXTURE, prover=engine).public_signals[1] == PRICE
    finally:
        engine.close()


@needs_node
def test_a_dead_warm_process_is_restarted() -> None:
    engine = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, warm=True)
    try:
        prover.prove("range_product", FIXTURE, prover=engine)
        assert engine._process is not None
        engine._process.popen.kill()
        engine._process.popen.wait()
        assert prover.prove("range_product", FIXTURE, prover=engine).public_signals[1] == PRICE
    finally:
        engine.close()


def test_invalid_prover_that_exits_at_once_is_a_transient_crash(tmp_path: Path) -> None:
    engine = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, node="false", warm=True)
    if not (DEFAULT_CIRCUITS_DIR / "node_modules" / "snarkjs").is_dir():
        pytest.skip("needs circuits/node_modules")
    with pytest.raises(prover.ProverCrashed) as crashed:
        prover.prove("range_product", FIXTURE, prover=engine)
    assert crashed.value.transient


def test_invalid_node_binary_is_a_transient_unavailable_prover() -> None:
    engine = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, node="no-such-node-binary-here")
    with pytest.raises(prover.ProverUnavailable) as unavailable:
        prover.prove("range_product", FIXTURE, prover=engine)
    assert unavailable.value.transient


@needs_node
def test_a_caller_interrupted_mid_proof_leaves_no_stale_answer_for_the_next_proof() -> None:
    """A Celery soft time limit raises inside ``prove``: the warm process still owes that
    answer, so it is killed, and the next proof gets its own answer, not the stale one."""
    engine = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, warm=True)

    def interrupt(stage: str) -> None:
        if stage == "proving":
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            prover.prove("range_product", {"amount": 2, "price": 3}, prover=engine, on_stage=interrupt)
        assert prover.prove("range_product", {"amount": 5, "price": 7}, prover=engine).public_signals == (
            35,
            7,
        )
    finally:
        engine.close()
