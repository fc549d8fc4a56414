"""Component ids of the shell, shared by every tab (tab-owned ids live in their tab)."""
URL = "shell-url"
TABS = "shell-tabs"
CONTENT = "shell-content"
PERIODE = "shell-periode"
RAYON = "shell-rayon"
DOWNLOAD = "shell-download"
LOGOUT = "shell-logout"
ERROR = "shell-error"  # the message of an unexpected failure of a callback, in place of the panel (failures.py)
