//! Members that JavaScript's built-in prototypes add to every value. Data paths such
//! as `properties.constructor` or `properties.tags.map` reach them in the reference,
//! so they must resolve to *something* here: a function, whose only readable
//! properties are `name` and `length`.

use crate::JsVal;

const OBJECT: &[&str] = &[
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

const ARRAY: &[&str] = &[
    "at",
    "concat",
    "copyWithin",
    "entries",
    "every",
    "fill",
    "filter",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "flat",
    "flatMap",
    "forEach",
    "includes",
    "indexOf",
    "join",
    "keys",
    "lastIndexOf",
    "map",
    "pop",
    "push",
    "reduce",
    "reduceRight",
    "reverse",
    "shift",
    "slice",
    "some",
    "sort",
    "splice",
    "toLocaleString",
    "toReversed",
    "toSorted",
    "toSpliced",
    "toString",
    "unshift",
    "values",
    "with",
];

const STRING: &[&str] = &[
    "anchor",
    "at",
    "big",
    "blink",
    "bold",
    "charAt",
    "charCodeAt",
    "codePointAt",
    "concat",
    "endsWith",
    "fixed",
    "fontcolor",
    "fontsize",
    "includes",
    "indexOf",
    "isWellFormed",
    "italics",
    "lastIndexOf",
    "link",
    "localeCompare",
    "match",
    "matchAll",
    "normalize",
    "padEnd",
    "padStart",
    "repeat",
    "replace",
    "replaceAll",
    "search",
    "slice",
    "small",
    "split",
    "startsWith",
    "strike",
    "sub",
    "substr",
    "substring",
    "sup",
    "toLocaleLowerCase",
    "toLocaleUpperCase",
    "toLowerCase",
    "toString",
    "toUpperCase",
    "toWellFormed",
    "trim",
    "trimEnd",
    "trimLeft",
    "trimRight",
    "trimStart",
    "valueOf",
];

const NUMBER: &[&str] = &[
    "toExponential",
    "toFixed",
    "toLocaleString",
    "toPrecision",
    "toString",
    "valueOf",
];

const BOOLEAN: &[&str] = &["toString", "valueOf"];

const FUNCTION: &[&str] = &["apply", "bind", "call", "toString"];

fn member(table: &[&'static str], key: &str) -> Option<JsVal<'static>> {
    table
        .iter()
        .find(|m| **m == key)
        .map(|m| JsVal::Function(m))
}

pub(crate) fn object<'a>(key: &str) -> JsVal<'a> {
    match key {
        "constructor" => JsVal::Function("Object"),
        "__proto__" => JsVal::ObjectPrototype,
        _ => member(OBJECT, key).unwrap_or(JsVal::Undefined),
    }
}

fn with_constructor<'a>(table: &[&'static str], ctor: &'static str, key: &str) -> JsVal<'a> {
    if key == "constructor" {
        return JsVal::Function(ctor);
    }
    if key == "__proto__" {
        // The specific prototype object; only its truthiness is ever observed.
        return JsVal::ObjectPrototype;
    }
    member(table, key).unwrap_or_else(|| object(key))
}

pub(crate) fn array<'a>(key: &str) -> JsVal<'a> {
    with_constructor(ARRAY, "Array", key)
}

pub(crate) fn string<'a>(key: &str) -> JsVal<'a> {
    with_constructor(STRING, "String", key)
}

pub(crate) fn number<'a>(key: &str) -> JsVal<'a> {
    with_constructor(NUMBER, "Number", key)
}

pub(crate) fn boolean<'a>(key: &str) -> JsVal<'a> {
    with_constructor(BOOLEAN, "Boolean", key)
}

pub(crate) fn function<'a>(name: &'static str, key: &str) -> JsVal<'a> {
    match key {
        "name" => JsVal::Str(name.into()),
        "length" => JsVal::Number(0.0),
        _ => with_constructor(FUNCTION, "Function", key),
    }
}
