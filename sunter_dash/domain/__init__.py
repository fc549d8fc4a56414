"""The project's vocabulary: periodes, time, labels, errors, settings, and the catalogues of
file types and anomaly checks. Every layer may import it; it imports nothing of Dash,
Flask or SQL, so a kind of thing is declared here once and every list is derived from it."""

# The built-in file types and checks register themselves with their catalogues.
from . import filetypes, meter_checks  # noqa: E402,F401
