-- Databases of the stack (docker-compose only; test/stack/stack.sh creates them itself).
-- Run by the postgres image's entrypoint with psql, as the `etl` superuser, on first start.
CREATE DATABASE project_01;
CREATE DATABASE project_02;
CREATE DATABASE default_tenant;
CREATE DATABASE pagila;
CREATE DATABASE iceberg_catalog;

\connect iceberg_catalog
\i /stack-sql/iceberg-catalog.sql
