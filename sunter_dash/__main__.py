"""Command line: serve, ingest, users, report, demo, db (INTERFACES.md)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from . import queries
from .config import ConfigError, load_config
from .db import get_engine, prepare
from .domain import files
from .domain.clock import local, now_utc
from .domain.errors import SunterError
from .domain.roles import ROLES
from .domain.uploads import shown_periodes
from .services import command_line, uploads
from .services.users import random_password, upsert

FIRST_RUN_CUSTOMERS = 3000
FIRST_RUN_MONTHS = 13  # a year and a month: the newest periode beside the same month last year
FIRST_RUN_THROUGH = 20  # the newest month as on its 20th, so Ringkasan has a month-end forecast to show


def _progress_line(stage: str, done: int, total: int) -> None:
    if stage == "menyimpan" and total and sys.stderr.isatty():
        sys.stderr.write(f"\r\033[K    {stage}: {done:,}/{total:,} baris".replace(",", "."))
        sys.stderr.flush()


def _periode_shown(result) -> str:
    """The periode and its rule; a payment file names the periodes its rows landed in."""
    periodes, by_row = shown_periodes(result.type, result.periode, result.row_periodes)
    if by_row:
        return f"periode={','.join(periodes)} (tanggal bayar)"
    return f"periode={result.periode or '-'} ({result.periode_rule or '-'})"


def _problem_line(problem) -> str:
    where = f"baris {problem.row}" if problem.row else "file"
    column = f", kolom {problem.column}" if problem.column else ""
    value = f" ({problem.value!r})" if problem.value is not None else ""
    return f"  - {where}{column}{value}: {problem.reason}"


def _summary(result) -> str:
    if result.busy:  # one line: nothing was read, try again later
        return f"{result.file}: {result.told('cli')}"
    head = (f"{result.file}: {result.status.upper()}  tipe={result.type or '-'}  {_periode_shown(result)}  "
            f"dibaca={result.read} disimpan={result.stored} ditolak={result.rejected} "
            f"duplikat={result.duplicate} peringatan={len(result.warnings)}")
    lines = [head]
    if result.profile:
        lines.append(f"  profil kolom: {result.profile}")
    if result.message:
        lines.append(f"  {result.told('cli')}")
    lines.extend(f"  {note}" for note in result.notes)
    lines.extend(_problem_line(e) for e in (result.errors[:5] if result.status != "refused" or result.rejected else []))
    if len(result.errors) > 5 and result.rejected:
        lines.append(f"  ... dan {len(result.errors) - 5} kesalahan lain")
    if result.warnings:
        lines.append(f"  peringatan (nilai dikosongkan, baris tetap dimuat): {len(result.warnings)}")
        lines.extend(_problem_line(w) for w in result.warnings[:5])
    return "\n".join(lines)


def _mapping_pair(text: str) -> tuple[str, str]:
    column, sep, file_column = text.partition("=")
    if not sep or not column.strip() or not file_column.strip():
        raise argparse.ArgumentTypeError(f"--map harus berbentuk KOLOM=KOLOM_FILE (mis. NOMEN=NOTAG), bukan {text!r}")
    return column.strip(), file_column.strip()


def cmd_ingest(args, config) -> int:
    prepare(config)
    engine = get_engine(config.database_url)
    actor = command_line(args.user)
    refused = False
    for name in args.files:
        result = uploads.load(engine, actor, Path(name), file_type=args.type, periode=args.periode,
                              max_bytes=config.max_upload_bytes, progress=None if args.json else _progress_line,
                              mapping=dict(args.map or []) or None, profile=args.profile, replace=args.replace,
                              wait_seconds=config.load_wait_seconds)
        refused |= result.refused
        if args.json:
            print(json.dumps(result.as_json("cli"), ensure_ascii=False), flush=True)
        else:
            if sys.stderr.isatty():
                sys.stderr.write("\r\033[K")
            print(_summary(result), flush=True)
    return 1 if refused else 0


def cmd_users(args, config) -> int:
    prepare(config)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Kata sandi untuk {args.name}: ")
    else:
        print("Tidak ada terminal untuk menanyakan kata sandi: gunakan --password-stdin.", file=sys.stderr)
        return 2
    try:
        created = upsert(get_engine(config.database_url), args.name, args.role, password, args.petugas)
    except SunterError as exc:
        print(exc.told("cli"), file=sys.stderr)
        return 1
    linked = f", petugas {args.petugas.strip().upper()}" if args.petugas else ""
    print(f"Pengguna {args.name} {'dibuat' if created else 'diperbarui'} (peran {args.role}{linked}).")
    return 0


def cmd_demo(args, config) -> int:
    from .demo import generate

    started = time.perf_counter()
    files = generate(Path(args.out), customers=args.customers, months=args.months, seed=args.seed,
                     text=args.text)
    for path in files:
        print(path)
    print(f"{len(files)} file ditulis ke {args.out} dalam {time.perf_counter() - started:.1f} s.",
          file=sys.stderr)
    return 0


def cmd_db(args, config) -> int:
    prepare(config)
    engine = get_engine(config.database_url)
    if args.action == "init":
        print(f"Skema basis data mutakhir: {make_url(config.database_url).render_as_string()}")
        return 0
    if args.action == "stats":
        for kind, rows in queries.table_rows(engine).items():
            total = sum(n for _, n in rows)
            print(f"{kind:<11} {total:>12,} baris".replace(",", "."))
            for periode, n in rows:
                print(f"    {periode}  {n:>12,}".replace(",", "."))
        statuses = queries.upload_statuses(engine)
        print("unggahan    " + ", ".join(f"{status}={n}" for status, n in statuses))
        return 0
    from .backup import BackupError, backup

    try:
        target = backup(config.database_url, Path(args.out) if args.out else None)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Cadangan ditulis ke {target}")
    return 0


def first_run(config, *, with_demo: bool) -> None:
    """On an empty database: load the demo world through the real pipeline; create admin."""
    engine = get_engine(config.database_url)
    empty = not queries.upload_count(engine)
    if empty and with_demo:
        from .demo import generate

        started = time.perf_counter()
        print(f"Basis data kosong: membuat data demo ({FIRST_RUN_CUSTOMERS} pelanggan)...", flush=True)
        with tempfile.TemporaryDirectory(prefix="sunter-demo-") as folder:
            files = generate(Path(folder), customers=FIRST_RUN_CUSTOMERS, months=FIRST_RUN_MONTHS,
                             through=FIRST_RUN_THROUGH)
            for i, path in enumerate(files, 1):
                result = uploads.load(engine, command_line("demo"), path, max_bytes=config.max_upload_bytes)
                repeated = f", {result.duplicate} sudah ada" if result.duplicate else ""
                print(f"  [{i}/{len(files)}] {path.name}: {result.status}, {result.stored} baris baru"
                      f"{repeated} ({result.type}, {result.periode})", flush=True)
        from .demo import followups as demo_followups

        recorded = demo_followups.record(engine, command_line("demo"), local(now_utc(), config.timezone).date())
        print(f"  {recorded} tindak lanjut penagihan demo dicatat.", flush=True)
        print(f"Data demo dimuat dalam {time.perf_counter() - started:.1f} s.", flush=True)
    if queries.count_users(engine) == 0:
        password = config.admin_password or random_password()
        upsert(engine, "admin", "admin", password)
        if config.admin_password:
            print("Pengguna admin dibuat dengan kata sandi dari SUNTER_ADMIN_PASSWORD.")
        else:
            print(f"Pengguna admin dibuat. Kata sandi (hanya ditampilkan sekali): {password}")


def cmd_report(args, config) -> int:
    prepare(config)
    engine = get_engine(config.database_url)
    if args.action == "send-due":
        from .services import subscriptions
        sent = subscriptions.send_due(engine, config)
        for line in sent:
            print(line)
        print(f"{len(sent)} kiriman diproses.", file=sys.stderr)
        return 1 if any(line.startswith("GAGAL") for line in sent) else 0
    if not args.periode or not args.out:
        print("Sebutkan --periode YYYY-MM dan --out FILE.pdf atau FILE.xlsx (atau: report send-due).",
              file=sys.stderr)
        return 2
    from .services import reports
    try:
        found = reports.monthly(engine, config, args.periode, args.rayon, Path(args.out).suffix.lstrip(".").lower())
    except SunterError as exc:
        print(exc.told("cli"), file=sys.stderr)
        return 1
    Path(args.out).write_bytes(found.content)
    print(f"Laporan bulanan ditulis ke {args.out} ({len(found.content):,} byte).".replace(",", "."))
    return 0


def cmd_serve(args, config) -> int:
    from . import create_app

    prepare(config)
    first_run(config, with_demo=not args.no_demo)
    app = create_app(config)
    print(f"sunter_dash berjalan di http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, debug=config.debug)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sunter_dash",
                                     description="Dashboard operasional PAM JAYA Cabang Sunter.")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="jalankan dashboard (default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8050)
    serve.add_argument("--no-demo", action="store_true", help="jangan muat data demo pada basis data kosong")
    serve.set_defaults(func=cmd_serve)

    ingest = sub.add_parser("ingest", help="muat file ekspor billing")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument("--type", help=f"paksa tipe: {', '.join(files.names())}")
    ingest.add_argument("--periode", help="paksa periode YYYY-MM")
    ingest.add_argument("--map", action="append", type=_mapping_pair, metavar="KOLOM=KOLOM_FILE",
                        help="kolom file untuk sebuah kolom tipe, mis. --map NOMEN=NOTAG (boleh berulang)")
    ingest.add_argument("--profile", help="terapkan profil kolom yang tersimpan")
    ingest.add_argument("--replace", action="store_true",
                        help="konfirmasi: file ini menggantikan snapshot tersimpan walau jauh lebih kecil")
    ingest.add_argument("--user", help="nama pengguna yang dicatat")
    ingest.add_argument("--json", action="store_true", help="satu objek JSON per file")
    ingest.set_defaults(func=cmd_ingest)

    users = sub.add_parser("users", help="kelola pengguna")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="buat atau perbarui pengguna")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--petugas", help="peran petugas: nama petugas seperti di RUTE (kolom PETUGAS)")
    add.add_argument("--password-stdin", action="store_true", help="baca kata sandi dari stdin")
    add.set_defaults(func=cmd_users)

    report = sub.add_parser("report", help="laporan bulanan (PDF/XLSX), atau kirim langganan yang jatuh tempo")
    report.add_argument("action", nargs="?", choices=("send-due",),
                        help="send-due: kirim ringkasan harian dan laporan bulanan yang jatuh tempo (untuk cron)")
    report.add_argument("--periode", help="periode YYYY-MM")
    report.add_argument("--rayon", help="satu rayon (mis. 34); tanpa ini semua rayon")
    report.add_argument("--out", help="file tujuan: .pdf atau .xlsx")
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="tulis data demo sintetis")
    demo.add_argument("--out", required=True)
    demo.add_argument("--customers", type=int, default=FIRST_RUN_CUSTOMERS)
    demo.add_argument("--months", type=int, default=6)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--text", action="store_true",
                      help="MC dan SBRS sebagai teks berpembatas (cepat untuk data besar), bukan Excel")
    demo.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="skema, statistik, cadangan")
    db.add_argument("action", choices=("init", "stats", "backup"))
    db.add_argument("--out", help="backup: file tujuan")
    db.set_defaults(func=cmd_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["serve", *argv]  # INTERFACES.md: `python -m sunter_dash` is `serve`
    args = build_parser().parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"Konfigurasi tidak valid: {exc}", file=sys.stderr)
        return 2
    return args.func(args, config)


if __name__ == "__main__":
    sys.exit(main())
