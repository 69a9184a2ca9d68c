//! The destination page's "Browser delivery" section: per mapping, the five counts
//! pages reported over the last day ([`crate::delivery::report`]) as numbers and a
//! small stacked-bar chart drawn here as inline SVG (no script, no chart library),
//! then the last errors. Colours come from `ui.css` classes, since the page's policy
//! allows no inline styles.

use super::html::e;
use crate::delivery::{MappingReport, Report, OUTCOMES};
use crate::store::{Counts, Destination};
use engine::destination::model;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The chart's stacked series, bottom first: what became of the events a trigger
/// matched. Trigger skips are far more numerous and only counted in the table.
const STACK: [(&str, &str); 3] = [
    ("delivered", "delivered"),
    ("skipped-validation", "skipped by validation"),
    ("skipped-consent", "skipped for consent"),
];

fn stack_values(c: &Counts) -> [i64; 3] {
    [c.delivered, c.skipped_validation, c.skipped_consent]
}

/// Pixel sizes of a chart: each bucket's pitch and bar width, the bars' full height.
const PITCH: i64 = 8;
const BAR: i64 = 6;
const HEIGHT: f64 = 36.0;

/// The column headings of the five counts, in [`OUTCOMES`] order.
const HEADINGS: [&str; 5] = [
    "Matched",
    "Skipped: trigger",
    "Skipped: consent",
    "Skipped: validation",
    "Delivered",
];

/// `0.25` as `25%`, `0.125` as `12.5%`.
fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{p:.1}%")
    }
}

/// `2026-11-29T05:10:00Z` as `05:10`.
fn clock(secs: i64) -> String {
    crate::util::rfc3339(secs)
        .get(11..16)
        .unwrap_or_default()
        .to_string()
}

fn display(m: &MappingReport) -> String {
    match m.name.as_deref() {
        Some(n) if !n.trim().is_empty() => n.to_string(),
        Some(_) => "(unnamed mapping)".into(),
        None => format!("(deleted mapping {})", m.subscription),
    }
}

/// One mapping's chart: a stacked bar per bucket of the window, scaled to its busiest.
fn chart(m: &MappingReport, report: &Report, period: &str) -> String {
    let by_bucket: HashMap<i64, &Counts> = m.series.iter().map(|(at, c)| (*at, c)).collect();
    let busiest = m
        .series
        .iter()
        .map(|(_, c)| stack_values(c).iter().sum::<i64>())
        .max()
        .unwrap_or(0);
    let width = report.buckets * PITCH;
    let mut bars = String::new();
    for i in 0..report.buckets {
        let at = report.since + i * report.bucket_seconds;
        let Some(c) = by_bucket.get(&at) else {
            continue;
        };
        let values = stack_values(c);
        if busiest == 0 || values.iter().all(|v| *v == 0) {
            continue;
        }
        let parts: Vec<String> = STACK
            .iter()
            .zip(values)
            .map(|((_, label), v)| format!("{v} {label}"))
            .collect();
        let _ = write!(
            bars,
            "<g><title>{} UTC: {}</title>",
            clock(at),
            parts.join(", ")
        );
        let mut top = HEIGHT + 1.0;
        for ((class, _), v) in STACK.iter().zip(values) {
            if v == 0 {
                continue;
            }
            // At least a pixel, so a small count next to a large one stays visible.
            let h = (v as f64 * HEIGHT / busiest as f64).max(1.0);
            top -= h;
            let _ = write!(
                bars,
                r#"<rect class="{class}" x="{x}" y="{top:.1}" width="{BAR}" height="{h:.1}"/>"#,
                x = i * PITCH + 1,
            );
        }
        bars.push_str("</g>");
    }
    let title = format!(
        "{}: events delivered, skipped by validation and skipped for consent {period}; the busiest had {busiest}",
        display(m)
    );
    format!(
        r#"<svg class="delivery-chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{title}</title><line class="axis" x1="0" y1="{axis}" x2="{width}" y2="{axis}"/>{bars}</svg>"#,
        title = e(&title),
        height = HEIGHT + 2.0,
        axis = HEIGHT + 1.5,
    )
}

/// The section, for the destination `d` of definition `def`.
pub fn section(d: &Destination, def: &model::Definition, report: &Report) -> String {
    let hours = report.buckets * report.bucket_seconds / 3600;
    let (unit, period) = if report.bucket_seconds == 3600 {
        ("hour", format!("per hour over the last {hours} hours"))
    } else {
        ("minute", format!("per minute over the last {hours} hours"))
    };
    let rate = d.config["deliveryLogSampleRate"]
        .as_f64()
        .or_else(|| {
            def.settings
                .iter()
                .find(|s| s.key == "deliveryLogSampleRate")
                .and_then(|s| s.default.as_ref())
                .and_then(|v| v.as_f64())
        })
        .unwrap_or(1.0);
    let sampling = if rate <= 0.0 {
        r#"<p class="warning" id="delivery-sampling">The delivery log is off: its sample rate is 0, so pages report nothing. Set <strong>Delivery log sample rate</strong> above 0 in the settings to see what your mappings do in browsers.</p>"#.to_string()
    } else {
        format!(
            r#"<p class="hint" id="delivery-sampling">What pages running this destination report: for each mapping, the events its trigger matched or skipped, the ones skipped for consent or by validation, and the ones delivered to Iterate. Counts come from the sampled page loads only: {} of them (the <strong>Delivery log sample rate</strong> setting).</p>"#,
            percent(rate)
        )
    };
    let mut out = format!(
        r#"<section aria-labelledby="delivery" id="delivery-section"><h2 id="delivery">Browser delivery (last {hours} h)</h2>
{sampling}"#
    );
    if report.refused_batches > 0 {
        let _ = write!(
            out,
            r#"<p class="warning" id="delivery-refused">{} batch(es) of counts were refused by the rate limit since the server started, so the counts here may miss them. Lower the <strong>Delivery log sample rate</strong> if this keeps happening.</p>"#,
            report.refused_batches
        );
    }
    if report.is_empty() {
        let _ = write!(
            out,
            r#"<p class="empty" id="delivery-empty">Nothing received in the last {hours} hours. Counts arrive once pages load this destination with its mappings (and the sample rate picks them).</p></section>"#
        );
        return out;
    }
    let headings: String = HEADINGS
        .iter()
        .map(|h| format!(r#"<th scope="col" class="num">{h}</th>"#))
        .collect();
    let _ = write!(
        out,
        r#"<div class="table-wrap"><table class="delivery" id="delivery-table"><caption class="vh">Counts per mapping over the last {hours} hours, with a chart {period}</caption>
<thead><tr><th scope="col">Mapping</th>{headings}<th scope="col">Per {unit} (UTC)</th></tr></thead><tbody>"#
    );
    for m in &report.mappings {
        let cells: String = OUTCOMES
            .iter()
            .map(|o| {
                format!(
                    r#"<td class="num">{}</td>"#,
                    crate::delivery::outcome(&m.totals, o)
                )
            })
            .collect();
        let t = &m.totals;
        let _ = write!(
            out,
            r#"<tr data-delivery-subscription="{id}" data-matched="{}" data-skipped-trigger="{}" data-skipped-consent="{}" data-skipped-validation="{}" data-delivered="{}"><th scope="row">{name}</th>{cells}<td>{chart}</td></tr>"#,
            t.matched,
            t.skipped_trigger,
            t.skipped_consent,
            t.skipped_validation,
            t.delivered,
            id = e(&m.subscription),
            name = e(&display(m)),
            chart = chart(m, report, &period),
        );
    }
    out.push_str("</tbody></table></div>");
    let legend: String = STACK
        .iter()
        .map(|(class, label)| {
            format!(
                r#"<li><span class="swatch {class}" aria-hidden="true"></span> {}</li>"#,
                e(&capitalize(label))
            )
        })
        .collect();
    let _ = write!(
        out,
        r#"<ul class="legend" aria-label="Chart legend">{legend}</ul>
<h3 id="delivery-errors-heading">Last errors</h3>"#
    );
    if report.errors.is_empty() {
        let _ = write!(
            out,
            r#"<p class="empty">No errors reported in the last {hours} hours.</p>"#
        );
    } else {
        let names: HashMap<&str, String> = report
            .mappings
            .iter()
            .map(|m| (m.subscription.as_str(), display(m)))
            .collect();
        out.push_str(r#"<div class="table-wrap"><table class="delivery-errors" aria-labelledby="delivery-errors-heading"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Mapping</th><th scope="col">Kind</th><th scope="col">Reason</th></tr></thead><tbody>"#);
        for err in &report.errors {
            let name = names
                .get(err.subscription.as_str())
                .cloned()
                .unwrap_or_else(|| format!("(deleted mapping {})", err.subscription));
            let _ = write!(
                out,
                r#"<tr data-delivery-error="{sub}"><td><time datetime="{iso}">{when}</time></td><td>{name}</td><td>{kind}</td><td class="reason">{reason}</td></tr>"#,
                sub = e(&err.subscription),
                iso = e(&crate::util::rfc3339(err.at)),
                when = e(&crate::util::rfc3339(err.at)
                    .replace('T', " ")
                    .replace('Z', "")),
                name = e(&name),
                kind = e(&capitalize(&err.kind)),
                reason = e(&err.reason),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DeliveryError;
    use serde_json::json;

    fn destination(config: serde_json::Value) -> Destination {
        Destination {
            id: "d".into(),
            source_id: "s".into(),
            slug: "actions-iterate".into(),
            enabled: true,
            config,
            version: 1,
        }
    }

    #[test]
    fn rows_carry_the_totals_and_a_chart_with_a_bar_per_busy_bucket() {
        let def = &engine::destination::iterate().definition;
        let counts = |delivered, consent| Counts {
            matched: delivered + consent,
            skipped_consent: consent,
            delivered,
            ..Counts::default()
        };
        let since = 86_400 * 20_000; // a midnight
        let report = Report {
            since,
            bucket_seconds: 3600,
            buckets: 24,
            mappings: vec![
                MappingReport {
                    subscription: "a\"b".into(),
                    name: Some("<Track>".into()),
                    totals: counts(5, 1),
                    series: vec![(since, counts(4, 0)), (since + 7200, counts(1, 1))],
                },
                MappingReport {
                    subscription: "gone".into(),
                    name: None,
                    totals: Counts::default(),
                    series: vec![],
                },
            ],
            errors: vec![DeliveryError {
                at: since + 60,
                subscription: "gone".into(),
                kind: "validation".into(),
                reason: "<b>name</b> is required".into(),
            }],
            refused_batches: 0,
        };
        let html = section(
            &destination(json!({"deliveryLogSampleRate": 0.25})),
            def,
            &report,
        );
        assert!(html.contains(r#"<tr data-delivery-subscription="a&quot;b" data-matched="6" data-skipped-trigger="0" data-skipped-consent="1" data-skipped-validation="0" data-delivered="5">"#), "{html}");
        assert!(html.contains("<th scope=\"row\">&lt;Track&gt;</th>"));
        assert_eq!(html.matches("<g><title>").count(), 2, "{html}");
        assert!(html.contains(
            "<title>02:00 UTC: 1 delivered, 0 skipped by validation, 1 skipped for consent</title>"
        ));
        assert!(html.contains("the busiest had 4"));
        assert!(html.contains("(deleted mapping gone)"));
        assert!(html.contains("&lt;b&gt;name&lt;/b&gt; is required"));
        assert!(html.contains("25% of them"));
        assert!(!html.contains("delivery-empty"));

        let empty = Report {
            errors: vec![],
            mappings: vec![report.mappings[1].clone()],
            ..report
        };
        let html = section(&destination(json!({})), def, &empty);
        assert!(html.contains(r#"id="delivery-empty""#));
        assert!(html.contains("100% of them"));
        let off = section(
            &destination(json!({"deliveryLogSampleRate": 0})),
            def,
            &empty,
        );
        assert!(off.contains("The delivery log is off"));
    }

    #[test]
    fn rates_read_as_percentages() {
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(percent(0.01), "1%");
    }
}
