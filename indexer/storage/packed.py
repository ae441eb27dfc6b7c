"""Several NumPy arrays in one file, memory-mapped together: a segment's arrays (segments.py).

    b"ASPACK1\\n" | header length (8 bytes, little-endian) | header (JSON: name -> [dtype, shape,
    offset]) | the arrays, each starting on a 64-byte boundary

One file a segment rather than one per array: a generation links, checks and flushes a few
files per segment, and a worker maps each segment once.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

MAGIC = b"ASPACK1\n"
_ALIGN = 64


def write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    layout, offset = {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        layout[name] = [array.dtype.str, list(array.shape), offset]
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = json.dumps(layout).encode("utf-8")
    start = -(-(len(MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<Q", len(header)) + header)
        for name, array in arrays.items():
            f.seek(start + layout[name][2])
            f.write(np.ascontiguousarray(array).tobytes())
        f.truncate(start + offset)


def read(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a packed file, as read-only views of one memory mapping."""
    with open(path, "rb") as f:
        head = f.read(len(MAGIC) + 8)
        if len(head) < len(MAGIC) + 8 or head[:len(MAGIC)] != MAGIC:
            raise ValueError(f"{path}: not a packed arrays file")
        (length,) = struct.unpack("<Q", head[len(MAGIC):])
        layout = json.loads(f.read(length).decode("utf-8"))
    start = -(-(len(MAGIC) + 8 + length) // _ALIGN) * _ALIGN
    data = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, (dtype, shape, offset) in layout.items():
        dtype = np.dtype(dtype)
        count = int(np.prod(shape)) if shape else 1
        view = np.frombuffer(data, dtype=dtype, count=count, offset=start + offset) if count else np.zeros(0, dtype)
        out[name] = view.reshape(shape)
    return out
