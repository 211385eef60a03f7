"""Reading back the table a script wrote with ``--csv`` (its ``--from-csv``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from weight_init._optional import UserError

__all__ = ["read_csv_table"]


def read_csv_table(path: Path, columns: Sequence[str], numeric: Sequence[str], what: str) -> Any:
    """The table of a CSV written by a script's ``--csv``, read back for ``--from-csv``.

    ``columns`` must all be there, ``numeric`` numeric, and there must be rows; a folder, a
    missing file, a file that is no CSV or a wrong table is a :class:`UserError` (a missing
    file a ``FileNotFoundError``) naming the file and what is wrong; ``what`` names the
    table in the message (``'loss table'``).
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")
    if path.is_dir():
        raise UserError(f"--from-csv {path} is a folder; give the CSV file written by --csv")
    if not path.is_file():
        raise FileNotFoundError(f"--from-csv: no such file: {path}")
    try:
        df = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())
        raise UserError(f"--from-csv {path}: cannot read it as a CSV table ({reason})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(
            f"--from-csv {path}: not a {what} written by --csv: missing the column(s) {', '.join(missing)}"
        )
    if df.empty:
        raise UserError(f"--from-csv {path}: the table has no rows")
    for column in numeric:
        if not pd.api.types.is_numeric_dtype(df[column]):
            raise UserError(f"--from-csv {path}: the column {column!r} is not numeric")
    return df
