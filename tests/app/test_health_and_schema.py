"""Health check, and a schema that only migrations create."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tipro.extensions import db as _db


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "version": "0.1.0",
    }


def test_healthz_reports_unreachable_redis(app, client):
    app.config["REDIS_URL"], saved = "redis://127.0.0.1:1/0", app.config["REDIS_URL"]
    try:
        response = client.get("/healthz")
    finally:
        app.config["REDIS_URL"] = saved
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("feil")
    assert response.get_json()["database"] == "ok"


def test_models_match_migrations(app):
    """Every model change comes with a migration (the schema is only built by migrations)."""
    with app.app_context(), _db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == [], f"models differ from migrations; run `tipro db migrate`: {diff}"
