//! Snapshot tests of rendered diagnostics: errors where the reference rejects a
//! trigger, warnings where it accepts one that does not mean what it looks like.

const TRIGGERS: &[&str] = &[
    // Errors.
    "",
    "type = \"track\" and event =~ \"Order\"",
    "price>4",
    "properties.price>4",
    "type = \"track",
    "type = \"track\"\r\n",
    "x = 1.2.3",
    "properties.n = 5.",
    "userId !=null",
    "event !\"x\"",
    "type",
    "contains()",
    "contains(event",
    "(type = \"track\"",
    "((type = \"track\"))",
    "type = \"track\" and (event = \"a\" or (event = \"b\"))",
    "anonymousId = \"a1\"",
    "properties.items[0] = 1",
    "type = \"track\" && event = \"x\"",
    "properties.\\",
    "traits.naïve = 1",
    // Warnings.
    "type = \"identify\" and event = \"Nope\" or userId = \"u1\"",
    "!(type = \"track\")",
    "!type = \"track\"",
    "not contains(event, \"Order\")",
    "type = \"identify\" OR type = \"track\"",
    "anonymousId = \"zzz\" or type = \"track\"",
    "type = \"track\" and",
    "or type = \"track\"",
    "type = \"track\" and and event = \"x\"",
    "(type = \"track\" or) and event = \"x\"",
    "type = \"track\" and event = \"A\" or",
    "type = \"track\" and or event = \"A\"",
    "or or type = \"track\"",
    "type = \"a\" and event = \"b\" and",
    "type = \"a\" event = \"b\" or junk",
    "type = \"a\" event = \"b\" or",
    "Type = \"track\" and event = \"x\"",
    "match(event, \"Completed\")",
    "match(event, \"*Order*\")",
    "type = 'track'",
    "properties.n <=5",
    "type =",
    "properties.flag != true",
    "event = null",
    "properties.price > \"abc\"",
    "type = \"track\" and ()",
    "contains(type, \"tr\")",
    "properties.arr.0 = 1",
    "type = \"track\")",
    "properties.flag = TRUE",
    "contains(event, \"a\", \"b\")",
    "constructor = \"x\" and type = \"track\"",
];

#[test]
fn rendered_diagnostics() {
    let mut out = String::new();
    for src in TRIGGERS {
        let parsed = fql::parse(src);
        out.push_str(&format!("===== {src:?}\n"));
        match &parsed.trigger {
            Some(t) => out.push_str(&format!("selects: {}\n", t.explain())),
            None => out.push_str("rejected\n"),
        }
        for d in &parsed.diagnostics {
            out.push_str(&diagnostics::render(d, "trigger", src));
        }
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

#[test]
fn every_error_has_a_label_inside_the_source() {
    for src in TRIGGERS {
        for d in fql::parse(src).diagnostics {
            let span = d
                .span()
                .unwrap_or_else(|| panic!("{src:?}: {} has no primary label", d.code));
            assert!(
                span.end as usize <= src.len() && span.start <= span.end,
                "{src:?}: {span:?}"
            );
            assert!(
                diagnostics::codes::describe(d.code).is_some(),
                "{src:?}: undocumented {}",
                d.code
            );
        }
    }
}
