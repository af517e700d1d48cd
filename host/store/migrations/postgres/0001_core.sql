-- Core tables: plugin documents, outbox, schedule firings, blobs, plugin registry.
-- Keep in step with ../sqlite/0001_core.sql (same tables, columns and behaviour).
-- Text keys use COLLATE "C" so ordering is by code point, as in SQLite.

CREATE TABLE documents (
    plugin      TEXT COLLATE "C" NOT NULL,
    collection  TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    hall        TEXT COLLATE "C",           -- NULL = district-level
    version     BIGINT NOT NULL CHECK (version >= 1),
    body        JSONB  NOT NULL,
    created_at  BIGINT NOT NULL,            -- ms since the Unix epoch
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (plugin, collection, id)
);
CREATE INDEX documents_hall ON documents (plugin, collection, hall);
CREATE INDEX documents_updated ON documents (plugin, collection, updated_at);

CREATE TABLE events (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT COLLATE "C" NOT NULL UNIQUE,   -- UUIDv7
    topic       TEXT   NOT NULL,
    source      TEXT   NOT NULL,
    hall        TEXT COLLATE "C",
    payload     JSONB  NOT NULL,
    occurred_at BIGINT NOT NULL
);

CREATE TABLE deliveries (
    event_id        TEXT COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    subscriber      TEXT COLLATE "C" NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    delivered_at    BIGINT,
    last_error      TEXT,
    PRIMARY KEY (event_id, subscriber)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX deliveries_lease ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE schedule_fires (
    plugin      TEXT COLLATE "C" NOT NULL,
    schedule    TEXT COLLATE "C" NOT NULL,
    slot_ms     BIGINT NOT NULL,
    fire_id     TEXT   NOT NULL UNIQUE,
    worker      TEXT   NOT NULL,
    claimed_at  BIGINT NOT NULL,
    finished_at BIGINT,
    ok          BIGINT,                     -- 1/0, NULL while running
    error       TEXT,
    PRIMARY KEY (plugin, schedule, slot_ms)
);

CREATE TABLE blobs (
    sha256       TEXT COLLATE "C" PRIMARY KEY,
    size         BIGINT NOT NULL,
    content_type TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE plugins (
    id             TEXT COLLATE "C" PRIMARY KEY,
    active_version TEXT,
    enabled        BIGINT NOT NULL DEFAULT 0,   -- 1/0
    quarantined_at BIGINT,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE plugin_versions (
    plugin_id       TEXT COLLATE "C" NOT NULL REFERENCES plugins (id) ON DELETE CASCADE,
    version         TEXT COLLATE "C" NOT NULL,
    digest          TEXT   NOT NULL,
    manifest_toml   TEXT   NOT NULL,
    signature       TEXT,
    key_id          TEXT,
    artefact_sha256 TEXT   NOT NULL,
    installed_at    BIGINT NOT NULL,
    installed_by    TEXT   NOT NULL,
    PRIMARY KEY (plugin_id, version)
);

CREATE TABLE plugin_config (
    plugin_id  TEXT COLLATE "C" NOT NULL,
    hall       TEXT COLLATE "C" NOT NULL DEFAULT '',   -- '' = district
    config     TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT   NOT NULL,
    PRIMARY KEY (plugin_id, hall)
);
