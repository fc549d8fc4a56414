"""The search box and the customer profile. Raw tables without a nomen-first index (mainbill,
payment, arrears_customer) are read with ``periode IN (<stored periodes>) AND nomen = :n``,
one index seek per periode; the others have a (nomen, ...) index."""
from __future__ import annotations

from sqlalchemy import Engine, select

from ..domain.listing import rayon_filter
from ..models import (
    Analysis,
    ArrearsCustomer,
    Customer,
    CustomerSearch,
    Mainbill,
    MbPayment,
    Mc,
    MeterFlag,
    Payment,
    Sbrs,
)
from .cache import cached
from .followups import customer_followups
from .stored import periodes

# The search box and the customer profile. Raw tables without a nomen-first index (mainbill,
# payment, arrears_customer) are read with ``periode IN (<stored periodes>) AND nomen = :n``,
# one index seek per periode; the others have a (nomen, ...) index.

def _like_anywhere(word: str) -> str:
    """A LIKE pattern matching ``word`` anywhere, its own %, _ and \\ taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _is_nomen(text: str) -> bool:
    return text.isascii() and text.isdigit()


@cached
def customer_search(engine: Engine, q: str, rayon: str | None = None, limit: int = 20,
                    pcezs: tuple[str, ...] | None = None) -> list[dict]:
    """Customers of the directory whose NOMEN starts with ``q`` when it is all digits, else
    whose name and address hold every word of ``q``; in NOMEN order; of ``pcezs`` when given
    (a petugas's, services/scope.py)."""
    words = (q or "").lower().split()
    if not words:
        return []
    stmt = select(Customer.nomen, Customer.nama, Customer.alamat, Customer.rayon, Customer.tarif)
    by_words = not (len(words) == 1 and _is_nomen(words[0]))
    if not by_words:
        prefix = words[0]
        # A range, not LIKE, so the primary key is searched: '6001' <= nomen < '6002'.
        stmt = stmt.where(Customer.nomen >= prefix, Customer.nomen < prefix[:-1] + chr(ord(prefix[-1]) + 1))
    else:
        stmt = stmt.join(CustomerSearch, CustomerSearch.nomen == Customer.nomen).where(
            *[CustomerSearch.search_text.like(_like_anywhere(word), escape="\\") for word in words])
    rayon = rayon_filter(rayon)
    if rayon is not None:
        stmt = stmt.where(Customer.rayon == rayon)
    if pcezs is not None:
        stmt = stmt.where(Customer.pcez.in_(pcezs))
    with engine.connect() as conn:
        # An empty directory finds nobody, and its search table is not read: a branch's first MC
        # or SBRS holds customer_search while it fills it (its trigram index built once,
        # ingest/directory.py), and a search must not wait for that upload.
        if by_words and conn.execute(select(Customer.nomen).limit(1)).first() is None:
            return []
        rows = conn.execute(stmt.order_by(Customer.nomen).limit(limit)).all()
    return [{"nomen": r.nomen, "nama": r.nama, "alamat": r.alamat, "rayon": r.rayon or None, "tarif": r.tarif}
            for r in rows]


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value) -> str | None:
    """A stored UTC time as ISO 8601 with Z, as the API sends times."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


IDENTITY = ("nama", "alamat", "rayon", "tarif", "zona_novak", "pcez", "nomet", "status", "periode", "source")
HISTORY_PARTS = ("readings", "mc", "bills", "payments", "mb_payments", "arrears", "flags")


def _per_periode(conn, stmt, periode_column, stored: list[dict], file_type: str) -> list:
    """``stmt`` restricted to the ``stored`` periodes of ``file_type`` (none stored: no rows)."""
    wanted = [p["periode"] for p in stored if file_type in p["types"]]
    return conn.execute(stmt.where(periode_column.in_(wanted))).all() if wanted else []


@cached
def _customer_data(engine: Engine, nomen: str) -> dict | None:
    """Everything stored about a customer except its analyses; None when nothing is."""
    stored = periodes(engine)
    with engine.connect() as conn:
        who = conn.execute(select(Customer).where(Customer.nomen == nomen)).mappings().first()
        readings = conn.execute(
            select(Sbrs.periode, Sbrs.read_date, Sbrs.stand_lalu, Sbrs.stand_kini, Sbrs.pakai, Sbrs.volume,
                   Sbrs.read_method, Sbrs.skip_code, Sbrs.trouble_code, Sbrs.special_msg, Sbrs.bill_period,
                   Sbrs.bill_amount)
            .where(Sbrs.nomen == nomen).order_by(Sbrs.periode, Sbrs.id)).all()
        masters = conn.execute(
            select(Mc.periode, Mc.tgl_catat, Mc.stan_awal, Mc.stan_akir, Mc.kubik, Mc.nominal, Mc.notagihan,
                   Mc.tarif, Mc.cust_type)
            .where(Mc.nomen == nomen).order_by(Mc.periode, Mc.id)).all()
        bills = _per_periode(conn, select(
            Mainbill.periode, Mainbill.bill_period, Mainbill.tgl_tagihan, Mainbill.jenis_rek, Mainbill.pakai,
            Mainbill.tarif, Mainbill.total).where(Mainbill.nomen == nomen).order_by(Mainbill.periode, Mainbill.id),
            Mainbill.periode, stored, "MAINBILL")
        payments = _per_periode(conn, select(
            Payment.periode, Payment.pay_date, Payment.amount, Payment.bill_period, Payment.jenis, Payment.loket,
            Payment.notag, Payment.no_transaksi).where(Payment.nomen == nomen)
            .order_by(Payment.pay_date, Payment.bill_period, Payment.pay_key), Payment.periode, stored, "COLLECTION")
        history_payments = conn.execute(
            select(MbPayment.bill_period, MbPayment.pay_date, MbPayment.amount, MbPayment.notag)
            .where(MbPayment.nomen == nomen).order_by(MbPayment.bill_period, MbPayment.pay_date)).all()
        arrears = _per_periode(conn, select(
            ArrearsCustomer.periode, ArrearsCustomer.rayon, ArrearsCustomer.bills, ArrearsCustomer.total,
            ArrearsCustomer.oldest_bill).where(ArrearsCustomer.nomen == nomen).order_by(ArrearsCustomer.periode),
            ArrearsCustomer.periode, stored, "ARDEBT")
        flags = conn.execute(
            select(MeterFlag.periode, MeterFlag.flag, MeterFlag.stand_lalu, MeterFlag.stand_kini, MeterFlag.volume,
                   MeterFlag.prev_volume, MeterFlag.median_volume, MeterFlag.delta_m3, MeterFlag.price_m3,
                   MeterFlag.at_stake, MeterFlag.read_method, MeterFlag.trouble_code)
            .where(MeterFlag.nomen == nomen).order_by(MeterFlag.periode, MeterFlag.flag)).all()
    if who is None and not any((readings, masters, bills, payments, history_payments, arrears, flags)):
        return None
    identity = {key: (who[key] if who else None) for key in IDENTITY}
    if not identity["rayon"]:
        # In no MC or SBRS: the rayon the arrears summary found for it, if any.
        identity["rayon"] = next((a.rayon for a in reversed(arrears) if a.rayon), None)
    return _profile(nomen, identity, stored, {
        "readings": [{**r._mapping, "read_date": _day(r.read_date)} for r in readings],
        "mc": [{**r._mapping, "tgl_catat": _day(r.tgl_catat)} for r in masters],
        "bills": [{**r._mapping, "tgl_tagihan": _day(r.tgl_tagihan)} for r in bills],
        "payments": [{**r._mapping, "pay_date": _day(r.pay_date)} for r in payments],
        "mb_payments": [{**r._mapping, "pay_date": _day(r.pay_date)} for r in history_payments],
        "arrears": [{"periode": a.periode, "bills": int(a.bills), "total": int(a.total),
                     "oldest_bill": a.oldest_bill} for a in arrears],
        "flags": [dict(r._mapping) for r in flags],
    })


def _profile(nomen: str, identity: dict, stored: list[dict], found: dict) -> dict:
    types = {p["periode"]: p["types"] for p in reversed(stored)}
    return {"nomen": nomen, "identity": identity, "stored": types, "history": _history_rows(list(types), found),
            **found}


_NO_HISTORY = {"stand_lalu": None, "stand_kini": None, "volume": None, "read_method": None, "mc_nominal": None,
               "mc_kubik": None, "bills": 0, "bill_total": None, "payments": 0, "paid_current": 0, "paid_undue": 0,
               "arrears_bills": None, "arrears_total": None}


def _history_rows(stored: list[str], found: dict) -> list[dict]:
    """One row per stored periode, oldest first: the reading (the periode's last, as the
    anomaly checks take it), the MC target, the bill, COLLECTION payments by type (MB's
    history would count them twice), arrears and flags. The bill is the periode's last
    MAINBILL row: a correction is a further row that replaces the bill (DATA.md)."""
    rows: dict[str, dict] = {}

    def row(periode: str) -> dict:
        if periode not in rows:
            rows[periode] = {"periode": periode, **_NO_HISTORY, "flags": []}
        return rows[periode]
    for periode in stored:
        row(periode)
    for r in found["readings"]:
        row(r["periode"]).update(stand_lalu=r["stand_lalu"], stand_kini=r["stand_kini"], volume=r["volume"],
                                 read_method=r["read_method"])
    for m in found["mc"]:
        target = row(m["periode"])
        target["mc_nominal"] = (target["mc_nominal"] or 0) + m["nominal"]
        if m["kubik"] is not None:
            target["mc_kubik"] = (target["mc_kubik"] or 0) + m["kubik"]
    for b in found["bills"]:
        target = row(b["periode"])
        target["bills"] += 1
        target["bill_total"] = b["total"]
    for p in found["payments"]:
        target = row(p["periode"])  # the month paid in
        target["payments"] += 1
        target["paid_current" if p["jenis"] == "CURRENT" else "paid_undue"] += p["amount"]
    for a in found["arrears"]:
        row(a["periode"]).update(arrears_bills=a["bills"], arrears_total=a["total"])
    for f in found["flags"]:
        row(f["periode"])["flags"].append(f["flag"])
    return [rows[p] for p in sorted(rows)]


def _customer_analyses(engine: Engine, nomen: str) -> list[dict]:
    """The customer's analysis cases, newest first. Never cached: cases change without uploads."""
    stmt = (select(Analysis.id, Analysis.periode, Analysis.anomaly_type, Analysis.status, Analysis.priority,
                   Analysis.assigned_to, Analysis.description, Analysis.created_by, Analysis.created_at,
                   Analysis.updated_at)
            .where(Analysis.nomen == nomen).order_by(Analysis.created_at.desc(), Analysis.id.desc()))
    with engine.connect() as conn:
        return [{**r._mapping, "created_at": _moment(r.created_at), "updated_at": _moment(r.updated_at)}
                for r in conn.execute(stmt)]


def customer_profile(engine: Engine, nomen: str) -> dict | None:
    """A customer's identity (the directory: its most recent MC, else SBRS) and its history
    over every stored periode: readings, MC targets and MAINBILL bills, COLLECTION and MB
    payments, arrears, meter flags; and its analyses and field follow-ups, read fresh. None when the nomen is
    unknown everywhere."""
    data = _customer_data(engine, nomen)
    cases = _customer_analyses(engine, nomen)
    if data is None and not cases:
        return None
    if data is None:  # a case opened on a customer none of whose rows are stored
        data = _profile(nomen, dict.fromkeys(IDENTITY), periodes(engine), {part: [] for part in HISTORY_PARTS})
    return {**data, "analyses": cases, "followups": customer_followups(engine, nomen)}
