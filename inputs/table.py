"""Reading a user's CSV safely: every file-level problem becomes an InputError saying what to do.

Tables come back as pandas DataFrames of stripped strings whose *index is the spreadsheet row
number* of each record (header = row 1). Validators then report rows straight from the index,
which stays right after blank lines are skipped, after quoted multi-line cells, and after rows
are filtered out (e.g. the non-total rows of an NHS file).
"""
from __future__ import annotations

import csv
import gzip
import io
import itertools
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .errors import InputError, nearest

_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0")   # xlsx/ods/zip, legacy .xls
_BINARY_SIGNATURES = _ZIP + (b"\x89PNG", b"%PDF", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")
_CHUNK = 50_000
_SAVE_AS_CSV = "save the sheet as 'CSV UTF-8 (comma delimited)' and give that file."


def read_text(path: Path | str, what: str) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252/Latin-1.

    ``.gz`` files are decompressed. Binaries (Excel, zip, PNG, PDF, anything with NUL bytes) and
    web pages saved by mistake are refused with a message saying what the file really is.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} file not found.", file=str(path),
                         fix="check the path and the file name (relative paths start from the scenario's folder).")
    if path.is_dir():
        raise InputError(f"this is a folder, not a {what} file.", file=str(path),
                         fix="give the path of the CSV file itself.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"the {what} file cannot be read ({exc.strerror or exc}).", file=str(path),
                         fix="check the file's permissions, or copy it somewhere readable.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise InputError("this .gz file is damaged.", file=str(path),
                             fix="download or compress it again.") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # Excel's "Unicode Text" is UTF-16 with a BOM: readable, so read it rather than refuse it
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("the file says it is UTF-16 text but is damaged.", file=str(path),
                             fix=_SAVE_AS_CSV) from None
        return _refuse_markup(text.lstrip("\ufeff"), path, what)
    if not raw.strip():
        raise InputError(f"the {what} file is empty.", file=str(path),
                         fix="export the table again with its header and rows.")
    if raw.startswith(_BINARY_SIGNATURES) or b"\x00" in raw:
        kind = "an Excel/zip file" if raw.startswith(_ZIP) else "a binary file"
        raise InputError(f"this is {kind}, not a text CSV.", file=str(path), fix=_SAVE_AS_CSV)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return _refuse_markup(raw.decode(enc), path, what)
        except UnicodeDecodeError:
            continue
    # latin-1 maps every byte, so a text file in any 8-bit code page is read rather than refused
    return _refuse_markup(raw.decode("latin-1"), path, what)


def _refuse_markup(text: str, path: Path, what: str) -> str:
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")):
        raise InputError(f"this is a web page or XML document, not a {what} CSV.", file=str(path),
                         fix="the download probably failed: download the CSV file itself again.")
    if not text.strip():
        raise InputError(f"the {what} file is empty.", file=str(path),
                         fix="export the table again with its header and rows.")
    return text


def _normalise(name: str, case: str | None) -> str:
    name = name.strip().lstrip("\ufeff").strip()
    if case == "lower":
        return name.lower()
    if case == "upper":
        return name.upper()
    return name


def read_csv_strings(path: Path | str, what: str, *, case: str | None = "lower",
                     keep: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """Every cell as a stripped string ("" for empty), index = spreadsheet row number.

    Header names are stripped and, with ``case``, lower- or upper-cased so 'Practice_Code' matches
    'practice_code'. ``keep`` selects columns by (normalised) name so a wide national table, such
    as a full postcode directory, is held in memory only for the columns used. Rows whose cells are
    all empty (blank lines, the ",,,," rows spreadsheets leave at the end) are skipped. A row with
    fewer or more cells than the header is an error naming it, not silently padded or shifted.
    Needs at least one data row.
    """
    text = read_text(path, what)
    file = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    row = 0
    try:
        header: list[str] | None = None
        for rec in reader:
            row += 1
            if any(c.strip() for c in rec):
                header = rec
                break
        if header is None:
            raise InputError(f"the {what} file is empty.", file=file,
                             fix="export the table again with its header and rows.")
        header_row = row
        names = [_normalise(h, case) for h in header]
        if len(names) == 1:
            for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
                if sep in header[0]:
                    raise InputError(f"the columns are separated by {label}, not commas.", file=file,
                                     row=header_row, fix=_SAVE_AS_CSV)
        for k, name in enumerate(names):
            if not name:
                names[k] = f"(unnamed column {k + 1})"
            elif name in names[:k]:
                first = names.index(name) + 1
                raise InputError(f"the column {name!r} appears twice in the header (columns {first} and {k + 1}).",
                                 file=file, row=header_row, column=name, fix="rename or delete one of them.")
        width = len(names)
        cols = [k for k, n in enumerate(names) if keep is None or keep(n)]
        rows: list[np.ndarray] = []
        columns: list[list[tuple[str, ...]]] = [[] for _ in cols]
        bad: list[tuple[int, int, bool]] = []
        while True:
            # whole chunks through C-level map/zip: a national postcode directory has millions of rows
            chunk = list(itertools.islice(reader, _CHUNK))
            if not chunk:
                break
            numbers = np.arange(row + 1, row + 1 + len(chunk))
            row += len(chunk)
            lens = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
            filled = np.fromiter(map(bool, map(str.strip, map("".join, chunk))), dtype=bool, count=len(chunk))
            good = filled & (lens == width)
            for k in np.flatnonzero(filled & (lens != width)):
                rec = chunk[k]
                if len(rec) > width and not "".join(rec[width:]).strip():
                    chunk[k] = rec[:width]           # trailing empty cells: harmless
                    good[k] = True
                else:
                    bad.append((int(numbers[k]), len(rec), any("\n" in c or "\r" in c for c in rec)))
            if bad or not good.any():
                continue
            picked = chunk if good.all() else [chunk[k] for k in np.flatnonzero(good)]
            by_column = list(zip(*picked))
            for j, k in enumerate(cols):
                columns[j].append(by_column[k])
            rows.append(numbers[good])
    except csv.Error as exc:
        raise InputError(f"the CSV cannot be read ({exc}).", file=file, row=None,
                         fix=f"check line {reader.line_num} of the file: quotes must be closed, and the file must "
                             "be a plain comma-separated table.") from None
    if bad:
        r, n, multiline = bad[0]
        quote = " (a double quote opened in this row seems never to be closed)" if multiline else ""
        raise InputError(f"the row has {n} cell{'s' if n != 1 else ''} but the header has {width} columns"
                         f"{quote}{more(len(bad) - 1)}.", file=file, row=r,
                         fix="check for a missing or extra comma; a cell containing a comma must be in double "
                             "quotes, and every opening quote needs a closing one.")
    if not rows:
        raise InputError(f"the {what} file has a header but no data rows.", file=file,
                         fix="add at least one row under the header.")
    import pandas as pd    # here, not at import: the light commands (bench, makebuy) never build a table

    index = pd.Index(np.concatenate(rows), name="row")
    data = {names[k]: np.array(list(map(str.strip, itertools.chain.from_iterable(parts))), dtype=object)
            for k, parts in zip(cols, columns)}
    df = pd.DataFrame(data, index=index, columns=[names[k] for k in cols], dtype=object)
    df.attrs["header_row"] = header_row
    return df


def require_columns(df: pd.DataFrame, path, needed: list[str] | tuple[str, ...], what: str,
                    alternatives: str = "") -> None:
    """Every column in ``needed`` must exist; the error lists what the file has and what it needs."""
    missing = [c for c in needed if c not in df.columns]
    if not missing:
        return
    col = missing[0]
    others = [c for c in df.columns if c not in needed]
    hint = nearest(col, others)
    if hint is None:
        # 'code' for practice_code, 'patients' for registered_patients: a shared word is a good guess
        words = set(col.lower().split("_"))
        hint = next((c for c in others if words & set(c.lower().replace(" ", "_").split("_"))), None)
    fix = (f"rename column {hint!r} to {col!r}." if hint else f"add a column named {col!r}{alternatives}.")
    if len(missing) > 1:
        fix += f" Also missing: {', '.join(missing[1:])}."
    has = ", ".join(df.columns[:15]) + (", ..." if len(df.columns) > 15 else "")
    raise InputError(f"the {what} file has no column {col!r}. It needs {', '.join(needed)}; it has {has}.",
                     file=str(path), row=df.attrs.get("header_row", 1), column=col, fix=fix)


def first_bad(rows: pd.DataFrame | pd.Index | np.ndarray, mask: np.ndarray) -> tuple[int, int, int]:
    """(position, spreadsheet row, how many other rows) of the first True in ``mask``.

    ``rows`` is a table from read_csv_strings (its index holds the rows) or the row numbers.
    """
    rows = rows.index if hasattr(rows, "iloc") else rows     # a DataFrame or Series: its index holds the rows
    idx = np.flatnonzero(mask)
    return int(idx[0]), int(rows[idx[0]]), len(idx) - 1


def more(n: int) -> str:
    """' (3 more rows have the same problem)', or '' when there are none."""
    if not n:
        return ""
    return f" ({n} more row{'s have' if n != 1 else ' has'} the same problem)"


def listing(items: list[str] | tuple[str, ...], show: int = 5) -> str:
    """'A, B, C and 4 more': the first few of a long list, and how many were left out."""
    items = list(items)
    rest = f" and {len(items) - show} more" if len(items) > show else ""
    return ", ".join(items[:show]) + rest


def number_example(column: str) -> str:
    """A plausible value for the column, for fixes that say 'write it like this'."""
    c = column.lower()
    if c in ("lat", "latitude"):
        return "50.7236"
    if c in ("lon", "long", "longitude", "lng"):
        return "-3.5275"
    if "east" in c:
        return "292100"
    if "north" in c:
        return "92500"
    if "minute" in c:
        return "23.5"
    if "patient" in c or "list" in c:
        return "8123"
    return "1250"


def parse_numbers(df: pd.DataFrame, column: str, path, what: str, *, integer: bool = False,
                  allow_empty: bool = False, thousands: bool = False, allow_inf: bool = False) -> np.ndarray:
    """A numeric column as floats; the error names the first bad row and how many more share it.

    Empty cells become NaN when ``allow_empty``. ``thousands`` accepts "12,345" (the quoted
    form a spreadsheet writes). "nan", "inf" and friends are refused: they are never a real
    list size or coordinate, and usually mean a formula failed.
    """
    text = df[column].astype(str)
    if thousands:
        text = text.str.replace(r"^([+-]?\d{1,3})((?:,\d{3})+)(\.\d*)?$",
                                lambda m: m.group(1) + m.group(2).replace(",", "") + (m.group(3) or ""),
                                regex=True)
    empty = (text == "").to_numpy()
    # only plain decimal / scientific notation: float() alone would take "1_000", "nan" and "infinity"
    plain = text.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").to_numpy(dtype=bool)
    infinite = text.str.lower().str.fullmatch(r"[+-]?(inf|infinity)").to_numpy(dtype=bool)
    values = np.full(len(text), np.nan)
    if plain.any():
        values[plain] = text[plain].astype(float).to_numpy()
    if allow_inf:
        values[infinite] = np.inf
    if not allow_empty and empty.any():
        i, row, n = first_bad(df, empty)
        raise InputError(f"{what} is empty{more(n)}.", file=str(path), row=row, column=column,
                         fix=f"fill in {column} for every row.")
    nonnum = ~plain & ~empty & ~(infinite & allow_inf)
    if nonnum.any():
        i, row, n = first_bad(df, nonnum)
        kind = "infinite, not a usable number" if infinite[i] else "not a number"
        raise InputError(f"{what} {df[column].iloc[i]!r} is {kind}{more(n)}.", file=str(path),
                         row=row, column=column,
                         fix=f"write {column} as a plain number, e.g. {number_example(column)}.")
    inf = np.isinf(values) & plain            # e.g. 1e400 overflows to inf
    if inf.any():
        i, row, n = first_bad(df, inf)
        raise InputError(f"{what} {df[column].iloc[i]!r} is too large to be a number{more(n)}.", file=str(path),
                         row=row, column=column, fix="check the figure.")
    if integer:
        frac = np.isfinite(values) & (np.abs(values - np.round(values)) > 1e-9)
        if frac.any():
            i, row, n = first_bad(df, frac)
            raise InputError(f"{what} {df[column].iloc[i]!r} is not a whole number{more(n)}.",
                             file=str(path), row=row, column=column, fix="give a whole number.")
    return values
