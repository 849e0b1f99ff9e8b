"""Reading a user's CSV safely: every file-level problem becomes an InputError saying what to do."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, nearest

_BINARY_SIGNATURES = (b"PK\x03\x04", b"\x89PNG", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x1f\x8b", b"GIF8", b"\xff\xd8\xff")


def read_text(path: Path | str, what: str) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252/Latin-1; refuses binaries."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} file not found.", file=str(path), fix="check the path and the file name.")
    if path.is_dir():
        raise InputError(f"this is a folder, not a {what} file.", file=str(path), fix="give the path of the CSV file itself.")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b" and path.suffix == ".gz":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise InputError("this .gz file is damaged.", file=str(path), fix="download or compress it again.") from None
    if not raw.strip():
        raise InputError(f"the {what} file is empty.", file=str(path), fix="export the table again with its header and rows.")
    head = raw[:4096]
    if head.startswith(_BINARY_SIGNATURES) or b"\x00" in head:
        kind = "an Excel/zip file" if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) else "a binary file"
        raise InputError(f"this is {kind}, not a text CSV.", file=str(path),
                         fix="save the sheet as 'CSV UTF-8 (comma delimited)' and give that file.")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("the file's text encoding is not readable.", file=str(path), fix="save it as UTF-8.")  # pragma: no cover


def read_csv_strings(path: Path | str, what: str) -> pd.DataFrame:
    """All cells as stripped strings ("" for empty); header names stripped. Needs >= 1 data row."""
    text = read_text(path, what)
    header = next(csv.reader(io.StringIO(text.splitlines()[0] if text.strip() else "")), [])
    names = [h.strip() for h in header]
    for k, name in enumerate(names):
        if name and name in names[:k]:
            raise InputError(f"the column {name!r} appears twice in the header.", file=str(path), row=1,
                             column=name, fix="rename or delete one of them.")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, csv.Error) as exc:
        row = None
        msg = str(exc)
        for token in msg.replace(",", " ").split():
            if token.isdigit():
                row = int(token)
                break
        raise InputError(f"the CSV cannot be parsed ({msg.strip()}).", file=str(path), row=row,
                         fix="check that every row has the same number of commas and that quotes are closed.") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"the {what} file has no header row.", file=str(path), fix="add the header row.") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise InputError(f"the {what} file has a header but no data rows.", file=str(path),
                         fix="add at least one row under the header.")
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        raise InputError(f"the column {dup[0]!r} appears twice in the header.", file=str(path), row=1,
                         column=dup[0], fix="rename or delete one of them.")
    return df.apply(lambda col: col.str.strip())


def require_columns(df: pd.DataFrame, path, needed: list[str], what: str, alternatives: str = "") -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        col = missing[0]
        hint = nearest(col, df.columns)
        fix = f"rename column {hint!r} to {col!r}." if hint else f"add a column named {col!r}{alternatives}."
        raise InputError(f"the {what} file has no column {col!r} (it has: {', '.join(df.columns[:12])}"
                         f"{', ...' if len(df.columns) > 12 else ''}).", file=str(path), row=1, column=col, fix=fix)


def bad_rows(mask: np.ndarray) -> tuple[int, int]:
    """(spreadsheet row of the first True, how many more) — header is row 1, data starts at row 2."""
    idx = np.flatnonzero(mask)
    return int(idx[0]) + 2, len(idx) - 1


def more(n: int) -> str:
    return f" ({n} more row{'s' if n != 1 else ''} have the same problem)" if n else ""


def parse_numbers(df: pd.DataFrame, column: str, path, what: str, *, integer: bool = False,
                  allow_empty: bool = False, thousands: bool = False) -> np.ndarray:
    """A numeric column; errors name the first bad row. Empty cells become NaN if allowed."""
    text = df[column].astype(str)
    if thousands:
        text = text.str.replace(r"(?<=\d),(?=\d{3}\b)", "", regex=True)
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)
    empty = (text == "").to_numpy()
    if not allow_empty and empty.any():
        row, n = bad_rows(empty)
        raise InputError(f"{what} is empty{more(n)}.", file=str(path), row=row, column=column,
                         fix=f"fill in {column} for every row.")
    nonnum = np.isnan(values) & ~empty
    if nonnum.any():
        row, n = bad_rows(nonnum)
        raise InputError(f"{what} {df[column].iloc[row - 2]!r} is not a number{more(n)}.", file=str(path),
                         row=row, column=column, fix=f"write {column} as a plain number, e.g. 8123.")
    inf = np.isinf(values)
    if inf.any():
        row, n = bad_rows(inf)
        raise InputError(f"{what} is infinite{more(n)}.", file=str(path), row=row, column=column,
                         fix="give a finite number.")
    if integer:
        frac = ~np.isnan(values) & (np.abs(values - np.round(values)) > 1e-9)
        if frac.any():
            row, n = bad_rows(frac)
            raise InputError(f"{what} {df[column].iloc[row - 2]!r} is not a whole number{more(n)}.",
                             file=str(path), row=row, column=column, fix="give a whole number of patients.")
    return values
