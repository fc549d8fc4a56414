"""The tab registry: the shell builds its tabs from this list, in this order."""
from . import data_status

TABS = [data_status]
