#!/bin/sh
# Temporal's schema on PostgreSQL, as Temporal's own compose examples set it up since the
# auto-setup image was deprecated: the admin-tools image creates both databases and brings them
# to the schema versions its release ships (idempotent: run again after an upgrade).
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"
echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${PORT}"
until nc -z "${POSTGRES_SEEDS}" "${PORT}"; do sleep 1; done
for db in temporal temporal_visibility; do
  schema=temporal
  [ "$db" = temporal_visibility ] && schema=visibility
  tool="temporal-sql-tool --plugin postgres12 --ep ${POSTGRES_SEEDS} -u ${POSTGRES_USER} -p ${PORT} --db ${db}"
  $tool create || true                      # exists already after the first run
  $tool setup-schema -v 0.0 || true         # likewise
  $tool update-schema -d "/etc/temporal/schema/postgresql/v12/${schema}/versioned"
done
echo "Temporal schema ready"
