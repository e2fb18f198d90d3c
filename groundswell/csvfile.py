"""CSV files for people: what reports, coordination exports and series exports write.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula, so a post's author named ``=HYPERLINK("http://...")`` would
become a live link, or worse, in the analyst's spreadsheet (CSV injection). Text cells that
start so are written with an apostrophe before them, which spreadsheets hide and read as
"this is text" (OWASP's advice). Numbers are written as they are. ``groundswell export``
writes the store's values unchanged, for scripts.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FORMULA = r"^[=+\-@\t\r]"


def write_csv(table: pa.Table, path: Path) -> None:
    """Write ``table`` as CSV (with a header) to ``path``, text cells defused."""
    pacsv.write_csv(defused(table), path)


def defused(table: pa.Table) -> pa.Table:
    """``table`` with every text cell a spreadsheet would run as a formula prefixed by ``'``."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)
