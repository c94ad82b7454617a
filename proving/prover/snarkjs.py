"""Drive ``circuits/prover.mjs`` (snarkjs 0.7.6 under Node.js) over pipes.

Two modes, the same JSON protocol (documented in the script):

- **warm** (default): one long-lived ``node prover.mjs --serve`` per :class:`SnarkjsProver`,
  answering one request per line; the proving key and the witness generator are read once.
  If the process has died, or was killed after a timeout, the next request starts a new one.
- **cold**: ``node prover.mjs --once`` per request (start-up and key loading every time).

The witness goes to Node through a pipe only: no file, no command-line argument, no
environment variable holds it. Node's stderr is discarded (the script prints nothing; an
uncaught crash trace is not worth the risk of a value in it).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from proving.prover.errors import (
    ProverCrashed,
    ProverTimeout,
    ProverUnavailable,
    ProvingFailed,
    UnknownCircuit,
    WitnessRejected,
    WitnessShapeError,
)

_REFUSALS: dict[str, type[Exception]] = {
    "unknown_circuit": UnknownCircuit,
    "bad_witness_shape": WitnessShapeError,
    "witness_rejected": WitnessRejected,
    "prover_error": ProvingFailed,
    "bad_request": ProverCrashed,
}
#: Longest answer line read from the prover (a proof is about 1 KB of JSON).
MAX_LINE = 1 << 20


@dataclass(frozen=True)
class SnarkjsAnswer:
    """snarkjs's proof and public signals (its JSON), and its own timings in milliseconds."""

    proof: dict[str, Any]
    public: list[str]
    witness_ms: float
    prove_ms: float


class _Process:
    """One Node process and a line reader over its stdout with a deadline."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        try:
            self.popen = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                argv,
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError as exc:
            raise ProverUnavailable(f"cannot start the prover ({argv[0]}): {exc.strerror}") from None
        self.buffer = b""
        self.selector = selectors.DefaultSelector()
        assert self.popen.stdout is not None
        self.selector.register(self.popen.stdout, selectors.EVENT_READ)

    @property
    def stdin(self) -> IO[bytes]:
        assert self.popen.stdin is not None
        return self.popen.stdin

    def alive(self) -> bool:
        return self.popen.poll() is None

    def read_line(self, deadline: float) -> bytes:
        assert self.popen.stdout is not None
        fd = self.popen.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProverTimeout("the prover did not answer within the time limit")
            if not self.selector.select(remaining):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ProverCrashed("the prover process exited without answering")
            self.buffer += chunk
            if len(self.buffer) > MAX_LINE:
                raise ProverCrashed("the prover's answer is too long")
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        self.selector.close()
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class SnarkjsProver:
    """Proves with snarkjs through ``circuits/prover.mjs``; thread-safe (one request at a time).

    ``node`` is the Node.js executable (a name on PATH or a path); ``warm`` keeps one process.
    """

    def __init__(self, circuits_dir: Path, *, node: str = "node", warm: bool = True) -> None:
        self.circuits_dir = circuits_dir
        self.script = circuits_dir / "prover.mjs"
        self.node = node
        self.warm = warm
        self._lock = threading.Lock()
        self._process: _Process | None = None
        self._pid = os.getpid()

    def _argv(self, mode: str) -> list[str]:
        node = shutil.which(self.node)
        if node is None:
            raise ProverUnavailable(f"Node.js ({self.node}) is not installed or not on PATH")
        if not self.script.is_file() or not (self.circuits_dir / "node_modules" / "snarkjs").is_dir():
            raise ProverUnavailable(
                f"{self.script} or snarkjs is missing (scripts/build_circuits.sh runs npm ci in circuits/)"
            )
        return [node, str(self.script), mode]

    def _warm_process(self) -> _Process:
        if self._pid != os.getpid():  # forked: the parent's pipes are not ours to use
            self._process, self._pid = None, os.getpid()
        if self._process is not None and not self._process.alive():
            self._process.kill()
            self._process = None
        if self._process is None:
            self._process = _Process(self._argv("--serve"), self.circuits_dir)
        return self._process

    def close(self) -> None:
        """Stop the warm process, if any."""
        with self._lock:
            if self._process is not None and self._pid == os.getpid():
                self._process.kill()
            self._process = None

    def run(
        self,
        circuit: str,
        witness: dict[str, object],
        *,
        timeout: float,
        on_stage: Callable[[str], None] | None = None,
    ) -> SnarkjsAnswer:
        """Compute the witness and a Groth16 proof for ``circuit``.

        Raises the :mod:`proving.prover.errors` the script reports (``unknown_circuit``,
        ``bad_witness_shape``, ``witness_rejected``, ``prover_error`` → ProvingFailed),
        :class:`ProverTimeout` after ``timeout`` seconds (the process is killed),
        :class:`ProverCrashed` if it dies or answers nonsense, :class:`ProverUnavailable`."""
        request_id = uuid.uuid4().hex
        line = json.dumps({"id": request_id, "circuit": circuit, "input": witness}).encode() + b"\n"
        deadline = time.monotonic() + timeout
        with self._lock:
            process = self._warm_process() if self.warm else _Process(self._argv("--once"), self.circuits_dir)
            try:
                try:
                    process.stdin.write(line)
                    process.stdin.flush()
                    if not self.warm:
                        process.stdin.close()
                except (BrokenPipeError, OSError):
                    raise ProverCrashed("the prover process is not accepting requests") from None
                while True:
                    message = self._decode(process.read_line(deadline), request_id)
                    if "stage" in message:
                        if on_stage is not None:
                            on_stage(str(message["stage"]))
                        continue
                    return self._answer(message)
            except (UnknownCircuit, WitnessShapeError, WitnessRejected, ProvingFailed):
                raise  # an answer: the process is fine
            except BaseException:
                # a timeout, a crash, or the caller interrupted (a Celery soft time limit): the
                # process may still answer this request later, so it must not serve another
                process.kill()
                if self.warm:
                    self._process = None
                raise
            finally:
                if not self.warm:
                    process.kill()

    @staticmethod
    def _decode(line: bytes, request_id: str) -> dict[str, Any]:
        try:
            message = json.loads(line)
        except ValueError:
            raise ProverCrashed("the prover answered something that is not JSON") from None
        if not isinstance(message, dict) or message.get("id") != request_id:
            raise ProverCrashed("the prover answered another request")
        return message

    @staticmethod
    def _answer(message: dict[str, Any]) -> SnarkjsAnswer:
        if message.get("ok") is True:
            try:
                return SnarkjsAnswer(
                    proof=dict(message["proof"]),
                    public=[str(value) for value in message["public"]],
                    witness_ms=float(message["witness_ms"]),
                    prove_ms=float(message["prove_ms"]),
                )
            except (KeyError, TypeError, ValueError):
                raise ProverCrashed("the prover's answer lacks a field") from None
        error = _REFUSALS.get(str(message.get("error")), ProverCrashed)
        text = str(message.get("message", ""))[:300]
        if error is ProvingFailed:
            raise ProvingFailed(text or "snarkjs failed to prove", reason="snarkjs")
        raise error(text or "the prover refused the request")
