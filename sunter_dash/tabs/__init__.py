"""The tab registry: the shell builds its tabs from this list, in this order."""
from . import analysis, arrears, audit, customer, data_status, history, meter, overview, trend, upload, users

# A tab's PERMISSION (default "read") decides who is offered it and who may fetch it.
TABS = [overview, arrears, trend, meter, customer, analysis, data_status, upload, history, users, audit]
