"""The tab registry: the shell builds its tabs from this list, in this order."""
from . import arrears, audit, data_status, history, overview, trend, upload, users

# A tab's PERMISSION (default "read") decides who is offered it and who may fetch it.
TABS = [overview, arrears, trend, data_status, upload, history, users, audit]
