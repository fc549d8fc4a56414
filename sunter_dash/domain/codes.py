"""Small column operations of DATA.md's cell rules that file types use when deriving their
columns (pure pandas, whole columns at a time)."""
from __future__ import annotations

import numpy as np
import pandas as pd

# Whitespace spelled out: pandas hands patterns with \s to Python's re, row by row,
# but runs this class in pyarrow (RE2) on whole columns.
WS = "[ \t\r\n\f\v\xa0]"


def rayon_from_code(code: pd.Series) -> pd.Series:
    """The first two digits of a zone, PCEZ or route code."""
    head = code.str.slice(0, 2)
    return head.where(head.str.fullmatch(r"\d{2}").fillna(False).astype(bool))


def pcez_parts(digits: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(PCEZ, rayon) of PCEZ digits (DATA.md): 5 digits are the PCEZ itself and say no rayon;
    7 digits are rayon + PCEZ; 9 digits are a zone (rayon, PC, EZ, block)."""
    length = digits.str.len()
    pcez = digits.where(length == 5, digits.str.slice(2, 7))
    rayon = digits.str.slice(0, 2).where(length.isin([7, 9]).fillna(False).astype(bool))
    return pcez.where(digits.notna()), rayon


def date_text(dates: pd.Series) -> pd.Series:
    """Parsed dates as ISO 'YYYY-MM-DD' text (missing stays missing), formatting each
    distinct date once."""
    codes, uniques = pd.factorize(dates, use_na_sentinel=True)
    text = pd.Series([d.isoformat() for d in uniques] + [None], dtype="str")
    spread = text.take(np.where(codes < 0, len(uniques), codes))
    spread.index = dates.index
    return spread


def month_of(dates: pd.Series) -> pd.Series:
    """'YYYY-MM' of parsed dates."""
    return date_text(dates).str.slice(0, 7)


def no_errors() -> pd.DataFrame:
    return pd.DataFrame(columns=["index", "field", "reason"])


def row_errors(mask: pd.Series, field: str, reason: str) -> pd.DataFrame:
    """Row errors (index, field, reason) for the rows where ``mask`` holds."""
    index = mask.index[mask.to_numpy()]
    return pd.DataFrame({"index": index, "field": field, "reason": reason})
