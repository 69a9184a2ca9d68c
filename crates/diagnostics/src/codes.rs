//! The registry of stable diagnostic codes. A code is never reused for another
//! meaning; each has one line of documentation, which `iterate-actions explain`
//! prints and the docs are generated from.
//!
//! Ranges: `FQL0xx` trigger syntax and meaning, `MAP1xx` mappings, `DEF2xx`
//! destination definitions and settings, `API4xx` the server.

/// `(code, one-line description)` for every code in use.
pub const ALL: &[(&str, &str)] = &[
    // Destination settings and subscriptions.
    ("DEF201", "settings that are not a JSON object"),
    ("DEF202", "a required setting (such as `apiKey`) that is missing, empty or not a string"),
    ("DEF203", "`subscriptions` that is neither an array nor JSON text holding one"),
    ("DEF204", "a subscription that is not an object, or whose `subscribe`, `partnerAction` or `mapping` has the wrong type"),
    ("DEF205", "a subscription naming an action the destination does not have"),
    ("DEF206", "more than 50 mappings (subscriptions) in one destination instance"),
    ("DEF207", "a mapping with no value for a field its action requires"),
    ("DEF208", "two subscriptions with the same id"),
    ("DEF209", "a setting whose value has the wrong type, such as text where true or false belongs"),
    ("DEF210", "consent categories (`consentCategories`, `consentSettings.categories`) that are not an array of non-empty strings"),
    ("DEF211", "a number setting outside its range, such as a sample rate above 1"),
    ("DEF250", "`enabled` that is not true or false, read as JavaScript truthiness"),
    ("DEF251", "a mapping key that names no field of its action, so its value is dropped"),
    // Trigger errors: the reference rejects these triggers (they never match).
    ("FQL001", "a character that cannot start any token of the trigger language"),
    ("FQL002", "a string literal with no closing quote of the same kind"),
    ("FQL003", "a malformed number: a stray or repeated decimal point"),
    ("FQL004", "`!` that is neither `!=` followed by a space nor `!` before a function"),
    ("FQL005", "a word directly followed by a character that cannot end it, such as `price>4`"),
    ("FQL006", "a backslash escape at the very end of the trigger"),
    ("FQL007", "a word, number or string of 100000 or more characters"),
    ("FQL010", "the trigger contains no condition the reference understands"),
    ("FQL011", "a field with no operator and value after it"),
    ("FQL012", "a `contains` or `match` call that runs out of arguments"),
    ("FQL013", "a `(` with no `)` after it"),
    ("FQL014", "parentheses inside parentheses, which the reference cannot parse"),
    // Trigger warnings: accepted by the reference, but not what it looks like.
    ("FQL050", "`and` and `or` at one level: there is no precedence, the last one applies to all"),
    ("FQL051", "`!` before something that is not a function call is ignored"),
    ("FQL052", "words the reference does not understand are skipped"),
    ("FQL053", "`match` pattern without a leading `*` or with `*` elsewhere: a prefix or suffix test in disguise"),
    ("FQL054", "single-quoted strings keep their quotes in the compared value"),
    ("FQL055", "a condition whose operator or value is not what it looks like, so it compares with something else"),
    ("FQL056", "a condition that can never be true"),
    ("FQL057", "a condition whose evaluation throws in the reference when it is reached"),
    ("FQL058", "a literal that is compared as text although it looks like a number or boolean"),
    ("FQL059", "a `!=`/`!contains`/`!match` that is false for missing and non-text values"),
    ("FQL060", "`and`/`or` with no condition on one side (leading, trailing or doubled): it has no effect, or, as the last one of a group, it silently decides the join"),
    // Mapping errors: the reference's `validate` (or `transform` before it) rejects these.
    ("MAP101", "an `@` key that names no mapping directive"),
    ("MAP102", "a directive object with more than one key besides `_metadata`"),
    ("MAP103", "a directive or directive option of the wrong type"),
    ("MAP104", "a directive without one of its required options"),
    ("MAP105", "an `@replace` pattern or replacement outside its length limits"),
    ("MAP106", "an option that must be one of a few words, such as `@json` mode"),
    ("MAP107", "a malformed `__segment_internal_directive` root directive"),
    ("MAP108", "a mapping that is null"),
    ("MAP109", "`@liquid`, which this engine does not support"),
    ("MAP110", "a mapping nested too deeply to compile safely"),
    // Mapping warnings: accepted by the reference, but not what it looks like.
    ("MAP150", "`@literal` around a directive, which is still evaluated"),
    ("MAP151", "a `{{{ }}}` placeholder, which behaves exactly like `{{ }}`"),
    ("MAP152", "the path `$`, which is always undefined"),
    ("MAP153", "a `__proto__` key in a mapping object, which the output never holds"),
    ("MAP154", "a directive the reference accepts when saved but that throws whenever it is evaluated, such as `@if` with neither `exists` nor `blank`"),
];

/// The one-line description of `code`, if it is a known code.
pub fn describe(code: &str) -> Option<&'static str> {
    ALL.iter().find(|(c, _)| *c == code).map(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, doc) in ALL {
            assert!(seen.insert(*code), "duplicate {code}");
            assert_eq!(code.len(), 6, "{code}");
            assert!(code[3..].bytes().all(|b| b.is_ascii_digit()), "{code}");
            assert!(!doc.is_empty() && !doc.ends_with('.'), "{code}: {doc}");
        }
        let sorted: Vec<_> = ALL.iter().map(|(c, _)| *c).collect();
        let mut again = sorted.clone();
        again.sort();
        assert_eq!(sorted, again);
    }
}
