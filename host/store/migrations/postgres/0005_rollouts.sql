-- Staged rollouts of edge plugins: one version to many agents in waves,
-- stopped and reverted when more targets fail than the threshold allows.

CREATE TABLE edge_rollouts (
    id              TEXT    NOT NULL PRIMARY KEY,
    plugin          TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    digest          TEXT    NOT NULL REFERENCES edge_artefacts (digest),
    config          TEXT    NOT NULL,
    health_window_s BIGINT NOT NULL,
    force_pinned    BIGINT NOT NULL DEFAULT 0,
    -- JSON array: cumulative number of targets at the end of each wave.
    waves           TEXT    NOT NULL,
    -- The request's waves and threshold as written ("1", "10%", ...), JSON.
    plan            TEXT    NOT NULL,
    -- Abort when more targets than this have failed.
    max_failures    BIGINT NOT NULL,
    wave_timeout_s  BIGINT NOT NULL,
    -- running | completed | aborted
    state           TEXT    NOT NULL,
    current_wave    BIGINT NOT NULL,
    wave_started_at BIGINT NOT NULL,
    reason          TEXT,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);

CREATE INDEX edge_rollouts_state ON edge_rollouts (state, plugin);

CREATE TABLE edge_rollout_targets (
    rollout_id      TEXT    NOT NULL REFERENCES edge_rollouts (id),
    agent_id        TEXT    NOT NULL REFERENCES edge_agents (id),
    wave            BIGINT NOT NULL,
    -- waiting | dispatched | succeeded | failed | skipped | reverted
    state           TEXT    NOT NULL,
    -- What the agent's desired state named before, restored on abort.
    previous_digest TEXT,
    previous_config TEXT,
    previous_health_window_s BIGINT,
    error           TEXT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, agent_id)
);

CREATE INDEX edge_rollout_targets_agent ON edge_rollout_targets (agent_id, state);
