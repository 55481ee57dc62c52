"""Write the app icons as PNG (192, 512, maskable 512) with a tiny pure-Python encoder.

The design is tipro/static/icons/tipro.svg (a white stopwatch on the brand blue), drawn with
4×4 supersampling. Run once after changing the design and commit the PNGs:
`python scripts/make_icons.py`. No Pillow needed.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tipro" / "static" / "icons"
BLUE = (11, 92, 173)
WHITE = (255, 255, 255)
SAMPLES = 4
SAFE = 0.72  # share of a maskable icon the drawing fills (inside the 80 % safe circle)


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGBA PNG from rows of width*4 bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _segment_distance(px, py, ax, ay, bx, by) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _shape(x: float, y: float, rounded: bool) -> tuple[int, int, int, int]:
    """The colour at (x, y) in the SVG's 64×64 units; transparent outside the rounded square."""
    if rounded:
        cx, cy = min(max(x, 14), 50), min(max(y, 14), 50)
        if math.hypot(x - cx, y - cy) > 14:
            return (0, 0, 0, 0)
    ring = abs(math.hypot(x - 32, y - 34) - 18) <= 2.5
    hand = (
        _segment_distance(x, y, 32, 24, 32, 35) <= 2.5
        or _segment_distance(x, y, 32, 35, 39, 40) <= 2.5
    )
    crown = 26 <= x <= 38 and 8 <= y <= 14
    return (*WHITE, 255) if ring or hand or crown else (*BLUE, 255)


def render(size: int, *, maskable: bool) -> bytes:
    # A maskable icon is cropped to a circle of 80 %: the drawing shrinks into that safe zone
    # on a full-bleed background; the plain icon keeps the SVG's rounded square.
    scale = 64 / size / (SAFE if maskable else 1.0)
    margin = (64 / SAFE - 64) / 2 if maskable else 0.0
    rows = []
    for j in range(size):
        row = bytearray()
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(SAMPLES):
                for si in range(SAMPLES):
                    x = (i + (si + 0.5) / SAMPLES) * scale
                    y = (j + (sj + 0.5) / SAMPLES) * scale
                    colour = _shape(x - margin, y - margin, rounded=not maskable)
                    a = colour[3]
                    acc[0] += colour[0] * a
                    acc[1] += colour[1] * a
                    acc[2] += colour[2] * a
                    acc[3] += a
            alpha = acc[3] / (SAMPLES * SAMPLES)
            if acc[3]:
                row += bytes(round(acc[k] / acc[3]) for k in range(3)) + bytes([round(alpha)])
            else:
                row += b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    return png(size, size, rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (
        ("tipro-192.png", 192, False),
        ("tipro-512.png", 512, False),
        ("tipro-maskable-512.png", 512, True),
    ):
        (OUT / name).write_bytes(render(size, maskable=maskable))
        print(OUT / name)


if __name__ == "__main__":
    main()
