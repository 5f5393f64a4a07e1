-- Runs once, when the postgres service initialises an empty data volume (docker-entrypoint-initdb.d),
-- as POSTGRES_USER against POSTGRES_DB (the Airflow metadata database "airflow").
-- The warehouse the DAGs load into (connection warehouse_db) is a second database on the same server,
-- as in the native stack. After changing this file: docker compose down -v (drops the volume).
CREATE DATABASE warehouse;
