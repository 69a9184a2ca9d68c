-- The control plane's schema. Migrations run in file order at start; each runs once.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sources (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    write_key  TEXT NOT NULL UNIQUE,
    enabled    INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

-- A destination instance: its settings and mappings live in `config`, the Segment
-- settings shape ({"apiKey", "subscriptions": [...]}), validated by the engine.
CREATE TABLE destinations (
    id         TEXT PRIMARY KEY,
    source_id  TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    slug       TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    config     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

-- Every change to a destination: who, when, what, and the whole state after it.
CREATE TABLE versions (
    destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    n              INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    author         TEXT NOT NULL,
    summary        TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    config         TEXT NOT NULL,
    PRIMARY KEY (destination_id, n)
);
