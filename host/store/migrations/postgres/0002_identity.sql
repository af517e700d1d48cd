-- Identity and audit (PostgreSQL). Owned by host/server/src/identity and audit.rs.
-- Conventions: timestamps are INTEGER milliseconds since the Unix epoch,
-- booleans are INTEGER 0/1, JSON is TEXT. Keep in step with
-- ../sqlite/0002_identity.sql: the two must behave the same.

-- Township and street service halls: the tenant unit of data and config.
CREATE TABLE halls (
    id          TEXT    NOT NULL PRIMARY KEY,          -- slug, e.g. 'bailou'
    code        TEXT    NOT NULL UNIQUE,               -- administrative / internal code
    name_zh     TEXT    NOT NULL,
    name_en     TEXT    NOT NULL,
    grade       TEXT    NOT NULL CHECK (grade IN ('demonstration', 'standard', 'basic')),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE users (
    id                    TEXT    NOT NULL PRIMARY KEY,   -- UUID v7
    username              TEXT    NOT NULL UNIQUE,        -- lower-case, immutable
    display_name          TEXT    NOT NULL,
    password_hash         TEXT    NOT NULL,               -- argon2id PHC string
    roles                 TEXT    NOT NULL DEFAULT '[]',  -- JSON array of role names
    halls                 TEXT    NOT NULL DEFAULT '[]',  -- JSON array of hall ids
    district_wide         INTEGER NOT NULL DEFAULT 0 CHECK (district_wide IN (0, 1)),
    disabled              INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          BIGINT,
    must_change_password  INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL,
    password_changed_at   BIGINT  NOT NULL
);

-- Browser sessions. The id is the hex SHA-256 of the cookie secret; the
-- secret itself is never stored.
CREATE TABLE sessions (
    id            TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL                        -- absolute expiry
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- API tokens ("bt_<id>_<secret>"); only the SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,  -- identity the token acts as
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    expires_at    BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

-- Append-only, hash-chained audit log. seq is assigned by the writer (last + 1)
-- under the append lock (LOCK TABLE audit_log IN EXCLUSIVE MODE), because the
-- hash covers it; hence BIGINT rather than BIGSERIAL. In production, grant the
-- application role INSERT and SELECT only on this table.
CREATE TABLE audit_log (
    seq          BIGINT  NOT NULL PRIMARY KEY,
    at           BIGINT  NOT NULL,
    actor        TEXT    NOT NULL,
    actor_kind   TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    target_kind  TEXT    NOT NULL,
    target_id    TEXT    NOT NULL,
    hall         TEXT,
    detail       TEXT    NOT NULL DEFAULT '{}',          -- canonical JSON, hashed as stored
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id, seq);
CREATE INDEX audit_log_hall ON audit_log (hall, seq);
CREATE INDEX audit_log_at ON audit_log (at);
