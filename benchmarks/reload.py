"""One file of the 200k world loaded again, from the same starting point every run.

    python benchmarks/reload.py --prepare MC1125_AB_Sunter.csv   # once
    python benchmarks/reload.py MC1125_AB_Sunter.csv [--pairs 5 --vs ../other-clone]
    python benchmarks/reload.py --prepare SBRS_202501.txt --correct 500   # once: a correction
    python benchmarks/reload.py SBRS_202501_koreksi.txt [--pairs 5 --vs ../other-clone]
    python benchmarks/reload.py SBRS_202501_koreksi.txt --delete [--pairs 5 --vs ../other-clone]
    python benchmarks/reload.py MC1125_AB_Sunter.csv --stored [--pairs 5 --vs ../other-clone]

``--prepare`` copies the benchmark world (benchmarks/world.py, build/bench/dashboard-200k.db)
and deletes that file's upload from the copy (build/bench/without-NAME.db). A run copies that
database afresh, brings it to this checkout's schema and times ``ingest_file`` of the file,
printing the seconds (the copy flushed to disk first). ``--correct N`` writes an SBRS's
correction instead (N readings changed), which loads onto the world as it is, replacing that
SBRS. ``--delete`` times deleting the upload just loaded instead (a correction undone: the
snapshot it replaced comes back; a file that replaced nothing is refused). ``--stored`` times
deleting the world's own upload of the file instead, from a copy of the world as it is (the
newest MC undone, say; nothing to prepare). With ``--vs`` the
same run of another checkout (a clone at another commit, sharing this ``build/``) follows each
of this one's, and each pair's ratio is printed with their median (its ``reload.py`` must know
the options given: copy this one into an older clone):
the machine's speed drifts by more than a change of a few seconds, and a pair is run close
enough together to share the drift.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH = ROOT / "build" / "bench"
WORLD_FILES = ROOT / "build" / "world200k"


def _prepared(name: str) -> Path:
    return BENCH / f"without-{Path(name).stem}.db"


def correction(name: str, readings: int) -> str:
    """Write NAME's correction beside it (NAME_koreksi.txt): the same rows, with ``readings`` of
    them spread evenly through the file read 100 m3 higher (an SBRS export corrected)."""
    source = WORLD_FILES / name
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("|")
    kini, stated = header.index("cmr_reading"), header.index("SB_Stand")
    step = max(1, (len(lines) - 1) // readings)
    for number in range(1, len(lines), step)[:readings]:
        cells = lines[number].split("|")
        cells[kini], cells[stated] = str(int(cells[kini]) + 100), ""
        lines[number] = "|".join(cells)
    corrected = f"{source.stem}_koreksi.txt"
    (WORLD_FILES / corrected).write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copyfile(BENCH / "dashboard-200k.db", _prepared(corrected))
    print(f"{WORLD_FILES / corrected}: {readings} readings corrected, loaded onto the world as it is "
          f"({_prepared(corrected)})")
    return corrected


def prepare(name: str) -> None:
    from sqlalchemy import text

    from sunter_dash.db import get_engine
    from sunter_dash.ingest import delete_upload

    target = _prepared(name)
    shutil.copyfile(BENCH / "dashboard-200k.db", target)
    engine = get_engine(f"sqlite:///{target}")
    with engine.connect() as conn:
        upload = conn.execute(text("SELECT id FROM upload WHERE filename = :f AND status = 'loaded'"),
                              {"f": name}).scalar()
    if upload is None:
        raise SystemExit(f"{name} is not a loaded upload of the world")
    delete_upload(engine, upload)
    engine.dispose()
    print(f"{target}: the world without {name}")


def run(name: str, delete: bool = False, stored: bool = False) -> float:
    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.ingest import delete_upload, ingest_file

    work = BENCH / f"reload-{ROOT.name}.db"
    for leftover in BENCH.glob(f"{work.name}*"):
        leftover.unlink()
    shutil.copyfile(BENCH / "dashboard-200k.db" if stored else _prepared(name), work)
    url = f"sqlite:///{work}"
    upgrade(url)
    os.sync()  # the copy's gigabytes on disk before the clock, not written back during the load
    engine = get_engine(url)
    if stored:
        return _delete_stored(engine, work, name)
    started = time.perf_counter()
    result = ingest_file(engine, WORLD_FILES / name, max_bytes=200 * 1024 * 1024)
    restored = None
    if delete and result.status == "loaded":
        os.sync()
        started = time.perf_counter()
        restored = delete_upload(engine, result.upload_id).restored
    seconds = time.perf_counter() - started
    engine.dispose()
    for leftover in BENCH.glob(f"{work.name}*"):
        leftover.unlink()
    if result.status != "loaded":
        raise SystemExit(f"{name}: {result.status} {result.message}")
    if delete and restored is None:
        raise SystemExit(f"{name} replaced no kept snapshot: its deletion brings nothing back")
    return seconds


def _delete_stored(engine, work: Path, name: str) -> float:
    """Seconds to delete the world's upload of ``name`` (its copy ``work`` is removed after)."""
    from sqlalchemy import text

    from sunter_dash.ingest import delete_upload

    try:
        with engine.connect() as conn:
            upload = conn.execute(text("SELECT id FROM upload WHERE filename = :f AND status = 'loaded'"),
                                  {"f": name}).scalar()
        if upload is None:
            raise SystemExit(f"{name} is not a loaded upload of the world")
        started = time.perf_counter()
        delete_upload(engine, upload)
        return time.perf_counter() - started
    finally:
        engine.dispose()
        for leftover in BENCH.glob(f"{work.name}*"):
            leftover.unlink()


def _child(checkout: Path, name: str, delete: bool, stored: bool) -> float:
    out = subprocess.run([sys.executable, str(checkout / "benchmarks" / "reload.py"), name, "--child",
                          *(["--delete"] if delete else []), *(["--stored"] if stored else [])],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a file of build/world200k, e.g. MC1125_AB_Sunter.csv")
    parser.add_argument("--prepare", action="store_true", help="make the world without that file's upload")
    parser.add_argument("--correct", type=int, metavar="N",
                        help="with --prepare, an SBRS text file: write its correction (N readings changed, "
                             "NAME_koreksi.txt), to be loaded onto the world as it is")
    parser.add_argument("--delete", action="store_true", help="time deleting the upload once loaded")
    parser.add_argument("--stored", action="store_true",
                        help="time deleting the world's own upload of the file, from a copy of the world")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--vs", type=Path, help="another checkout whose run follows each of this one's")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.correct is not None and (not args.prepare or args.correct < 1):
        parser.error("--correct N (N >= 1) goes with --prepare")
    if args.stored and (args.delete or args.prepare):
        parser.error("--stored goes with neither --delete nor --prepare")
    if args.prepare:
        if args.correct:
            correction(args.name, args.correct)
        else:
            prepare(args.name)
        return
    if args.child:
        print(f"{run(args.name, args.delete, args.stored):.3f}")
        return
    ratios = []
    for i in range(args.pairs):
        this = _child(ROOT, args.name, args.delete, args.stored)
        line = f"run {i + 1}: {this:.2f} s"
        if args.vs:
            other = _child(args.vs.resolve(), args.name, args.delete, args.stored)
            ratios.append(this / other)
            line += f", {args.vs.name} {other:.2f} s, ratio {ratios[-1]:.2f}"
        print(line, flush=True)
    if ratios:
        ratios.sort()
        print(f"median ratio {ratios[len(ratios) // 2]:.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f}) over {len(ratios)} pairs")


if __name__ == "__main__":
    main()
