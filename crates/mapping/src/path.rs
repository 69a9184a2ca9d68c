//! Paths and templates: a port of actions-core's `get` (how a path string is split
//! into keys and walked) and `placeholders.render` (the two `{{ }}` passes).

use crate::value::{to_js_string, V};
use std::ops::Range;

/// A path split into keys once, at compile time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Path {
    /// `""` and `"."`: the data itself.
    Whole,
    Keys(Vec<String>),
}

/// What `@path` and a string `@arrayPath` do to their text first: the first `$.`
/// anywhere is removed.
pub(crate) fn strip_root(path: &str) -> String {
    path.replacen("$.", "", 1)
}

impl Path {
    /// Splits like `get`: at `.`, at `[` before a quote or digit, at a run of `]` after
    /// a quote or digit; empty pieces dropped, then every quote character removed.
    pub(crate) fn parse(path: &str) -> Path {
        if path.is_empty() || path == "." {
            return Path::Whole;
        }
        let mut pieces = Vec::new();
        let mut piece = String::new();
        let mut chars = path.chars().peekable();
        let mut prev: Option<char> = None;
        // The reference's regex has no `u` flag: `\d` is ASCII only.
        let quote_or_digit = |c: Option<char>| matches!(c, Some('"' | '\'' | '0'..='9'));
        while let Some(c) = chars.next() {
            let split = match c {
                '.' => true,
                '[' => quote_or_digit(chars.peek().copied()),
                ']' if quote_or_digit(prev) => {
                    while chars.peek() == Some(&']') {
                        chars.next();
                    }
                    true
                }
                _ => false,
            };
            if split {
                pieces.push(std::mem::take(&mut piece));
            } else {
                piece.push(c);
            }
            prev = Some(c);
        }
        pieces.push(piece);
        Path::Keys(
            pieces
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.replace(['"', '\''], ""))
                .collect(),
        )
    }

    /// `pathArray.reduce((prev, key) => prev && prev[key], data)`.
    pub(crate) fn lookup<'a>(&self, data: &V<'a>) -> V<'a> {
        match self {
            Path::Whole => data.clone(),
            Path::Keys(keys) => {
                let mut cur = data.clone();
                for key in keys {
                    if !cur.is_truthy() {
                        return cur;
                    }
                    cur = cur.get(key);
                }
                cur
            }
        }
    }
}

/// One `{{...}}` (or `{{{...}}}`) placeholder: the whole match and the text inside.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hole {
    pub(crate) whole: Range<usize>,
    pub(crate) inner: Range<usize>,
}

/// The matches of `/\{n([^}]+)\}n/g` in `s`, for n braces, left to right.
pub(crate) fn holes(s: &str, braces: usize) -> Vec<Hole> {
    let open = &"{{{"[..braces];
    let close = &"}}}"[..braces];
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(open) {
            let start = i + braces;
            let end = s[start..].find('}').map_or(s.len(), |j| start + j);
            if end > start && s[end..].starts_with(close) {
                out.push(Hole {
                    whole: i..end + braces,
                    inner: start..end,
                });
                i = end + braces;
                continue;
            }
        }
        i += s[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// A template whose placeholders are split into paths once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    /// No `{{{ }}}` placeholder: one pass over pre-split text.
    Parts(Vec<Part>),
    /// `{{{ }}}` placeholders: their values can form new `{{ }}` ones, so the text is
    /// rendered in two passes as the reference does.
    Dynamic(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Text(String),
    Hole(Path),
}

impl Template {
    pub(crate) fn compile(template: &str) -> Template {
        if !holes(template, 3).is_empty() {
            return Template::Dynamic(template.to_string());
        }
        let mut parts = Vec::new();
        let mut at = 0;
        for hole in holes(template, 2) {
            if hole.whole.start > at {
                parts.push(Part::Text(template[at..hole.whole.start].to_string()));
            }
            parts.push(Part::Hole(Path::parse(
                template[hole.inner].trim_matches(is_js_space),
            )));
            at = hole.whole.end;
        }
        if at < template.len() {
            parts.push(Part::Text(template[at..].to_string()));
        }
        Template::Parts(parts)
    }

    pub(crate) fn render(&self, data: &V<'_>) -> String {
        match self {
            Template::Parts(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(t) => out.push_str(t),
                        Part::Hole(path) => push_value(&path.lookup(data), &mut out),
                    }
                }
                out
            }
            Template::Dynamic(t) => render(t, data),
        }
    }
}

/// `render(template, data)`: `{{{ }}}` first, then `{{ }}` over the result.
pub(crate) fn render(template: &str, data: &V<'_>) -> String {
    let once = pass(template, 3, data);
    pass(&once, 2, data)
}

fn pass(s: &str, braces: usize, data: &V<'_>) -> String {
    let mut out = String::new();
    let mut at = 0;
    for hole in holes(s, braces) {
        out.push_str(&s[at..hole.whole.start]);
        let path = Path::parse(s[hole.inner].trim_matches(is_js_space));
        push_value(&path.lookup(data), &mut out);
        at = hole.whole.end;
    }
    out.push_str(&s[at..]);
    out
}

/// `value ?? ''`, turned into text.
fn push_value(v: &V<'_>, out: &mut String) {
    if !v.is_undefined() && !v.is_null() {
        to_js_string(v, out, 0);
    }
}

/// `String.prototype.trim`'s whitespace: Unicode `White_Space` plus the BOM.
pub(crate) fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: &str) -> Vec<String> {
        match Path::parse(p) {
            Path::Whole => vec!["<whole>".into()],
            Path::Keys(k) => k,
        }
    }

    #[test]
    fn paths_split_like_get() {
        assert_eq!(keys("items[1].n"), ["items", "1", "n"]);
        assert_eq!(keys("items[0][\"n\"]"), ["items", "0", "n"]);
        assert_eq!(keys("properties['dot.key']"), ["properties", "dot", "key"]);
        assert_eq!(keys("a..b"), ["a", "b"]);
        assert_eq!(keys("a[x]"), ["a[x]"]);
        assert_eq!(keys("."), ["<whole>"]);
        assert_eq!(keys("a.''"), ["a", ""]);
        assert_eq!(strip_root("properties.$.name"), "properties.name");
    }

    #[test]
    fn placeholders_match_like_the_regex() {
        let h = holes("{{{userId}}", 2);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].inner, 2..9);
        assert!(holes("{{}}", 2).is_empty());
        assert!(holes("{{{a}}", 3).is_empty());
        assert_eq!(holes("{{{a}}}", 3).len(), 1);
    }
}
