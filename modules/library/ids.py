"""Stable content IDs for LoRA files, cheap enough for every file of a 10k library.

id = first 128 bits (32 hex digits) of BLAKE2b over: a scheme tag, the file size, the complete
safetensors header (length prefix + JSON, metadata included) and `SAMPLE_WINDOWS` windows of
`SAMPLE_BYTES` bytes spread evenly over the tensor data (first and last bytes included).

- The same bytes give the same id wherever the file is: a rename, a move or a reindex keeps it, and
  two copies of one file share it (the library reports them as duplicates).
- It is not a full-file hash (that would read every gigabyte on each cold scan): two *different* files
  share an id only if they have the same size, byte-identical headers (trainers write per-run
  metadata such as timestamps and hashes there) and identical bytes in every sampled window. Every
  trained LoRA differs from another in those windows; a file edited only between the windows keeps
  its id, which is the price of not reading it whole.
- A file that is not readable as safetensors gets an id from its size and first `SAMPLE_BYTES` bytes
  under a different scheme tag, so it can never collide with a valid file's id.
"""

from __future__ import annotations

import hashlib

SCHEME = b"lwb-content-id-v1"
SCHEME_RAW = b"lwb-content-id-v1-raw"
SAMPLE_WINDOWS = 4
SAMPLE_BYTES = 4096
ID_HEX_DIGITS = 32


def sample_windows(data_start: int, file_size: int) -> list[tuple[int, int]]:
    """(offset, length) of the sampled windows over the data buffer [data_start, file_size).

    A data buffer no longer than all windows together is read whole."""
    span = file_size - data_start
    if span <= 0:
        return []
    if span <= SAMPLE_BYTES * SAMPLE_WINDOWS:
        return [(data_start, span)]
    step = (span - SAMPLE_BYTES) / (SAMPLE_WINDOWS - 1)
    return [(data_start + round(i * step), SAMPLE_BYTES) for i in range(SAMPLE_WINDOWS)]


def _read_at(f, offset: int, length: int) -> bytes:
    f.seek(offset)
    return f.read(length)


def content_id(f, file_size: int, header_bytes: bytes) -> str:
    """The id of an open binary file whose first `len(header_bytes)` bytes are `header_bytes`
    (the 8-byte length prefix and the JSON header)."""
    h = hashlib.blake2b(SCHEME, digest_size=ID_HEX_DIGITS // 2)
    h.update(file_size.to_bytes(8, "little"))
    h.update(header_bytes)
    for offset, length in sample_windows(len(header_bytes), file_size):
        h.update(_read_at(f, offset, length))
    return h.hexdigest()


def raw_content_id(f, file_size: int) -> str:
    """The id of a file that is not valid safetensors (size + its first bytes)."""
    h = hashlib.blake2b(SCHEME_RAW, digest_size=ID_HEX_DIGITS // 2)
    h.update(file_size.to_bytes(8, "little"))
    h.update(_read_at(f, 0, SAMPLE_BYTES))
    return h.hexdigest()
