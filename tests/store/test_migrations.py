from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from dexcex.store import current_revision, downgrade, head_revision, make_engine, upgrade
from dexcex.store.models import Base

TABLES = {
    "engine_state",
    "models",
    "signals",
    "orders",
    "fills",
    "source_health",
    "alerts",
    "rejected_rows",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(db_url: str) -> None:
    upgrade(db_url)
    assert current_revision(db_url) == head_revision(db_url)
    assert _tables(db_url) == TABLES
    downgrade(db_url, "base")
    assert current_revision(db_url) is None
    assert _tables(db_url) == set()
    upgrade(db_url)
    assert current_revision(db_url) == head_revision(db_url)
    assert _tables(db_url) == TABLES


def test_models_and_migrated_schema_do_not_differ(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_the_comparison_does_see_a_missing_column(db_url: str) -> None:
    """Negative control: the diff above is empty because the schemas match, not by blindness."""
    from sqlalchemy import Column, Float, MetaData

    upgrade(db_url)
    meta = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(meta)
    meta.tables["signals"].append_column(Column("not_migrated", Float))
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, meta)
    finally:
        engine.dispose()
    assert [d[0] for d in diff] == ["add_column"]
