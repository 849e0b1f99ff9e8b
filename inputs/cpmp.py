"""Readers for the standard capacitated p-median instance formats (shared/instances/README.md).

``orlib-pmedcap`` (Osman & Christofides): first line "<problem number> <optimal value>" — the
value is ignored on purpose, the solver must find it — then "<n> <p> <Q>", then n lines
"<id> <x> <y> <demand>"; distances are truncated Euclidean, floor(d).
``lorena-senne`` (Lorena & Senne): "<n> <p>", then n lines "<x> <y> <capacity> <demand>";
distances are real Euclidean.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError

FORMATS = ("orlib-pmedcap", "lorena-senne")


@dataclass(frozen=True, eq=False)
class CpmpInstance:
    source: str
    format: str
    ids: tuple[int, ...]          # 1-based ids as in the file
    xy: np.ndarray
    demand: np.ndarray
    capacity: np.ndarray          # per candidate median
    p: int

    def distances(self) -> np.ndarray:
        d = np.sqrt(((self.xy[:, None, :] - self.xy[None, :, :]) ** 2).sum(-1))
        return np.floor(d + 1e-9) if self.format == "orlib-pmedcap" else d


MAX_ABS = 1e12


def _numbers(path: Path, line_no: int, text: str, count: int, what: str) -> list[float]:
    parts = text.split()
    if len(parts) < count:
        raise InputError(f"expected {count} numbers ({what}), found {len(parts)}: {text.strip()!r}.",
                         file=str(path), row=line_no, fix="check the file follows the format in the instance README.")
    try:
        vals = [float(x) for x in parts[:count]]
    except ValueError:
        raise InputError(f"expected numbers ({what}), found {text.strip()!r}.", file=str(path), row=line_no,
                         fix="remove any text from the data lines.") from None
    if not all(np.isfinite(vals)):
        raise InputError(f"non-finite number in {text.strip()!r}.", file=str(path), row=line_no,
                         fix="use finite numbers.")
    if any(abs(v) > MAX_ABS for v in vals):
        # beyond this, ids and demands no longer fit the integers they are read into
        raise InputError(f"a number in {text.strip()[:60]!r} is implausibly large (over {MAX_ABS:.0e}).",
                         file=str(path), row=line_no, fix="check the line for extra digits.")
    return vals


def read_cpmp(path: Path | str, fmt: str) -> CpmpInstance:
    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown instance format {fmt!r}.", fix=f"use one of {', '.join(FORMATS)}.")
    if not path.is_file():
        raise InputError("file not found.", file=str(path), fix="check the path.")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputError("this is a binary file, not a text instance.", file=str(path),
                         fix="give the plain-text instance file.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    if not lines:
        raise InputError("the file is empty.", file=str(path), fix="give a non-empty instance file.")
    if fmt == "orlib-pmedcap":
        if len(lines) < 2:
            raise InputError("too few lines for orlib-pmedcap.", file=str(path), fix="see the format description.")
        n, p, q = _numbers(path, lines[1][0], lines[1][1], 3, "n p Q")
        body, width, what = lines[2:], 4, "id x y demand"
    else:
        n, p = _numbers(path, lines[0][0], lines[0][1], 2, "n p")
        body, width, what = lines[1:], 4, "x y capacity demand"
    n, p = int(n), int(p)
    if n < 1 or p < 1 or p > n:
        raise InputError(f"n = {n} and p = {p} are not a valid instance (need 1 <= p <= n).", file=str(path),
                         row=lines[1 if fmt == 'orlib-pmedcap' else 0][0], fix="check the header line.")
    if len(body) < n:
        raise InputError(f"the header says {n} points but only {len(body)} data lines follow.", file=str(path),
                         fix="complete the file or correct n.")
    rows = [_numbers(path, ln, t, width, what) for ln, t in body[:n]]
    arr = np.array(rows, float)
    if fmt == "orlib-pmedcap":
        ids = tuple(int(v) for v in arr[:, 0])
        if sorted(ids) != list(range(1, n + 1)):
            raise InputError("point ids must be 1..n, each once.", file=str(path), fix="renumber the points.")
        order = np.argsort(arr[:, 0])
        arr = arr[order]
        xy, demand, capacity = arr[:, 1:3], arr[:, 3], np.full(n, q)
    else:
        ids = tuple(range(1, n + 1))
        xy, capacity, demand = arr[:, 0:2], arr[:, 2], arr[:, 3]
    if np.any(demand < 0) or np.any(capacity <= 0):
        bad = int(np.flatnonzero((demand < 0) | (capacity <= 0))[0])
        raise InputError("demand must be >= 0 and capacity > 0.", file=str(path), row=body[bad][0],
                         fix="correct the point's demand or capacity.")
    if not np.allclose(demand, np.round(demand)):
        raise InputError("demands must be whole numbers.", file=str(path), fix="round the demands.")
    return CpmpInstance(str(path), fmt, tuple(sorted(ids)), xy, demand.astype(np.int64), capacity, p)
