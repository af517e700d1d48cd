-- The district's service catalogue (事项库), one row per published
-- version: the whole catalogue as JSON (validated by the host before it is
-- written), never changed once written. The current catalogue is the
-- highest version.
CREATE TABLE service_catalogue (
    version INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    items INTEGER NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL
);
