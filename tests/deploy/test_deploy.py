"""The deployment files: the compose file validates, every long-running service has a
health check and publishes on loopback only; the Grafana dashboards are what the SDK
builds, decode with the SDK's models, and query only metrics and views that exist."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema_rs
import pytest
import yaml
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel
from sqlalchemy import inspect

from dexcex.monitor.metrics import METRIC_NAMES
from dexcex.store import Database

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
SCHEMA = ROOT / "tests" / "resources" / "compose" / "compose_spec.json"


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def schema_errors(doc: dict[str, Any]) -> list[str]:
    v = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    return [str(e) for e in v.iter_errors(doc)]


def test_the_compose_file_validates() -> None:
    docker = shutil.which("docker")
    has_compose = (
        docker is not None
        and subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    )
    if has_compose:
        assert docker is not None
        proc = subprocess.run(
            [docker, "compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", "-q"],
            env={
                "POSTGRES_PASSWORD": "x",
                "DEXCEX_READER_PASSWORD": "y",
                "GRAFANA_ADMIN_PASSWORD": "z",
                "PATH": "/usr/bin:/bin",
            },
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
    assert schema_errors(compose()) == []
    broken = compose()
    broken["services"]["app"]["helthcheck"] = broken["services"]["app"].pop("healthcheck")
    assert schema_errors(broken)  # the check can fail


def test_services_are_healthy_and_on_loopback() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "app", "prometheus", "grafana"}
    for name, svc in services.items():
        if name != "migrate":  # a one-shot job
            assert "healthcheck" in svc, name
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    prom = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert prom["scrape_configs"][0]["static_configs"][0]["targets"] == ["app:8000"]


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dexcex_dashboards", DEPLOY / "grafana" / "dashboards.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _dashboards() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text())
        for p in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    }


def test_dashboards_are_what_the_sdk_builds_and_decode() -> None:
    mod = _builder()
    files = _dashboards()
    assert set(files) == set(mod.DASHBOARDS) and len(files) >= 2
    for name, make in mod.DASHBOARDS.items():
        assert json.loads(mod.render(make())) == files[name], (
            f"rebuild {name}: deploy/grafana/dashboards.py"
        )
        model = DashboardModel.from_json(files[name])
        assert model.title and model.panels and model.uid == files[name]["uid"]


def _targets(d: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for p in d["panels"]:
        out += p.get("targets", [])
        for inner in p.get("panels", []):
            out += inner.get("targets", [])
    return out


def test_every_query_names_a_metric_or_view_that_exists(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'v.sqlite3'}", migrate=True)
    try:
        views = set(inspect(db.engine).get_view_names())
    finally:
        db.close()
    assert {"v_signal_outcomes", "v_daily_performance", "v_source_health_latest"} <= views
    metrics_used: set[str] = set()
    views_used: set[str] = set()
    for d in _dashboards().values():
        for t in _targets(d):
            if "expr" in t:
                for name in re.findall(r"\bdexcex_[a-z0-9_]+", t["expr"]):
                    metrics_used.add(re.sub(r"_(bucket|count|sum)$", "", name))
            else:
                views_used.update(re.findall(r"\bFROM\s+([a-z_]+)", t["rawSql"]))
    assert metrics_used and views_used
    assert metrics_used <= METRIC_NAMES, metrics_used - METRIC_NAMES
    assert views_used <= views, views_used - views


def test_datasource_uids_match() -> None:
    ds = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "dexcex.yml").read_text()
    )
    uids = {d["uid"] for d in ds["datasources"]}
    for d in _dashboards().values():
        for p in d["panels"]:
            if "datasource" in p:
                assert p["datasource"]["uid"] in uids, p["title"]


@pytest.mark.parametrize("name", ["dev", "demo", "prod"])
def test_profiles_load(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from dexcex.config import load_settings

    monkeypatch.setenv("DEXCEX_PROFILE", name)
    s = load_settings()
    assert s.profile == name
    if name == "prod":
        assert s.pipeline.market == "real" and s.log.format == "json"


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k), b[k]) if k in a else b[k] for k in b} | {
            k: v for k, v in a.items() if k not in b
        }
    return b


def test_the_scale_out_override_validates_and_wires_redis() -> None:
    scale = yaml.safe_load((DEPLOY / "docker-compose.scale.yml").read_text())
    merged = _merge(compose(), scale)
    assert schema_errors(merged) == []
    services = merged["services"]
    assert {"redis", "collector0", "collector1", "api"} <= set(services)
    assert services["app"]["command"][2:4] == ["--role", "engine"]
    assert services["api"]["command"][2:4] == ["--role", "api"]
    assert "--page-relay" in services["app"]["command"]  # what the api process reads
    # the page process reads the engine's database
    assert (
        services["api"]["environment"]["DEXCEX_STORE__URL"]
        == services["app"]["environment"]["DEXCEX_STORE__URL"]
    )
    shards = sorted(
        services[c]["command"][services[c]["command"].index("--shard") + 1]
        for c in ("collector0", "collector1")
    )
    assert shards == ["0/2", "1/2"]
    for c in ("collector0", "collector1"):  # the health check asks the collector's own server
        cmd = services[c]["command"]
        port = cmd[cmd.index("--metrics-port") + 1]
        assert f"127.0.0.1:{port}/healthz" in " ".join(services[c]["healthcheck"]["test"])
    for name, svc in services.items():
        if name != "migrate":
            assert "healthcheck" in svc, name
