-- Who may see a blob: one row per (blob, owner, hall). The owner is a plugin
-- id, or `portal` for uploads by people; hall NULL is district-level.
CREATE TABLE blob_refs (
    sha256     TEXT    NOT NULL REFERENCES blobs (sha256),
    owner      TEXT    NOT NULL,
    hall       TEXT,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX blob_refs_key ON blob_refs (sha256, owner, COALESCE(hall, ''));
CREATE INDEX blob_refs_hall ON blob_refs (hall);
