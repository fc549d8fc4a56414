"""Component ids of the shell, shared by every tab (tab-owned ids live in their tab)."""
URL = "shell-url"
TABS = "shell-tabs"
CONTENT = "shell-content"
PERIODE = "shell-periode"
RAYON = "shell-rayon"
DOWNLOAD = "shell-download"
LOGOUT = "shell-logout"
FAILURE = "shell-failure"  # a callback that raised: its message and outputs, for the page to show (failures.py)
FAILURE_SHOWN = "shell-failure-shown"  # (the clientside callback that shows it needs an output)
ALERT = "shell-alert"  # above the tab: a failed callback whose output sits on no panel (assets/20-session-ended.js)
