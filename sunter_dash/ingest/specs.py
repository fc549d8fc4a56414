"""The one table of file-type specs (DATA.md "File types").

Each type is declared here: its columns with their aliases and cell kinds,
which columns are required (alternative sets where DATA.md allows a choice),
whether it is a snapshot replaced per periode or payments merged by key, its
periode column and the file-name words that break a detection tie. The
loader, detector and validator are generic over these declarations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


def normalise_header(name: object) -> str:
    """DATA.md: headers match ignoring case, spaces, '_', '-', '.' and '/'."""
    return re.sub(r"[\s_\-./]+", "", str(name or "")).upper()


@dataclass(frozen=True)
class Column:
    field: str  # our name, the database column (or an input to a derived one)
    header: str  # the real export's name
    kind: str  # a key of parse.PARSERS
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class FileSpec:
    name: str
    label: str  # shown to users
    columns: tuple[Column, ...]
    # Any one of these sets of fields present makes the header fit the type.
    required: tuple[frozenset[str], ...]
    mode: str  # "snapshot" (replaced per periode) or "merge" (payments, by key)
    filename_words: tuple[str, ...]
    periode_field: str | None = None  # a column that names the file's periode
    date_field: str | None = None  # payments: each row's own periode
    notes: dict[str, str] = field(default_factory=dict)

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    @property
    def required_fields(self) -> frozenset[str]:
        return frozenset().union(*self.required)

    @property
    def key_field(self) -> str:
        """The column that makes a row a row: blank there means not data."""
        return "nomen" if any(c.field == "nomen" for c in self.columns) else self.columns[0].field

    def headers_of(self, fields: set[str] | frozenset[str]) -> list[str]:
        """The export's header names of some fields, in declaration order."""
        return [c.header for c in self.columns if c.field in fields]


NOMEN_ALIASES = ("NO_PELANGGAN", "NOPEL", "NO_PLGGN", "ID_PELANGGAN")


def _nomen(header: str = "NOMEN", *extra: str) -> Column:
    return Column("nomen", header, "nomen", tuple(a for a in (*extra, *NOMEN_ALIASES) if a != header))


MC = FileSpec(
    name="MC",
    label="Master Customer",
    columns=(
        _nomen(),
        Column("nama", "NAMA_PEL", "text", ("NAMA", "NAMA_PELANGGAN")),
        Column("alm1", "ALM1_PEL", "text", ("ALAMAT",)),
        Column("alm2", "ALM2_PEL", "text"),
        Column("alm3", "ALM3_PEL", "text"),
        Column("zona_novak", "ZONA_NOVAK", "zone", ("ZONA", "PCEZBK")),
        Column("rayon", "RAYON", "rayon", ("KODE_RAYON",)),
        Column("tarif", "TARIF", "code", ("KODETARIF", "GOL_TARIF")),
        Column("nomet", "NOMET", "text", ("NO_METER",)),
        Column("tgl_catat", "TGL_CATAT", "date", ("TGL_BACA",)),
        Column("stan_awal", "STAN_AWAL", "int", ("STAND_LALU",)),
        Column("stan_akir", "STAN_AKIR", "int", ("STAND_KINI",)),
        Column("kubik", "KUBIK", "int", ("KUBIKASI", "PAKAI", "VOLUME")),
        Column("nominal", "NOMINAL", "int", ("REK_AIR", "TAGIHAN", "TOTAL_TAGIHAN", "TARGET")),
        Column("notagihan", "NOTAGIHAN", "text", ("NOTAG",)),
        Column("cust_type", "CUST_TYPE", "code", ("STATUS", "STATUS_PELANGGAN")),
        Column("periode_col", "PERIODE", "month", ("BULAN", "BILL_PERIOD")),
    ),
    required=(frozenset({"nomen", "nominal", "zona_novak"}), frozenset({"nomen", "nominal", "rayon"})),
    mode="snapshot",
    filename_words=("MC",),
    periode_field="periode_col",
)

COLLECTION = FileSpec(
    name="COLLECTION",
    label="Collection (pembayaran)",
    columns=(
        _nomen(),
        Column("pay_date", "PAY_DT", "date", ("TGL_BAYAR", "TANGGAL_BAYAR")),
        Column("amount", "AMT_COLLECT", "int", ("JUMLAH_BAYAR", "JML_BAYAR", "NOMINAL", "JUMLAH", "AMOUNT")),
        Column("bill_period", "BILL_PERIOD", "month", ("PERIODE_REK", "BULAN_REK", "PERIODE_TAGIHAN")),
        Column("notag", "NOTAG", "text", ("NOTAGIHAN", "NO_TAGIHAN")),
        Column("bill_reason", "BILL_REASON", "code"),
        Column("vol_collect", "VOL_COLLECT", "int"),
        Column("freeze_dttm", "FREEZE_DTTM", "text"),
        Column("jenis_col", "JENIS", "code", ("TIPE_BAYAR",)),
        Column("no_transaksi", "NO_TRANSAKSI", "text", ("NO_REF", "ID_TRANSAKSI")),
        Column("loket", "LOKET", "text", ("CHANNEL", "BANK")),
    ),
    required=(frozenset({"nomen", "pay_date", "amount"}),),
    mode="merge",
    filename_words=("COLL", "COLLECTION"),
    date_field="pay_date",
)

SBRS = FileSpec(
    name="SBRS",
    label="SBRS (baca meter)",
    columns=(
        _nomen("cmr_account", "NOMEN"),
        Column("stand_lalu", "cmr_prev_read", "int", ("STAND_LALU", "STAND_AWAL", "STAN_AWAL")),
        Column("stand_kini", "cmr_reading", "int", ("STAND_KINI", "STAND_AKHIR", "STAN_AKIR")),
        Column("pakai", "SB_Stand", "int", ("PAKAI", "VOLUME", "PEMAKAIAN")),
        Column("read_method", "Read_Method", "code", ("READMETHOD", "METODE_BACA")),
        Column("skip_code", "cmr_skip_code", "code", ("SKIPSTS", "KODE_SKIP")),
        Column("trouble_code", "cmr_trbl1_code", "code", ("TROUBLESTS", "KODE_TROUBLE")),
        Column("special_msg", "cmr_chg_spcl_msg", "code", ("PESAN_KHUSUS",)),
        Column("read_date", "cmr_rd_date", "date", ("TGL_BACA",)),
        Column("route", "cmr_route", "text", ("RUTE",)),
        Column("nama", "cmr_name", "text", ("NAMA",)),
        Column("alamat", "cmr_address", "text", ("ALAMAT",)),
        Column("nomet", "cmr_mtr_num", "text", ("NOMET",)),
        Column("tarif", "Tariff", "code", ("TARIF",)),
        Column("bill_period", "Bill_Period", "month", ("PERIODE",)),
        Column("bill_amount", "Bill_Amount", "int", ("TAGIHAN",)),
    ),
    required=(frozenset({"nomen", "stand_lalu", "stand_kini"}),),
    mode="snapshot",
    filename_words=("SBRS",),
    periode_field="bill_period",
)

MAINBILL = FileSpec(
    name="MAINBILL",
    label="Mainbill (tagihan)",
    columns=(
        _nomen(),
        Column("total", "TOTAL_TAGIHAN", "int", ("NOMINAL", "TAGIHAN", "TOTAL")),
        Column("bill_period", "PERIODE", "month", ("BILL_PERIOD", "BULAN_REK")),
        Column("tgl_tagihan", "TGL_TAGIHAN", "date"),
        Column("pakai", "PAKAI", "int", ("VOLUME", "KUBIK")),
        Column("tarif", "TARIF", "code", ("KODETARIF",)),
        Column("pcezbk", "PCEZBK", "zone", ("ZONA_NOVAK",)),
        Column("jenis_rek", "JENIS_REK", "code", ("STATUS_REK",)),
    ),
    required=(frozenset({"nomen", "total"}),),
    mode="snapshot",
    filename_words=("MAINBILL",),
    periode_field="bill_period",
)

MB = FileSpec(
    name="MB",
    label="Master Bayar",
    columns=(
        _nomen(),
        Column("bill_period", "BULAN_REK", "month"),
        Column("pay_date", "TGL_BAYAR", "date"),
        Column("amount", "NOMINAL", "int"),
        Column("notag", "NOTAGIHAN", "text"),
    ),
    required=(frozenset({"nomen", "bill_period", "pay_date", "amount"}),),
    mode="merge",
    filename_words=("MB", "MASTERBAYAR"),
    date_field="pay_date",
)

ARDEBT = FileSpec(
    name="ARDEBT",
    label="Ardebt (tunggakan)",
    columns=(
        _nomen(),
        Column("bill_period", "PERIODE_BILL", "month"),
        Column("amount", "JUMLAH", "int"),
        Column("volume", "VOLUME", "int"),
        Column("bills", "JUMLAH_REK", "int", ("LEMBAR",)),
        Column("total", "SALDO_TUNGGAKAN", "int", ("TOTAL_TUNGGAKAN", "TUNGGAKAN")),
        Column("periode_col", "PERIODE", "month"),
    ),
    # One row per unpaid bill, or one row per customer (DATA.md).
    required=(frozenset({"nomen", "bill_period", "amount"}), frozenset({"nomen", "total"})),
    mode="snapshot",
    filename_words=("ARDEBT",),
    periode_field="periode_col",
)

RUTE = FileSpec(
    name="RUTE",
    label="Rute petugas",
    columns=(
        Column("pcez", "PCEZ", "text"),
        Column("petugas", "PETUGAS", "text"),
        Column("periode_col", "PERIODE", "month"),
    ),
    required=(frozenset({"pcez", "petugas"}),),
    mode="snapshot",
    filename_words=("RUTE",),
    periode_field="periode_col",
)

SPECS: dict[str, FileSpec] = {s.name: s for s in (MC, COLLECTION, SBRS, MAINBILL, MB, ARDEBT, RUTE)}

# Every header any type knows, for finding the header row below title rows.
KNOWN_HEADERS: frozenset[str] = frozenset(
    normalise_header(name) for spec in SPECS.values() for col in spec.columns for name in col.names
)


def header_score(cells: list[object]) -> int:
    """How many cells of a row are headers some file type knows."""
    return len({normalise_header(c) for c in cells if c not in (None, "")} & KNOWN_HEADERS)
