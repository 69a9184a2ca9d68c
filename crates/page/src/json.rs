//! JSON values as the page's JavaScript sees them, read and written without serde or
//! `core::fmt` (each costs the page kilobytes). Numbers go through the host's `Number`
//! and `String`, so they are JavaScript's exactly.

use crate::host;

/// A JavaScript value that JSON can hold, plus `undefined`. Objects keep their keys in
/// insertion order; a repeated key keeps its first place and its last value, as
/// `JSON.parse` does.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn arr(&self) -> Option<&[J]> {
        match self {
            J::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub fn obj(&self) -> Option<&[(String, J)]> {
        match self {
            J::Obj(o) => Some(o),
            _ => None,
        }
    }

    /// An own member of an object.
    pub fn own(&self, key: &str) -> Option<&J> {
        self.obj()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn nullish(&self) -> bool {
        matches!(self, J::Undef | J::Null)
    }

    pub fn truthy(&self) -> bool {
        match self {
            J::Undef | J::Null => false,
            J::Bool(b) => *b,
            J::Num(n) => *n != 0.0 && !n.is_nan(),
            J::Str(s) => !s.is_empty(),
            J::Arr(_) | J::Obj(_) => true,
        }
    }
}

/// Sets `key` in an object's members: replaced in place, or appended.
pub fn set(members: &mut Vec<(String, J)>, key: String, value: J) {
    match members.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => members.push((key, value)),
    }
}

/// Parses JSON text; `None` for anything that is not one JSON value, or for a string
/// that is not well-formed UTF-16 (a lone surrogate has no Rust `String`).
pub fn parse(text: &[u8]) -> Option<J> {
    let mut p = Parser { s: text, at: 0 };
    let v = p.value(0)?;
    p.ws();
    (p.at == text.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

/// Arrays and objects nest at most this deep: serde_json's limit, so the page engine
/// reads exactly the documents the full engine reads (plans nest far less).
const MAX_DEPTH: usize = 127;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn word(&mut self, w: &[u8], v: J) -> Option<J> {
        let end = self.at + w.len();
        (self.s.get(self.at..end)? == w).then(|| {
            self.at = end;
            v
        })
    }

    fn value(&mut self, depth: usize) -> Option<J> {
        self.ws();
        match self.peek()? {
            b'{' | b'[' if depth >= MAX_DEPTH => None,
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Some(J::Obj(members));
                }
                loop {
                    self.ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value(depth + 1)?;
                    set(&mut members, key, v);
                    if self.eat(b'}') {
                        return Some(J::Obj(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(J::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(J::Arr(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(J::Str),
            b't' => self.word(b"true", J::Bool(true)),
            b'f' => self.word(b"false", J::Bool(false)),
            b'n' => self.word(b"null", J::Null),
            _ => self.number(),
        }
    }

    fn number(&mut self) -> Option<J> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let int = self.digits();
        if int == 0 || (int > 1 && self.s[self.at - int] == b'0') {
            return None;
        }
        let mut simple = int <= 15;
        if self.peek() == Some(b'.') {
            self.at += 1;
            simple = false;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            simple = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        let token = &self.s[start..self.at];
        if simple {
            // Up to 15 digits are exact in a double: no need for the host.
            let (neg, digits) = match token.split_first() {
                Some((b'-', rest)) => (true, rest),
                _ => (false, token),
            };
            let n = digits
                .iter()
                .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
            let n = n as f64;
            return Some(J::Num(if neg { -n } else { n }));
        }
        // JSON.stringify never writes a number that overflows a double; serde_json
        // refuses one.
        let n = host::number(token);
        n.is_finite().then_some(J::Num(n))
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let d = char::from(self.peek()?).to_digit(16)?;
            n = n * 16 + d;
            self.at += 1;
        }
        Some(n)
    }

    /// A string at `"`; JSON text is UTF-8, so runs without escapes are copied whole.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            // The run up to the next quote, backslash or control character, whole.
            let rest = self.s.get(self.at..)?;
            let run = rest
                .iter()
                .position(|b| matches!(b, b'"' | b'\\' | 0..=0x1F))
                .unwrap_or(rest.len());
            out.extend_from_slice(&rest[..run]);
            self.at += run;
            let b = self.peek()?;
            self.at += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.at += 1;
                    let c = match e {
                        b'"' | b'\\' | b'/' => e,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let mut u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) {
                                if self.s.get(self.at..self.at + 2)? != b"\\u" {
                                    return None;
                                }
                                self.at += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                            }
                            let c = char::from_u32(u)?;
                            let mut buf = [0; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return None,
                    };
                    out.push(c);
                }
                0..=0x1F => return None,
                _ => out.push(b),
            }
        }
    }
}

/// Writes `v` as `JSON.stringify` would, except that object members keep their order
/// (the page parses this text back, and only the values reach Iterate).
/// `undefined` members are left out, `undefined` items are `null`, and `__proto__`
/// members are dropped (assigning one sets a prototype, not a member).
pub fn write(v: &J, out: &mut Vec<u8>) {
    match v {
        J::Undef | J::Null => out.extend_from_slice(b"null"),
        J::Bool(true) => out.extend_from_slice(b"true"),
        J::Bool(false) => out.extend_from_slice(b"false"),
        J::Num(n) if n.is_finite() => number(*n, out),
        J::Num(_) => out.extend_from_slice(b"null"),
        J::Str(s) => string(s, out),
        J::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        J::Obj(members) => {
            out.push(b'{');
            let mut first = true;
            for (k, v) in members {
                if matches!(v, J::Undef) || k == "__proto__" {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                string(k, out);
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
    }
}

/// `String(n)`: integers below 2^53 here, the rest by the host.
pub fn number(n: f64, out: &mut Vec<u8>) {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        let mut i = n as i64;
        if i < 0 {
            out.push(b'-');
            i = -i;
        }
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (i % 10) as u8;
            i /= 10;
            if i == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[at..]);
    } else {
        host::format(n, out);
    }
}

fn string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1F => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &J) -> String {
        let mut out = Vec::new();
        write(v, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn parses_what_json_parse_accepts() {
        let v = parse(
            br#" {"a": [1, -2.5, 1e21, true, null], "s": "x\"\u00e9\ud83c\udf89\n", "a": 3} "#,
        );
        let Some(J::Obj(members)) = v else {
            panic!("not an object: {v:?}");
        };
        // A repeated key keeps its first place and its last value.
        assert_eq!(members[0], ("a".into(), J::Num(3.0)));
        assert_eq!(members[1], ("s".into(), J::Str("x\"é🎉\n".into())));
        assert_eq!(members.len(), 2);
        assert_eq!(
            parse(b"[1, -2.5, 1e21]"),
            Some(J::Arr(vec![J::Num(1.0), J::Num(-2.5), J::Num(1e21)]))
        );
        assert_eq!(
            parse(b"123456789012345678"),
            Some(J::Num(123456789012345678.0))
        );
    }

    #[test]
    fn refuses_what_json_parse_refuses_or_rust_cannot_hold() {
        for bad in [
            &b"01"[..],
            b"[1,]",
            b"{\"a\" 1}",
            b"\"\\ud800\"",
            b"\"a\x01\"",
            b"tru",
            b"1 2",
            b"",
            b"-",
            b"1.",
            b"1e",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        // serde_json's nesting limit: 127 levels are read, 128 are not.
        let nested = |n: usize| "[".repeat(n) + "1" + &"]".repeat(n);
        assert!(parse(nested(127).as_bytes()).is_some());
        assert_eq!(parse(nested(128).as_bytes()), None);
        assert_eq!(parse(b"1e400"), None);
    }

    #[test]
    fn writes_like_json_stringify() {
        let v = J::Obj(vec![
            (
                "n".into(),
                J::Arr(vec![
                    J::Num(-0.0),
                    J::Num(1.5),
                    J::Num(1e21),
                    J::Num(f64::NAN),
                    J::Undef,
                ]),
            ),
            ("gone".into(), J::Undef),
            ("__proto__".into(), J::Num(1.0)),
            ("s".into(), J::Str("q\"\\\u{1}\n\té".into())),
        ]);
        assert_eq!(
            text(&v),
            r#"{"n":[0,1.5,1e+21,null,null],"s":"q\"\\\u0001\n\té"}"#
        );
        assert_eq!(text(&J::Num(-9007199254740991.0)), "-9007199254740991");
        assert_eq!(text(&J::Num(9007199254740992.0)), "9007199254740992");
        assert_eq!(text(&J::Num(0.1)), "0.1");
    }
}
