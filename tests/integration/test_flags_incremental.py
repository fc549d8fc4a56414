"""The meter flags each upload and deletion keeps (ingest/flags.py, inside its transaction) equal
the flags a full rebuild from the stored rows gives, whatever the path: the monthly routine of
new periodes, an SBRS back-fill that the periodes after it look back at, and the deletion and
loading again of each type the checks read (SBRS, MC, MAINBILL), and of the types they do not
(COLLECTION, MB, ARDEBT, RUTE), which leave every flag as it was. On both back ends.

Issue 18 makes the flags incremental (only the customers and checks a change reaches); this
test is what keeps every path honest against the rebuild.
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event, text

from sunter_dash.db import upgrade
from sunter_dash.demo import generate
from sunter_dash.domain import checks
from sunter_dash.domain.checks import Check, Hit, Need, Thresholds
from sunter_dash.ingest import delete_upload, flags, ingest_file
from sunter_dash.ingest.flag_inputs import row_loader
from sunter_dash.services.settings import sync_thresholds

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import downgrade, periode_of  # noqa: E402

BACK_FILLED = "SBRS_202505.xlsx"  # the oldest readings, loaded last


def _flags(conn) -> list[tuple]:
    return sorted(conn.execute(text("SELECT * FROM meter_flag")).all())


def _stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return _flags(conn)


def _rebuilt(engine) -> list[tuple]:
    """meter_flag as flags.rebuild makes it from the stored rows (rolled back after)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text("DELETE FROM meter_flag"))
        flags.rebuild(conn)
        rows = _flags(conn)
        transaction.rollback()
    return rows


def _assert_counts_kept(engine, step: str) -> None:
    """meter_flag_count holds meter_flag's customers per periode, rayon and check."""
    with engine.connect() as conn:
        kept = sorted(conn.execute(text("SELECT periode, rayon, flag, customers FROM meter_flag_count")).all())
        counted = sorted(conn.execute(text("SELECT periode, rayon, flag, COUNT(*) FROM meter_flag "
                                           "GROUP BY periode, rayon, flag")).all())
    assert [tuple(r) for r in kept] == [tuple(r) for r in counted], f"after {step}"


def _assert_as_rebuilt(engine, step: str) -> list[tuple]:
    _assert_counts_kept(engine, step)
    stored = _stored(engine)
    rebuilt = _rebuilt(engine)
    missing, extra = set(rebuilt) - set(stored), set(stored) - set(rebuilt)
    assert not missing and not extra, f"after {step}: {len(missing)} rows missing, {len(extra)} extra; " \
                                      f"e.g. missing {sorted(missing)[:2]}, extra {sorted(extra)[:2]}"
    assert stored == rebuilt, f"after {step}"
    return stored


def _load_all(engine, files) -> None:
    for path in files:
        result = ingest_file(engine, path)
        assert result.status == "loaded", f"{path.name}: {result.message}"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), customers=400, months=8, seed=5)


def test_flags_after_every_upload_and_deletion_equal_a_full_rebuild(engine, demo_files):
    by_name = {path.name: path for path in demo_files}
    uploads = {}
    for path in demo_files:
        if path.name != BACK_FILLED:
            uploads[path.name] = ingest_file(engine, path)
            assert uploads[path.name].status == "loaded", uploads[path.name].message
    before = _assert_as_rebuilt(engine, "the monthly routine")
    # Not a vacuous comparison: most checks flag someone, in every periode with readings.
    assert len({row.flag for row in before}) >= len(checks.checks()) - 3, {row.flag for row in before}
    assert {row.periode for row in before} >= {f"2025-{m:02d}" for m in range(6, 13)}

    uploads[BACK_FILLED] = ingest_file(engine, by_name[BACK_FILLED])
    assert uploads[BACK_FILLED].status == "loaded"
    after = _assert_as_rebuilt(engine, f"the back-fill {BACK_FILLED}")
    assert after != before  # the periodes after it looked back at it
    # An MC again re-reads only the readings of the customers it marks inactive: some are flagged.
    assert {row.periode for row in after if row.flag == "inactive_use"} >= {"2025-08", "2025-12"}

    for name in ("SBRS_202508.xlsx", "MC1125_AB_Sunter.xls", "MAINBILL_202512.csv", "MAINBILL_202509.csv",
                 "MC0725_AB_Sunter.xls", BACK_FILLED):
        delete_upload(engine, uploads[name].upload_id)
        gone = _assert_as_rebuilt(engine, f"deleting {name}")
        assert gone != after, f"deleting {name} changed no flag: the step proves nothing"
        again = ingest_file(engine, by_name[name])
        assert again.status == "loaded", again.message
        uploads[name] = again
        assert _assert_as_rebuilt(engine, f"loading {name} again") == after

    # The other types feed no check: deleting and loading them again leaves every flag as it was.
    for name in ("Collection-2025-12-01_sd_2025-12-31.txt", "MB_MASTER_BAYAR_202512.csv", "ARDEBT_202512.csv",
                 "RUTE_202512.xlsx"):
        delete_upload(engine, uploads[name].upload_id)
        assert _assert_as_rebuilt(engine, f"deleting {name}") == after
        again = ingest_file(engine, by_name[name])
        assert again.status == "loaded", again.message
        assert _assert_as_rebuilt(engine, f"loading {name} again") == after


def test_an_upgraded_database_gets_the_flags_a_rebuild_gives(engine, db_url, demo_files):
    """Migration 0014 adds what each flag was found with; a database of 0013 holding flags comes
    out of it (and 0015) with every flag computed again, the new columns filled, and counted."""
    for path in demo_files[:12]:
        assert ingest_file(engine, path).status == "loaded"
    before = _stored(engine)
    assert before
    downgrade(engine, db_url, "0013")
    with engine.connect() as conn:
        assert "delta_exact" not in conn.execute(text("SELECT * FROM meter_flag")).keys()
    engine.dispose()
    upgrade(db_url)
    assert _stored(engine) == before
    _assert_counts_kept(engine, "the upgrade")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT delta_m3, delta_exact, read_nama FROM meter_flag")).all()
    assert all((m is None) == (e is None) for m, e, _ in found)
    assert all(m == math.floor(e + 0.5) for m, e, _ in found if e is not None)
    assert sum(e is not None for _, e, _ in found) > len(found) / 2
    assert sum(n is not None for _, _, n in found) > len(found) / 2


def _doubled_after_mc(r, t):
    return Hit(r.has_prev & (r.volume > 2 * r.prev_volume), r.against_expected)


DOUBLED = Check("doubled_mc", "Naik Dua Kali", "bi-arrow-up", "volume > 2 x volume(P-1), read with MC(P)",
                _doubled_after_mc, needs=lambda t: (Need("SBRS"), Need("MC")))  # its mask reads P-1 undeclared


def test_a_check_that_reads_mc_and_looks_back_is_run_with_every_history(engine, demo_files):
    """An MC runs again the checks that read it; one of them comparing with earlier readings
    (whether or not its needs say so) decides with every customer's history, not only that of
    the customers it flags."""
    by_name = {path.name: path for path in demo_files}
    with checks.registered(DOUBLED):
        uploads = {path.name: ingest_file(engine, path) for path in demo_files}
        assert {row.flag for row in _stored(engine)} >= {"doubled_mc"}
        delete_upload(engine, uploads["MC1125_AB_Sunter.xls"].upload_id)
        assert ingest_file(engine, by_name["MC1125_AB_Sunter.xls"]).status == "loaded"
        after = _assert_as_rebuilt(engine, "loading the newest MC again")
        assert any(row.flag == "doubled_mc" and row.periode == "2025-12" for row in after)


def test_a_check_added_or_taken_away_recomputes_the_flags_at_the_next_start(engine, demo_files):
    """An MC or MAINBILL keeps the other checks' flags as found, so a change of the catalogue is
    brought in at start (sync_thresholds), as a change of thresholds is."""
    _load_all(engine, demo_files)
    assert sync_thresholds(engine, Thresholds()) is False
    with checks.registered(DOUBLED):
        assert sync_thresholds(engine, Thresholds()) is True
        assert "doubled_mc" in {row.flag for row in _stored(engine)}
        _assert_as_rebuilt(engine, "adding a check")
        assert sync_thresholds(engine, Thresholds()) is False
    assert sync_thresholds(engine, Thresholds()) is True
    assert "doubled_mc" not in {row.flag for row in _stored(engine)}
    _assert_as_rebuilt(engine, "taking it away")


NEVER = Check("never_mc1", "Tak Pernah", "bi-dot", "reads MC(P-1), flags nobody",
              lambda r, t: Hit(np.zeros(len(r.rows), dtype=bool), np.full(len(r.rows), np.nan)),
              needs=lambda t: (Need("SBRS"), Need("MC", 1)))


def test_an_mc_read_looking_back_still_prices_the_six_periodes_after_it(engine, demo_files):
    """A check reading MC(P-1) makes an MC recompute its periode and the next; the flags priced
    from it in the periodes after those are priced again too."""
    with checks.registered(NEVER):
        uploads = {path.name: ingest_file(engine, path) for path in demo_files}
        before = _stored(engine)
        assert uploads["MC0725_AB_Sunter.xls"].status == "loaded"
        delete_upload(engine, uploads["MC0725_AB_Sunter.xls"].upload_id)  # MC of 2025-08
        after = _assert_as_rebuilt(engine, "deleting an older MC")
        # Beyond the two periodes it recomputes (2025-08, 2025-09): prices taken from it moved.
        assert {r for r in after if r.periode >= "2025-10"} != {r for r in before if r.periode >= "2025-10"}


def test_settings_stored_before_the_check_keys_were_kept_get_them_at_the_next_start(engine, demo_files):
    """A row of anomaly_setting written before 0.2.0 has no check keys: the next start writes
    them (no recomputation: migration 0014 computed the flags with today's checks), so a check
    added later is still noticed."""
    for path in demo_files[:8]:
        assert ingest_file(engine, path).status == "loaded"
    assert sync_thresholds(engine, Thresholds()) is False
    with engine.begin() as conn:
        conn.execute(text("UPDATE anomaly_setting SET thresholds = :t WHERE id = 1"),
                     {"t": json.dumps(Thresholds().as_dict())})
    assert sync_thresholds(engine, Thresholds()) is False
    with engine.connect() as conn:
        kept = json.loads(conn.execute(text("SELECT thresholds FROM anomaly_setting")).scalar())
    assert kept["_checks"] == sorted(checks.names())
    with checks.registered(DOUBLED):
        assert sync_thresholds(engine, Thresholds()) is True


def _mc_csv(conn, path: Path, periode: str, leave_out=(), move=(), rename=None, add=()) -> Path:
    """MC(P) as stored, written again as a CSV: without the customers ``leave_out``, those in
    ``move`` given the other rayon (34 and 35 swapped), those in ``rename`` (nomen: name) renamed,
    and the rows ``add`` (each as its line) added."""
    rows = conn.execute(text("SELECT nomen, nama, alamat, zona_novak, tarif, nominal, kubik FROM mc "
                             "WHERE periode = :p ORDER BY nomen"), {"p": periode}).all()
    lines = ["NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;TARIF;NOMINAL;KUBIK"]
    for r in rows:
        if r.nomen in leave_out:
            continue
        zona = {"34": "35", "35": "34"}[r.zona_novak[:2]] + r.zona_novak[2:] if r.nomen in move else r.zona_novak
        nama = (rename or {}).get(r.nomen, r.nama)
        lines.append(";".join("" if v is None else str(v) for v in (r.nomen, nama, r.alamat, zona, r.tarif,
                                                                  r.nominal, r.kubik)))
    path.write_text("\n".join([*lines, *add]) + "\n", encoding="utf-8")
    return path


def test_an_mc_moving_customers_rayon_moves_their_flags_in_the_periodes_that_take_it(engine, demo_files,
                                                                                     tmp_path):
    """A flag of a periode whose MC does not list the customer takes its most recent MC's rayon
    (METRICS.md). September's MC loaded again without six flagged customers gives their
    September flags the rayon of the newest MC; the newest MC loaded again with those six in the
    other rayon moves exactly those flags, and the flags equal a rebuild at each step."""
    _load_all(engine, demo_files)
    with engine.connect() as conn:
        flagged = [n for (n,) in conn.execute(text(
            "SELECT DISTINCT f.nomen FROM meter_flag f JOIN mc m ON m.periode = '2025-12' AND m.nomen = f.nomen "
            "AND SUBSTR(m.zona_novak, 1, 2) IN ('34', '35') WHERE f.periode = '2025-09' ORDER BY f.nomen"))][:6]
        assert len(flagged) == 6
        september = _mc_csv(conn, tmp_path / "MC_2025-09.csv", "2025-09", leave_out=flagged)
    assert ingest_file(engine, september, file_type="MC", periode="2025-09").status == "loaded"
    before = _assert_as_rebuilt(engine, "September's MC without six customers")
    with engine.connect() as conn:
        newest = _mc_csv(conn, tmp_path / "MC_2025-12.csv", "2025-12", move=flagged)
    assert ingest_file(engine, newest, file_type="MC", periode="2025-12").status == "loaded"
    after = _assert_as_rebuilt(engine, "the newest MC moving them")
    changed = {(r.periode, r.nomen) for r in set(after) ^ set(before) if r.periode == "2025-09"}
    assert {nomen for _, nomen in changed} == set(flagged)


def test_a_flag_named_from_the_directory_follows_a_rename_in_another_periode(engine, demo_files, tmp_path):
    """A customer flagged from MAINBILL alone (a REBILL bill of September, neither read in
    September nor listed in its MC) shows the name the directory gives it. The newest MC renaming
    it renames that September flag too, though December's MC reaches no flag of September
    otherwise; deleting that MC brings the old name back. The flags equal a rebuild at each step."""
    _load_all(engine, demo_files)
    with engine.connect() as conn:
        nomen = conn.execute(text(
            "SELECT MIN(f.nomen) FROM meter_flag f JOIN mainbill b ON b.periode = f.periode AND b.nomen = f.nomen "
            "AND b.jenis_rek = 'REBILL' WHERE f.periode = '2025-09' AND f.flag = 'rebill'")).scalar()
        assert nomen is not None
        old_name = conn.execute(text("SELECT nama FROM customer WHERE nomen = :n"), {"n": nomen}).scalar()
        mc = _mc_csv(conn, tmp_path / "MC_2025-09.csv", "2025-09", leave_out=[nomen])
        sbrs = _sbrs_csv(conn, tmp_path / "SBRS_2025-09.csv", "2025-09",
                         edit=lambda rows: [row for row in rows if row["nomen"] != nomen])
    for path, file_type in ((mc, "MC"), (sbrs, "SBRS")):
        assert ingest_file(engine, path, file_type=file_type, periode="2025-09").status == "loaded"
    _assert_as_rebuilt(engine, "September without the customer's MC row and reading")

    def september() -> list[tuple]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT flag, nama, read_nama FROM meter_flag WHERE periode = '2025-09' AND nomen = :n"), {"n": nomen})]
    assert september() == [("rebill", old_name, None)]

    with engine.connect() as conn:
        newest = _mc_csv(conn, tmp_path / "MC_2025-12.csv", "2025-12", rename={nomen: "NAMA BARU"})
    renamed = ingest_file(engine, newest, file_type="MC", periode="2025-12")
    assert renamed.status == "loaded", renamed.message
    _assert_as_rebuilt(engine, "the newest MC renaming the customer")
    assert september() == [("rebill", "NAMA BARU", None)]

    delete_upload(engine, renamed.upload_id)
    _assert_as_rebuilt(engine, "deleting the renaming MC")
    assert september() == [("rebill", old_name, None)]

    # A customer billed twice in September without a tarif, listed in November's MC without a
    # name or tarif: its flag has neither, until the newest MC lists it with both, in the same
    # rayon (the tarif then comes from the directory too), and again once that MC is deleted.
    nomen = "60999999"
    [source] = [path for path in demo_files if path.name == "MAINBILL_202509.csv"]
    bills = source.read_text(encoding="utf-8").rstrip("\n").split("\n")
    bills += [f"{nomen};10000;092025;01-09-2025;0;;343450312;NORMAL"] * 2
    (tmp_path / "MAINBILL_202509.csv").write_text("\n".join(bills) + "\n", encoding="utf-8")
    result = ingest_file(engine, tmp_path / "MAINBILL_202509.csv", file_type="MAINBILL", periode="2025-09")
    assert result.status == "loaded", result.message
    _assert_as_rebuilt(engine, "September's MAINBILL billing a customer no MC or SBRS knows")

    def flag_of_the_unknown() -> list[tuple]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT nama, tarif FROM meter_flag WHERE periode = '2025-09' AND nomen = :n"), {"n": nomen})]
    assert flag_of_the_unknown() == [(None, None)]
    with engine.connect() as conn:
        november = _mc_csv(conn, tmp_path / "MC_2025-11.csv", "2025-11", add=[f"{nomen};;JL. SUNTER 9;341234;;50000;10"])
    assert ingest_file(engine, november, file_type="MC", periode="2025-11").status == "loaded"
    _assert_as_rebuilt(engine, "November's MC listing it without a name")
    assert flag_of_the_unknown() == [(None, None)]
    with engine.connect() as conn:
        listing = _mc_csv(conn, tmp_path / "MC_2025-12.csv", "2025-12",
                          add=[f"{nomen};PELANGGAN BARU;JL. SUNTER 9;341234;2A2;50000;10"])
    listed = ingest_file(engine, listing, file_type="MC", periode="2025-12")
    assert listed.status == "loaded", listed.message
    _assert_as_rebuilt(engine, "the newest MC listing that customer")
    assert flag_of_the_unknown() == [("PELANGGAN BARU", "2A2")]
    delete_upload(engine, listed.upload_id)
    _assert_as_rebuilt(engine, "deleting the MC listing it")
    assert flag_of_the_unknown() == [(None, None)]


SBRS_HEADER = {"nomen": "cmr_account", "stand_lalu": "cmr_prev_read", "stand_kini": "cmr_reading", "pakai": "SB_Stand",
               "read_method": "Read_Method", "skip_code": "cmr_skip_code", "trouble_code": "cmr_trbl1_code",
               "special_msg": "cmr_chg_spcl_msg", "read_date": "cmr_rd_date", "route": "cmr_route", "nama": "cmr_name",
               "alamat": "cmr_address", "nomet": "cmr_mtr_num", "tarif": "Tariff", "bill_period": "Bill_Period",
               "bill_amount": "Bill_Amount"}


def _sbrs_csv(conn, path: Path, periode: str, edit=lambda rows: rows) -> Path:
    """SBRS(P) as stored, written again as a CSV after ``edit`` (a list of dicts, in id order)."""
    result = conn.execute(text(f"SELECT {', '.join(SBRS_HEADER)} FROM sbrs WHERE periode = :p ORDER BY id"),
                          {"p": periode})
    rows = edit([dict(row._mapping) for row in result])
    lines = [";".join(SBRS_HEADER.values())]
    lines += [";".join("" if row[name] is None else str(row[name]) for name in SBRS_HEADER) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_sbrs_correcting_a_periode_recomputes_only_the_customers_whose_readings_changed(engine, demo_files,
                                                                                         tmp_path):
    """September's SBRS loaded again with seven customers changed (a new reading far above the
    usual, an estimate, a reading left out, a re-read) recomputes September and the periodes
    looking back at it for those seven alone: only their flags change, and the flags equal a
    rebuild. The same readings again, in another order, recompute nothing; deleting each
    correction in turn brings back the readings it replaced, and their flags, recomputing the
    customers whose readings differ between the two alone."""
    _load_all(engine, demo_files)
    before = _assert_as_rebuilt(engine, "the demo")
    with engine.connect() as conn:
        customers = [n for (n,) in conn.execute(text(
            "SELECT nomen FROM sbrs WHERE periode = '2025-09' GROUP BY nomen HAVING COUNT(*) = 1 ORDER BY nomen"))]
        flagged = [n for (n,) in conn.execute(text(
            "SELECT DISTINCT nomen FROM meter_flag WHERE periode = '2025-09' ORDER BY nomen"))]
    # The one left out was flagged in September: its flags there go with its reading.
    spiked, estimated, reread = customers[10:14], customers[20], customers[40]
    left_out = next(n for n in flagged if n in set(customers) - {*spiked, estimated, reread})
    changed = {*spiked, estimated, left_out, reread}

    def correct(rows):
        out = []
        for row in rows:
            if row["nomen"] in spiked:
                row = {**row, "stand_kini": row["stand_kini"] + 400, "pakai": None}
            elif row["nomen"] == estimated:
                row = {**row, "read_method": "TAKSIR"}
            elif row["nomen"] == left_out:
                continue
            out.append(row)
            if row["nomen"] == reread:
                out.append(row)
        return out
    with engine.connect() as conn:
        corrected = _sbrs_csv(conn, tmp_path / "SBRS_202509_koreksi.csv", "2025-09", correct)
    recomputed: list[str] = []  # the periodes whose readings the flags read ("only": of the changed)
    noted: list[int] = []  # how many customers changed

    def count(conn, cursor, statement, parameters, context, executemany):
        if "SELECT id, nomen, stand_lalu" in statement:
            recomputed.append(periode_of(parameters) + (" only" if "readings_changed" in statement else ""))
        elif statement.lstrip().startswith("INSERT INTO readings_changed"):
            noted.append(cursor.rowcount)
    event.listen(engine, "after_cursor_execute", count)
    try:
        loaded = ingest_file(engine, corrected, file_type="SBRS", periode="2025-09")
        assert loaded.status == "loaded" and loaded.replaced, loaded.message
        assert noted == [7] and recomputed == [f"2025-{m:02d} only" for m in range(9, 13)]
        after = _assert_as_rebuilt(engine, "September's SBRS corrected")
        assert after != before
        assert {row.nomen for row in set(after) ^ set(before)} <= changed
        assert {row.nomen for row in set(after) ^ set(before) if row.periode > "2025-09"}  # looked back at

        # Only the customer read twice counts as changed (which of its rows is first may be).
        recomputed.clear()
        noted.clear()
        with engine.connect() as conn:
            again = _sbrs_csv(conn, tmp_path / "SBRS_202509_lagi.csv", "2025-09", lambda rows: rows[::-1])
        uploads = [loaded.upload_id, ingest_file(engine, again, file_type="SBRS", periode="2025-09").upload_id]
        assert noted == [1] and recomputed == [f"2025-{m:02d} only" for m in range(9, 13)]
        assert _assert_as_rebuilt(engine, "the same readings again, in another order") == after
        # Read once again, then the same once more: nothing changed, nothing is recomputed.
        for name, edit, changes in (("once", lambda rows: [r for r in rows if r["nomen"] != reread] +
                                     [r for r in rows if r["nomen"] == reread][:1], [1]),
                                    ("same", lambda rows: rows[::-1], [0])):
            recomputed.clear()
            noted.clear()
            with engine.connect() as conn:
                again = _sbrs_csv(conn, tmp_path / f"SBRS_202509_{name}.csv", "2025-09", edit)
            uploads.append(ingest_file(engine, again, file_type="SBRS", periode="2025-09").upload_id)
            assert noted == changes and bool(recomputed) == bool(changes[0]), name
            _assert_as_rebuilt(engine, f"the readings {name}")
        # Most readings changed: the periodes are recomputed whole.
        recomputed.clear()
        with engine.connect() as conn:
            again = _sbrs_csv(conn, tmp_path / "SBRS_202509_semua.csv", "2025-09", lambda rows: [
                {**row, "stand_kini": row["stand_kini"] + 1, "pakai": None} for row in rows])
        uploads.append(ingest_file(engine, again, file_type="SBRS", periode="2025-09").upload_id)
        assert recomputed == [f"2025-{m:02d}" for m in range(9, 13)]
        _assert_as_rebuilt(engine, "most readings changed")
        # Each deletion brings back the readings the upload replaced, compared with the deleted
        # ones as an upload's are: most changed (whole), none, the customer read twice, the seven.
        for upload, changes in zip(reversed(uploads), (None, 0, 1, 1, 7)):
            recomputed.clear()
            noted.clear()
            delete_upload(engine, upload)
            assert len(noted) == 1 and (noted[0] == changes if changes is not None else noted[0] > 200), upload
            only = " only" if changes else ""
            assert recomputed == ([f"2025-{m:02d}{only}" for m in range(9, 13)] if changes != 0 else []), upload
            _assert_as_rebuilt(engine, f"deleting upload {upload}")
        with engine.connect() as conn:  # the deleted corrections' rows are not kept
            assert conn.execute(text("SELECT COUNT(*) FROM sbrs_superseded")).scalar() == 0
    finally:
        event.remove(engine, "after_cursor_execute", count)
    assert _assert_as_rebuilt(engine, "deleting the corrections") == before


ABOVE_MEAN = Check("above_mean", "Di Atas Rata-rata", "bi-bar-chart", "volume > the mean volume of P's readings",
                   lambda r, t: Hit(r.volume > r.volume.mean(), r.against_expected), per_customer=False)


def test_a_check_comparing_customers_recomputes_a_corrected_periode_whole(engine, demo_files, tmp_path):
    """A check that decides a customer from the others' readings (``per_customer=False``): four
    readings of September corrected far upwards move the mean, and with it the flags of customers
    whose readings did not change; the periode is recomputed whole and equals a rebuild."""
    with checks.registered(ABOVE_MEAN):
        _load_all(engine, demo_files)
        before = _assert_as_rebuilt(engine, "the demo")
        with engine.connect() as conn:
            spiked = [n for (n,) in conn.execute(text(
                "SELECT nomen FROM sbrs WHERE periode = '2025-09' ORDER BY nomen LIMIT 4"))]
            corrected = _sbrs_csv(conn, tmp_path / "SBRS_202509_koreksi.csv", "2025-09", lambda rows: [
                {**row, "stand_kini": row["stand_kini"] + 40_000, "pakai": None} if row["nomen"] in spiked else row
                for row in rows])
        assert ingest_file(engine, corrected, file_type="SBRS", periode="2025-09").status == "loaded"
        after = _assert_as_rebuilt(engine, "September corrected")
        moved = {row.nomen for row in set(after) ^ set(before) if row.flag == "above_mean" and row.periode == "2025-09"}
        assert moved - set(spiked)  # customers whose readings stayed lost the flag


def _largest_bill(r, t):
    mc = r.frame("MC")
    own = r.nomen.map(mc.groupby("nomen")["nominal"].sum()).fillna(0).to_numpy()
    return Hit(own == mc["nominal"].max(), r.against_expected)


LARGEST_BILL = Check("largest_bill", "Tagihan Terbesar", "bi-bar-chart", "the largest NOMINAL of MC(P)",
                     _largest_bill, needs=lambda t: (Need("SBRS"), Need("MC")))


def _recomputed_for_a_third(engine, monkeypatch) -> list[tuple]:
    """meter_flag after ``flags.recompute`` of every flagged periode for every third customer
    alone (``only``: their readings, history and marks, and any other file a check reads; the
    others' flags kept), rolled back after; the rows of the checks that declare ``per_customer``
    (without the list of a customer's checks, when another check compares customers)."""
    def their_rows(conn):
        def load(file_type, periode):
            frame = every_row(file_type, periode)
            return frame[frame["nomen"].isin(third)]
        every_row = row_loader(conn)
        return load
    with monkeypatch.context() as patched, engine.connect() as conn:
        patched.setattr(flags, "row_loader", their_rows)
        transaction = conn.begin()
        # On SQLite the driver opens the transaction at the first write: the table outlives it.
        conn.execute(text("DROP TABLE IF EXISTS a_third"))
        conn.execute(text("CREATE TEMPORARY TABLE a_third (nomen VARCHAR(20) PRIMARY KEY)"))
        customers = conn.execute(text("SELECT DISTINCT nomen FROM sbrs ORDER BY nomen")).scalars().all()
        third = set(customers[::3])
        conn.execute(text("INSERT INTO a_third (nomen) VALUES (:n)"), [{"n": n} for n in sorted(third)])
        periodes = conn.execute(text("SELECT DISTINCT periode FROM meter_flag ORDER BY periode")).scalars().all()
        flags.recompute(conn, periodes, only="SELECT nomen FROM a_third")
        rows = _per_customer(conn.execute(text("SELECT * FROM meter_flag")).all())
        transaction.rollback()
    return rows


def _per_customer(rows) -> list[tuple]:
    own = {c.key for c in checks.checks() if c.per_customer}
    whole = len(own) == len(checks.checks())
    return sorted(tuple(v for k, v in row._mapping.items() if whole or k != "flags") for row in rows
                  if row.flag in own)


def test_every_check_declared_per_customer_decides_a_customer_from_its_own_data(engine, demo_files, monkeypatch):
    """``Check.per_customer`` (the default) lets an SBRS correction recompute only the customers
    whose readings changed. For every check of the catalogue declaring it, the flags found for a
    third of the customers from their own data alone equal those found with everyone's; a check
    that compares customers and does not say so (``per_customer=False``) is caught here."""
    _load_all(engine, demo_files)
    stored = _stored(engine)
    assert {row.flag for row in stored} == set(checks.names())  # the demo raises every check
    with engine.connect() as conn:
        everyone = _per_customer(conn.execute(text("SELECT * FROM meter_flag")).all())
    assert _recomputed_for_a_third(engine, monkeypatch) == everyone
    # Comparing customers without saying so, from the readings or from another file's rows.
    for undeclared in (dataclasses.replace(ABOVE_MEAN, per_customer=True), LARGEST_BILL):
        with checks.registered(undeclared):
            with engine.begin() as conn:
                flags.rebuild(conn)
                everyone = _per_customer(conn.execute(text("SELECT * FROM meter_flag")).all())
            assert undeclared.key in {row[1] for row in everyone}
            assert _recomputed_for_a_third(engine, monkeypatch) != everyone, undeclared.key
