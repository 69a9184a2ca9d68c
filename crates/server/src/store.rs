//! SQLite storage: sources, destinations (their configuration in Segment's settings
//! shape), every version of each destination, and the browser delivery log (counts per
//! mapping and minute, the last errors). WAL mode, foreign keys on, each write in one
//! transaction, so an acknowledged write survives a crash.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    (
        "0002_delivery",
        include_str!("../migrations/0002_delivery.sql"),
    ),
];

/// How many delivery errors are kept per destination (the newest).
pub const DELIVERY_ERRORS_KEPT: i64 = 50;

/// How long delivery counts are kept, in minutes: the longest report (720 hours) and
/// the hour it starts in.
pub const DELIVERY_RETENTION_MINUTES: i64 = 721 * 60;

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

/// What pages counted for one mapping: the five outcomes of the delivery log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub matched: i64,
    pub skipped_trigger: i64,
    pub skipped_consent: i64,
    pub skipped_validation: i64,
    pub delivered: i64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.matched += other.matched;
        self.skipped_trigger += other.skipped_trigger;
        self.skipped_consent += other.skipped_consent;
        self.skipped_validation += other.skipped_validation;
        self.delivered += other.delivered;
    }

    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
}

/// An error a page reported about a mapping; `at` in Unix seconds (receive time).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryError {
    pub at: i64,
    pub subscription: String,
    pub kind: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// Bumped by every write of configuration, whichever front end made it; readers
    /// that cache what they derived from the store (the settings analytics.js loads)
    /// compare it without taking the store's lock. The delivery log does not bump it.
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

    /// Adds a batch of delivery counts (by mapping) at `minute` (Unix seconds / 60)
    /// and stores its errors, in one transaction that also deletes counts older than
    /// [`DELIVERY_RETENTION_MINUTES`] and errors beyond the newest
    /// [`DELIVERY_ERRORS_KEPT`]. Observations, not configuration: the write counter
    /// stays as it is, so the settings cache does too.
    pub fn record_delivery(
        &mut self,
        destination: &str,
        minute: i64,
        counts: &[(String, Counts)],
        errors: &[DeliveryError],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut add = tx.prepare_cached(
                "INSERT INTO delivery_counts (destination_id, minute, subscription_id, matched, skipped_trigger, skipped_consent, skipped_validation, delivered)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (destination_id, minute, subscription_id) DO UPDATE SET
                   matched = matched + excluded.matched,
                   skipped_trigger = skipped_trigger + excluded.skipped_trigger,
                   skipped_consent = skipped_consent + excluded.skipped_consent,
                   skipped_validation = skipped_validation + excluded.skipped_validation,
                   delivered = delivered + excluded.delivered",
            )?;
            for (subscription, c) in counts {
                add.execute(params![
                    destination,
                    minute,
                    subscription,
                    c.matched,
                    c.skipped_trigger,
                    c.skipped_consent,
                    c.skipped_validation,
                    c.delivered
                ])?;
            }
            let mut note = tx.prepare_cached(
                "INSERT INTO delivery_errors (destination_id, at, subscription_id, kind, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for e in errors {
                note.execute(params![destination, e.at, e.subscription, e.kind, e.reason])?;
            }
        }
        tx.execute(
            "DELETE FROM delivery_counts WHERE destination_id = ?1 AND minute < ?2",
            params![destination, minute - DELIVERY_RETENTION_MINUTES],
        )?;
        if !errors.is_empty() {
            tx.execute(
                "DELETE FROM delivery_errors WHERE destination_id = ?1 AND id NOT IN
                 (SELECT id FROM delivery_errors WHERE destination_id = ?1 ORDER BY id DESC LIMIT ?2)",
                params![destination, DELIVERY_ERRORS_KEPT],
            )?;
        }
        tx.commit()
    }

    /// A destination's delivery counts from `since_minute` on, summed per mapping and
    /// bucket of `bucket_minutes` (aligned to the epoch): (mapping, the bucket's first
    /// minute, counts), by mapping then bucket.
    pub fn delivery_counts(
        &self,
        destination: &str,
        since_minute: i64,
        bucket_minutes: i64,
    ) -> Result<Vec<(String, i64, Counts)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT subscription_id, (minute / ?3) * ?3 AS bucket, SUM(matched), SUM(skipped_trigger),
                    SUM(skipped_consent), SUM(skipped_validation), SUM(delivered)
             FROM delivery_counts WHERE destination_id = ?1 AND minute >= ?2
             GROUP BY subscription_id, bucket ORDER BY subscription_id, bucket",
        )?;
        let rows = st.query_map(
            params![destination, since_minute, bucket_minutes.max(1)],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    Counts {
                        matched: r.get(2)?,
                        skipped_trigger: r.get(3)?,
                        skipped_consent: r.get(4)?,
                        skipped_validation: r.get(5)?,
                        delivered: r.get(6)?,
                    },
                ))
            },
        )?;
        rows.collect()
    }

    /// A destination's stored delivery errors received at `since` (Unix seconds) or
    /// later, newest first.
    pub fn delivery_errors(&self, destination: &str, since: i64) -> Result<Vec<DeliveryError>> {
        let mut st = self.conn.prepare_cached(
            "SELECT at, subscription_id, kind, reason FROM delivery_errors
             WHERE destination_id = ?1 AND at >= ?2 ORDER BY id DESC",
        )?;
        let rows = st.query_map(params![destination, since], |r| {
            Ok(DeliveryError {
                at: r.get(0)?,
                subscription: r.get(1)?,
                kind: r.get(2)?,
                reason: r.get(3)?,
            })
        })?;
        rows.collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str) -> Store {
        let dir = std::env::temp_dir().join(format!("iterate-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Store::open(&dir.join("store.db")).unwrap()
    }

    fn with_destination(s: &mut Store, id: &str) {
        let source = Source {
            id: format!("s-{id}"),
            name: "Site".into(),
            write_key: format!("k-{id}"),
            enabled: true,
            revision: 1,
        };
        s.insert_source(&source, "2026-01-01T00:00:00Z").unwrap();
        let d = Destination {
            id: id.into(),
            source_id: source.id,
            slug: "actions-iterate".into(),
            enabled: true,
            config: serde_json::json!({"apiKey": "k"}),
            version: 1,
        };
        s.save_destination(&d, "test", "created", "2026-01-01T00:00:00Z", true)
            .unwrap();
    }

    fn counts(matched: i64, delivered: i64) -> Counts {
        Counts {
            matched,
            delivered,
            ..Counts::default()
        }
    }

    #[test]
    fn delivery_counts_add_up_per_minute_and_sum_per_bucket_without_counting_as_writes() {
        let mut s = store("counts");
        with_destination(&mut s, "d1");
        let writes = s.writes().load(Ordering::Acquire);
        let m = 60 * 483_333; // a minute that starts an hour
        s.record_delivery("d1", m, &[("a".into(), counts(2, 1))], &[])
            .unwrap();
        s.record_delivery(
            "d1",
            m,
            &[("a".into(), counts(3, 3)), ("b".into(), counts(1, 0))],
            &[],
        )
        .unwrap();
        s.record_delivery("d1", m + 61, &[("a".into(), counts(5, 5))], &[])
            .unwrap();
        assert_eq!(
            s.writes().load(Ordering::Acquire),
            writes,
            "not configuration"
        );

        let per_minute = s.delivery_counts("d1", m, 1).unwrap();
        assert_eq!(
            per_minute,
            [
                ("a".to_string(), m, counts(5, 4)),
                ("a".to_string(), m + 61, counts(5, 5)),
                ("b".to_string(), m, counts(1, 0)),
            ]
        );
        let hourly = s.delivery_counts("d1", m, 60).unwrap();
        assert_eq!(hourly[0], ("a".to_string(), m, counts(5, 4)));
        assert_eq!(hourly[1], ("a".to_string(), m + 60, counts(5, 5)));
        assert_eq!(
            s.delivery_counts("d1", m + 1, 1).unwrap(),
            [("a".to_string(), m + 61, counts(5, 5))],
            "a window from the next minute"
        );

        // Old rows go as new ones come; deleting the destination takes the rest.
        s.record_delivery(
            "d1",
            m + DELIVERY_RETENTION_MINUTES + 1,
            &[("a".into(), counts(1, 1))],
            &[],
        )
        .unwrap();
        assert_eq!(
            s.delivery_counts("d1", 0, 1).unwrap(),
            [
                ("a".to_string(), m + 61, counts(5, 5)),
                (
                    "a".to_string(),
                    m + DELIVERY_RETENTION_MINUTES + 1,
                    counts(1, 1)
                ),
            ],
            "the minute m rows are past the retention, m + 61 is not"
        );
        assert!(s.delete_destination("d1").unwrap());
        assert!(s.delivery_counts("d1", 0, 1).unwrap().is_empty());
    }

    #[test]
    fn deleting_a_source_deletes_its_destinations_their_versions_and_delivery_logs() {
        let mut s = store("source-delete");
        with_destination(&mut s, "d1");
        with_destination(&mut s, "d2");
        s.record_delivery(
            "d1",
            1,
            &[("a".into(), counts(1, 1))],
            &[DeliveryError {
                at: 60,
                subscription: "a".into(),
                kind: "validation".into(),
                reason: "r".into(),
            }],
        )
        .unwrap();
        let writes = s.writes().load(Ordering::Acquire);
        assert!(s.delete_source("s-d1").unwrap());
        assert!(
            s.writes().load(Ordering::Acquire) > writes,
            "cached settings go stale"
        );
        assert!(s.source("s-d1").unwrap().is_none());
        assert!(s.destination("d1").unwrap().is_none());
        assert!(s.versions("d1").unwrap().is_empty());
        assert!(s.delivery_counts("d1", 0, 1).unwrap().is_empty());
        assert!(s.delivery_errors("d1", 0).unwrap().is_empty());
        assert!(s.destination("d2").unwrap().is_some(), "another source's");
        assert_eq!(s.versions("d2").unwrap().len(), 1);
        assert!(!s.delete_source("s-d1").unwrap(), "already gone");
    }

    #[test]
    fn only_the_newest_delivery_errors_are_kept() {
        let mut s = store("errors");
        with_destination(&mut s, "d1");
        with_destination(&mut s, "d2");
        let error = |i: i64| DeliveryError {
            at: 1000 + i,
            subscription: "a".into(),
            kind: "validation".into(),
            reason: format!("reason {i}"),
        };
        s.record_delivery("d2", 1, &[], &[error(0)]).unwrap();
        for chunk in (0..70).collect::<Vec<_>>().chunks(20) {
            let batch: Vec<DeliveryError> = chunk.iter().map(|&i| error(i)).collect();
            s.record_delivery("d1", 1, &[], &batch).unwrap();
        }
        let kept = s.delivery_errors("d1", 0).unwrap();
        assert_eq!(kept.len() as i64, DELIVERY_ERRORS_KEPT);
        assert_eq!(kept[0], error(69));
        assert_eq!(kept.last().unwrap().reason, "reason 20");
        assert_eq!(s.delivery_errors("d1", 1060).unwrap().len(), 10);
        assert_eq!(
            s.delivery_errors("d2", 0).unwrap(),
            [error(0)],
            "per destination"
        );
    }
}
