"""Statuses, rules and buckets, each with the one Indonesian label the pages and files show."""
from __future__ import annotations

# Aging buckets by bills outstanding (METRICS.md), in display order.
BUCKETS = ("1", "2", "3-6", "7-12", ">12")
BUCKET_LABELS = {"1": "1 rek", "2": "2 rek", "3-6": "3–6 rek", "7-12": "7–12 rek", ">12": "> 12 rek"}

AUDIT_ACTIONS = {"login": "Masuk", "login_failed": "Gagal masuk", "logout": "Keluar", "upload": "Unggah",
                 "upload_deleted": "Unggahan dihapus", "user_created": "Pengguna dibuat",
                 "user_role_changed": "Peran diubah", "user_password_reset": "Kata sandi diganti",
                 "user_deactivated": "Pengguna dinonaktifkan", "user_reactivated": "Pengguna diaktifkan kembali",
                 "analysis_created": "Analisa dibuat", "analysis_updated": "Analisa diubah",
                 "setting_changed": "Setelan diubah", "profile_saved": "Profil kolom disimpan",
                 "profile_deleted": "Profil kolom dihapus", "sessions_ended": "Sesi diakhiri"}


def rayon_label(rayon: str | None) -> str:
    return f"Rayon {rayon}" if rayon else "Tanpa rayon"


NO_PCEZ, NO_OFFICER = "Tanpa PCEZ", "Tanpa petugas"


def pcez_label(code: str | None) -> str:
    """A PCEZ as the branch writes it: 5 digits shown '151/10'; none: "Tanpa PCEZ"."""
    if not code:
        return NO_PCEZ
    return f"{code[:3]}/{code[3:]}" if len(code) == 5 and code.isdigit() else code


def officer_label(name: str | None) -> str:
    return name or NO_OFFICER
