-- The role web, workers and beat connect as: it owns nothing, so the row-level security
-- policies bind it (README, Production). The tables' owner (POSTGRES_USER) runs migrations and
-- then `manage.py grant_app_role billora_app`. Change the demo password (also in
-- deploy/pgbouncer/userlist.txt and DATABASE_URL in docker-compose.yml).
CREATE ROLE billora_app LOGIN PASSWORD 'billora-app';
