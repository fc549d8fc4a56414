"""The tab registry: the shell builds its tabs from this list, in this order.

A tab is a module with its ids, ``layout()`` and ``register_callbacks(app)``, and a ``TAB``
record at its end; adding a tab is its module and one line here."""
from . import (
    analysis,
    arrears,
    audit,
    collection,
    customer,
    data_status,
    history,
    meter,
    overview,
    settings,
    trend,
    upload,
    users,
)
from .base import Tab

TABS: list[Tab] = [overview.TAB, arrears.TAB, collection.TAB, trend.TAB, meter.TAB, customer.TAB, analysis.TAB,
                   data_status.TAB, upload.TAB, history.TAB, users.TAB, settings.TAB, audit.TAB]
