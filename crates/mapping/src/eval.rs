//! Evaluation of a lowered mapping against one event: the directive functions of
//! mapping-kit's `index.js`, over [`V`] values.

use crate::compile::{JsonMode, Node, Replace};
use crate::path::{render, strip_root, Path};
use crate::value::{canon, remove_undefined, set, stringify, to_js_string, MAX_VALUE_DEPTH, V};
use crate::{EvalError, EvalErrorKind};
use serde_json::Value;
use std::borrow::Cow;

fn directive_error(message: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::Directive, message)
}

pub(crate) fn data_error(v: &V<'_>) -> EvalError {
    EvalError::new(
        EvalErrorKind::Data,
        format!("data must be an object, got {}", v.real_type()),
    )
}

/// `resolve(mapping, payload)`.
pub(crate) fn eval<'a>(node: &'a Node, data: &V<'a>) -> Result<V<'a>, EvalError> {
    Ok(match node {
        Node::Undefined => V::Undefined,
        Node::Const(v) => V::Json(Cow::Borrowed(v)),
        Node::Array(nodes) => V::Array(
            nodes
                .iter()
                .map(|n| eval(n, data))
                .collect::<Result<_, _>>()?,
        ),
        Node::Object(members) => {
            let mut fields = Vec::with_capacity(members.len());
            for (k, n) in members {
                let v = eval(n, data)?;
                // Assigning `__proto__` sets a prototype, not a field (MAP153).
                if k != "__proto__" {
                    fields.push((k.clone(), v));
                }
            }
            V::Object(fields)
        }
        Node::Path(path) => path.lookup(data),
        Node::DynPath(inner) => {
            let path = eval(inner, data)?;
            let Some(text) = path.as_str() else {
                return Err(directive_error(format!(
                    "@path: expected string, got {}",
                    path.real_type()
                )));
            };
            Path::parse(&strip_root(text)).lookup(data)
        }
        Node::Template(t) => V::str(t.render(data)),
        Node::DynTemplate(inner) => {
            let template = eval(inner, data)?;
            let Some(text) = template.as_str() else {
                return Err(directive_error(format!(
                    "@template: expected string, got {}",
                    template.real_type()
                )));
            };
            V::str(render(text, data))
        }
        Node::If {
            exists,
            test,
            then,
            otherwise,
        } => {
            let value = eval(test, data)?;
            let present = !value.is_undefined() && !value.is_null();
            let holds = if *exists {
                present
            } else {
                present && !loosely_equals_empty_string(&value)
            };
            match (holds, then, otherwise) {
                (true, Some(then), _) => eval(then, data)?,
                (false, _, Some(otherwise)) => eval(otherwise, data)?,
                _ => V::Undefined,
            }
        }
        Node::Case { operator, value } => {
            let value = eval(value, data)?;
            let Some(text) = value.as_str() else {
                return Ok(value);
            };
            match operator.as_str() {
                Some("lower") => V::str(text.to_lowercase()),
                Some("upper") => V::str(text.to_uppercase()),
                _ => {
                    return Err(directive_error(
                        "operator key should have a value of \"lower\" or \"upper\"",
                    ))
                }
            }
        }
        Node::Replace(r) => replace(r, data)?,
        Node::ArrayPath { root, shape } => {
            let root = eval(root, data)?;
            let Some(shape) = shape else {
                return Ok(root);
            };
            if !matches!(root.real_type(), "object" | "array") {
                return Ok(root);
            }
            let items: Vec<V<'a>> = if root.real_type() == "array" {
                root.entries().into_iter().map(|(_, v)| v).collect()
            } else {
                vec![root]
            };
            let mut out = Vec::with_capacity(items.len());
            for item in &items {
                out.push(eval(shape, item)?.into_owned());
            }
            V::Array(out)
        }
        Node::Json { mode, value } => {
            let value = eval(value, data)?;
            match mode {
                JsonMode::Encode => stringify(&value).map_or(V::Undefined, V::str),
                JsonMode::Decode => match value.as_str() {
                    Some(text) => match json_parse(text) {
                        Some(parsed) => V::owned(canon(&parsed)),
                        None => value,
                    },
                    None => value,
                },
                JsonMode::Other => V::Undefined,
            }
        }
        Node::Flatten {
            separator,
            value,
            omit_arrays,
        } => {
            let separator = eval(separator, data)?;
            let Some(separator) = separator.as_str() else {
                return Err(directive_error("@flatten requires a string separator"));
            };
            let value = eval(value, data)?;
            let mut out = Vec::new();
            flatten(value, String::new(), separator, *omit_arrays, &mut out, 0)?;
            V::Object(out)
        }
        Node::Merge { direction, objects } => {
            let direction = eval(direction, data)?;
            let nodes = objects.as_ref().map_err(|e| directive_error(e.clone()))?;
            let mut resolved = nodes
                .iter()
                .map(|n| eval(n, data))
                .collect::<Result<Vec<_>, _>>()?;
            if direction.as_str() == Some("left") {
                resolved.reverse();
            }
            let mut out = Vec::new();
            for object in resolved {
                for (k, v) in object.entries() {
                    set(&mut out, k, v);
                }
            }
            V::Object(out)
        }
        Node::Transform { apply, mapping } => {
            let apply = apply.as_ref().map_err(|e| directive_error(e.clone()))?;
            if !data.is_plain_object() {
                return Err(data_error(data));
            }
            let payload = remove_undefined(eval(apply, data)?).into_owned();
            eval(mapping, &payload)?.into_owned()
        }
        Node::ExcludeWhenNull(inner) => {
            let value = eval(inner, data)?;
            if value.is_null() {
                V::Undefined
            } else {
                clean_nulls(value, 0)?
            }
        }
        Node::Fail(message) => return Err(directive_error(message.clone())),
    })
}

/// `JSON.parse`, where numbers too large for a double are `Infinity`, which has no
/// JSON form: it is read as `null`, which is what the output shows.
fn json_parse(text: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Some(v),
        Err(e) if e.to_string().starts_with("number out of range") => {
            serde_json::from_str(&infinities_to_null(text)).ok()
        }
        Err(_) => None,
    }
}

/// Rewrites number tokens (outside strings) that overflow a double as `null`.
fn infinities_to_null(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
            continue;
        }
        if c == '-' || c.is_ascii_digit() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-') {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let token = &text[i..end];
            match token.parse::<f64>() {
                Ok(f) if f.is_infinite() => out.push_str("null"),
                _ => out.push_str(token),
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// `value != ''` negated, for a value that is neither `undefined` nor `null`.
fn loosely_equals_empty_string(v: &V<'_>) -> bool {
    match v {
        V::Json(j) => match j.as_ref() {
            Value::String(s) => s.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::Bool(b) => !b,
            Value::Array(_) => {
                let mut text = String::new();
                to_js_string(v, &mut text, 0);
                text.is_empty()
            }
            Value::Object(_) | Value::Null => false,
        },
        V::Array(_) => {
            let mut text = String::new();
            to_js_string(v, &mut text, 0);
            text.is_empty()
        }
        _ => false,
    }
}

fn too_deep() -> EvalError {
    EvalError::new(
        EvalErrorKind::Depth,
        format!("a value nests more than {MAX_VALUE_DEPTH} levels deep"),
    )
}

/// `flattenObject(input, prefix, separator, ignoreArrays)`.
fn flatten<'a>(
    input: V<'a>,
    prefix: String,
    separator: &str,
    omit_arrays: bool,
    out: &mut Vec<(String, V<'a>)>,
    depth: usize,
) -> Result<(), EvalError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    let descend = input.is_plain_object() || (!omit_arrays && input.real_type() == "array");
    if !descend {
        set(out, prefix, input);
        return Ok(());
    }
    for (key, value) in input.entries() {
        let key = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}{separator}{key}")
        };
        flatten(value, key, separator, omit_arrays, out, depth + 1)?;
    }
    Ok(())
}

/// `cleanNulls`: `null` members of plain objects become `undefined`, at any depth of
/// plain objects (arrays are left alone).
fn clean_nulls(value: V<'_>, depth: usize) -> Result<V<'_>, EvalError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    if !value.is_plain_object() {
        return Ok(value);
    }
    let mut out = Vec::new();
    for (k, v) in value.entries() {
        let v = if v.is_null() {
            V::Undefined
        } else {
            clean_nulls(v, depth + 1)?
        };
        out.push((k, v));
    }
    Ok(V::Object(out))
}

fn replace<'a>(r: &'a Replace, data: &V<'a>) -> Result<V<'a>, EvalError> {
    let Some(value) = &r.value else {
        return Ok(V::Undefined);
    };
    let value = eval(value, data)?;
    let text = match value.json() {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => js::number_to_string(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::Bool(b)) => b.to_string(),
        _ => return Ok(V::str("")),
    };
    let (
        Value::String(pattern),
        Value::String(replacement),
        Value::Bool(ignorecase),
        Value::Bool(global),
    ) = (&r.pattern, &r.replacement, &r.ignorecase, &r.global)
    else {
        return Ok(V::str(""));
    };
    let mut result = perform_replace(&text, pattern, replacement, *global, *ignorecase)?;
    if let (Value::String(pattern2), Value::String(replacement2)) = (&r.pattern2, &r.replacement2) {
        if !pattern2.is_empty() {
            result = perform_replace(&result, pattern2, replacement2, *global, *ignorecase)?;
        }
    }
    Ok(V::str(result))
}

/// `value.replace(new RegExp(escaped(pattern), flags), replacement)`: a literal search,
/// with the replacement's `$$`, `$&`, `` $` `` and `$'` patterns.
pub(crate) fn perform_replace(
    value: &str,
    pattern: &str,
    replacement: &str,
    global: bool,
    ignorecase: bool,
) -> Result<String, EvalError> {
    if js::utf16_len(pattern) > 10 {
        return Err(directive_error(
            "@replace requires a \"pattern\" less than 10 characters",
        ));
    }
    if js::utf16_len(replacement) > 10 {
        return Err(directive_error(
            "@replace requires a \"replacement\" less than 10 characters",
        ));
    }
    let pattern: Vec<char> = pattern.chars().collect();
    if pattern.is_empty() {
        return Ok(value.to_string());
    }
    let same = |a: char, b: char| a == b || (ignorecase && fold(a) == fold(b));
    let mut out = String::new();
    let mut last = 0;
    for (start, _) in value.char_indices() {
        if start < last {
            continue;
        }
        let mut chars = value[start..].chars();
        let mut end = start;
        let matched = pattern.iter().all(|p| match chars.next() {
            Some(c) if same(c, *p) => {
                end += c.len_utf8();
                true
            }
            _ => false,
        });
        if !matched {
            continue;
        }
        out.push_str(&value[last..start]);
        expand(replacement, value, start, end, &mut out);
        last = end;
        if !global {
            break;
        }
    }
    out.push_str(&value[last..]);
    Ok(out)
}

fn expand(replacement: &str, value: &str, start: usize, end: usize, out: &mut String) {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => out.push('$'),
            Some('&') => out.push_str(&value[start..end]),
            Some('`') => out.push_str(&value[..start]),
            Some('\'') => out.push_str(&value[end..]),
            _ => {
                out.push('$');
                continue;
            }
        }
        chars.next();
    }
}

/// The `i` flag's `Canonicalize` without the `u` flag: a character's single-character
/// upper case, unless that maps a non-ASCII character into ASCII. Characters outside
/// the BMP are two UTF-16 units there, which do not fold.
fn fold(c: char) -> char {
    if u32::from(c) > 0xFFFF {
        return c;
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if !(u32::from(c) >= 128 && u32::from(u) < 128) => u,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_patterns_follow_javascript() {
        let r = |v, p, rep| perform_replace(v, p, rep, true, false).unwrap();
        assert_eq!(r("axb", "x", "$&$&"), "axxb");
        assert_eq!(r("axb", "x", "[$`]"), "a[a]b");
        assert_eq!(r("axb", "x", "[$']"), "a[b]b");
        assert_eq!(r("axb", "x", "$$1$1"), "a$1$1b");
        assert_eq!(r("a.b.c", ".", "-"), "a-b-c");
        assert_eq!(r("xxx", "xx", "y"), "yx");
        assert_eq!(
            perform_replace("aXa", "x", "_", false, true).unwrap(),
            "a_a"
        );
        assert_eq!(perform_replace("aa", "a", "b", false, false).unwrap(), "ba");
        assert!(perform_replace("a", "a", "12345678901", true, false).is_err());
    }

    #[test]
    fn ignorecase_folds_simply() {
        assert_eq!(fold('ß'), 'ß');
        assert_eq!(fold('é'), 'É');
        // U+017F LATIN SMALL LETTER LONG S upper-cases to ASCII `S`: not folded.
        assert_eq!(fold('ſ'), 'ſ');
    }
}
