"""Schemathesis against the service's OpenAPI document: for every operation, examples generated
from the document (orders from the tariff's own order schema) never get a 5xx, and every answer
has a documented status and content type and is valid against its schema.

The service here serves one small tariff (tests/fixtures/small.tariff): its order schema is
small enough for Hypothesis to generate from quickly, and its solver calls take milliseconds,
so a bounded number of examples per operation keeps the test within a CI budget. The bundled
tariffs' schemas are the same generator's output (orders/schema.py), and test_service.py checks
their answers against the CLI's.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,  # noqa: E402
                                               status_code_conformance)

from tariffcheck.service import ServiceConfig, create_app  # noqa: E402

from conftest import FIXTURES  # noqa: E402

EXAMPLES_PER_OPERATION = 12


_folder = Path(tempfile.mkdtemp(prefix="tariff-serve-"))  # the app is built as the tests are collected
shutil.copy(FIXTURES / "small.tariff", _folder / "small.tariff")
# Hypothesis's examples only: the coverage phase adds hundreds of boundary cases per order schema
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(ServiceConfig(tariffs=str(_folder), sighup=False, admin_token="t0ken")), config=CONFIG)


def teardown_module():
    shutil.rmtree(_folder, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
