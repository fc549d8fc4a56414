"""Every read, by subject: engine in, plain data out (lists and dicts of figures). The pages
and the API call the same functions, so a figure cannot differ between them. SQL for the
pages and the API lives here and in nothing above it."""
from .analyses import assignable_users, assignees
from .analyses import find as find_analyses
from .analyses import get as get_analysis
from .anomalies import anomaly_list, anomaly_page, anomaly_summary, flagged
from .arrears import arrears_series, arrears_summary, arrears_top
from .audit import audit_log
from .cache import cached, invalidate
from .collection import disconnect, kpi_by_pcez, kpi_by_petugas, unpaid
from .customers import customer_profile, customer_search
from .followups import customer_followups, followups, promises
from .forecast import kpi_forecast
from .kpi import (
    kpi,
    kpi_by_rayon,
    kpi_by_rayon_known,
    kpi_daily,
    kpi_daily_known,
    kpi_month,
    kpi_series,
    kpi_series_known,
)
from .rute import officer_names
from .stored import data_as_of, data_status, periodes, rayons, table_rows, types_of, upload_count, upload_statuses
from .uploads import upload, upload_errors, uploads
from .users import count_users, list_users

__all__ = ["anomaly_list", "anomaly_page", "anomaly_summary", "arrears_series", "arrears_summary", "arrears_top",
           "assignable_users", "assignees", "audit_log", "cached", "count_users", "customer_profile",
           "customer_followups", "customer_search", "data_as_of", "data_status", "flagged", "disconnect", "find_analyses", "followups", "get_analysis", "invalidate", "kpi", "kpi_by_pcez", "kpi_by_petugas", "kpi_by_rayon", "kpi_by_rayon_known",
           "kpi_daily", "kpi_daily_known", "kpi_forecast", "kpi_month", "kpi_series", "kpi_series_known", "list_users", "officer_names", "periodes", "promises", "rayons", "table_rows", "types_of", "unpaid", "upload",
           "upload_count", "upload_errors", "upload_statuses", "uploads"]
