"""The provisioner's signing record on disk (``chain.consensus.engine.SigningRecord``).

One small file in the node's data directory, ``signing-record``: ``round:u64LE ‖
iteration:u8``. Each write goes to a temporary file that is flushed to disk, renamed over
the record, and the directory synced, so after a crash at any point the file holds the old
or the new pair, never a torn one. The engine writes it before it signs in an iteration, so
a restarted node never signs twice in one (round, iteration): reference §1.8 (equivocation).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

FILE_NAME: Final = "signing-record"
_SIZE: Final = 9


class FileSigningRecord:
    """A :class:`~chain.consensus.engine.SigningRecord` kept in ``directory/signing-record``.

    Raises ``ValueError`` on a malformed file, so that the node refuses to start rather than
    risk signing twice (an absent file means nothing was signed yet).
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self._last: tuple[int, int] | None = None
        if self.path.exists():
            raw = self.path.read_bytes()
            if len(raw) != _SIZE:
                raise ValueError(f"{self.path}: a signing record has {_SIZE} bytes, found {len(raw)}")
            self._last = (int.from_bytes(raw[:8], "little"), raw[8])

    def get_last_signed(self) -> tuple[int, int] | None:
        return self._last

    def record_signed(self, round: int, iteration: int) -> None:
        if self._last is not None and (round, iteration) <= self._last:
            return
        if not (0 <= round < 2**64 and 0 <= iteration < 256):
            raise ValueError(f"round {round} or iteration {iteration} out of range")
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            handle.write(round.to_bytes(8, "little") + bytes([iteration]))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self._last = (round, iteration)
