-- A rollout without a config keeps each agent's current config for the
-- plugin (checked against the new version's schema when it is dispatched);
-- `config` then holds the defaults, for agents that had none.
ALTER TABLE edge_rollouts ADD COLUMN keep_config INTEGER NOT NULL DEFAULT 0;
