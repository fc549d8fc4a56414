"""The simulated branch: customers, meter readings with seeded anomalies, bills, payments."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import PAD2, days_in, join, month_start, num_str, pick, seed_count, weekday, ym, zpad
from .vocab import (
    ARREARS_PAY_P, COMPANY, COMPANY_PREFIX, FIRST, FIXED, FOREIGN_PAY_RATE, FULL, HOUSE_SUFFIX,
    KELURAHAN, LAST, LATE, LOKETS, LOKET_SHARE, MESSAGES, METER_BRAND, N_REBILL_MESSAGES,
    N_TAMPER_CODES, OUTCOME_P, PART_LATE, PART_ONLY, PAYER_SHARE, PRICE, RATES, RAYONS,
    SKIP_CODES, SPLIT2, STATUS, STATUS_SHARE, STREETS, STREET_PREFIX, STUCK_RATE,
    TARIFFS, TARIFF_SHARE, TITLE, VOL_MULT,
)


# --------------------------------------------------------------------------
# The world: customers
# --------------------------------------------------------------------------
@dataclass
class Customers:
    n: int
    nomen: np.ndarray        # int64, 8 digits starting with 6, sorted
    nomen_s: pa.Array
    rayon: pa.Array          # "34", ...
    pcez: np.ndarray         # index into the PCEZ codes of zones()
    block: np.ndarray
    zona: pa.Array           # 9 digits
    route: pa.Array          # rayon + PC + EZ (7 digits)
    tariff: np.ndarray       # index into TARIFFS
    status: np.ndarray       # index into STATUS
    payer: np.ndarray        # 0 good, 1 occasional, 2 chronic
    base_vol: np.ndarray     # usual m3 per month
    name: pa.Array
    alm1: pa.Array
    alm2: pa.Array
    nomet: pa.Array
    legacy: np.ndarray       # unpaid bills from before the generated window


def zones():
    codes, rayon_of, weights = [], [], []
    for rayon, share, n_pc, n_ez in RAYONS:
        for pc_i in range(1, n_pc + 1):
            for ez in range(1, n_ez + 1):
                codes.append(f"{rayon}{pc_i}{ez:02d}")  # PC = rayon + digit, EZ 2 digits
                rayon_of.append(rayon)
                weights.append(share / (n_pc * n_ez))
    return np.array(codes), np.array(rayon_of), np.array(weights)


def build_customers(rng: np.random.Generator, n: int, pcez_codes, pcez_rayon, pcez_w) -> Customers:
    gap_max = max(2, min(20, 9_999_999 // max(n, 1)))
    nomen = 60_000_000 + np.cumsum(rng.integers(1, gap_max, n))
    pcez = rng.choice(len(pcez_codes), n, p=pcez_w / pcez_w.sum())
    block = rng.integers(1, 21, n)
    rayon_np = pcez_rayon[pcez]
    rayon = pa.array(rayon_np.tolist())
    pcez_s = pick(pcez_codes, pcez)
    zona = join(rayon, pcez_s, PAD2.take(pa.array(block)))
    route = join(rayon, pcez_s)

    tariff = rng.choice(len(TARIFFS), n, p=TARIFF_SHARE)
    status = rng.choice(len(STATUS), n, p=STATUS_SHARE)
    payer = rng.choice(3, n, p=PAYER_SHARE)
    payer[status == 2] = 2  # disconnected (PUTUS) customers are the chronic debtors
    base_vol = rng.lognormal(np.log(18.0 * VOL_MULT[tariff]), 0.55)

    # unpaid bills carried from before the window: every aging bucket gets some
    bucket = rng.choice(5, n, p=[0.15, 0.15, 0.30, 0.22, 0.18])
    lo = np.array([1, 2, 3, 7, 13])[bucket]
    hi = np.array([1, 2, 6, 12, 24])[bucket]
    legacy = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    legacy[payer == 0] = np.where(rng.random((payer == 0).sum()) < 0.02, 1, 0)
    occ = payer == 1
    legacy[occ] = np.where(rng.random(occ.sum()) < 0.30, rng.integers(1, 3, occ.sum()), 0)
    putus = status == 2
    legacy[putus] = rng.integers(7, 25, putus.sum())
    chronic = np.flatnonzero(payer == 2)
    legacy[chronic[:5]] = [1, 2, 4, 9, 15][: min(5, chronic.size)]  # tiny worlds too

    # names: people for domestic tariffs, businesses for 3A / 4A
    def any_of(words):
        return pick(words, rng.integers(0, words.size, n))

    person = join(any_of(TITLE), any_of(FIRST), " ", any_of(LAST))
    company = join(any_of(COMPANY_PREFIX), " ", any_of(COMPANY))
    name = pc.if_else(pa.array(tariff >= 3), company, person)

    # addresses: street of the customer's rayon, house number, RT/RW, kelurahan
    streets = np.array([f"{r}|{s}" for r in KELURAHAN for s in STREETS[r]])
    street_rayon = np.array([s.split("|")[0] for s in streets])
    street_name = np.array([s.split("|")[1] for s in streets])
    kel = np.array([f"{r}|{k}" for r in KELURAHAN for k in KELURAHAN[r]])
    kel_rayon = np.array([k.split("|")[0] for k in kel])
    kel_name = np.array([k.split("|")[1] for k in kel])
    street_idx = np.empty(n, np.int64)
    kel_idx = np.empty(n, np.int64)
    for r in KELURAHAN:  # a handful of rayons, vectorised within each
        sel = rayon_np == r
        s_opts, k_opts = np.flatnonzero(street_rayon == r), np.flatnonzero(kel_rayon == r)
        street_idx[sel] = s_opts[rng.integers(0, s_opts.size, sel.sum())]
        kel_idx[sel] = k_opts[rng.integers(0, k_opts.size, sel.sum())]
    house = join(num_str(rng.integers(1, 151, n)), any_of(HOUSE_SUFFIX))
    alm1 = join(any_of(STREET_PREFIX), pick(street_name, street_idx), " NO. ", house)
    alm2 = join("RT ", zpad(rng.integers(1, 16, n), 3), "/RW ", zpad(rng.integers(1, 13, n), 3),
                " KEL. ", pick(kel_name, kel_idx))
    nomet = join(any_of(METER_BRAND), zpad(rng.integers(10, 25, n), 2),
                 zpad(rng.integers(0, 1_000_000, n), 6))
    return Customers(n=n, nomen=nomen, nomen_s=num_str(nomen), rayon=rayon, pcez=pcez, block=block,
                     zona=zona, route=route, tariff=tariff, status=status, payer=payer, base_vol=base_vol,
                     name=name, alm1=alm1, alm2=alm2, nomet=nomet, legacy=legacy)


# --------------------------------------------------------------------------
# The world: meter readings with seeded anomalies
# --------------------------------------------------------------------------
@dataclass
class Readings:
    read: np.ndarray      # (n, M) bool: customer is in SBRS(P)
    prev: np.ndarray      # (n, M) cmr_prev_read / STAN_AWAL
    reading: np.ndarray   # (n, M) cmr_reading / STAN_AKIR
    sb: np.ndarray        # (n, M) stated SB_Stand = MC KUBIK
    method: np.ndarray    # (n, M) index into READ_METHODS
    skip: np.ndarray      # (n, M) index into SKIP_CODES, -1 none
    trouble: np.ndarray   # (n, M) index into TROUBLE_CODES, -1 none
    message: np.ndarray   # (n, M) index into MESSAGES, -1 none
    neg_bill: np.ndarray  # (n, M) bool: SBRS Bill_Amount negative (rebill)
    mb_extra: np.ndarray  # (n, M) MAINBILL extra row: 0 none, 1 REBILL, 2 KOREKSI, 3 second NORMAL
    rd_date: np.ndarray   # (n, M) datetime64[D] reading date (in the month before P)
    nominal: np.ndarray   # (n, M) MC NOMINAL
    stuck_start: np.ndarray


def simulate_readings(rng: np.random.Generator, cu: Customers, mis: list[int],
                      route_day: np.ndarray) -> Readings:
    """Readings of every periode of mis (SBRS(P) = reads taken in the month before P),
    with the seeded anomaly cases of METRICS.md in each periode."""
    n, M = cu.n, len(mis)
    active = cu.status == 0
    inactive_idx = np.flatnonzero(~active)
    months = np.array([ym(mi)[1] for mi in mis])
    season = 1.0 + 0.05 * np.cos(2 * np.pi * (months - 9) / 12)  # drier Aug-Oct
    noise = rng.lognormal(0.0, 0.15, (n, M))
    vol0 = np.rint(cu.base_vol[:, None] * noise * season[None, :]).astype(np.int64)

    never = np.iinfo(np.int64).max
    stuck_start = np.full(n, never)
    n_stuck = min(seed_count(n, STUCK_RATE), int(active.sum()))
    stuck_idx = rng.choice(np.flatnonzero(active), n_stuck, replace=False)
    stuck_start[stuck_idx] = rng.integers(-3, M - 2, stuck_idx.size)  # zero from that periode on
    stuck_any = stuck_start != never
    big_user = cu.base_vol >= 70

    shape = (n, M)
    R = np.zeros(shape, np.int64)
    P = np.zeros(shape, np.int64)
    SB = np.zeros(shape, np.int64)
    read = np.zeros(shape, bool)
    method = np.zeros(shape, np.int8)
    skip = np.full(shape, -1, np.int8)
    trouble = np.full(shape, -1, np.int8)
    message = np.full(shape, -1, np.int8)
    neg_bill = np.zeros(shape, bool)
    mb_extra = np.zeros(shape, np.int8)
    touched = np.zeros(shape, bool)
    counts = {k: seed_count(n, r) for k, r in RATES.items()}
    counts["rebill"] = max(4, counts["rebill"])

    s0 = rng.integers(500, 20_000, n)  # stands before the first reading
    true_prev, rec_prev = s0.copy(), s0.copy()
    for m in range(M):
        vol = vol0[:, m].copy()
        vol[~active] = 0
        vol[stuck_start <= m] = 0
        in_sbrs = active.copy()
        pool = active & ~stuck_any
        if m:
            pool &= ~touched[:, m - 1]
        perm = rng.permutation(np.flatnonzero(pool))
        used = np.zeros(n, bool)

        def take(kind, mask=None):
            cand = perm[~used[perm]] if mask is None else perm[~used[perm] & mask[perm]]
            cand = cand[: counts[kind]]
            used[cand] = True
            return cand

        sb_prev = SB[:, m - 1] if m else None
        # extreme use by big users (a leak behind the meter): > 100 m3 but not a
        # jump from a small household's 20 m3, so the next month is no false drop
        ext = take("extreme", big_user)
        high = np.rint(cu.base_vol[ext] * rng.uniform(1.3, 1.8, ext.size)).astype(np.int64)
        vol[ext] = np.maximum(high, rng.integers(101, 141, ext.size))
        if m:
            drp = take("drop", sb_prev >= 2)
            vol[drp] = np.floor(sb_prev[drp] * rng.uniform(0.0, 0.45, drp.size)).astype(np.int64)
        zer = take("zero")
        vol[zer] = 0
        skip[zer[rng.random(zer.size) < 0.4], m] = 0  # RUMAH KOSONG, read ACTUAL as zero
        if m >= 3:  # at least 3 earlier readings of SBRS for the history median
            hist = SB[:, max(0, m - 6):m]
            hist_max = hist.max(axis=1)
            spk = take("spike", hist_max <= 80)
            hm = hist_max[spk]
            vol[spk] = np.maximum(np.ceil(2.5 * hm).astype(np.int64), hm + 15) + 1
        tam = take("tamper", (sb_prev >= 2) if m else None)
        trouble[tam, m] = rng.integers(0, N_TAMPER_CODES, tam.size)
        if m:
            half = tam[: tam.size // 2]
            vol[half] = np.floor(sb_prev[half] * rng.uniform(0.05, 0.4, half.size)).astype(np.int64)
            vol[tam[tam.size // 2:]] = 0
        else:
            vol[tam] = 0
        est = take("estimated")
        neg = take("negative")
        mrp = take("misrecord_prev") if m else np.zeros(0, np.int64)
        mrs = take("misrecord_stated")
        reb = take("rebill")
        btr = take("benign_trouble")
        trouble[btr, m] = N_TAMPER_CODES  # KACA METER BURAM with a normal volume
        bms = take("benign_message")
        message[bms, m] = rng.integers(N_REBILL_MESSAGES, MESSAGES.size, bms.size)
        iu = rng.choice(inactive_idx, min(counts["inactive_use"], inactive_idx.size), replace=False)
        vol[iu] = rng.integers(3, 36, iu.size)
        in_sbrs[iu] = True

        # stands: true consumption accumulates; the recorded ones may deviate
        true_now = true_prev + vol
        r_now = true_now.copy()
        p_now = rec_prev.copy()
        r_now[est] = p_now[est] + np.maximum(1, np.rint(cu.base_vol[est]).astype(np.int64))
        method[est, m] = np.where(rng.random(est.size) < 0.7, 1, 2)
        skipped = est[rng.random(est.size) < 0.8]
        skip[skipped, m] = rng.integers(0, SKIP_CODES.size, skipped.size)
        r_now[neg] = p_now[neg] - rng.integers(1, 61, neg.size)
        if mrp.size:  # STAND_LALU(P) != STAND_KINI(P-1)
            v = vol[mrp]
            up = (v >= 4) & (rng.random(mrp.size) < 0.5)
            delta = np.where(up, 1 + np.floor(rng.random(mrp.size) * (v // 2)).astype(np.int64),
                             -rng.integers(3, 21, mrp.size))
            p_now[mrp] = rec_prev[mrp] + delta
        sb = np.maximum(r_now - p_now, 0)  # a negative difference is billed as 0
        if mrs.size:  # stated PAKAI != KINI - LALU
            k = rng.integers(3, 31, mrs.size) * np.where(rng.random(mrs.size) < 0.5, -1, 1)
            alt = sb[mrs] + k
            sb[mrs] = np.where(alt < 0, sb[mrs] + np.abs(k), alt)
        sb[~in_sbrs] = 0

        g = np.arange(reb.size) % 4  # four kinds of rebill evidence
        neg_bill[reb[g == 0], m] = True
        message[reb[g == 1], m] = rng.integers(0, N_REBILL_MESSAGES, int((g == 1).sum()))
        mb_extra[reb[g == 2], m] = np.where(np.arange(int((g == 2).sum())) % 2 == 0, 1, 2)
        mb_extra[reb[g == 3], m] = 3

        R[:, m], P[:, m], SB[:, m], read[:, m] = r_now, p_now, sb, in_sbrs
        touched[:, m] = used
        touched[iu, m] = True
        true_prev, rec_prev = true_now, r_now

    # reading dates: each route is read on its own day of the month before P
    rd_date = np.empty(shape, "datetime64[D]")
    for m, mi in enumerate(mis):
        day = np.minimum(route_day[cu.pcez] + rng.integers(0, 2, n), days_in(mi - 1))
        d = month_start(mi - 1) + (day - 1)
        d = d + (weekday(d) == 6)  # no reading on Sundays
        rd_date[:, m] = d
    nominal = np.where(active[:, None], PRICE[cu.tariff][:, None] * SB + FIXED[cu.tariff][:, None], 0)
    return Readings(read=read, prev=P, reading=R, sb=SB, method=method, skip=skip, trouble=trouble,
                    message=message, neg_bill=neg_bill, mb_extra=mb_extra, rd_date=rd_date,
                    nominal=nominal, stuck_start=stuck_start)


# --------------------------------------------------------------------------
# The world: bills, payments, arrears
# --------------------------------------------------------------------------
@dataclass
class Ledger:
    bill_cust: np.ndarray    # customer index
    bill_mi: np.ndarray      # periode of the bill
    bill_amount: np.ndarray
    bill_vol: np.ndarray
    pay_bill: np.ndarray     # bill index, -1 for a payment by a foreign NOMEN
    pay_nomen: np.ndarray    # int64
    pay_mi: np.ndarray       # bill periode of the payment
    pay_date: np.ndarray     # datetime64[D]
    pay_amount: np.ndarray   # positive
    pay_vol: np.ndarray
    pay_loket: np.ndarray
    pay_freeze_s: np.ndarray  # seconds after midnight of the next day
    pay_reason: np.ndarray   # 0 NORMAL, 1 REBILL


def _day_weights(mi: int) -> np.ndarray:
    nd = days_in(mi)
    days = np.arange(1, nd + 1)
    w = np.where(days <= 5, 1.2, 1.0)
    w = np.where((days >= 17) & (days <= 20), 1.8, w)  # rush before the due date (20th)
    w = np.where(days > 20, 0.45, w)
    wd = weekday(month_start(mi) + (days - 1))
    w = w * np.where(wd == 6, 0.3, np.where(wd == 5, 0.8, 1.0))
    return w / w.sum()


def _pay_days(rng, mi: int, size: int) -> np.ndarray:
    return rng.choice(days_in(mi), size, p=_day_weights(mi)) + 1


def simulate_ledger(rng: np.random.Generator, cu: Customers, rd: Readings, mis: list[int]) -> Ledger:
    M = len(mis)
    first_mi = mis[0]
    # bills carried from before the window
    leg_cust = np.repeat(np.arange(cu.n), cu.legacy)
    starts = np.cumsum(cu.legacy) - cu.legacy
    leg_age = np.arange(leg_cust.size) - np.repeat(starts, cu.legacy) + 1
    leg_vol = np.rint(cu.base_vol[leg_cust] * rng.lognormal(0, 0.2, leg_cust.size)).astype(np.int64)
    leg_amount = PRICE[cu.tariff[leg_cust]] * leg_vol + FIXED[cu.tariff[leg_cust]]
    # bills of the window: MC(P) rows with NOMINAL > 0
    win_cust, win_m = np.nonzero(rd.nominal > 0)
    order = np.lexsort((win_cust, win_m))
    win_cust, win_m = win_cust[order], win_m[order]
    bill_cust = np.concatenate([leg_cust, win_cust])
    bill_mi = np.concatenate([first_mi - leg_age, np.asarray(mis)[win_m]])
    bill_amount = np.concatenate([leg_amount, rd.nominal[win_cust, win_m]])
    bill_vol = np.concatenate([leg_vol, rd.sb[win_cust, win_m]])
    bill_m = np.concatenate([np.full(leg_cust.size, -1), win_m])  # window month index, -1 legacy
    rebilled = rd.neg_bill | (rd.mb_extra > 0) | ((rd.message >= 0) & (rd.message < N_REBILL_MESSAGES))
    bill_reason = np.concatenate([np.zeros(leg_cust.size, np.int8),
                                  rebilled[win_cust, win_m].astype(np.int8)])
    unsched = bill_amount.copy()  # not yet covered by a scheduled payment

    pays = []  # (bill index, window month of payment, day, amount, carries volume)

    def add(bills, m, days, amounts, first=True):
        pays.append((bills, np.full(bills.size, m), days, amounts, np.full(bills.size, first)))

    n_leg = leg_cust.size
    win_idx = np.arange(n_leg, bill_cust.size)
    cum = np.cumsum(OUTCOME_P, axis=1)
    u = rng.random(win_idx.size)
    outcome = (u[:, None] > cum[cu.payer[bill_cust[win_idx]]]).sum(axis=1)
    for m, mi in enumerate(mis):
        sel = win_idx[bill_m[win_idx] == m]
        oc = outcome[bill_m[win_idx] == m]
        amount = bill_amount[sel]
        nd = days_in(mi)
        d1 = _pay_days(rng, mi, sel.size)
        part = np.clip((amount * rng.uniform(0.3, 0.7, sel.size)) // 100 * 100, 100, amount - 100)
        late_ok = m + 1 < M
        full = oc == FULL
        add(sel[full], m, d1[full], amount[full])
        s2 = oc == SPLIT2
        first_day = np.minimum(d1[s2], nd - 1)
        add(sel[s2], m, first_day, part[s2])
        second_day = np.minimum(first_day + rng.integers(1, 9, int(s2.sum())), nd)
        add(sel[s2], m, second_day, amount[s2] - part[s2], False)
        pl = oc == PART_LATE
        add(sel[pl], m, d1[pl], part[pl])
        po = oc == PART_ONLY
        add(sel[po], m, d1[po], part[po])
        unsched[sel[full | s2]] = 0
        unsched[sel[pl | po]] = amount[pl | po] - part[pl | po]
        lt = oc == LATE
        if late_ok:
            add(sel[pl], m + 1, _pay_days(rng, mis[m + 1], int(pl.sum())), amount[pl] - part[pl], False)
            add(sel[lt], m + 1, _pay_days(rng, mis[m + 1], int(lt.sum())), amount[lt])
            unsched[sel[pl | lt]] = 0

        # arrears collected in month m: some debtors pay their oldest bills
        cand = np.flatnonzero((bill_mi < mi) & (unsched > 0))
        if cand.size:
            custs = np.unique(bill_cust[cand])
            payers = custs[rng.random(custs.size) < ARREARS_PAY_P[cu.payer[custs]]]
            k_of = np.zeros(cu.n, np.int64)
            k_of[payers] = rng.integers(1, 4, payers.size)
            cand = cand[k_of[bill_cust[cand]] > 0]
            cand = cand[np.lexsort((bill_mi[cand], bill_cust[cand]))]
            c = bill_cust[cand]
            first = np.r_[True, c[1:] != c[:-1]]
            grp_start = np.maximum.accumulate(np.where(first, np.arange(c.size), 0))
            rank = np.arange(c.size) - grp_start
            paid = cand[rank < k_of[c]]
            add(paid, m, _pay_days(rng, mi, paid.size), unsched[paid])
            unsched[paid] = 0

    pay_bill = np.concatenate([p[0] for p in pays])
    pay_m = np.concatenate([p[1] for p in pays])
    pay_day = np.concatenate([p[2] for p in pays])
    pay_amount = np.concatenate([p[3] for p in pays]).astype(np.int64)
    carries = np.concatenate([p[4] for p in pays])
    pay_nomen = cu.nomen[bill_cust[pay_bill]]
    pay_mi = bill_mi[pay_bill]
    pay_vol = np.where(carries, bill_vol[pay_bill], 0)
    pay_reason = bill_reason[pay_bill]

    # payments by NOMENs that are not in MC(P) (other branches, closed accounts)
    n_foreign = seed_count(cu.n, FOREIGN_PAY_RATE, 3)
    pool = np.unique(rng.integers(60_000_000, 70_000_000, n_foreign * M * 3))
    pool = pool[~np.isin(pool, cu.nomen)]
    f_nomen = rng.permutation(pool)[: n_foreign * M]
    f_m = np.repeat(np.arange(M), n_foreign)[: f_nomen.size]
    f_day = np.concatenate([_pay_days(rng, mi, int((f_m == m).sum())) for m, mi in enumerate(mis)])
    f_vol = rng.integers(5, 40, f_nomen.size)
    f_amount = PRICE[0] * f_vol + FIXED[0]

    pay_bill = np.concatenate([pay_bill, np.full(f_nomen.size, -1)])
    pay_nomen = np.concatenate([pay_nomen, f_nomen])
    pay_mi = np.concatenate([pay_mi, np.asarray(mis)[f_m]])
    pay_m = np.concatenate([pay_m, f_m])
    pay_day = np.concatenate([pay_day, f_day])
    pay_amount = np.concatenate([pay_amount, f_amount])
    pay_vol = np.concatenate([pay_vol, f_vol])
    pay_reason = np.concatenate([pay_reason, np.zeros(f_nomen.size, np.int8)])
    starts = np.array([month_start(mi) for mi in mis])
    pay_date = starts[pay_m] + (pay_day - 1).astype("timedelta64[D]")
    size = pay_bill.size
    return Ledger(bill_cust=bill_cust, bill_mi=bill_mi, bill_amount=bill_amount, bill_vol=bill_vol,
                  pay_bill=pay_bill, pay_nomen=pay_nomen, pay_mi=pay_mi, pay_date=pay_date,
                  pay_amount=pay_amount, pay_vol=pay_vol,
                  pay_loket=rng.choice(LOKETS.size, size, p=LOKET_SHARE),
                  pay_freeze_s=rng.integers(3600, 5 * 3600, size), pay_reason=pay_reason)


def cut_ledger(lg: Ledger, before: np.datetime64) -> Ledger:
    """The ledger as it stands on a day: the payments dated before ``before`` only."""
    keep = lg.pay_date < before
    return dataclasses.replace(lg, **{name: getattr(lg, name)[keep] for name in
                                      ("pay_bill", "pay_nomen", "pay_mi", "pay_date", "pay_amount", "pay_vol",
                                       "pay_loket", "pay_freeze_s", "pay_reason")})
