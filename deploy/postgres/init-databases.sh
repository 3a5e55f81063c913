#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume
# (mounted into /docker-entrypoint-initdb.d/ by docker-compose.yml).
#
# One role and one database per service plus the gateway. Each role owns only its own
# database and nobody else may connect to it. Passwords come from <NAME>_DB_PASSWORD.
# A volume that already holds data skips this script: to change a password later, use
# ALTER ROLE ... PASSWORD by hand.
set -eu

for name in records review disclosure gas overload documents hazard_sources hazards gateway; do
    var="$(echo "$name" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password="$(printenv "$var" || true)"
    if [ -z "$password" ]; then
        echo "init-databases: $var is not set" >&2
        exit 1
    fi
    # psql variables quote the name (:"name") and the password (:'password') safely.
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT ALL ON DATABASE :"name" TO :"name";
SQL
    echo "init-databases: created role and database $name"
done
