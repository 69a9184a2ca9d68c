//! The browser delivery log: what pages running a destination count for each mapping
//! (matched, skipped by its trigger, for consent or by validation, delivered) and the
//! errors they report. Pages send a batch with `navigator.sendBeacon` to
//! `POST /v1/projects/{writeKey}/destinations/{id}/delivery` (routed in
//! [`crate::public`]); [`receive`] checks it, rate-limits it per destination and adds
//! it to the counts of the minute the server received it in (never the page's clock).
//! [`report`] sums the counts per mapping over a window, for the API and the web UI.
//! Counts come from sampled page loads only (the `deliveryLogSampleRate` setting).

use crate::error::ApiError;
use crate::store::{Counts, DeliveryError, Destination, Store};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The largest batch body, in bytes.
pub const MAX_BATCH_BODY: usize = 16 * 1024;
/// The most counters (mappings) in one batch.
pub const MAX_COUNTERS: usize = 50;
/// The most errors in one batch.
pub const MAX_ERRORS: usize = 20;
/// The largest count a batch may carry for one outcome.
pub const MAX_COUNT: u64 = 10_000;
/// The longest error reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// What an error is about.
pub const ERROR_KINDS: [&str; 3] = ["validation", "consent", "trigger"];
/// Batches a destination's pages may send at once before the rate limit applies...
pub const BURST: f64 = 600.0;
/// ...and how many more per second after that (a sampled page sends about one batch
/// every 5 s while events flow, so about 500 such pages at once; lower the sample rate
/// for more traffic). Refused batches are counted and shown, never silently lost.
pub const REFILL_PER_SECOND: f64 = 100.0;

/// The longest report window, in hours, and the one the UI shows.
pub const MAX_HOURS: i64 = 720;
pub const DEFAULT_HOURS: i64 = 24;
/// Reports up to this many hours are per minute; longer ones per hour.
pub const MINUTE_BUCKETS_UP_TO_HOURS: i64 = 6;

/// The five outcomes, as the wire format and the API name them.
pub const OUTCOMES: [&str; 5] = [
    "matched",
    "skippedTrigger",
    "skippedConsent",
    "skippedValidation",
    "delivered",
];

/// The count of an outcome named as in [`OUTCOMES`].
pub fn outcome(c: &Counts, name: &str) -> i64 {
    match name {
        "matched" => c.matched,
        "skippedTrigger" => c.skipped_trigger,
        "skippedConsent" => c.skipped_consent,
        "skippedValidation" => c.skipped_validation,
        _ => c.delivered,
    }
}

/// A batch as a page sent it, checked: counts by mapping, and errors (their `at` is
/// the receive time).
#[derive(Debug, PartialEq)]
pub struct Batch {
    pub counters: Vec<(String, Counts)>,
    pub errors: Vec<DeliveryError>,
}

/// A 400 about the value at `pointer`.
fn bad(pointer: &str, what: &str) -> ApiError {
    let message = format!("`{pointer}` {what}");
    ApiError {
        details: vec![json!({"pointer": pointer, "message": message})],
        ..ApiError::bad_request(message.clone())
    }
}

/// A mapping's id at `{at}/subscription`.
fn subscription(item: &Map<String, Value>, at: &str) -> Result<String, ApiError> {
    match item.get("subscription") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(bad(
            &format!("{at}/subscription"),
            "must be the id of a mapping (a non-empty string)",
        )),
    }
}

/// The items of the array at `/{key}`, at most `max`; `None` for an absent key.
fn items<'a>(
    body: &'a Map<String, Value>,
    key: &str,
    max: usize,
) -> Result<Option<&'a [Value]>, ApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Array(a)) if a.len() <= max => Ok(Some(a)),
        Some(Value::Array(_)) => Err(bad(
            &format!("/{key}"),
            &format!("must have at most {max} items"),
        )),
        Some(_) => Err(bad(&format!("/{key}"), "must be an array")),
    }
}

/// Reads a batch: `{"v": 1, "counters": [...], "errors": [...]}`. A refusal names the
/// JSON Pointer of the first value that is wrong.
pub fn parse(bytes: &[u8], received: i64) -> Result<Batch, ApiError> {
    let body = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(ApiError {
                details: vec![json!({"pointer": "", "message": "must be a JSON object"})],
                ..ApiError::bad_request("the body must be a JSON object")
            })
        }
        Err(e) => return Err(ApiError::bad_request(format!("the body is not JSON: {e}"))),
    };
    if body.get("v") != Some(&json!(1)) {
        return Err(bad("/v", "must be 1, the version of this format"));
    }
    let counters = items(&body, "counters", MAX_COUNTERS)?
        .ok_or_else(|| bad("/counters", "is required (an array, maybe empty)"))?;
    let mut batch = Batch {
        counters: Vec::with_capacity(counters.len()),
        errors: Vec::new(),
    };
    for (i, item) in counters.iter().enumerate() {
        let at = format!("/counters/{i}");
        let Value::Object(item) = item else {
            return Err(bad(&at, "must be an object"));
        };
        let count = |key: &str| -> Result<i64, ApiError> {
            match item.get(key) {
                None => Ok(0),
                Some(v) => v
                    .as_u64()
                    .filter(|n| *n <= MAX_COUNT)
                    .map(|n| n as i64)
                    .ok_or_else(|| {
                        bad(
                            &format!("{at}/{key}"),
                            &format!("must be a non-negative integer, at most {MAX_COUNT}"),
                        )
                    }),
            }
        };
        let counts = Counts {
            matched: count("matched")?,
            skipped_trigger: count("skippedTrigger")?,
            skipped_consent: count("skippedConsent")?,
            skipped_validation: count("skippedValidation")?,
            delivered: count("delivered")?,
        };
        batch.counters.push((subscription(item, &at)?, counts));
    }
    for (i, item) in items(&body, "errors", MAX_ERRORS)?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = format!("/errors/{i}");
        let Value::Object(item) = item else {
            return Err(bad(&at, "must be an object"));
        };
        let subscription = subscription(item, &at)?;
        let kind = match item.get("kind").and_then(Value::as_str) {
            Some(k) if ERROR_KINDS.contains(&k) => k.to_string(),
            _ => {
                return Err(bad(
                    &format!("{at}/kind"),
                    &format!("must be one of {}", ERROR_KINDS.join(", ")),
                ))
            }
        };
        let reason = match item.get("reason").and_then(Value::as_str) {
            Some(r) if r.chars().count() <= MAX_REASON_CHARS => r.to_string(),
            _ => {
                return Err(bad(
                    &format!("{at}/reason"),
                    &format!("must be a string of at most {MAX_REASON_CHARS} characters"),
                ))
            }
        };
        batch.errors.push(DeliveryError {
            at: received,
            subscription,
            kind,
            reason,
        });
    }
    Ok(batch)
}

/// A token bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub burst: f64,
    pub per_second: f64,
}

impl Limit {
    pub const DEFAULT: Limit = Limit {
        burst: BURST,
        per_second: REFILL_PER_SECOND,
    };
}

/// The delivery log's rate limit: a token bucket per destination. In memory: a
/// restart refills every bucket.
#[derive(Debug)]
pub struct Limiter {
    limit: Limit,
    /// Tokens left, when they were counted, and the batches refused since the server
    /// started, by destination id.
    buckets: std::sync::Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    refused: u64,
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter::new(Limit::DEFAULT)
    }
}

impl Limiter {
    pub fn new(limit: Limit) -> Limiter {
        Limiter {
            limit,
            buckets: Default::default(),
        }
    }

    /// Takes a token from `key`'s bucket at `now`, or says how long until one is there.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Limit { burst, per_second } = self.limit;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(()); // a panic elsewhere must not stop the log
        };
        // Keys are ids of existing destinations; deleted ones linger until this.
        if buckets.len() >= 10_000 {
            buckets.clear();
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
            refused: 0,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        let available = (b.tokens + elapsed * per_second).min(burst);
        b.at = b.at.max(now);
        if available >= 1.0 {
            b.tokens = available - 1.0;
            Ok(())
        } else {
            b.tokens = available;
            b.refused += 1;
            Err(Duration::try_from_secs_f64((1.0 - available) / per_second)
                .unwrap_or(Duration::from_secs(3600)))
        }
    }

    /// The batches of `key` refused since the server started.
    pub fn refused(&self, key: &str) -> u64 {
        self.buckets
            .lock()
            .ok()
            .and_then(|b| b.get(key).map(|b| b.refused))
            .unwrap_or(0)
    }
}

/// `POST /v1/projects/{writeKey}/destinations/{id}/delivery`: a page's batch. Public
/// (pages have no token), answered with CORS headers for any origin.
pub async fn receive(
    State(app): State<Arc<AppState>>,
    Path((write_key, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let r = accept(&app, &write_key, &id, body)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    crate::public::cors(r)
}

/// The CORS preflight of [`receive`] (for pages that send JSON with `fetch`;
/// `sendBeacon`'s text/plain needs none).
pub async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    crate::public::cors(r)
}

async fn accept(
    app: &AppState,
    write_key: &str,
    id: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let received = crate::util::unix_now();
    // One lock from the lookup to the write, so the destination cannot go in between.
    let mut store = app.store.lock().await;
    let source = store
        .source_by_write_key(write_key)?
        .filter(|s| s.enabled)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "no enabled source has this write key",
            )
        })?;
    let d = store
        .destination(id)?
        .filter(|d| d.source_id == source.id && d.enabled)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("the source of this write key has no enabled destination with id {id:?}"),
            )
        })?;
    let bytes = body.map_err(|e| ApiError::unreadable(e, MAX_BATCH_BODY))?;
    let mut batch = parse(&bytes, received)?;
    // Pages loaded before a mapping was deleted still count it: dropped, not refused.
    let known: HashSet<&str> = d.config["subscriptions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str())
        .collect();
    let sent = batch.counters.len() + batch.errors.len();
    batch.counters.retain(|(s, _)| known.contains(s.as_str()));
    batch
        .errors
        .retain(|e| known.contains(e.subscription.as_str()));
    let accepted = batch.counters.len() + batch.errors.len();
    if let Err(wait) = app.delivery_limit.take(&d.id, Instant::now()) {
        return Ok(rate_limited(wait));
    }
    batch.counters.retain(|(_, c)| !c.is_zero());
    if !(batch.counters.is_empty() && batch.errors.is_empty()) {
        store.record_delivery(
            &d.id,
            received.div_euclid(60),
            &batch.counters,
            &batch.errors,
        )?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"accepted": accepted, "ignored": sent - accepted})),
    )
        .into_response())
}

fn rate_limited(wait: Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut r = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many delivery batches for this destination; send again in {seconds} s"),
    )
    .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    r
}

/// The `hours` of a report: [`DEFAULT_HOURS`] when absent, else 1 to [`MAX_HOURS`].
pub fn hours(given: Option<&str>) -> Result<i64, ApiError> {
    match given {
        None => Ok(DEFAULT_HOURS),
        Some(h) => h
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=MAX_HOURS).contains(h))
            .ok_or_else(|| {
                let message = format!("`hours` must be a whole number from 1 to {MAX_HOURS}");
                ApiError {
                    details: vec![json!({"parameter": "hours", "message": message})],
                    ..ApiError::bad_request(message.clone())
                }
            }),
    }
}

/// The bucket of a report over `hours`, in seconds: a minute up to
/// [`MINUTE_BUCKETS_UP_TO_HOURS`], an hour beyond.
pub fn bucket_seconds(hours: i64) -> i64 {
    if hours > MINUTE_BUCKETS_UP_TO_HOURS {
        3600
    } else {
        60
    }
}

/// One mapping's counts over a report's window.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingReport {
    pub subscription: String,
    /// `None` for a mapping no longer in the configuration.
    pub name: Option<String>,
    pub totals: Counts,
    /// (bucket start in Unix seconds, counts), only buckets with counts, in order.
    pub series: Vec<(i64, Counts)>,
}

/// A destination's delivery log over a window of whole buckets that ends with the
/// current one.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The window's start, Unix seconds.
    pub since: i64,
    pub bucket_seconds: i64,
    /// How many buckets the window has (the last one is under way).
    pub buckets: i64,
    /// The configuration's mappings in its order (with zero counts when nothing came),
    /// then mappings deleted since that still have counts in the window.
    pub mappings: Vec<MappingReport>,
    /// Newest first.
    pub errors: Vec<DeliveryError>,
    /// Batches the rate limit refused since the server started: the counts miss them.
    pub refused_batches: u64,
}

/// The delivery log of `d` over the last `hours` at `now` (Unix seconds).
pub fn report(store: &Store, d: &Destination, hours: i64, now: i64) -> rusqlite::Result<Report> {
    let bucket = bucket_seconds(hours);
    let buckets = hours * 3600 / bucket;
    let since = now.div_euclid(bucket) * bucket - (buckets - 1) * bucket;
    let mut mappings: Vec<MappingReport> = d.config["subscriptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| MappingReport {
            subscription: s["id"].as_str().unwrap_or_default().to_string(),
            name: Some(s["name"].as_str().unwrap_or_default().to_string()),
            totals: Counts::default(),
            series: Vec::new(),
        })
        .collect();
    for (subscription, minute, counts) in store.delivery_counts(&d.id, since / 60, bucket / 60)? {
        let i = match mappings.iter().position(|m| m.subscription == subscription) {
            Some(i) => i,
            None => {
                mappings.push(MappingReport {
                    subscription,
                    name: None,
                    totals: Counts::default(),
                    series: Vec::new(),
                });
                mappings.len() - 1
            }
        };
        mappings[i].totals.add(&counts);
        mappings[i].series.push((minute * 60, counts));
    }
    Ok(Report {
        since,
        bucket_seconds: bucket,
        buckets,
        mappings,
        errors: store.delivery_errors(&d.id, since)?,
        refused_batches: 0,
    })
}

/// The five counts as a JSON object, named as in [`OUTCOMES`].
pub fn counts_json(c: &Counts) -> Map<String, Value> {
    OUTCOMES
        .iter()
        .map(|name| (name.to_string(), json!(outcome(c, name))))
        .collect()
}

impl Report {
    /// Whether nothing at all was received in the window.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.mappings.iter().all(|m| m.totals.is_zero())
    }

    /// The API's answer (`docs/openapi.yaml`, `DeliveryReport`).
    pub fn to_json(&self) -> Value {
        let mappings: Vec<Value> = self
            .mappings
            .iter()
            .map(|m| {
                let series: Vec<Value> = m
                    .series
                    .iter()
                    .map(|(at, c)| {
                        let mut item = counts_json(c);
                        item.insert("at".into(), json!(crate::util::rfc3339(*at)));
                        Value::Object(item)
                    })
                    .collect();
                json!({
                    "subscription": m.subscription,
                    "name": m.name,
                    "totals": counts_json(&m.totals),
                    "series": series,
                })
            })
            .collect();
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| {
                json!({
                    "at": crate::util::rfc3339(e.at),
                    "subscription": e.subscription,
                    "kind": e.kind,
                    "reason": e.reason,
                })
            })
            .collect();
        json!({
            "since": crate::util::rfc3339(self.since),
            "bucketSeconds": self.bucket_seconds,
            "mappings": mappings,
            "errors": errors,
            "refusedBatches": self.refused_batches,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &str) -> String {
        let e = parse(body.as_bytes(), 0).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{body}");
        e.message
    }

    #[test]
    fn batches_are_read_with_missing_counts_as_zero() {
        let b = parse(
            br#"{"v":1,"counters":[{"subscription":"a","matched":3,"delivered":2,"future":true}],
                "errors":[{"subscription":"a","kind":"consent","reason":"no consent for C0002"}]}"#,
            77,
        )
        .unwrap();
        assert_eq!(
            b.counters,
            [(
                "a".to_string(),
                Counts {
                    matched: 3,
                    delivered: 2,
                    ..Counts::default()
                }
            )]
        );
        assert_eq!(b.errors[0].at, 77, "the receive time, not the page's");
        assert_eq!(b.errors[0].kind, "consent");
        assert!(parse(br#"{"v":1,"counters":[]}"#, 0)
            .unwrap()
            .errors
            .is_empty());
    }

    #[test]
    fn a_wrong_batch_is_refused_naming_the_place() {
        assert!(refused("nope").contains("not JSON"));
        assert!(refused("[]").contains("JSON object"));
        assert!(refused(r#"{"v":2,"counters":[]}"#).contains("`/v`"));
        assert!(refused(r#"{"v":1}"#).contains("`/counters`"));
        assert!(refused(r#"{"v":1,"counters":{}}"#).contains("`/counters` must be an array"));
        assert!(
            refused(r#"{"v":1,"counters":[{"subscription":"a","matched":-1}]}"#)
                .contains("`/counters/0/matched` must be a non-negative integer")
        );
        assert!(refused(
            r#"{"v":1,"counters":[{"subscription":"a"},{"subscription":"b","delivered":1.5}]}"#
        )
        .contains("`/counters/1/delivered`"));
        assert!(
            refused(r#"{"v":1,"counters":[{"subscription":"a","skippedConsent":1000001}]}"#)
                .contains("`/counters/0/skippedConsent`")
        );
        assert!(
            refused(r#"{"v":1,"counters":[{"matched":1}]}"#).contains("`/counters/0/subscription`")
        );
        assert!(refused(
            r#"{"v":1,"counters":[],"errors":[{"subscription":"a","kind":"boom","reason":""}]}"#
        )
        .contains("`/errors/0/kind` must be one of validation, consent, trigger"));
        let long = "é".repeat(MAX_REASON_CHARS + 1);
        assert!(refused(&format!(
            r#"{{"v":1,"counters":[],"errors":[{{"subscription":"a","kind":"trigger","reason":"{long}"}}]}}"#
        ))
        .contains("`/errors/0/reason`"));
        let many = vec![r#"{"subscription":"a"}"#; MAX_COUNTERS + 1].join(",");
        assert!(refused(&format!(r#"{{"v":1,"counters":[{many}]}}"#)).contains("at most 50"));
        let e = parse(br#"{"v":1,"counters":[7]}"#, 0).unwrap_err();
        assert_eq!(e.details[0]["pointer"], "/counters/0");
    }

    #[test]
    fn the_bucket_refills_at_its_rate_and_says_how_long_to_wait() {
        let limiter = Limiter::new(Limit {
            burst: 3.0,
            per_second: 0.5,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take("d", t0), Ok(()));
        }
        assert_eq!(limiter.take("d", t0), Err(Duration::from_secs(2)));
        assert_eq!(limiter.take("other", t0), Ok(()), "per destination");
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(limiter.take("d", t1), Ok(()));
        assert!(limiter.take("d", t1).is_err());
        // Never more than the burst, however long it was idle.
        let later = t1 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take("d", later), Ok(()));
        }
        assert!(limiter.take("d", later).is_err());
    }

    #[test]
    fn windows_are_whole_buckets_ending_with_the_current_one() {
        assert_eq!(hours(None).unwrap(), 24);
        assert_eq!(hours(Some("720")).unwrap(), 720);
        for wrong in ["0", "721", "1.5", "x", ""] {
            assert_eq!(
                hours(Some(wrong)).unwrap_err().status,
                StatusCode::BAD_REQUEST
            );
        }
        assert_eq!(bucket_seconds(6), 60);
        assert_eq!(bucket_seconds(7), 3600);
    }
}
