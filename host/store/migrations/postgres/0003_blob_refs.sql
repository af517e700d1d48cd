-- Who may see a blob: one row per (blob, owner, hall). The owner is a plugin
-- id, or `portal` for uploads by people; hall NULL is district-level.
CREATE TABLE blob_refs (
    sha256     TEXT COLLATE "C" NOT NULL REFERENCES blobs (sha256),
    owner      TEXT COLLATE "C" NOT NULL,
    hall       TEXT COLLATE "C",
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX blob_refs_key ON blob_refs (sha256, owner, COALESCE(hall, ''));
CREATE INDEX blob_refs_hall ON blob_refs (hall);
