//! Colour-free, deterministic rendering of a diagnostic against its source:
//!
//! ```text
//! error[FQL012]: unknown operator `=~`
//!  --> trigger:1:26
//!   |
//! 1 | type = "track" and event =~ "Order"
//!   |                          ^^ not an operator
//!   = help: did you mean `=`?
//! ```

use crate::{Diagnostic, Span};
use std::fmt::Write;

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: u32) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset as usize);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, source[line_start..offset].chars().count() + 1)
}

/// 0-based UTF-16 column of a byte offset within its line, for browser editors.
pub fn utf16_col(source: &str, offset: u32) -> usize {
    let offset = floor_char_boundary(source, offset as usize);
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    source[line_start..offset].encode_utf16().count()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders `diag` with the source lines its labels point at. `name` is what the
/// ` --> ` line calls the source (for example `trigger`).
pub fn render(diag: &Diagnostic, name: &str, source: &str) -> String {
    let mut out = format!(
        "{}[{}]: {}\n",
        diag.severity.as_str(),
        diag.code,
        diag.message
    );
    let primary = diag.span().or_else(|| diag.labels.first().map(|l| l.span));
    if let Some(pointer) = &diag.pointer {
        let _ = writeln!(
            out,
            " --> {name}: {}",
            if pointer.is_empty() { "/" } else { pointer }
        );
    }
    if let Some(span) = primary {
        let (line, col) = line_col(source, span.start);
        let gutter = diag
            .labels
            .iter()
            .map(|l| line_col(source, l.span.start).0)
            .max()
            .unwrap_or(line)
            .to_string()
            .len();
        let pad = " ".repeat(gutter);
        if diag.pointer.is_none() {
            let _ = writeln!(out, "{pad}--> {name}:{line}:{col}");
        }
        let _ = writeln!(out, "{pad} |");
        let mut labels: Vec<_> = diag.labels.iter().collect();
        labels.sort_by_key(|l| (line_col(source, l.span.start).0, l.span.start));
        let mut last_line = 0;
        for label in labels {
            let (l, _) = line_col(source, label.span.start);
            if l != last_line {
                let text = source.lines().nth(l - 1).unwrap_or("");
                let _ = writeln!(out, "{:>gutter$} | {}", l, visible(text));
                last_line = l;
            }
            let _ = writeln!(
                out,
                "{pad} | {}",
                underline(source, label.span, label.primary, &label.text)
            );
        }
    }
    if let Some(help) = &diag.help {
        let pad = " ".repeat(if primary.is_some() {
            gutter_width(diag, source)
        } else {
            0
        });
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out
}

fn gutter_width(diag: &Diagnostic, source: &str) -> usize {
    diag.labels
        .iter()
        .map(|l| line_col(source, l.span.start).0)
        .max()
        .unwrap_or(1)
        .to_string()
        .len()
}

/// Control characters would break the caret alignment; show them as `?`.
fn visible(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn underline(source: &str, span: Span, primary: bool, text: &str) -> String {
    let (line, col) = line_col(source, span.start);
    let line_text = source.lines().nth(line - 1).unwrap_or("");
    let start = floor_char_boundary(source, span.start as usize);
    let end = floor_char_boundary(source, span.end as usize);
    // Underline at most to the end of the label's first line.
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = line_start + line_text.len();
    let width = source[start..end.clamp(start, line_end.max(start))]
        .chars()
        .count()
        .max(1);
    let mark = if primary { "^" } else { "-" };
    let mut s = format!("{}{}", " ".repeat(col - 1), mark.repeat(width));
    if !text.is_empty() {
        s.push(' ');
        s.push_str(text);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Diagnostic;

    #[test]
    fn renders_caret_under_span_with_help() {
        let src = "type = \"track\" and event =~ \"Order\"";
        let d = Diagnostic::error("FQL001", "unknown operator `=~`")
            .with_label(Span::new(25, 27), "not an operator")
            .with_help("did you mean `=`?");
        insta::assert_snapshot!(render(&d, "trigger", src));
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        assert_eq!(line_col("é = x", 2), (1, 2));
        assert_eq!(line_col("é = x", 3), (1, 3));
        assert_eq!(line_col("a\nbc", 3), (2, 2));
        assert_eq!(utf16_col("🎉x", 4), 2);
    }

    #[test]
    fn renders_pointer_when_about_json() {
        let d = Diagnostic::error("FQL010", "x").with_pointer("/traits/@path");
        insta::assert_snapshot!(render(&d, "mapping", ""));
    }
}
