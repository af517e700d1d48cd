-- Core tables: plugin documents, outbox, schedule firings, blobs, plugin registry.
-- Keep in step with ../postgres/0001_core.sql (same tables, columns and behaviour).

CREATE TABLE documents (
    plugin      TEXT    NOT NULL,
    collection  TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    hall        TEXT,                       -- NULL = district-level
    version     INTEGER NOT NULL CHECK (version >= 1),
    body        TEXT    NOT NULL CHECK (json_valid(body)),
    created_at  INTEGER NOT NULL,           -- ms since the Unix epoch
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (plugin, collection, id)
);
CREATE INDEX documents_hall ON documents (plugin, collection, hall);
CREATE INDEX documents_updated ON documents (plugin, collection, updated_at);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,    -- UUIDv7
    topic       TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    hall        TEXT,
    payload     TEXT    NOT NULL CHECK (json_valid(payload)),
    occurred_at INTEGER NOT NULL
);

CREATE TABLE deliveries (
    event_id        TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    subscriber      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    delivered_at    INTEGER,
    last_error      TEXT,
    PRIMARY KEY (event_id, subscriber)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX deliveries_lease ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE schedule_fires (
    plugin      TEXT    NOT NULL,
    schedule    TEXT    NOT NULL,
    slot_ms     INTEGER NOT NULL,
    fire_id     TEXT    NOT NULL UNIQUE,
    worker      TEXT    NOT NULL,
    claimed_at  INTEGER NOT NULL,
    finished_at INTEGER,
    ok          INTEGER,                    -- 1/0, NULL while running
    error       TEXT,
    PRIMARY KEY (plugin, schedule, slot_ms)
);

CREATE TABLE blobs (
    sha256       TEXT    PRIMARY KEY,
    size         INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE plugins (
    id             TEXT    PRIMARY KEY,
    active_version TEXT,
    enabled        INTEGER NOT NULL DEFAULT 0,  -- 1/0
    quarantined_at INTEGER,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE plugin_versions (
    plugin_id       TEXT    NOT NULL REFERENCES plugins (id) ON DELETE CASCADE,
    version         TEXT    NOT NULL,
    digest          TEXT    NOT NULL,
    manifest_toml   TEXT    NOT NULL,
    signature       TEXT,
    key_id          TEXT,
    artefact_sha256 TEXT    NOT NULL,
    installed_at    INTEGER NOT NULL,
    installed_by    TEXT    NOT NULL,
    PRIMARY KEY (plugin_id, version)
);

CREATE TABLE plugin_config (
    plugin_id  TEXT    NOT NULL,
    hall       TEXT    NOT NULL DEFAULT '',  -- '' = district
    config     TEXT    NOT NULL CHECK (json_valid(config)),
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (plugin_id, hall)
);
