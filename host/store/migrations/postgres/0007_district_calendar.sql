-- The district's working-day calendar: one holiday arrangement
-- (节假日安排) per year, as the State Council's notice gives it. Entries are
-- JSON arrays of "YYYY-MM-DD[..YYYY-MM-DD][ name]" lines, validated by the
-- host before they are written.
CREATE TABLE district_calendar (
    year BIGINT PRIMARY KEY,
    notice TEXT NOT NULL,
    holidays TEXT NOT NULL,
    workdays TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
