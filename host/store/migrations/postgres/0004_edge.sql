-- The edge fabric: enrolled hall agents, one-time enrolment tokens, the
-- events they send (applied exactly once per agent sequence number), and
-- the alerts among those events. Keep in step with ../sqlite/0004_edge.sql.

CREATE TABLE edge_agents (
    id            TEXT    NOT NULL PRIMARY KEY,     -- also its MQTT username
    hall          TEXT    NOT NULL REFERENCES halls (id),
    secret_sha256 TEXT    NOT NULL,                 -- of its 256-bit MQTT password
    enrolled_at   BIGINT NOT NULL,
    enrolled_by   TEXT    NOT NULL,                 -- user id that issued the token
    hostname      TEXT    NOT NULL DEFAULT '',
    version       TEXT    NOT NULL DEFAULT '',
    revoked_at    BIGINT,
    -- Link state, from the retained status topic and heartbeats.
    online        BIGINT NOT NULL DEFAULT 0,
    boot          TEXT,
    conn          BIGINT,
    last_seen     BIGINT,
    heartbeat     TEXT,
    report        TEXT,
    -- Highest event sequence number applied; the next applied is this + 1.
    applied_seq   BIGINT  NOT NULL DEFAULT 0 CHECK (applied_seq >= 0)
);
CREATE INDEX edge_agents_hall ON edge_agents (hall);

CREATE TABLE edge_enrolments (
    token_sha256 TEXT    NOT NULL PRIMARY KEY,
    agent_id     TEXT    NOT NULL,
    hall         TEXT    NOT NULL REFERENCES halls (id),
    created_by   TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);

CREATE TABLE edge_events (
    agent_id    TEXT    NOT NULL,
    seq         BIGINT NOT NULL CHECK (seq >= 1),
    hall        TEXT    NOT NULL,
    ts_ms       BIGINT NOT NULL,                   -- agent clock
    kind        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    subject     TEXT,
    data        TEXT    NOT NULL,
    attachment  TEXT,                               -- blob sha256
    received_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, seq)
);
CREATE INDEX edge_events_hall ON edge_events (hall, received_at);

CREATE TABLE edge_alerts (
    agent_id        TEXT    NOT NULL,
    seq             BIGINT NOT NULL,
    hall            TEXT    NOT NULL,
    ts_ms           BIGINT NOT NULL,
    kind            TEXT    NOT NULL,
    subject         TEXT,
    data            TEXT    NOT NULL,
    snapshot        TEXT,                           -- blob sha256 of the JPEG
    received_at     BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    PRIMARY KEY (agent_id, seq)
);
CREATE INDEX edge_alerts_hall ON edge_alerts (hall, ts_ms);
CREATE INDEX edge_alerts_open ON edge_alerts (ts_ms) WHERE acknowledged_at IS NULL;

-- Edge plugin packages uploaded for dispatch, addressed by package digest
-- (what the signature covers); the bytes are a blob.
CREATE TABLE edge_artefacts (
    digest      TEXT    NOT NULL PRIMARY KEY,       -- sha256:<hex> of manifest + wasm
    plugin      TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    blob        TEXT    NOT NULL,                   -- blob sha256 of the .btpkg
    uploaded_by TEXT    NOT NULL,
    uploaded_at BIGINT NOT NULL
);

-- What each agent should run: one row per (agent, plugin). The previous
-- digest is kept for operator rollback; a pinned row is left alone by
-- rollouts.
CREATE TABLE edge_desired (
    agent_id        TEXT    NOT NULL REFERENCES edge_agents (id),
    plugin          TEXT    NOT NULL,
    digest          TEXT    NOT NULL REFERENCES edge_artefacts (digest),
    previous_digest TEXT,
    config          TEXT    NOT NULL,
    health_window_s BIGINT NOT NULL,
    pinned          BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (agent_id, plugin)
);

CREATE TABLE edge_revisions (
    agent_id TEXT   NOT NULL PRIMARY KEY REFERENCES edge_agents (id),
    revision BIGINT NOT NULL
);
