"""A schema-driven fuzz run over the whole API (schemathesis against our OpenAPI
document): whatever it generates, no answer is a 5xx, and every answer matches the
documented status codes, content types and response schemas.

One pytest item per operation (rather than schemathesis' own parametrize, whose
per-operation results are sub-reports that a pytest-xdist worker does not pass on: there
a failing operation would go unseen)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dexcex.api.app import create_app
from dexcex.config import load_settings
from tests.api.test_api import make_glance

# The operations are listed at import time, so the app exists at import time — an app
# only, no running client: a module that is collected and not run (--collect-only, or an
# xdist worker the test does not go to) leaves nothing to shut down.
_base = load_settings()  # schemathesis asks as "testserver": a name the page must allow
_api = _base.api.model_copy(update={"allowed_hosts": ["testserver"]})
_glance, _, _hub, _token = make_glance(
    Path(tempfile.mkdtemp(prefix="dexcex-fuzz-")), _base.model_copy(update={"api": _api})
)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_glance, _hub, _token))
OPERATIONS = [r.ok() for r in schema.get_all_operations()]


@pytest.fixture(scope="module", autouse=True)
def _close_db() -> Iterator[None]:
    yield
    _glance.stored.db.close()


def test_every_operation_is_fuzzed() -> None:
    labels = {op.label for op in OPERATIONS}
    assert "POST /api/signals/{signal_id}/execute" in labels and len(labels) >= 9, labels


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_server_error_and_the_schema_holds(operation: Any, data: st.DataObject) -> None:
    case = data.draw(operation.as_strategy())
    case.call_and_validate(headers={"Authorization": f"Bearer {_token}"})
