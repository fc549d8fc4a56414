"""The tab registry: the shell builds its tabs from this list, in this order."""
from . import arrears, data_status, overview, trend

TABS = [overview, arrears, trend, data_status]
