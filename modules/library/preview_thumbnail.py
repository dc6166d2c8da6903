"""Small thumbnails of LoRA preview images, for the library grid, and a bounded in-memory cache of them.

A preview beside a LoRA is often a full-size render (1-3 MB, 1024 px and more): the grid shows it in a
40-200 px box, so sending it whole costs the browser a download and a full decode per card, many per
second while the list scrolls. `make_thumbnail` scales it to fit a `box` x `box` square (aspect kept,
first frame of an animation) and encodes it as WebP (keeps transparency; JPEG previews are decoded at a
reduced scale by Pillow's draft mode). The cache is keyed by the preview's path, size and modification
time, so an edited preview is thumbnailed again; it is bounded by bytes and guarded by a lock (the route
runs it in a thread pool).
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image

MIN_BOX = 16
MAX_BOX = 512
QUALITY = 80
CONTENT_TYPE = "image/webp"


class ThumbnailError(ValueError):
    """The preview is not an image Pillow can read."""


def make_thumbnail(path: Path, box: int) -> bytes | None:
    """WebP bytes of the image at `path` scaled down to fit `box` x `box`; None when it already fits (the
    preview itself is served: re-encoding a small image only costs time)."""
    try:
        with Image.open(path) as image:
            if image.width <= box and image.height <= box:
                return None
            image.draft("RGB", (box, box))  # JPEG: decode at 1/2..1/8 scale directly
            image.seek(0)
            image.thumbnail((box, box))
            alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            small = image.convert("RGBA" if alpha else "RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise ThumbnailError(f"{path.name} is not a readable image ({err})") from err
    out = io.BytesIO()
    small.save(out, "WEBP", quality=QUALITY, method=0)
    return out.getvalue()


class ThumbnailCache:
    """Thumbnails by (path, file size, mtime, box), least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(path: Path, box: int) -> tuple:
        stat = path.stat()
        return (str(path), stat.st_size, stat.st_mtime_ns, box)

    def get(self, path: Path, box: int) -> bytes | None:
        """The thumbnail of `path` for `box`, made on a miss (outside the lock: two misses may both make it);
        None when the preview already fits the box."""
        key = self.key(path, box)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        data = make_thumbnail(path, box)
        if data is None:
            return None
        with self._lock:
            if key not in self._items and len(data) <= self.max_bytes:
                self._items[key] = data
                self._bytes += len(data)
                while self._bytes > self.max_bytes:
                    _, dropped = self._items.popitem(last=False)
                    self._bytes -= len(dropped)
        return data

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
