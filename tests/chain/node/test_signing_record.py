"""The signing record on disk survives a new process and only moves forward."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.node.signing_record import FILE_NAME, FileSigningRecord


def test_the_record_is_read_back_by_a_new_instance(tmp_path: Path) -> None:
    assert FileSigningRecord(tmp_path).get_last_signed() is None
    record = FileSigningRecord(tmp_path)
    record.record_signed(1_234_567, 3)
    record.record_signed(1_234_567, 2)  # backwards: ignored
    assert FileSigningRecord(tmp_path).get_last_signed() == (1_234_567, 3)
    record.record_signed(1_234_568, 0)
    assert FileSigningRecord(tmp_path).get_last_signed() == (1_234_568, 0)
    assert not (tmp_path / (FILE_NAME + ".tmp")).exists()


def test_invalid_record_file_stops_the_node(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"\x01\x02")
    with pytest.raises(ValueError, match="9 bytes"):
        FileSigningRecord(tmp_path)


def test_invalid_iteration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="out of range"):
        FileSigningRecord(tmp_path).record_signed(1, 256)
