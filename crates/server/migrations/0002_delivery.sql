-- The browser delivery log: what pages running a destination report about each
-- mapping. Observations, not configuration: writing them changes no version.

-- Counts per mapping and minute of the server's receive time (`minute` is Unix
-- seconds / 60), added to by every batch received in that minute. The key leads with
-- the destination and the minute, so a report and the pruning of old rows read one range.
CREATE TABLE delivery_counts (
    destination_id     TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    minute             INTEGER NOT NULL,
    subscription_id    TEXT NOT NULL,
    matched            INTEGER NOT NULL,
    skipped_trigger    INTEGER NOT NULL,
    skipped_consent    INTEGER NOT NULL,
    skipped_validation INTEGER NOT NULL,
    delivered          INTEGER NOT NULL,
    PRIMARY KEY (destination_id, minute, subscription_id)
) WITHOUT ROWID;

-- The last errors pages reported, newest kept (the store deletes older ones as it
-- inserts). `at` is the server's receive time in Unix seconds.
CREATE TABLE delivery_errors (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    destination_id  TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    subscription_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    reason          TEXT NOT NULL
);
CREATE INDEX delivery_errors_by_destination ON delivery_errors (destination_id, id);
