//! One event through a plan: what `destination::Config::run_action_with` does, for the
//! cases this module implements. Everything else is [`Defer`]: the page hands the
//! event to the full engine, which gives the same answer the full way (including every
//! skip reason, which is why no reason text lives here).

use crate::json::{set, J};
use crate::plan::{Field, Node, Part, Perform, Plan, Sub, Test, Trigger};

/// This event needs the full engine.
#[derive(Debug, PartialEq, Eq)]
pub struct Defer;

type R<T> = Result<T, Defer>;

const HOOKS: &[&str] = &["track", "page", "identify", "group", "alias"];

/// `Object.prototype`'s members: a lookup that misses an object's own keys finds these.
const OBJECT_MEMBERS: &[&str] = &[
    "constructor",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// An array index as JavaScript reads a property key: canonical digits below 2^32 - 1.
fn index(key: &str) -> Option<usize> {
    let b = key.as_bytes();
    if b.is_empty()
        || b.len() > 10
        || !b.iter().all(u8::is_ascii_digit)
        || (b.len() > 1 && b[0] == b'0')
    {
        return None;
    }
    let n = b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    (n < u64::from(u32::MAX)).then_some(n as usize)
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `value[key]` for the values a lookup meets; what would reach a prototype's members
/// (functions, which the full engine models) defers.
pub fn get(v: &J, key: &str) -> R<J> {
    match v {
        J::Undef | J::Null => Ok(J::Undef),
        J::Obj(members) => match members.iter().find(|(k, _)| k == key) {
            Some((_, v)) => Ok(v.clone()),
            None if OBJECT_MEMBERS.contains(&key) => Err(Defer),
            None => Ok(J::Undef),
        },
        J::Arr(items) => match index(key) {
            Some(i) => Ok(items.get(i).cloned().unwrap_or(J::Undef)),
            None if key == "length" => Ok(J::Num(items.len() as f64)),
            None => Err(Defer),
        },
        J::Str(s) => match index(key) {
            Some(i) => {
                let mut at = 0;
                for c in s.chars() {
                    if at == i {
                        // Half of a surrogate pair is no Rust string.
                        return if c.len_utf16() == 1 {
                            Ok(J::Str(c.into()))
                        } else {
                            Err(Defer)
                        };
                    }
                    at += c.len_utf16();
                    if at > i {
                        return Err(Defer);
                    }
                }
                Ok(J::Undef)
            }
            None if key == "length" => Ok(J::Num(utf16_len(s) as f64)),
            None => Err(Defer),
        },
        J::Bool(_) | J::Num(_) => Err(Defer),
    }
}

// ---- triggers (destination-subscriptions' `validate`) ----

/// Where `needle` first occurs in `hay` (a plain search: the page has short texts,
/// and the standard library's searcher costs it kilobytes).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn matches(t: &Trigger, event: &J) -> R<bool> {
    match t {
        Trigger::All(children) => {
            for c in children {
                if !matches(c, event)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Trigger::Any(children) => {
            for c in children {
                if matches(c, event)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Trigger::Cond {
            root,
            keys,
            test,
            arg,
        } => {
            if *test == Test::Defer {
                return Err(Defer);
            }
            let mut value = get(event, root)?;
            // The reference's `get`: `prev && prev[key]`, so the first falsy value met
            // on the way is the result.
            for key in keys.iter().flatten() {
                if !value.truthy() {
                    break;
                }
                value = get(&value, key)?;
            }
            Ok(check(*test, arg, &value))
        }
    }
}

fn check(test: Test, arg: &J, actual: &J) -> bool {
    let text = actual.str();
    let (number, want) = match (actual, arg) {
        (J::Num(n), J::Num(w)) => (Some(*n), *w),
        _ => (None, 0.0),
    };
    let needle = arg.str().unwrap_or("");
    match test {
        Test::Eq => text == arg.str(),
        Test::Ne => text != arg.str(),
        Test::NumEq => number.is_some_and(|n| n == want),
        Test::NumNe => number.is_some_and(|n| n != want),
        Test::Lt => number.is_some_and(|n| n < want),
        Test::Le => number.is_some_and(|n| n <= want),
        Test::Gt => number.is_some_and(|n| n > want),
        Test::Ge => number.is_some_and(|n| n >= want),
        Test::Contains => text.is_some_and(|t| find(t.as_bytes(), needle.as_bytes()).is_some()),
        Test::NotContains => text.is_some_and(|t| find(t.as_bytes(), needle.as_bytes()).is_none()),
        Test::Starts => text.is_some_and(|t| t.as_bytes().starts_with(needle.as_bytes())),
        Test::NotStarts => text.is_some_and(|t| !t.as_bytes().starts_with(needle.as_bytes())),
        Test::Ends => text.is_some_and(|t| t.as_bytes().ends_with(needle.as_bytes())),
        Test::NotEnds => text.is_some_and(|t| !t.as_bytes().ends_with(needle.as_bytes())),
        Test::Exists => !actual.nullish(),
        Test::NotExists => actual.nullish(),
        Test::True => *actual == J::Bool(true),
        Test::False => *actual == J::Bool(false),
        Test::Never | Test::Defer => false,
    }
}

// ---- mappings (mapping-kit's `resolve`) ----

/// Values nest at most this deep where mapping-kit walks them (the engine's limit).
const MAX_VALUE_DEPTH: usize = 200;

/// `String(v)`.
fn to_string(v: &J, out: &mut Vec<u8>, depth: usize) -> R<()> {
    // The engine writes nothing past this depth of arrays; where that matters, it
    // answers.
    if depth > MAX_VALUE_DEPTH {
        return Err(Defer);
    }
    match v {
        J::Undef => out.extend_from_slice(b"undefined"),
        J::Null => out.extend_from_slice(b"null"),
        J::Bool(true) => out.extend_from_slice(b"true"),
        J::Bool(false) => out.extend_from_slice(b"false"),
        J::Num(n) => crate::json::number(*n, out),
        J::Str(s) => out.extend_from_slice(s.as_bytes()),
        J::Obj(_) => out.extend_from_slice(b"[object Object]"),
        J::Arr(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !item.nullish() {
                    to_string(item, out, depth + 1)?;
                }
            }
        }
    }
    Ok(())
}

fn text(bytes: Vec<u8>) -> J {
    // Built from whole strings and ASCII: always UTF-8.
    J::Str(String::from_utf8(bytes).unwrap_or_default())
}

fn lookup(keys: &[String], data: &J) -> R<J> {
    let mut cur = data.clone();
    for key in keys {
        if !cur.truthy() {
            return Ok(cur);
        }
        cur = get(&cur, key)?;
    }
    Ok(cur)
}

fn eval(node: &Node, data: &J) -> R<J> {
    Ok(match node {
        Node::Undef => J::Undef,
        Node::Const(v) => v.clone(),
        Node::Arr(items) => J::Arr(eval_all(items, data)?),
        Node::Obj(members) => {
            let mut out = Vec::with_capacity(members.len());
            for (k, n) in members {
                let v = eval(n, data)?;
                if k != "__proto__" {
                    out.push((k.clone(), v));
                }
            }
            J::Obj(out)
        }
        Node::Path(keys) => lookup(keys, data)?,
        Node::Template(parts) => {
            let mut out = Vec::new();
            for part in parts {
                match part {
                    Part::Text(t) => out.extend_from_slice(t.as_bytes()),
                    Part::Hole(keys) => {
                        let v = lookup(keys, data)?;
                        if !v.nullish() {
                            to_string(&v, &mut out, 0)?;
                        }
                    }
                }
            }
            text(out)
        }
        Node::If {
            exists,
            test,
            then,
            otherwise,
        } => {
            let value = eval(test, data)?;
            let present = !value.nullish();
            let holds = present && (*exists || !loosely_empty(&value)?);
            let branch = if holds { then } else { otherwise };
            match branch {
                Some(n) => eval(n, data)?,
                None => J::Undef,
            }
        }
        Node::Case(upper, value) => {
            let value = eval(value, data)?;
            let J::Str(s) = &value else {
                return Ok(value);
            };
            // Unicode case mapping would bring its tables into the page.
            match upper {
                Some(true) if s.is_ascii() => J::Str(s.to_ascii_uppercase()),
                Some(false) if s.is_ascii() => J::Str(s.to_ascii_lowercase()),
                _ => return Err(Defer),
            }
        }
        Node::ExcludeWhenNull(inner) => {
            let value = eval(inner, data)?;
            if value == J::Null {
                J::Undef
            } else {
                clean_nulls(value, 0)?
            }
        }
        Node::TemplateText(t) => text(render(t, data)?),
        Node::DynTemplate(inner) => match eval(inner, data)? {
            J::Str(t) => text(render(&t, data)?),
            _ => return Err(Defer),
        },
        Node::DynPath(inner) => match eval(inner, data)? {
            J::Str(p) => {
                // `path.replace('$.', '')`: the first occurrence, wherever it is.
                let path = match find(p.as_bytes(), b"$.") {
                    Some(at) => [&p[..at], &p[at + 2..]].concat(),
                    None => p,
                };
                lookup(&parse_path(&path), data)?
            }
            _ => return Err(Defer),
        },
        Node::Replace(value, options) => replace(value.as_deref(), options, data)?,
        Node::ArrayPath(root, shape) => {
            let root = eval(root, data)?;
            match (shape, root) {
                (Some(shape), J::Arr(items)) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in &items {
                        out.push(eval(shape, item)?);
                    }
                    J::Arr(out)
                }
                (Some(shape), root @ J::Obj(_)) => J::Arr(vec![eval(shape, &root)?]),
                (_, root) => root,
            }
        }
        Node::Json(mode, inner) => {
            let value = eval(inner, data)?;
            match (mode, &value) {
                (Some(true), _) => {
                    let mut out = Vec::new();
                    if stringify(&value, &mut out, 0) {
                        text(out)
                    } else {
                        J::Undef
                    }
                }
                (Some(false), J::Str(t)) => match crate::json::parse(t.as_bytes()) {
                    Some(parsed) if plain(&parsed, 0) => parsed,
                    // What serde_json and JSON.parse may disagree on (deep
                    // nesting, lone surrogates, overflowing numbers, bad text).
                    _ => return Err(Defer),
                },
                (Some(false), _) => value,
                (None, _) => J::Undef,
            }
        }
        Node::Flatten(separator, value, omit) => {
            let J::Str(separator) = eval(separator, data)? else {
                return Err(Defer);
            };
            let mut out = Vec::new();
            flatten(
                eval(value, data)?,
                String::new(),
                &separator,
                *omit,
                &mut out,
                0,
            )?;
            J::Obj(out)
        }
        Node::Merge(direction, objects) => {
            let direction = eval(direction, data)?;
            let objects = objects.as_ref().ok_or(Defer)?;
            let mut resolved = eval_all(objects, data)?;
            if direction.str() == Some("left") {
                resolved.reverse();
            }
            let mut out = Vec::new();
            for object in resolved {
                for (k, v) in entries(object) {
                    set(&mut out, k, v);
                }
            }
            J::Obj(out)
        }
        Node::Transform(apply, mapping) => {
            let apply = apply.as_ref().ok_or(Defer)?;
            if data.obj().is_none() {
                return Err(Defer);
            }
            let payload = remove_undefined(eval(apply, data)?);
            eval(mapping, &payload)?
        }
        Node::Defer => return Err(Defer),
    })
}

fn eval_all(nodes: &[Node], data: &J) -> R<Vec<J>> {
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        out.push(eval(n, data)?);
    }
    Ok(out)
}

/// lodash `get`'s path syntax as mapping-kit uses it: `a.b`, `a[0]`, `a["b"]`.
fn parse_path(path: &str) -> Vec<String> {
    if path.is_empty() || path == "." {
        return Vec::new();
    }
    let quote_or_digit = |c: Option<char>| matches!(c, Some('"' | '\'' | '0'..='9'));
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut chars = path.chars().peekable();
    let mut prev = None;
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
    pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.chars().filter(|c| !matches!(c, '"' | '\'')).collect())
        .collect()
}

/// `{{path}}` (then `{{{path}}}` first) filled in, as mapping-kit's `render` does.
fn render(template: &str, data: &J) -> R<Vec<u8>> {
    let once = pass(template.as_bytes(), 3, data)?;
    pass(&once, 2, data)
}

fn pass(s: &[u8], braces: usize, data: &J) -> R<Vec<u8>> {
    let mut out = Vec::new();
    let (mut i, mut at) = (0, 0);
    while i < s.len() {
        if s[i..].starts_with(&b"{{{"[..braces]) {
            let start = i + braces;
            let end = s[start..]
                .iter()
                .position(|b| *b == b'}')
                .map_or(s.len(), |j| start + j);
            if end > start && s[end..].starts_with(&b"}}}"[..braces]) {
                out.extend_from_slice(&s[at..i]);
                // Braces are ASCII, so the hole is whole UTF-8.
                let inner = std::str::from_utf8(&s[start..end]).map_err(|_| Defer)?;
                let inner = inner.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
                let v = lookup(&parse_path(inner), data)?;
                if !v.nullish() {
                    to_string(&v, &mut out, 0)?;
                }
                i = end + braces;
                at = i;
                continue;
            }
        }
        i += 1;
    }
    out.extend_from_slice(&s[at..]);
    Ok(out)
}

fn replace(value: Option<&Node>, options: &[J; 6], data: &J) -> R<J> {
    let Some(value) = value else {
        return Ok(J::Undef);
    };
    let value = eval(value, data)?;
    let mut subject = Vec::new();
    match value {
        J::Str(_) | J::Num(_) | J::Bool(_) => to_string(&value, &mut subject, 0)?,
        _ => return Ok(J::Str(String::new())),
    }
    let [J::Str(pattern), J::Str(replacement), J::Bool(ignorecase), J::Bool(global), pattern2, replacement2] =
        options
    else {
        return Ok(J::Str(String::new()));
    };
    let mut result = replace_text(&subject, pattern, replacement, *global, *ignorecase)?;
    if let (J::Str(p2), J::Str(r2)) = (pattern2, replacement2) {
        if !p2.is_empty() {
            result = replace_text(&result, p2, r2, *global, *ignorecase)?;
        }
    }
    Ok(text(result))
}

/// `value.replace(new RegExp(escaped(pattern), flags), replacement)`: a literal search,
/// with the replacement's `$$`, `$&`, `` $` `` and `$'`.
fn replace_text(
    value: &[u8],
    pattern: &str,
    replacement: &str,
    global: bool,
    ignorecase: bool,
) -> R<Vec<u8>> {
    if utf16_len(pattern) > 10 || utf16_len(replacement) > 10 || (ignorecase && !pattern.is_ascii())
    {
        return Err(Defer);
    }
    let pattern = pattern.as_bytes();
    if pattern.is_empty() {
        return Ok(value.to_vec());
    }
    let mut out = Vec::new();
    let (mut i, mut last) = (0, 0);
    while i + pattern.len() <= value.len() {
        let window = &value[i..i + pattern.len()];
        let hit = if ignorecase {
            window.eq_ignore_ascii_case(pattern)
        } else {
            window == pattern
        };
        // A match starts on a character: UTF-8 continuation bytes are 0b10xxxxxx,
        // which no pattern (ASCII, or starting with a whole character) starts with.
        if !hit {
            i += 1;
            continue;
        }
        let end = i + pattern.len();
        out.extend_from_slice(&value[last..i]);
        let mut r = replacement.bytes().peekable();
        while let Some(c) = r.next() {
            let part: &[u8] = match (c, r.peek()) {
                (b'$', Some(b'$')) => b"$",
                (b'$', Some(b'&')) => &value[i..end],
                (b'$', Some(b'`')) => &value[..i],
                (b'$', Some(b'\'')) => &value[end..],
                _ => {
                    out.push(c);
                    continue;
                }
            };
            out.extend_from_slice(part);
            r.next();
        }
        last = end;
        i = end;
        if !global {
            break;
        }
    }
    out.extend_from_slice(&value[last..]);
    Ok(out)
}

/// `JSON.stringify` as the engine writes it: index-like keys first; `false` for
/// `undefined`.
fn stringify(v: &J, out: &mut Vec<u8>, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        out.extend_from_slice(b"null");
        return true;
    }
    match v {
        J::Undef => return false,
        J::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !stringify(item, out, depth + 1) {
                    out.extend_from_slice(b"null");
                }
            }
            out.push(b']');
        }
        J::Obj(members) => {
            // Index-like keys first, ascending, the rest in order (an insertion sort:
            // stable, and small in the page).
            let rank = |m: &(String, J)| index(&m.0).unwrap_or(usize::MAX);
            let mut order: Vec<&(String, J)> = Vec::with_capacity(members.len());
            for m in members {
                let at = order
                    .iter()
                    .rposition(|o| rank(o) <= rank(m))
                    .map_or(0, |i| i + 1);
                order.insert(at, m);
            }
            out.push(b'{');
            let mut first = true;
            for (k, v) in order {
                let mut item = Vec::new();
                crate::json::write(&J::Str(k.clone()), &mut item);
                item.push(b':');
                if stringify(v, &mut item, depth + 1) {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(&item);
                }
            }
            out.push(b'}');
        }
        other => crate::json::write(other, out),
    }
    true
}

/// Finite numbers only, nested no deeper than serde_json reads.
fn plain(v: &J, depth: usize) -> bool {
    match v {
        J::Num(n) => n.is_finite(),
        J::Arr(items) => depth < 100 && items.iter().all(|i| plain(i, depth + 1)),
        J::Obj(members) => depth < 100 && members.iter().all(|(_, v)| plain(v, depth + 1)),
        _ => true,
    }
}

/// `Object.entries`-like walk the engine's directives use: object members, array
/// items by index, a string's UTF-16 units.
fn entries(v: J) -> Vec<(String, J)> {
    match v {
        J::Obj(members) => members,
        J::Arr(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (decimal(i), v))
            .collect(),
        J::Str(s) => {
            let mut out = Vec::new();
            for c in s.chars() {
                for _ in 0..c.len_utf16() {
                    // Half of a surrogate pair reads as U+FFFD, as in the engine.
                    let unit = if c.len_utf16() == 1 { c } else { '\u{fffd}' };
                    out.push((decimal(out.len()), J::Str(unit.into())));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

fn decimal(i: usize) -> String {
    let mut out = Vec::new();
    crate::json::number(i as f64, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn flatten(
    input: J,
    prefix: String,
    separator: &str,
    omit_arrays: bool,
    out: &mut Vec<(String, J)>,
    depth: usize,
) -> R<()> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Defer);
    }
    let descend = matches!(input, J::Obj(_)) || (!omit_arrays && matches!(input, J::Arr(_)));
    if !descend {
        set(out, prefix, input);
        return Ok(());
    }
    for (key, value) in entries(input) {
        let key = if prefix.is_empty() {
            key
        } else {
            let mut k = String::with_capacity(prefix.len() + separator.len() + key.len());
            k.push_str(&prefix);
            k.push_str(separator);
            k.push_str(&key);
            k
        };
        flatten(value, key, separator, omit_arrays, out, depth + 1)?;
    }
    Ok(())
}

/// `undefined` members gone from objects, at any depth (array items stay).
fn remove_undefined(v: J) -> J {
    match v {
        J::Arr(items) => J::Arr(items.into_iter().map(remove_undefined).collect()),
        J::Obj(members) => J::Obj(
            members
                .into_iter()
                .filter(|(_, v)| *v != J::Undef)
                .map(|(k, v)| (k, remove_undefined(v)))
                .collect(),
        ),
        other => other,
    }
}

/// `value == ''` for a value that is neither `undefined` nor `null`.
fn loosely_empty(v: &J) -> R<bool> {
    match v {
        J::Str(s) => Ok(s.is_empty()),
        J::Num(n) => Ok(*n == 0.0),
        J::Bool(b) => Ok(!b),
        J::Arr(_) => {
            let mut out = Vec::new();
            to_string(v, &mut out, 0)?;
            Ok(out.is_empty())
        }
        _ => Ok(false),
    }
}

/// `cleanNulls`: `null` members of objects become `undefined`, through nested objects.
fn clean_nulls(v: J, depth: usize) -> R<J> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Defer);
    }
    let J::Obj(members) = v else {
        return Ok(v);
    };
    let mut out = Vec::with_capacity(members.len());
    for (k, v) in members {
        let v = if v == J::Null {
            J::Undef
        } else {
            clean_nulls(v, depth + 1)?
        };
        out.push((k, v));
    }
    Ok(J::Obj(out))
}

/// The mapping's result as JSON has it: `undefined` members gone, `undefined` items
/// `null`, no `__proto__` members.
fn to_output(v: J) -> Option<J> {
    Some(match v {
        J::Undef => return None,
        J::Arr(items) => J::Arr(
            items
                .into_iter()
                .map(|i| to_output(i).unwrap_or(J::Null))
                .collect(),
        ),
        J::Obj(members) => J::Obj(
            members
                .into_iter()
                .filter(|(k, _)| k != "__proto__")
                .filter_map(|(k, v)| to_output(v).map(|v| (k, v)))
                .collect(),
        ),
        other => other,
    })
}

// ---- payload validation (actions-core's removeEmptyValues + ajv) ----

/// The payload as validation leaves it, or the problems in the engine's words, one
/// sentence each.
fn validate(fields: &[Field], payload: Option<J>) -> Result<J, String> {
    let mut problems = String::new();
    let Some(J::Obj(mut members)) = payload else {
        problem(
            &mut problems,
            &[
                "The root value must be an object but it was ",
                a_type(payload.as_ref()),
                ".",
            ],
        );
        return Err(problems);
    };
    let empty = J::Str(String::new());
    // removeEmptyValues, then removeAdditional: only the fields' keys remain.
    members.retain(|(k, v)| match fields.iter().find(|f| f.key == *k) {
        Some(f) => *v != empty && (*v != J::Null || f.allow_null),
        None => false,
    });
    for field in fields {
        let Some((_, v)) = members.iter_mut().find(|(k, _)| *k == field.key) else {
            if field.required {
                let key = field.key.as_str();
                problem(
                    &mut problems,
                    &["The root value is missing the required field '", key, "'."],
                );
            }
            continue;
        };
        if check_field(v, field).is_none() {
            let name = match (field.object, field.allow_null) {
                (true, false) => "an object",
                (true, true) => "an object or null",
                (false, false) => "a string",
                (false, true) => "a string or null",
            };
            let label = field.label.as_str();
            problem(
                &mut problems,
                &[
                    label,
                    " must be ",
                    name,
                    " but it was ",
                    a_type(Some(v)),
                    ".",
                ],
            );
        }
    }
    if problems.is_empty() {
        Ok(J::Obj(members))
    } else {
        Err(problems)
    }
}

fn problem(out: &mut String, parts: &[&str]) {
    if !out.is_empty() {
        out.push(' ');
    }
    for p in parts {
        out.push_str(p);
    }
}

fn a_type(v: Option<&J>) -> &'static str {
    match v {
        None | Some(J::Undef) => "undefined",
        Some(J::Null) => "null",
        Some(J::Bool(_)) => "a boolean",
        Some(J::Num(_)) => "a number",
        Some(J::Str(_)) => "a string",
        Some(J::Arr(_)) => "an array",
        Some(J::Obj(_)) => "an object",
    }
}

fn is_type(v: &J, field: &Field) -> bool {
    match v {
        J::Obj(_) => field.object,
        J::Str(_) => !field.object,
        J::Null => field.allow_null,
        _ => false,
    }
}

/// ajv's type check with `coerceTypes: "array"`, for a string or object field.
fn check_field(v: &mut J, field: &Field) -> Option<()> {
    if is_type(v, field) {
        return Some(());
    }
    // An object field that does not allow null is never coerced.
    if field.object && !field.allow_null {
        return None;
    }
    let single = match &*v {
        J::Arr(items) if items.len() == 1 => {
            if is_type(&items[0], field) {
                *v = items[0].clone();
                return Some(());
            }
            items[0].clone()
        }
        other => other.clone(),
    };
    let as_string = || match &single {
        J::Num(_) | J::Bool(_) => {
            let mut out = Vec::new();
            to_string(&single, &mut out, 0).ok()?;
            Some(text(out))
        }
        J::Null => Some(J::Str(String::new())),
        _ => None,
    };
    let as_null = || match &single {
        J::Str(s) if s.is_empty() => Some(J::Null),
        J::Num(n) if *n == 0.0 => Some(J::Null),
        J::Bool(false) => Some(J::Null),
        _ => None,
    };
    let coerced = if field.object {
        as_null()
    } else if field.allow_null {
        as_string().or_else(as_null)
    } else {
        as_string()
    };
    *v = coerced?;
    Some(())
}

/// The `window.Iterate(...)` argument lists for a valid payload.
fn perform(perform: Perform, payload: &J, calls: &mut Vec<J>) {
    let member = |k: &str| payload.own(k);
    let s = |t: &str| J::Str(t.into());
    calls.push(J::Arr(match perform {
        Perform::Track => vec![s("event"), member("name").cloned().unwrap_or(J::Null)],
        Perform::Identify => {
            let mut traits = match member("traits") {
                Some(t) if t.truthy() => t.clone(),
                _ => J::Obj(Vec::new()),
            };
            if let (Some(id), J::Obj(t)) = (member("userId").filter(|u| u.truthy()), &mut traits) {
                set(t, "external_id".into(), id.clone());
            }
            match member("responseProperties") {
                Some(props @ J::Obj(_)) => vec![s("identify"), traits, props.clone()],
                _ => vec![s("identify"), traits],
            }
        }
        Perform::Show => match member("surveyId") {
            Some(id @ J::Str(_)) => vec![s("install"), id.clone()],
            _ => vec![s("install")],
        },
    }));
}

// ---- the run ----

/// Where a subscription stopped (`destination::Stop`), for the delivery log.
#[derive(Clone, Copy)]
pub enum Stop {
    Trigger,
    Consent,
    Held,
    Validation,
    Delivered,
}

impl Stop {
    fn name(self) -> &'static str {
        match self {
            Stop::Trigger => "trigger",
            Stop::Consent => "consent",
            Stop::Held => "held",
            Stop::Validation => "validation",
            Stop::Delivered => "delivered",
        }
    }
}

fn plugin_enabled(integrations: &J, name: &str, action: &str) -> bool {
    let mut both = String::with_capacity(name.len() + 1 + action.len());
    both.push_str(name);
    both.push(' ');
    both.push_str(action);
    let named = integrations
        .own(name)
        .filter(|v| **v != J::Null)
        .or_else(|| integrations.own(&both).filter(|v| **v != J::Null));
    match named {
        Some(v) => v.truthy(),
        None => integrations.own("All") != Some(&J::Bool(false)),
    }
}

/// Where a subscription stopped, and the reason for a skip.
fn one(
    plan: &Plan,
    sub: &Sub,
    event: &J,
    prefs: Option<&J>,
    calls: &mut Vec<J>,
) -> R<(Stop, Option<String>)> {
    if !matches(&sub.trigger, event)? {
        return Ok((Stop::Trigger, None));
    }
    if !sub.consent.is_empty() {
        let Some(prefs) = prefs else {
            return Ok((Stop::Held, None));
        };
        if !sub
            .consent
            .iter()
            .all(|c| prefs.own(c) == Some(&J::Bool(true)))
        {
            return Ok((Stop::Consent, None));
        }
    }
    let action = &plan.actions[sub.action];
    let payload = to_output(eval(&sub.mapping, event)?);
    match validate(&action.fields, payload) {
        Ok(payload) => {
            perform(action.perform, &payload, calls);
            Ok((Stop::Delivered, None))
        }
        Err(problems) => Ok((
            Stop::Validation,
            Some(["invalid payload: ", &problems].concat()),
        )),
    }
}

/// Runs `action`'s subscriptions (those in `only`, when given) over `event`; writes
/// `{"calls", "skipped", "steps"}` as the full engine would.
pub fn run(
    plan: &Plan,
    action: &str,
    event: &J,
    only: Option<&[J]>,
    known: Option<&J>,
    out: &mut Vec<u8>,
) -> R<()> {
    let mut calls = Vec::new();
    let mut steps: Vec<(&str, Stop, Option<String>)> = Vec::new();
    if event
        .own("type")
        .and_then(J::str)
        .is_some_and(|t| HOOKS.contains(&t))
    {
        let integrations = event.own("integrations").filter(|i| i.obj().is_some());
        let prefs = event
            .own("context")
            .and_then(|c| c.own("consent"))
            .and_then(|c| c.own("categoryPreferences"))
            .filter(|p| p.obj().is_some())
            .or(known.filter(|k| k.obj().is_some()));
        let on = plan
            .actions
            .iter()
            .position(|a| a.key == action)
            .filter(|a| {
                integrations.is_none_or(|i| plugin_enabled(i, &plan.name, &plan.actions[*a].key))
            });
        for sub in plan.subs.iter().filter(|s| {
            on == Some(s.action)
                && only.is_none_or(|ids| ids.iter().any(|id| id.str() == Some(s.id.as_str())))
        }) {
            let (stop, reason) = one(plan, sub, event, prefs, &mut calls)?;
            steps.push((&sub.id, stop, reason));
        }
    }
    // `{"calls", "skipped": [{subscription, reason}], "steps": [{subscription, outcome,
    // reason?}]}`, steps left out when there are none, as the engine serializes it.
    let step = |id: &str, stop: Option<Stop>, reason: &Option<String>| {
        let mut members = vec![("subscription".into(), J::Str(id.into()))];
        if let Some(stop) = stop {
            members.push(("outcome".into(), J::Str(stop.name().into())));
        }
        if let Some(r) = reason {
            members.push(("reason".into(), J::Str(r.clone())));
        }
        J::Obj(members)
    };
    let skipped = steps
        .iter()
        .filter(|s| s.2.is_some())
        .map(|(id, _, reason)| step(id, None, reason))
        .collect();
    let mut outcome = vec![
        ("calls".into(), J::Arr(calls)),
        ("skipped".into(), J::Arr(skipped)),
    ];
    if !steps.is_empty() {
        let steps = steps
            .iter()
            .map(|(id, stop, reason)| step(id, Some(*stop), reason))
            .collect();
        outcome.push(("steps".into(), J::Arr(steps)));
    }
    crate::json::write(&J::Obj(outcome), out);
    Ok(())
}
