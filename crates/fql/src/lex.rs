//! The lexer, a faithful port of `@segment/fql-ts@1.10.1`'s `lex`.
//!
//! It works on UTF-16 code units, as the JavaScript original does, because its
//! look-ahead and back-up arithmetic is observable: `accept` can swallow characters
//! at the end of input, and an escape takes only the first unit of an astral
//! character. Every token keeps the byte span it came from, for diagnostics.

use diagnostics::{Diagnostic, Span};

const MAX_LEN: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ident,
    Dot,
    Operator,
    Conditional,
    String,
    Number,
    Null,
    BrackLeft,
    BrackRight,
    ParenLeft,
    ParenRight,
    Comma,
    Eos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    /// The token's value as the reference holds it (strings keep their quotes).
    pub value: String,
    pub span: Span,
}

impl Token {
    pub fn is(&self, kind: Kind, value: &str) -> bool {
        self.kind == kind && self.value == value
    }
}

/// Lexes `src`, or returns the first error (the reference stops at the first one).
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, Diagnostic> {
    Lexer::new(src).run()
}

struct Lexer {
    units: Vec<u16>,
    /// Byte offset of each unit, plus one past the end.
    offsets: Vec<u32>,
    pos: usize,
}

fn unit(c: u8) -> u16 {
    u16::from(c)
}

fn is_alpha(c: Option<u16>) -> bool {
    matches!(c, Some(u) if u < 128 && (u as u8).is_ascii_alphabetic())
}

fn is_digit(c: Option<u16>) -> bool {
    matches!(c, Some(u) if u < 128 && (u as u8).is_ascii_digit())
}

fn is_whitespace(c: Option<u16>) -> bool {
    matches!(c, Some(0x20 | 0x09 | 0x0a))
}

fn is_ident(c: Option<u16>) -> bool {
    is_alpha(c) || is_digit(c) || matches!(c, Some(0x5f | 0x2d | 0x5c))
}

/// EOS, whitespace, `,`, `]` or `)`.
fn is_terminator(c: Option<u16>) -> bool {
    c.is_none() || is_whitespace(c) || matches!(c, Some(0x2c | 0x5d | 0x29))
}

fn describe(c: Option<u16>, src_char: Option<char>) -> String {
    match (c, src_char) {
        (None, _) => "end of input".into(),
        (_, Some(ch)) if ch.is_control() => format!("{:?}", ch),
        (_, Some(ch)) => format!("`{ch}`"),
        (Some(u), None) => format!("U+{u:04X}"),
    }
}

impl Lexer {
    fn new(src: &str) -> Lexer {
        let mut units = Vec::with_capacity(src.len());
        let mut offsets = Vec::with_capacity(src.len() + 1);
        let mut buf = [0u16; 2];
        for (i, ch) in src.char_indices() {
            for u in ch.encode_utf16(&mut buf) {
                units.push(*u);
                offsets.push(i as u32);
            }
        }
        offsets.push(src.len() as u32);
        Lexer {
            units,
            offsets,
            pos: 0,
        }
    }

    fn next(&mut self) -> Option<u16> {
        let c = self.units.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn peek(&self) -> Option<u16> {
        self.units.get(self.pos).copied()
    }

    fn backup(&mut self, n: usize) {
        self.pos = self.pos.saturating_sub(n);
    }

    fn byte(&self, unit_index: usize) -> usize {
        self.offsets[unit_index.min(self.offsets.len() - 1)] as usize
    }

    fn span(&self, from_unit: usize, to_unit: usize) -> Span {
        Span::new(self.byte(from_unit), self.byte(to_unit))
    }

    /// The character that starts at unit `i`, for messages.
    fn char_at(&self, i: usize) -> Option<char> {
        let units = self.units.get(i..(i + 2).min(self.units.len()))?;
        char::decode_utf16(units.iter().copied()).next()?.ok()
    }

    fn error_at(
        &self,
        code: &'static str,
        unit_index: usize,
        message: String,
        label: &str,
    ) -> Diagnostic {
        let end = if unit_index < self.units.len() {
            let w = self.char_at(unit_index).map_or(1, char::len_utf16);
            unit_index + w
        } else {
            unit_index
        };
        Diagnostic::error(code, message).with_label(self.span(unit_index, end), label)
    }

    fn run(mut self) -> Result<Vec<Token>, Diagnostic> {
        let mut tokens = Vec::new();
        loop {
            let start = self.pos;
            let Some(c) = self.next() else {
                let span = self.span(start, start);
                tokens.push(Token {
                    kind: Kind::Eos,
                    value: "eos".into(),
                    span,
                });
                return Ok(tokens);
            };
            if is_whitespace(Some(c)) {
                continue;
            }
            if c == unit(b'!') {
                let next = self.peek();
                if is_alpha(next) || next == Some(unit(b'(')) {
                    tokens.push(self.token(Kind::Operator, "!", start));
                    continue;
                }
            }
            let token = if is_alpha(Some(c))
                || [b'!', b'=', b'>', b'<', b'\\', b'_']
                    .iter()
                    .any(|b| unit(*b) == c)
            {
                self.operator_or_conditional(c, start)?
            } else if is_digit(Some(c)) || c == unit(b'-') || c == unit(b'+') {
                self.number(c, start)?
            } else if c == unit(b'"') || c == unit(b'\'') {
                self.string(c, start)?
            } else {
                let kind = match c as u8 {
                    _ if c > 127 => None,
                    b'.' => Some(Kind::Dot),
                    b'[' => Some(Kind::BrackLeft),
                    b']' => Some(Kind::BrackRight),
                    b',' => Some(Kind::Comma),
                    b'(' => Some(Kind::ParenLeft),
                    b')' => Some(Kind::ParenRight),
                    _ => None,
                };
                match kind {
                    Some(kind) => {
                        let value = char::from(c as u8).to_string();
                        Token {
                            kind,
                            value,
                            span: self.span(start, self.pos),
                        }
                    }
                    None => return Err(self.invalid_character(start)),
                }
            };
            tokens.push(token);
        }
    }

    fn invalid_character(&self, at: usize) -> Diagnostic {
        let ch = self.char_at(at);
        let what = describe(self.units.get(at).copied(), ch);
        let mut d = self.error_at(
            "FQL001",
            at,
            format!("unexpected character {what}"),
            "not part of the trigger language",
        );
        d = match ch {
            Some('\r') => d.with_help("carriage returns are not whitespace here; use `\\n` line endings"),
            Some('&') => d.with_help("write `and` instead of `&&`"),
            Some('|') => d.with_help("write `or` instead of `||`"),
            Some(c) if !c.is_ascii() && c.is_alphanumeric() => {
                d.with_help("words may contain only ASCII letters, digits, `_` and `-`; quote the text or escape the character with `\\`")
            }
            _ => d.with_help("only fields, operators, `and`/`or`, parentheses, quoted strings, numbers, `true`, `false` and `null` can appear"),
        };
        d
    }

    fn token(&self, kind: Kind, value: &str, start: usize) -> Token {
        Token {
            kind,
            value: value.into(),
            span: self.span(start, self.pos),
        }
    }

    /// `accept` of the reference: consume `s` if it is followed by a terminator,
    /// otherwise back up. Reaching the end of input returns false *without*
    /// backing up, which swallows what was read (so `an` lexes as `a`).
    fn accept(&mut self, s: &str) -> bool {
        let mut read = Vec::with_capacity(s.len());
        for _ in s.bytes() {
            let Some(c) = self.next() else {
                return false;
            };
            read.push(c);
            if is_terminator(Some(c)) {
                break;
            }
        }
        if read.iter().copied().eq(s.bytes().map(unit)) && is_terminator(self.peek()) {
            return true;
        }
        self.backup(read.len());
        false
    }

    fn operator_or_conditional(&mut self, c: u16, start: usize) -> Result<Token, Diagnostic> {
        match c as u8 {
            _ if c > 127 => self.ident(c, start),
            b'=' => Ok(self.token(Kind::Operator, "=", start)),
            b'!' => {
                if self.accept("=") {
                    return Ok(self.token(Kind::Operator, "!=", start));
                }
                let next = self.pos;
                let found = describe(self.peek(), self.char_at(next));
                let mut d = self.error_at(
                    "FQL004",
                    start,
                    format!("expected `=` or a function after `!`, found {found}"),
                    "a `!` must start `!=` or `!contains`/`!match`",
                );
                if self.peek() == Some(unit(b'=')) {
                    d = d.with_help(
                        "put a space after `!=`: the reference needs one (`x != \"a\"`)",
                    );
                }
                Err(d)
            }
            b'a' if self.accept("nd") => Ok(self.token(Kind::Conditional, "and", start)),
            b'o' if self.accept("r") => Ok(self.token(Kind::Conditional, "or", start)),
            b'n' if self.accept("ull") => Ok(self.token(Kind::Null, "null", start)),
            b'<' | b'>' => {
                let op = char::from(c as u8);
                if self.accept("=") {
                    Ok(self.token(Kind::Operator, &format!("{op}="), start))
                } else {
                    Ok(self.token(Kind::Operator, &op.to_string(), start))
                }
            }
            _ => self.ident(c, start),
        }
    }

    fn ident(&mut self, first: u16, start: usize) -> Result<Token, Diagnostic> {
        let mut value: Vec<u16> = Vec::new();
        let mut c = first;
        loop {
            if c == unit(b'\\') {
                match self.next() {
                    Some(escaped) => c = escaped,
                    None => {
                        return Err(self
                            .error_at(
                                "FQL006",
                                self.pos - 1,
                                "expected a character after `\\`, found end of input".into(),
                                "nothing to escape",
                            )
                            .with_help("remove the backslash, or escape a space as `\\ `"));
                    }
                }
            }
            value.push(c);
            if value.len() >= MAX_LEN {
                return Err(self.too_long(start));
            }
            if !is_ident(self.peek()) {
                break;
            }
            c = self.next().unwrap_or(0);
        }
        let coming = self.peek();
        let ok = is_terminator(coming)
            || [b'.', b'(', b'=', b'!']
                .iter()
                .any(|b| Some(unit(*b)) == coming);
        let text = String::from_utf16_lossy(&value);
        if !ok {
            let at = self.pos;
            let found = describe(coming, self.char_at(at));
            let mut d = self
                .error_at(
                    "FQL005",
                    at,
                    format!("expected a space, `.`, `(`, `=` or `!` after `{text}`, found {found}"),
                    "cannot follow a word directly",
                )
                .with_secondary(self.span(start, at), "this word");
            d = match self.char_at(at) {
                Some('<' | '>') => d.with_help(format!("put a space between `{text}` and the operator")),
                Some('[') => d.with_help("array indexes are not supported in triggers; `properties.items[0]` cannot be tested"),
                Some('"' | '\'') => d.with_help("put a space before the quote"),
                _ => d,
            };
            return Err(d);
        }
        Ok(Token {
            kind: Kind::Ident,
            value: text,
            span: self.span(start, self.pos),
        })
    }

    fn number(&mut self, first: u16, start: usize) -> Result<Token, Diagnostic> {
        let mut text = String::new();
        text.push(char::from(first as u8));
        let mut coming = self.peek();
        let mut decimal = false;
        while is_digit(coming) || coming == Some(unit(b'.')) {
            let c = self.next().unwrap_or(0);
            text.push(char::from(c as u8));
            if coming == Some(unit(b'.')) {
                if is_terminator(self.peek()) {
                    return Err(self
                        .error_at(
                            "FQL003",
                            self.pos - 1,
                            format!("expected a digit after the decimal point of `{text}`"),
                            "stray decimal point",
                        )
                        .with_help(format!(
                            "write `{}` or `{text}0`",
                            text.trim_end_matches('.')
                        )));
                }
                if decimal {
                    return Err(self
                        .error_at(
                            "FQL003",
                            self.pos - 1,
                            format!("a number cannot have two decimal points: `{text}`"),
                            "second decimal point",
                        )
                        .with_help("quote it if it is text, e.g. a version `\"1.2.3\"`"));
                }
                decimal = true;
            }
            if text.len() > MAX_LEN {
                return Err(self.too_long(start));
            }
            coming = self.peek();
        }
        Ok(Token {
            kind: Kind::Number,
            value: text,
            span: self.span(start, self.pos),
        })
    }

    fn string(&mut self, quote: u16, start: usize) -> Result<Token, Diagnostic> {
        let mut body: Vec<u16> = Vec::new();
        while self.peek() != Some(quote) {
            match self.next() {
                Some(c) => body.push(c),
                None => {
                    let q = char::from(quote as u8);
                    let mut d = self
                        .error_at(
                            "FQL002",
                            start,
                            format!("unterminated string: no closing `{q}`"),
                            "this string is never closed",
                        )
                        .with_secondary(
                            self.span(self.units.len(), self.units.len()),
                            "end of input",
                        );
                    if self.units.contains(&unit(b'\r')) {
                        d = d.with_help("a closing quote followed by `\\r` is not a closing quote; use `\\n` line endings");
                    } else if body.contains(&unit(b'\\')) {
                        d = d.with_help(
                            "strings have no escapes: `\\` is literal and cannot escape a quote",
                        );
                    } else {
                        d = d.with_help(format!("add `{q}` where the string should end"));
                    }
                    return Err(d);
                }
            }
            if body.len() + 1 > MAX_LEN {
                return Err(self.too_long(start));
            }
        }
        self.accept(&char::from(quote as u8).to_string());
        let mut value = Vec::with_capacity(body.len() + 2);
        value.push(quote);
        value.extend_from_slice(&body);
        value.push(quote);
        Ok(Token {
            kind: Kind::String,
            value: String::from_utf16_lossy(&value),
            span: self.span(start, self.pos),
        })
    }

    fn too_long(&self, start: usize) -> Diagnostic {
        Diagnostic::error(
            "FQL007",
            format!("a word, number or string must be shorter than {MAX_LEN} characters"),
        )
        .with_label(
            self.span(start, (start + 1).min(self.units.len())),
            "starts here",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        lex(src)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.value))
            .collect()
    }

    #[test]
    fn lexes_a_condition() {
        use Kind::*;
        assert_eq!(
            kinds(r#"type = "track" and event != 'x'"#),
            vec![
                (Ident, "type".into()),
                (Operator, "=".into()),
                (String, "\"track\"".into()),
                (Conditional, "and".into()),
                (Ident, "event".into()),
                (Operator, "!=".into()),
                (String, "'x'".into()),
                (Eos, "eos".into()),
            ]
        );
    }

    #[test]
    fn accept_at_end_of_input_swallows_what_it_read() {
        assert_eq!(kinds("type = an")[2], (Kind::Ident, "a".into()));
    }

    #[test]
    fn less_equal_needs_a_terminator() {
        assert_eq!(
            kinds("n <=5")[1..3],
            [(Kind::Operator, "<".into()), (Kind::Operator, "=".into())]
        );
    }

    #[test]
    fn closing_quote_without_terminator_opens_a_new_string() {
        assert_eq!(
            kinds(r#""a"b""#)[..2],
            [
                (Kind::String, "\"a\"".into()),
                (Kind::String, "\"b\"".into())
            ]
        );
    }

    #[test]
    fn errors_carry_spans() {
        let e = lex("price>4").unwrap_err();
        assert_eq!(e.code, "FQL005");
        assert_eq!(e.span(), Some(Span::new(5, 6)));
        assert_eq!(lex("x = 1.2.3").unwrap_err().code, "FQL003");
        assert_eq!(lex("type = \"a").unwrap_err().code, "FQL002");
        assert_eq!(lex("a # b").unwrap_err().span(), Some(Span::new(2, 3)));
    }
}
