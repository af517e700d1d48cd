-- Messages to people queued by plugins (SMS through the district's gateway,
-- or notices in the portal). A row is written in the plugin call's unit of
-- work, so a failed call sends nothing; the host's notice worker sends it
-- afterwards: state queued -> sent | failed (retrying a gateway that is
-- down until max attempts), with a lease so one host process sends it.
CREATE TABLE notices (
    id              TEXT PRIMARY KEY,
    plugin          TEXT NOT NULL,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    text            TEXT NOT NULL,
    topic           TEXT NOT NULL,
    hall            TEXT,
    acting_for      TEXT,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    read_at         INTEGER,
    external_id     TEXT,
    last_error      TEXT
);
CREATE INDEX notices_due ON notices (state, next_attempt_at);
CREATE INDEX notices_plugin_created ON notices (plugin, created_at);
CREATE INDEX notices_recipient ON notices (channel, recipient, created_at);
