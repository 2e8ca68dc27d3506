from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import structlog

from dexcex.config import effective_config, load_settings
from dexcex.domain import Chain, ConfigError, VenueId
from dexcex.logs import configure_logging, register_secrets


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_ship_real_assets_on_every_chain() -> None:
    s = load_settings()
    assets = s.domain_assets()
    assert len(assets) >= 5
    assert {c for a in assets for c in (d.chain for d in a.dex)} == set(Chain)
    for a in assets:
        assert a.market(VenueId.MEXC) is not None and a.market(VenueId.BYBIT) is not None
    wif = next(a for a in assets if a.id == "wif")
    assert wif.dex[0].token_address == "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
    pepe = next(a for a in assets if a.id == "pepe")
    assert pepe.dex[0].token_address == "0x6982508145454ce325ddbe47a25d4ec3d2311933"


def test_user_file_layers_on_defaults_and_env_overrides_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path / "dexcex.toml", "[api]\nport = 9000\n[venues.mexc]\ntaker_fee_bps = 4\n")
    s = load_settings(cfg)
    assert s.api.port == 9000 and s.venues.mexc.taker_fee_bps == 4
    assert s.venues.mexc.maker_fee_bps == 0  # untouched default survives the merge
    assert len(s.assets) >= 5  # the file did not replace the packaged asset list
    monkeypatch.setenv("DEXCEX_API__PORT", "9100")
    assert load_settings(cfg).api.port == 9100


def test_implicit_dexcex_toml_in_cwd_and_env_config_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "dexcex.toml", "[api]\nport = 9001\n")
    assert load_settings().api.port == 9001
    other = write(tmp_path / "other.toml", "[api]\nport = 9002\n")
    monkeypatch.setenv("DEXCEX_CONFIG", str(other))
    assert load_settings().api.port == 9002


def test_invalid_value_names_field_and_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "x.toml", '[venues.mexc]\ntaker_fee_bps = "lots"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg)
    msg = str(exc.value)
    assert str(cfg) in msg and "venues.mexc.taker_fee_bps" in msg and "'lots'" in msg
    assert "\n" not in msg


def test_invalid_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEXCEX_API__PORT", "70000")
    with pytest.raises(ConfigError, match=r"environment variable DEXCEX_API__PORT: api\.port"):
        load_settings()


def test_unknown_setting_and_bad_toml_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"api\.prot: unknown setting"):
        load_settings(write(tmp_path / "a.toml", "[api]\nprot = 1\n"))
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(write(tmp_path / "b.toml", "[api\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_bad_asset_address_is_rejected(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "a.toml",
        '[[assets]]\nid="x"\nsymbol="X"\ncex={mexc="X/USDT"}\n[[assets.dex]]\nchain="bsc"\n'
        'token="0x123"\ndecimals=18\npools=[{dex="p",address="0x123",quote="WBNB"}]\n',
    )
    with pytest.raises(ConfigError, match=r"assets\.0\.dex: bsc address '0x123'"):
        load_settings(cfg)


def test_secrets_in_the_file_are_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "s.toml", '[sources.birdeye]\napi_key = "k-123456"\n')
    with pytest.raises(ConfigError, match="DEXCEX_SOURCES__BIRDEYE__API_KEY"):
        load_settings(cfg)
    cfg = write(tmp_path / "u.toml", '[store]\nurl = "postgresql://u:pw@localhost/db"\n')
    with pytest.raises(ConfigError, match="password"):
        load_settings(cfg)


def test_secret_from_env_and_from_secret_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEXCEX_VENUES__MEXC__API_KEY", "mexc-key-from-env")
    secret_file = write(tmp_path / "mexc_secret", "mexc-secret-from-file\n")
    monkeypatch.setenv("DEXCEX_VENUES__MEXC__API_SECRET_FILE", str(secret_file))
    s = load_settings()
    assert s.venues.mexc.api_key is not None and s.venues.mexc.api_secret is not None
    assert s.venues.mexc.api_key.get_secret_value() == "mexc-key-from-env"
    assert s.venues.mexc.api_secret.get_secret_value() == "mexc-secret-from-file"
    assert s.venues.mexc.has_keys and not s.venues.bybit.has_keys


def test_a_secret_never_appears_in_show_repr_or_logs(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "S3cr3t-V4lue-never-shown"
    monkeypatch.setenv("DEXCEX_VENUES__BYBIT__API_SECRET", secret)
    monkeypatch.setenv("DEXCEX_STORE__URL", "postgresql://trader:pw-9876543@db.local/dexcex")
    s = load_settings()
    shown = json.dumps(effective_config(s))
    assert secret not in shown and "pw-9876543" not in shown
    assert "**********" in shown and "***@db.local" in shown
    assert secret not in repr(s) and secret not in str(s)

    register_secrets([secret, "pw-9876543"])
    configure_logging("DEBUG", "json")
    log = structlog.get_logger("t")
    log.info("connecting", api_secret=secret, url=f"https://x?sig={secret}", nested={"k": secret})
    log.info(f"formatted {secret} inline")
    logging.getLogger("thirdparty").warning("lib says %s", "pw-9876543")
    err = capsys.readouterr().err
    assert secret not in err and "pw-9876543" not in err
    assert err.count("***") == 4  # field, URL query, nested value, inline text
    assert "lib says ***" in caplog.text and "pw-9876543" not in caplog.text


def test_live_trading_is_off_by_default() -> None:
    assert load_settings().live.enabled is False


def test_accuracy_exclusion_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().accuracy.min_share == 0.95
    monkeypatch.setenv("DEXCEX_ACCURACY__MIN_SHARE", "0")
    assert load_settings().accuracy.min_share == 0
    monkeypatch.setenv("DEXCEX_ACCURACY__MIN_SHARE", "1.5")
    with pytest.raises(ConfigError, match="min_share"):
        load_settings()


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ('[bus]\nredis_url = "redis://:r3dis-pw-123@cache:6379/0"\n', "DEXCEX_BUS__REDIS_URL"),
        ('[store]\nurl = "postgresql://u@db/x?password=q-pw-123"\n', "DEXCEX_STORE__URL"),
        ('[alerts]\nwebhook_url = "https://hooks.example/T0/B0/tok"\n', "ALERTS__WEBHOOK_URL"),
        ('[store]\nurl = "postgresql://u@db/x?sslpassword=k-pw-9"\n', "DEXCEX_STORE__URL"),
        ('[bus]\nredis_url = "redis://cache:6379/0?auth_token=t-9"\n', "DEXCEX_BUS__REDIS_URL"),
        ('[bus]\nredis_url = "redis://:pw@[::1/0"\n', "DEXCEX_BUS__REDIS_URL"),
    ],
)
def test_urls_holding_secrets_are_refused_in_files(tmp_path: Path, toml: str, needle: str) -> None:
    cfg = write(tmp_path / "s.toml", toml)
    with pytest.raises(ConfigError, match=needle):
        load_settings(cfg)


def test_redis_and_query_passwords_are_masked_in_show_and_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dexcex.cli.common import _secret_values

    monkeypatch.setenv("DEXCEX_BUS__REDIS_URL", "redis://:r3dis-pw-123@cache:6379/0")
    monkeypatch.setenv("DEXCEX_STORE__URL", "postgresql://u@db/x?password=q-pw-4567")
    s = load_settings()
    shown = json.dumps(effective_config(s))
    assert "r3dis-pw-123" not in shown and "q-pw-4567" not in shown
    assert "redis://:***@cache:6379/0" in shown and "password=***" in shown
    register_secrets(_secret_values(s))
    configure_logging("DEBUG", "json")
    structlog.get_logger("t").info("bus", url=s.bus.redis_url, db=s.store.url)
    err = capsys.readouterr().err
    assert "r3dis-pw-123" not in err and "q-pw-4567" not in err


def test_a_section_that_is_not_a_table_is_one_clear_error(tmp_path: Path) -> None:
    cfg = write(tmp_path / "s.toml", 'store = "postgresql://db/x"\n')
    with pytest.raises(ConfigError, match=r"\[store\] must be a table"):
        load_settings(cfg)


def test_secret_query_parameters_by_any_name_and_encoding_are_masked() -> None:
    from dexcex.config.secrets import mask_url, url_secrets

    url = "postgresql://u:p%40ss@db/x?api_key=k1&sslpassword=k2&application_name=app"
    assert set(url_secrets(url)) >= {"p%40ss", "p@ss", "k1", "k2"}
    masked = mask_url(url)
    assert "k1" not in masked and "k2" not in masked and "p%40ss" not in masked
    assert "application_name=app" in masked


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_an_infinite_cap_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DEXCEX_LIVE__MAX_DAILY_NOTIONAL_USD", value)
    with pytest.raises(ConfigError, match="max_daily_notional_usd"):
        load_settings()
