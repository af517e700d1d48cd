-- The district's service catalogue (事项库), one row per published
-- version: the whole catalogue as JSON (validated by the host before it is
-- written), never changed once written. The current catalogue is the
-- highest version.
CREATE TABLE service_catalogue (
    version BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    items BIGINT NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL
);
