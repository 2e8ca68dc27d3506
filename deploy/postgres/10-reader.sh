#!/bin/sh
# First start of the PostgreSQL container: a read-only role for Grafana that can read
# every table and view the app's migrations create (now and later), nothing else.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE dexcex_reader LOGIN PASSWORD '${DEXCEX_READER_PASSWORD}';
GRANT CONNECT ON DATABASE "$POSTGRES_DB" TO dexcex_reader;
GRANT USAGE ON SCHEMA public TO dexcex_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE "$POSTGRES_USER" IN SCHEMA public
  GRANT SELECT ON TABLES TO dexcex_reader;
ALTER ROLE dexcex_reader SET default_transaction_read_only = on;
SQL
