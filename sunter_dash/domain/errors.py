"""The one error hierarchy. Every error carries the message a person reads (Indonesian,
saying what to fix), an English detail for API clients and logs, and an HTTP status; the
API turns any of them into ``{"error": message, "detail": detail}`` with one handler, and
the pages show ``message``. Callers catch by class, never by comparing text."""
from __future__ import annotations

CHANNELS = ("page", "cli", "api")  # where a person reads a message: the pages, the command line, the API


class SunterError(Exception):
    status = 400

    def __init__(self, message: str, detail: str | None = None, *, field: str | None = None,
                 remedies: dict[str, str] | None = None, **extra):
        self.message = message  # says what is wrong and what to fix, in words true on every channel
        self.detail = detail or message
        self.field = field  # the parameter or form field at fault, when there is one
        self.remedies = remedies or {}  # how to fix it, per channel (CHANNELS): the page's cell, the CLI's flag
        self.extra = extra  # further facts for the API body (e.g. current_version)
        super().__init__(message)

    def told(self, channel: str) -> str:
        """The message as ``channel`` shows it: with that channel's own remedy, if any."""
        return told(self.message, self.remedies, channel)

    def __str__(self) -> str:
        return self.message if self.detail == self.message else f"{self.message} [{self.detail}]"

    def as_json(self) -> dict:
        return {"error": self.told("api"), "detail": self.detail, "field": self.field, **self.extra}


def told(message: str, remedies: dict[str, str] | None, channel: str) -> str:
    remedy = (remedies or {}).get(channel)
    return f"{message} {remedy}" if remedy else message


class BadParameter(SunterError):
    """A request parameter or a form value that cannot be used; ``field`` says which."""


class Unauthorized(SunterError):
    status = 401


class Forbidden(SunterError):
    status = 403


class NotFound(SunterError):
    status = 404


class TooManyAttempts(SunterError):
    """Sign-in attempts beyond the throttle (docs/SECURITY.md); ``retry_after`` in seconds."""

    status = 429

    def __init__(self, wait: int):
        super().__init__(f"Terlalu banyak percobaan masuk gagal. Coba lagi dalam {wait} detik.",
                         f"Too many sign-in attempts; retry in {wait} s.", retry_after=wait)


class TooManyJobs(SunterError):
    """Background jobs beyond their cap (per user, and in all)."""

    status = 429

    def __init__(self, message: str):
        super().__init__(message, "Too many background jobs run now; retry when one ends.", retry_after=30)


class Conflict(SunterError):
    """The request clashes with what is stored (a stale edit, a name taken, a deleted upload)."""
    status = 409


# --- files refused whole by the ingestion pipeline (DATA.md) ----------------------------

class FileRefused(SunterError):
    """A file refused whole: nothing of it is stored, and the attempt is recorded."""


class FileMissing(FileRefused, NotFound):
    status = 404


class FileTooLarge(FileRefused):
    status = 413


class EmptyFile(FileRefused):
    pass


class UnreadableFile(FileRefused):
    pass


class UnknownType(FileRefused):
    pass


class AmbiguousType(FileRefused):
    pass


class MissingColumns(FileRefused):
    pass


class NoPeriode(FileRefused):
    pass


class InconsistentFile(FileRefused):
    """The file contradicts itself: one PCEZ given two officers, one NOMEN given twice."""


RETRY_AFTER = 60  # seconds a client told "busy" should wait


class LoadBusy(FileRefused):
    """Another load held the branch's load slot for longer than this one may wait."""

    status = 503

    def __init__(self, waited: float):
        super().__init__(
            f"Server sedang memuat file lain; file ini sudah menunggu {waited:.0f} detik dan belum mendapat giliran. "
            "Tidak ada yang disimpan; coba lagi beberapa menit lagi.",
            f"Another load held the slot; gave up after {waited:.0f} s. Retry later.", retry_after=RETRY_AFTER)

    @classmethod
    def after(cls, result) -> "LoadBusy":
        """The refusal of a recorded load, for an API answer (503 with Retry-After)."""
        busy = cls(0)
        busy.message, busy.extra = result.message, {**busy.extra, "upload_id": result.upload_id}
        return busy


class UnknownProfile(FileRefused):
    """A column-mapping profile named for a file that no longer exists (or never did)."""


class TooManyBadRows(FileRefused):
    """More than half the rows failed (DATA.md): the row errors come along to be shown."""

    def __init__(self, read: int, rejected: int, errors: list, file_type: str | None):
        super().__init__(
            f"Lebih dari separuh baris bermasalah ({rejected} dari {read}); file ditolak seluruhnya. "
            "Periksa apakah tipe file dan kolomnya benar, lalu perbaiki baris yang dilaporkan.",
            f"More than half the rows failed ({rejected} of {read}); the file is refused whole.")
        self.read, self.rejected, self.errors, self.file_type = read, rejected, errors, file_type


class ShrinkRefused(FileRefused):
    """A snapshot with fewer than half the customers of the stored one it would replace (DATA.md):
    refused unless confirmed, so a wrong or partial file cannot silently wipe a month."""

    def __init__(self, spec, periode: str, stored: int, found: int, stored_upload: int):
        from ..formatting import number
        from .periodes import periode_label
        super().__init__(
            f"File ini hanya berisi {number(found)} {spec.unit}, padahal {spec.name} {periode_label(periode)} yang "
            f"tersimpan (unggahan #{stored_upload}) berisi {number(stored)}: kurang dari separuh. Periksa apakah "
            "file ini memang pengganti lengkapnya; jika ya, muat lagi dengan konfirmasi penggantian.",
            f"The file holds {found} where the stored {spec.name} of {periode} holds {stored}: fewer than half. "
            "Confirm the replacement (replace=true) to load it.",
            remedies={"page": "File ini tetap di daftar: klik Muat semua lalu Ya, ganti dan muat.",
                      "cli": "Ulangi dengan --replace.", "api": "Kirim lagi dengan replace=true."},
            needs_replace=True, stored_customers=stored, file_customers=found, stored_upload=stored_upload)
        self.stored_customers, self.file_customers, self.stored_upload = stored, found, stored_upload


class PaymentConflict(FileRefused, Conflict):
    status = 409
