"""Vocabulary and rates of the synthetic Sunter world (Indonesian-looking data)."""
from __future__ import annotations

import numpy as np

TARIFFS = np.array(["2A2", "2A3", "2B", "3A", "4A"])
TARIFF_SHARE = [0.50, 0.30, 0.08, 0.10, 0.02]
PRICE = np.array([3550, 4700, 5500, 9800, 12550])  # Rupiah per m3
FIXED = np.array([7500, 10000, 10000, 22500, 45000])  # fixed charge per bill
VOL_MULT = np.array([1.0, 1.1, 1.2, 2.0, 3.3])  # usual volume relative to 18 m3

STATUS = np.array(["AKTIF", "NONAKTIF", "PUTUS", "TUTUP"])
STATUS_SHARE = [0.955, 0.02, 0.015, 0.01]

# rayon, share of customers, number of PCs, number of EZs per PC.
# PC codes start with the rayon's digits (rayon 34: PC 341..346), so a PCEZ is
# unique across rayons and its first two digits are the rayon (DATA.md).
RAYONS = [("34", 0.48, 6, 4), ("35", 0.48, 6, 4), ("33", 0.02, 2, 3), ("36", 0.02, 2, 3)]
KELURAHAN = {
    "34": ["SUNTER AGUNG", "SUNTER JAYA"],
    "35": ["PAPANGGO", "WARAKAS", "SUNGAI BAMBU", "KEBON BAWANG"],
    "33": ["KELAPA GADING BARAT"],
    "36": ["TANJUNG PRIOK"],
}
STREETS = {
    "34": ["SUNTER AGUNG RAYA", "SUNTER AGUNG UTARA", "DANAU SUNTER UTARA", "DANAU SUNTER SELATAN",
           "SUNTER JAYA", "SUNTER KEMAYORAN", "SUNTER PERMAI", "AGUNG PERKASA", "AGUNG TENGAH",
           "SUNTER MUARA", "DANAU INDAH", "SUNTER KARYA"],
    "35": ["PAPANGGO RAYA", "WARAKAS RAYA", "WARAKAS", "SUNGAI BAMBU", "KEBON BAWANG", "BISMA RAYA",
           "YOS SUDARSO", "ENGGANO", "TAWES", "DANAU AGUNG", "PLUMPANG SEMPER", "JATI"],
    "33": ["BOULEVARD RAYA", "KELAPA HYBRIDA", "GADING INDAH"],
    "36": ["SULAWESI", "DEPAG", "KRAMAT JAYA"],
}
STREET_PREFIX = np.array(["JL. ", "JL. ", "JL. ", "GG. ", "KOMP. "])
HOUSE_SUFFIX = np.array(["", "", "", "", "A", "B"])
FIRST = np.array([
    "BUDI", "SITI", "AHMAD", "DEWI", "AGUS", "RINA", "HENDRA", "SRI", "JOKO", "YANTI", "BAMBANG",
    "NURUL", "RUDI", "LISA", "DEDI", "WATI", "EKO", "MAYA", "SUPRIYADI", "LINDA", "ANDI", "FITRI",
    "HADI", "RATNA", "IWAN", "YULI", "TONO", "ENDANG", "SLAMET", "KARTIKA", "WAHYU", "INDAH", "ARIF",
    "NOVI", "FAJAR", "PUTRI", "HERMAN", "DIAN", "SUTRISNO", "MULYADI", "LIM", "TAN", "SUHARTO",
    "ROSMAWATI", "MUHAMMAD", "ABDUL", "SUKARNI", "YOHANES", "MARIA", "SUWARNO"])
LAST = np.array([
    "SANTOSO", "WIJAYA", "SETIAWAN", "HIDAYAT", "SAPUTRA", "KURNIAWAN", "PRATAMA", "LESTARI",
    "SUSANTO", "GUNAWAN", "HALIM", "NASUTION", "SIREGAR", "SIMANJUNTAK", "HUTAPEA", "PANJAITAN",
    "WIBOWO", "RAHMAN", "HASIBUAN", "SYAHPUTRA", "KUSUMA", "HARAHAP", "TANJUNG", "SURYADI",
    "PURNOMO", "NUGROHO", "HANDOKO", "SALIM", "AFFANDI", "MARPAUNG", "SIHOMBING", "RAHAYU"])
TITLE = np.array(["", "", "", "", "", "", "H. ", "HJ. ", "IR. ", "DRS. "])
COMPANY_PREFIX = np.array(["PT", "PT", "CV", "TOKO", "RM", "KLINIK", "BENGKEL", "YAYASAN", "LAUNDRY"])
COMPANY = np.array([
    "MAJU JAYA", "SINAR ABADI", "SUMBER REJEKI", "BERKAH MANDIRI", "CAHAYA TIMUR", "SENTOSA",
    "MAKMUR SEJAHTERA", "TIRTA SUNTER", "BINTANG SAMUDRA", "KARYA UTAMA", "SEDERHANA", "BAROKAH"])
METER_BRAND = np.array(["LX", "AM", "BR", "SN", "IT"])

READ_METHODS = np.array(["ACTUAL", "ESTIMATE", "TAKSASI"])
SKIP_CODES = np.array(["RUMAH KOSONG", "PAGAR TERKUNCI", "METER TERTIMBUN", "ANJING GALAK",
                       "METER TIDAK DITEMUKAN"])
TROUBLE_CODES = np.array(["BYPASS", "METER TERBALIK", "SEGEL PUTUS", "METER DIRUSAK",
                          "SAMBUNGAN LIAR", "KACA METER BURAM"])  # last one is benign
N_TAMPER_CODES = 5
MESSAGES = np.array(["REBILL KOREKSI STAND", "REBILL - SALAH CATAT BULAN LALU",
                     "PERMINTAAN REBILL PELANGGAN", "RUMAH DIJUAL", "PELANGGAN MINTA CEK METER"])
N_REBILL_MESSAGES = 3
LOKETS = np.array(["BANK DKI", "LOKET SUNTER", "POS INDONESIA", "TOKOPEDIA", "BANK BNI",
                   "BANK MANDIRI", "INDOMARET", "ALFAMART", "GOPAY"])
LOKET_SHARE = [0.25, 0.12, 0.08, 0.12, 0.10, 0.10, 0.08, 0.07, 0.08]
MONTH_ID = ["JANUARI", "FEBRUARI", "MARET", "APRIL", "MEI", "JUNI", "JULI", "AGUSTUS",
            "SEPTEMBER", "OKTOBER", "NOVEMBER", "DESEMBER"]

# Payment behaviour: payer types good / occasional / chronic debtor, and the
# outcome of one bill (columns = outcomes below) per type.
PAYER_SHARE = [0.80, 0.12, 0.08]
FULL, SPLIT2, PART_LATE, PART_ONLY, LATE, UNPAID = range(6)
OUTCOME_P = np.array([
    [0.925, 0.015, 0.010, 0.005, 0.030, 0.015],
    [0.640, 0.040, 0.040, 0.030, 0.130, 0.120],
    [0.200, 0.020, 0.030, 0.050, 0.100, 0.600],
])
ARREARS_PAY_P = np.array([0.60, 0.35, 0.10])  # chance per month to pay old bills

# Seeded anomaly cases per periode, as a share of customers (at least 2 each).
RATES = {
    "extreme": 0.008, "drop": 0.010, "zero": 0.010, "spike": 0.008, "tamper": 0.006,
    "estimated": 0.012, "negative": 0.006, "misrecord_prev": 0.006, "misrecord_stated": 0.006,
    "rebill": 0.010, "inactive_use": 0.006, "benign_trouble": 0.004, "benign_message": 0.004,
}
STUCK_RATE = 0.006
FOREIGN_PAY_RATE = 0.002  # payments by NOMENs not in MC(P), per periode
ROWS_PER_CHUNK = 50_000
XLS_MAX_ROWS = 65_536
XLSX_MAX_ROWS = 1_048_576
MB_MAX_BYTES = 95_000_000  # DATA.md refuses files over 100 MB
