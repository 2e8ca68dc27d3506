"""A schema-driven fuzz run over the whole API (schemathesis against our OpenAPI
document): whatever it generates, no answer is a 5xx, and every answer matches the
documented status codes, content types and response schemas."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.test_api import make_rig

# schemathesis parametrizes at import time, so the app exists at import time
_rigs = make_rig(Path(tempfile.mkdtemp(prefix="dexcex-fuzz-")))
_rig = next(_rigs)
schema = schemathesis.openapi.from_asgi("/openapi.json", _rig.client.app)


@pytest.fixture(scope="module", autouse=True)
def _close_rig() -> Iterator[None]:
    yield
    for _ in _rigs:  # runs the rig's teardown
        pass


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_the_schema_holds(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {_rig.token}"})
