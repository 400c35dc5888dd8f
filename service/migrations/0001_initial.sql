-- The schema as it was before migrations (created with IF NOT EXISTS), so that a
-- database made by that version is taken over as it is. (Written for both dialects:
-- see the placeholders at MIGRATIONS in src/store.rs.)
CREATE TABLE IF NOT EXISTS devices (
    serial TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    digits BIGINT NOT NULL,
    period BIGINT NOT NULL,
    secret BYTES NOT NULL,
    next_counter BIGINT NOT NULL,
    drift BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT NOT NULL DEFAULT 0,
    blocks BIGINT NOT NULL DEFAULT 0,
    resync BIGINT,
    last_used BIGINT,
    user_id TEXT,
    state TEXT NOT NULL DEFAULT 'inactive',
    version BIGINT NOT NULL DEFAULT 0,
    imported_at BIGINT NOT NULL,
    activated_at BIGINT
);
CREATE INDEX IF NOT EXISTS devices_active_user ON devices (user_id, state);
CREATE TABLE IF NOT EXISTS activation_codes (
    serial TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    code_hash BYTES NOT NULL,
    channel TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS audit (
    id AUTO_ID,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    result TEXT NOT NULL
);
