"""One error type for every bad input, so the CLI can print it and exit 2."""
from __future__ import annotations

import difflib
from typing import Iterable


class InputError(ValueError):
    """A problem with something the user supplied.

    The message always says *where* (file, row, column when they exist), *what* is wrong
    and *how to fix it*. Rows are counted as a spreadsheet does: the header is row 1, so the
    first data record is row 2.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid spelling, for 'did you mean' hints."""
    choices = list(choices)
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if found:
        return found[0]
    # long snake_case names: compare with the same number of leading words (buy_prize ~ buy_price_...)
    parts = word.lower().split("_")
    short = {c: "_".join(c.lower().split("_")[:len(parts)]) for c in choices}
    found = difflib.get_close_matches(word.lower(), list(short.values()), n=1, cutoff=0.6)
    return next((c for c, s in short.items() if found and s == found[0]), None)
