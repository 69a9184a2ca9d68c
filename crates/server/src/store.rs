//! SQLite storage: sources, destinations (their configuration in Segment's settings
//! shape) and every version of each destination. WAL mode, foreign keys on, each write
//! in one transaction, so an acknowledged write survives a crash.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const MIGRATIONS: &[(&str, &str)] = &[("0001_init", include_str!("../migrations/0001_init.sql"))];

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub name: String,
    pub write_key: String,
    pub enabled: bool,
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub id: String,
    pub source_id: String,
    pub slug: String,
    pub enabled: bool,
    /// `{"apiKey", "subscriptions": [...]}`.
    pub config: Value,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub n: i64,
    pub created_at: String,
    pub author: String,
    pub summary: String,
    pub enabled: bool,
    pub config: Value,
}

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// Bumped by every write, whichever front end made it; readers that cache what they
    /// derived from the store (the settings analytics.js loads) compare it without
    /// taking the store's lock.
    writes: Arc<AtomicU64>,
}

pub type Result<T> = rusqlite::Result<T>;

impl Store {
    /// The write counter, to read without the store's lock.
    pub fn writes(&self) -> Arc<AtomicU64> {
        self.writes.clone()
    }

    fn wrote<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            self.writes.fetch_add(1, Ordering::Release);
        }
        result
    }

    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Store {
            conn,
            writes: Arc::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn
            .execute_batch("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)")?;
        for (name, sql) in MIGRATIONS {
            let tx = self.conn.transaction()?;
            let done: Option<String> = tx
                .query_row("SELECT name FROM migrations WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?;
            if done.is_none() {
                tx.execute_batch(sql)?;
                tx.execute("INSERT INTO migrations (name) VALUES (?1)", [name])?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    fn source_row(r: &rusqlite::Row<'_>) -> Result<Source> {
        Ok(Source {
            id: r.get(0)?,
            name: r.get(1)?,
            write_key: r.get(2)?,
            enabled: r.get(3)?,
            revision: r.get(4)?,
        })
    }

    pub fn sources(&self) -> Result<Vec<Source>> {
        let mut st = self.conn.prepare(
            "SELECT id, name, write_key, enabled, revision FROM sources ORDER BY created_at, id",
        )?;
        let rows = st.query_map([], Self::source_row)?;
        rows.collect()
    }

    pub fn source(&self, id: &str) -> Result<Option<Source>> {
        self.conn
            .query_row(
                "SELECT id, name, write_key, enabled, revision FROM sources WHERE id = ?1",
                [id],
                Self::source_row,
            )
            .optional()
    }

    pub fn source_by_write_key(&self, key: &str) -> Result<Option<Source>> {
        self.conn
            .query_row(
                "SELECT id, name, write_key, enabled, revision FROM sources WHERE write_key = ?1",
                [key],
                Self::source_row,
            )
            .optional()
    }

    pub fn insert_source(&self, s: &Source, now: &str) -> Result<()> {
        let done = self.conn.execute(
            "INSERT INTO sources (id, name, write_key, enabled, revision, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.id, s.name, s.write_key, s.enabled, s.revision, now],
        );
        self.wrote(done).map(|_| ())
    }

    pub fn update_source(&self, s: &Source) -> Result<()> {
        let done = self.conn.execute(
            "UPDATE sources SET name = ?2, enabled = ?3, revision = ?4 WHERE id = ?1",
            params![s.id, s.name, s.enabled, s.revision],
        );
        self.wrote(done).map(|_| ())
    }

    pub fn delete_source(&self, id: &str) -> Result<bool> {
        let done = self.conn.execute("DELETE FROM sources WHERE id = ?1", [id]);
        Ok(self.wrote(done)? > 0)
    }

    fn destination_row(r: &rusqlite::Row<'_>) -> Result<Destination> {
        let config: String = r.get(4)?;
        Ok(Destination {
            id: r.get(0)?,
            source_id: r.get(1)?,
            slug: r.get(2)?,
            enabled: r.get(3)?,
            config: serde_json::from_str(&config).unwrap_or(Value::Null),
            version: r.get(5)?,
        })
    }

    pub fn destinations(&self, source: Option<&str>) -> Result<Vec<Destination>> {
        let mut st = self.conn.prepare(
            "SELECT id, source_id, slug, enabled, config, version FROM destinations
             WHERE ?1 IS NULL OR source_id = ?1 ORDER BY created_at, id",
        )?;
        let rows = st.query_map([source], Self::destination_row)?;
        rows.collect()
    }

    pub fn destination(&self, id: &str) -> Result<Option<Destination>> {
        self.conn
            .query_row(
                "SELECT id, source_id, slug, enabled, config, version FROM destinations WHERE id = ?1",
                [id],
                Self::destination_row,
            )
            .optional()
    }

    /// Writes a destination's new state and its version record in one transaction.
    pub fn save_destination(
        &mut self,
        d: &Destination,
        author: &str,
        summary: &str,
        now: &str,
        insert: bool,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let config = d.config.to_string();
        if insert {
            tx.execute(
                "INSERT INTO destinations (id, source_id, slug, enabled, config, version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![d.id, d.source_id, d.slug, d.enabled, config, d.version, now],
            )?;
        } else {
            tx.execute(
                "UPDATE destinations SET enabled = ?2, config = ?3, version = ?4 WHERE id = ?1",
                params![d.id, d.enabled, config, d.version],
            )?;
        }
        tx.execute(
            "INSERT INTO versions (destination_id, n, created_at, author, summary, enabled, config) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![d.id, d.version, now, author, summary, d.enabled, config],
        )?;
        let done = tx.commit();
        self.wrote(done)
    }

    pub fn delete_destination(&self, id: &str) -> Result<bool> {
        let done = self
            .conn
            .execute("DELETE FROM destinations WHERE id = ?1", [id]);
        Ok(self.wrote(done)? > 0)
    }

    pub fn versions(&self, destination: &str) -> Result<Vec<Version>> {
        let mut st = self.conn.prepare(
            "SELECT n, created_at, author, summary, enabled, config FROM versions WHERE destination_id = ?1 ORDER BY n",
        )?;
        let rows = st.query_map([destination], |r| {
            let config: String = r.get(5)?;
            Ok(Version {
                n: r.get(0)?,
                created_at: r.get(1)?,
                author: r.get(2)?,
                summary: r.get(3)?,
                enabled: r.get(4)?,
                config: serde_json::from_str(&config).unwrap_or(Value::Null),
            })
        })?;
        rows.collect()
    }
}
