"""The demo generator's text mode (``generate(text=True)``, for head-office worlds) writes the
same branch as its Excel mode: MC as ';'-separated CSV and SBRS as pipe-delimited text with
8-digit reading dates load into exactly the rows, summaries and meter flags that the .xls,
.xlsx and title-and-total-row layout gives."""
from __future__ import annotations

from sqlalchemy import text

from sunter_dash.__main__ import main
from sunter_dash.db import get_engine
from sunter_dash.demo import generate
from sunter_dash.ingest import ingest_file

# The data and summary tables a load fills; upload bookkeeping (ids, file names, times) aside.
COMPARED = ("mc", "sbrs", "mainbill", "payment", "mb_payment", "ardebt", "rute", "meter_flag", "meter_flag_count", "kpi_periode",
            "kpi_day", "customer", "customer_search", "customer_rayon", "pay_customer", "arrears_customer", "arrears_bucket",
            "collection_customer", "collection_group", "stored_count")
SKIPPED_COLUMNS = ("upload_id", "id", "row_no", "source_row")


def _rows(engine, table: str) -> list[tuple]:
    with engine.connect() as conn:
        columns = [c for c in conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys()
                   if c not in SKIPPED_COLUMNS]
        order = ", ".join(str(i + 1) for i in range(len(columns)))
        return [tuple(row) for row in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"))]


def test_text_world_loads_as_the_excel_world(new_database, tmp_path):
    worlds = {}
    for mode in ("excel", "text"):
        paths = generate(tmp_path / mode, customers=300, months=3, seed=11, text=mode == "text")
        engine = get_engine(new_database(mode))
        for path in paths:
            result = ingest_file(engine, path)
            assert result.status == "loaded", (path.name, result.message)
        worlds[mode] = (engine, {p.suffix for p in paths if p.name.startswith(("MC", "SBRS"))})
    assert worlds["excel"][1] == {".xls", ".xlsx"} and worlds["text"][1] == {".csv", ".txt"}
    for table in COMPARED:
        excel, txt = (_rows(worlds[mode][0], table) for mode in ("excel", "text"))
        assert excel, table
        assert txt == excel, table


def test_cli_demo_text(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--customers", "120", "--months", "2", "--seed", "3",
                 "--text"]) == 0
    names = {path.name for path in tmp_path.iterdir()}
    assert {"MC1025_AB_Sunter.csv", "MC1125_AB_Sunter.csv", "SBRS_202511.txt", "SBRS_202512.txt"} <= names
    assert not [name for name in names if name.startswith(("MC", "SBRS")) and name.endswith((".xls", ".xlsx"))]
    header, first = (tmp_path / "SBRS_202512.txt").read_text().splitlines()[:2]
    assert header.startswith("cmr_account|cmr_name|") and first.split("|")[14] == "122025"
    assert len(first.split("|")[13]) == 8  # cmr_rd_date as the billing system writes it: DDMMYYYY
