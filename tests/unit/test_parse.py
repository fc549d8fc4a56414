"""Cell parsers of DATA.md ("Cell formats that must be understood"), on whole columns.

Each case feeds one column as the readers produce it: Python objects from
Excel (str, int, float, datetime) or text from CSV files, mixed in one Series.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sunter_dash.domain.codes import rayon_from_code
from sunter_dash.domain.files import normalise_header
from sunter_dash.domain.periodes import valid_periode
from sunter_dash.ingest.parse import (
    parse_bill_month,
    parse_code,
    parse_date,
    parse_integer,
    parse_nomen,
    parse_rayon,
    parse_zone,
)


def one(parser, cell):
    """Parse a single cell placed among a text and a blank cell (mixed object column)."""
    values, bad = parser(pd.Series(["filler", cell, None], dtype=object))
    value = values.iloc[1]
    return (None if pd.isna(value) else value), bool(bad.iloc[1])


def column(parser, cells):
    values, bad = parser(pd.Series(cells, dtype=object))
    return [None if pd.isna(v) else v for v in values.tolist()], bad.tolist()


# --- nomen -----------------------------------------------------------------------

@pytest.mark.parametrize("cell", [
    60012345.0, 60012345, "60012345", "60012345.0", " 60012345 ", "'60012345", "' 60012345", "\t60012345\n",
])
def test_nomen_forms_become_text_of_digits(cell):
    assert one(parse_nomen, cell) == ("60012345", False)


def test_nomen_number_cell_never_scientific():
    values, bad = column(parse_nomen, [60012345.0, 1.0e7, 987654321012.0])
    assert values == ["60012345", "10000000", "987654321012"]
    assert bad == [False, False, False]


def test_nomen_keeps_leading_zeros_of_text():
    assert one(parse_nomen, "00123456") == ("00123456", False)


@pytest.mark.parametrize("cell", ["6001234A", "60-012345", "-60012345", "60 012345", "N/A", "60012345.5", "6.0012345E7"])
def test_nomen_with_letters_or_signs_is_bad(cell):
    assert one(parse_nomen, cell) == (None, True)


@pytest.mark.parametrize("cell", [None, "", "   ", "'"])
def test_nomen_blank_is_missing_not_bad(cell):
    assert one(parse_nomen, cell) == (None, False)


# --- money and volumes -----------------------------------------------------------

@pytest.mark.parametrize("cell", [
    "Rp 1.234.567", "Rp. 1.234.567", "RP1.234.567", "1.234.567", "1,234,567", "1.234.567,00", "1234567",
    1234567, 1234567.0, " 1.234.567 ",
])
def test_money_forms(cell):
    assert one(parse_integer, cell) == (1234567, False)


@pytest.mark.parametrize(("cell", "expected"), [
    ("12,0", 12), ("12", 12), (12.0, 12), ("1.234", 1234), ("0", 0), ("-150.000", -150000),
    ("-1.234.567", -1234567), (-150000.0, -150000), ("12,5", 13), ("1,234.50", 1235),
])
def test_volume_and_signed_amount_forms(cell, expected):
    assert one(parse_integer, cell) == (expected, False)


@pytest.mark.parametrize("cell", ["abc", "12 m3", "1.2.3,4,5", "Rp", "--5"])
def test_not_a_number_is_bad(cell):
    assert one(parse_integer, cell) == (None, True)


@pytest.mark.parametrize("cell", [None, "", "  "])
def test_blank_number_is_missing_not_bad(cell):
    assert one(parse_integer, cell) == (None, False)


# --- dates -----------------------------------------------------------------------

DEC31 = dt.date(2025, 12, 31)


@pytest.mark.parametrize("cell", [
    dt.datetime(2025, 12, 31), dt.date(2025, 12, 31), dt.datetime(2025, 12, 31, 23, 59, 59),
    pd.Timestamp("2025-12-31 08:00"), "31-12-2025", "31/12/2025", "2025-12-31", "31-Des-25", "31-DES-2025",
    "31 Desember 2025", "31 desember 2025", "31-Dec-2025", "31-12-2025 14:30:00", "31/12/2025 9:05",
    "2025-12-31 08:15:00", "2025-12-31T08:15:00", "31 Des 2025 10:00", "46022", 46022, 46022.0, 46022.75,
])
def test_date_forms(cell):
    assert one(parse_date, cell) == (DEC31, False)


def test_excel_serial_46006_is_15_december_2025():
    assert one(parse_date, 46006) == (dt.date(2025, 12, 15), False)
    assert one(parse_date, "46006") == (dt.date(2025, 12, 15), False)


@pytest.mark.parametrize(("cell", "expected"), [
    ("01-02-2025", dt.date(2025, 2, 1)),  # day first whenever ambiguous
    ("01/02/2025", dt.date(2025, 2, 1)),
    ("5 Mei 2025", dt.date(2025, 5, 5)),
    ("17-Agu-25", dt.date(2025, 8, 17)),
    ("1 Okt 2025", dt.date(2025, 10, 1)),
])
def test_date_day_first_and_indonesian_months(cell, expected):
    assert one(parse_date, cell) == (expected, False)


@pytest.mark.parametrize("cell", ["32-12-2025", "31-13-2025", "kemarin", "2025-02-30", 150000, "1234567"])
def test_unparseable_or_implausible_date_is_bad(cell):
    # a stray amount (150000, 1234567) is not taken for an Excel serial
    assert one(parse_date, cell) == (None, True)


# --- bill month ------------------------------------------------------------------

@pytest.mark.parametrize("cell", [
    "122025", "202512", "2025-12", "12/2025", "1225", 122025, 122025.0, 202512, 1225, "DES 2025",
    "Desember 2025", "Dec-25", "2025/12", " 122025 ",
])
def test_bill_month_forms(cell):
    assert one(parse_bill_month, cell) == ("2025-12", False)


@pytest.mark.parametrize(("cell", "expected"), [
    ("012026", "2026-01"), (12026, "2026-01"),  # a number cell that lost its leading 0
    ("0126", "2026-01"), ("112025", "2025-11"),
])
def test_bill_month_leading_zero(cell, expected):
    assert one(parse_bill_month, cell) == (expected, False)


@pytest.mark.parametrize("cell", ["132025", "2025-13", "abc", "13/2025"])
def test_bad_bill_month(cell):
    assert one(parse_bill_month, cell) == (None, True)


# --- rayon, zone, codes ----------------------------------------------------------

@pytest.mark.parametrize(("cell", "expected"), [
    ("34", "34"), ("034", "34"), ("Rayon 34", "34"), ("R-34", "34"), (34, "34"), (35.0, "35"),
    ("RAYON 35", "35"), ("33", "33"), ("R-01", "01"),
])
def test_rayon_forms(cell, expected):
    assert one(parse_rayon, cell) == (expected, False)


@pytest.mark.parametrize(("cell", "expected"), [
    ("341010203", "341010203"), ("34.101.02.03", "341010203"), (341010203, "341010203"),
    (341010203.0, "341010203"), ("041010203", "041010203"), (41010203, "041010203"),
    # text written from a float column: the '.0' is not a tenth digit
    ("341010203.0", "341010203"), ("41010203.0", "041010203"), ("34.101.02.00", "341010200"),
])
def test_zone_forms(cell, expected):
    assert one(parse_zone, cell) == (expected, False)


def test_rayon_from_zone_route_and_pcez_codes():
    codes = pd.Series(["341010203", "3510203", "33", None, "X1"], dtype="str")
    assert [None if pd.isna(v) else v for v in rayon_from_code(codes)] == ["34", "35", "33", None, None]


def test_codes_upper_case_and_trimmed():
    assert column(parse_code, [" actual ", "Estimate", "r  a", None]) == (
        ["ACTUAL", "ESTIMATE", "R A", None], [False, False, False, False])


# --- headers and periodes -----------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("Tgl. Bayar", "TGL_BAYAR"), ("tgl bayar", "TGL_BAYAR"), ("cmr_prev_read", "CMR_PREV_READ"),
    ("No-Pelanggan", "NO_PELANGGAN"), ("Bill Period", "BILL_PERIOD"), ("Pay/Dt", "PAY_DT"),
])
def test_header_normalisation(a, b):
    assert normalise_header(a) == normalise_header(b)


def test_header_normalisation_keeps_distinct_names_distinct():
    assert normalise_header("TGL_BAYAR") != normalise_header("TGL_BACA")


@pytest.mark.parametrize(("text", "ok"), [("2025-12", True), ("2025-13", False), ("202512", False),
                                          ("2025-1", False), ("", False), (None, False)])
def test_valid_periode(text, ok):
    assert valid_periode(text) is ok
