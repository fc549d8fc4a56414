"""The API against its own description (issue 14): schemathesis generates requests for every
operation of /api/openapi.json, as an admin, a viewer and a petugas, and checks that nothing answers 500
and that every answer (status, content type, headers, body) is one the description promises.

Bounded for CI: a fixed number of derandomized examples per operation
(``SUNTER_API_FUZZ_EXAMPLES``, default 25).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sunter_dash import create_app
from sunter_dash.config import Config
from sunter_dash.db import get_engine
from sunter_dash.ingest import ingest_file
from sunter_dash.openapi import spec
from sunter_dash.services.users import upsert

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic, cheap_password  # noqa: E402

EXAMPLES = int(os.environ.get("SUNTER_API_FUZZ_EXAMPLES", "25"))
PASSWORDS = {"admin": "admin-fuzz-123", "viewer": "viewer-fuzz-123", "petugas": "petugas-fuzz-123"}
FILES = {
    "MC_2025-12.csv": "NOMEN;NAMA_PEL;ZONA_NOVAK;NOMINAL\n60000001;BUDI;341511001;150000\n"
                      "60000002;SITI;351511002;95000\n",
    "Collection-2025-12-01_sd_2025-12-31.txt": "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n60000001|05-12-2025|-150000|122025\n",
    "SBRS_2025-12.txt": "cmr_account|cmr_prev_read|cmr_reading|Read_Method\n60000001|10|200|ACTUAL\n60000002|5|5|SE\n",
    "ARDEBT_2025-12.csv": "NOMEN;RAYON;JUMLAH_REK;SALDO_TUNGGAKAN\n60000002;35;2;190000\n",
    "RUTE_2025-12.csv": "PCEZ;PETUGAS\n151/10;ANDI\n",  # the petugas's: 60000001 and 60000002
}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory, module_database):
    folder = tmp_path_factory.mktemp("api-fuzz")
    url = module_database("apifuzz")
    engine = get_engine(url)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
        assert ingest_file(engine, folder / name).status == "loaded"
    for role, password in PASSWORDS.items():
        upsert(engine, role, role, password, "ANDI" if role == "petugas" else None)
        cheap_password(engine, role, password)
    return create_app(Config(database_url=url, secret_key="fuzz", secret_key_is_generated=False,
                             cache_type="NullCache"))


# Nothing answers 500, and every answer is one the description promises.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Built from the description itself, as the server serves it (no database needed to list them).
SCHEMA = schemathesis.openapi.from_dict(spec())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("role", list(PASSWORDS))
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_every_operation_answers_as_described(api_app, operation, role):
    @FUZZ
    @given(case=operation.as_strategy())
    def answers(case):  # sent to the app itself (WSGI), the server the description describes
        case.call_and_validate(headers=basic(role, PASSWORDS[role]), app=api_app.server, checks=CHECKS)
    answers()
