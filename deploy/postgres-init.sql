-- Runs once, on the first start of an empty PostgreSQL data volume
-- (mounted into /docker-entrypoint-initdb.d by deploy/compose.yaml).
-- One database per service and one for the gateway; all owned by the compose user `huoli`.
CREATE DATABASE huoli_members OWNER huoli;
CREATE DATABASE huoli_content OWNER huoli;
CREATE DATABASE huoli_events  OWNER huoli;
CREATE DATABASE huoli_scoring OWNER huoli;
-- The gateway's own (API keys, idempotency records, webhooks); created last, as the
-- compose healthcheck waits for it.
CREATE DATABASE huoli_gateway OWNER huoli;
