"""Crash-safe, append-only logs of per-architecture training results.

A generation run writes one log file per run (``records-<run id>.log``) in its output
directory.  Each record is framed as::

    b"NBR1" | uint32 payload length | uint32 crc32(payload) | payload (an .npz archive)

and the file is flushed and ``fsync``'d after every record, so a SIGKILL can at worst leave a
torn record at the very end of the newest log; :func:`read_records` detects it (bad length or
checksum), skips it with a warning and keeps every complete record.  Logs are never rewritten,
so a finished record is never at risk.  ``manifest.json`` pins what the directory holds
(space, task, seeds, epochs, trainer config) so a resumed run cannot mix incompatible results.
"""
from __future__ import annotations

import io
import json
import os
import struct
import uuid
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

__all__ = ["Record", "RecordWriter", "read_records", "write_manifest", "read_manifest", "RecordsError"]

MAGIC = b"NBR1"
_HEAD = struct.Struct("<4sII")


class RecordsError(RuntimeError):
    """A records directory that cannot be used (mismatched or unreadable manifest)."""


@dataclass
class Record:
    """One architecture's results.

    ``index``: the architecture's index in its space.  ``arrays``: name -> ndarray, metrics of
    shape ``(n_seeds, n_epochs)`` plus ``seeds``, ``train_time``, ``diverged``.  ``info``:
    JSON-able provenance.
    """

    index: int
    arrays: dict[str, np.ndarray]
    info: dict

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, __index__=np.int64(self.index), __info__=np.frombuffer(
            json.dumps(self.info, sort_keys=True).encode(), dtype=np.uint8), **self.arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Record":
        with np.load(io.BytesIO(data)) as f:
            arrays = {k: f[k] for k in f.files if not k.startswith("__")}
            index = int(f["__index__"])
            info = json.loads(f["__info__"].tobytes().decode())
        return cls(index, arrays, info)


class RecordWriter:
    """Append records to a new log file in ``directory`` (one writer per run)."""

    def __init__(self, directory: str | os.PathLike, run_id: str | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        run_id = run_id or uuid.uuid4().hex[:12]
        self.path = self.directory / f"records-{run_id}.log"
        self._f = open(self.path, "ab")

    def append(self, record: Record) -> None:
        payload = record.to_bytes()
        self._f.write(_HEAD.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload)
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _iter_log(path: Path) -> Iterator[Record]:
    data = path.read_bytes()
    pos, n = 0, len(data)
    while pos < n:
        if n - pos < _HEAD.size:
            warnings.warn(f"{path}: torn record at byte {pos} ({n - pos} trailing bytes) ignored")
            return
        magic, length, crc = _HEAD.unpack_from(data, pos)
        if magic != MAGIC:
            warnings.warn(f"{path}: bad record header at byte {pos}; the rest of this log is ignored")
            return
        start, end = pos + _HEAD.size, pos + _HEAD.size + length
        if end > n:
            warnings.warn(f"{path}: torn record at byte {pos} (needs {length} bytes, {n - start} left) ignored")
            return
        payload = data[start:end]
        if zlib.crc32(payload) != crc:
            warnings.warn(f"{path}: checksum mismatch in record at byte {pos}; record skipped")
        else:
            yield Record.from_bytes(payload)
        pos = end


def _iter_logs(directory: str | os.PathLike) -> Iterator[Record]:
    """Every complete record of every log in ``directory``, logs in name order."""
    for path in sorted(Path(directory).glob("records-*.log")):
        yield from _iter_log(path)


def read_records(directory: str | os.PathLike) -> dict[int, Record]:
    """All complete records in ``directory``'s logs, keyed by architecture index.

    When an index appears more than once, the first record read wins, except that a record
    whose ``info["retime"]`` is true (a deterministic re-run made only to re-measure train
    time on the CPU-time basis, see ``nasbench generate --retime``) replaces an earlier record
    that was timed by wall clock.
    """
    out: dict[int, Record] = {}
    for rec in _iter_logs(directory):
        old = out.get(rec.index)
        if old is None or (rec.info.get("retime") and not old.info.get("retime")
                           and old.info.get("time_basis", "wall") == "wall"):
            out[rec.index] = rec
    return out


def retime_pairs(directory: str | os.PathLike) -> list[tuple[Record, Record]]:
    """``(original, retimed)`` record pairs in ``directory``: every architecture that
    ``nasbench generate --retime`` re-ran, with the first record it superseded.

    The re-run is deterministic, so its metrics should equal the original's; comparing the pairs
    checks "same seed, same result" on the real table.
    """
    orig: dict[int, Record] = {}
    rerun: dict[int, Record] = {}
    for rec in _iter_logs(directory):
        (rerun if rec.info.get("retime") else orig).setdefault(rec.index, rec)
    return [(orig[i], rerun[i]) for i in sorted(rerun) if i in orig]


def write_manifest(directory: str | os.PathLike, manifest: dict) -> None:
    """Write ``manifest.json`` atomically, or check it equals the existing one."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "manifest.json"
    if path.exists():
        old = read_manifest(directory)
        keys = sorted(set(old) | set(manifest))
        diff = [k for k in keys if k not in ("created", "archs", "note") and old.get(k) != manifest.get(k)]
        if diff:
            lines = "; ".join(f"{k}: existing {old.get(k)!r} vs requested {manifest.get(k)!r}" for k in diff)
            raise RecordsError(f"{path}: this directory holds a run with other settings ({lines}); "
                               "use another --out directory or the same settings")
        return
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_manifest(directory: str | os.PathLike) -> dict:
    path = Path(directory) / "manifest.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RecordsError(f"{directory}: no manifest.json; is this a `nasbench generate` output directory?") from None
    except json.JSONDecodeError as err:
        raise RecordsError(f"{path}: unreadable manifest ({err})") from None
