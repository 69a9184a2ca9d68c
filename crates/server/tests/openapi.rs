//! Keeps `docs/openapi.yaml` true to the router: every `.route(...)` registered in
//! `api.rs` (under `/api/v1`) and `public.rs` is documented with each of its methods,
//! and every documented path and method is implemented. Read as text, line by line:
//! path keys are indented two spaces under `paths:`, methods four. The web UI's routes
//! (`ui.rs`) are HTML pages, not the API: they must stay under `/ui` and out of the
//! document.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

type Routes = BTreeMap<String, BTreeSet<String>>;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `/sources/{id}` and `/sources/{source}` are the same route.
fn normalize(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The text between the `(` at `open` and its matching `)`.
fn balanced(text: &str, open: usize) -> &str {
    let mut depth = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text[open..].char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after byte {open}");
}

/// The method routers called in a `.route(...)` argument: `get(..)`, `.post(..)`, ...
fn methods_in(args: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for name in METHODS.iter().chain(&["any"]) {
        let call = format!("{name}(");
        for (i, _) in args.match_indices(&call) {
            let before = args[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // part of a longer name, such as `target(`
            }
            assert_ne!(
                *name, "any",
                "a route uses `any(..)`: document its methods and teach this test them"
            );
            found.insert(name.to_string());
        }
    }
    found
}

/// Every `.route("<path>", <methods>)` in a router source file, paths under `prefix`.
fn routes_in(source: &str, prefix: &str, file: &str) -> Routes {
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    for unsupported in [".nest(", ".route_service(", ".nest_service(", ".merge("] {
        assert!(
            !code.contains(unsupported),
            "{file} uses `{unsupported}`: this test reads only `.route(..)`; extend it"
        );
    }
    let mut routes = Routes::new();
    for (at, _) in code.match_indices(".route(") {
        let args = balanced(&code, at + ".route".len());
        let start = args
            .find('"')
            .unwrap_or_else(|| panic!("{file}: a route without a string path: {args}"))
            + 1;
        let end = start
            + args[start..]
                .find('"')
                .expect("an unterminated path string");
        let path = &args[start..end];
        let methods = methods_in(&args[end + 1..]);
        assert!(
            !methods.is_empty(),
            "{file}: no methods found for route {path:?}: {args}"
        );
        routes
            .entry(normalize(&format!("{prefix}{path}")))
            .or_default()
            .extend(methods);
    }
    assert!(!routes.is_empty(), "{file}: no `.route(..)` found");
    routes
}

/// The implemented routes: `api.rs` nested under `/api/v1`, `public.rs` at the root.
fn implemented() -> Routes {
    let app = read("src/lib.rs");
    assert!(
        app.contains(".nest(\"/api/v1\", api)") && app.contains(".merge(public::routes())"),
        "lib.rs no longer mounts api.rs at /api/v1 and public.rs at the root; update this test"
    );
    let mut routes = routes_in(&read("src/api.rs"), "/api/v1", "api.rs");
    for (path, methods) in routes_in(&read("src/public.rs"), "", "public.rs") {
        routes.entry(path).or_default().extend(methods);
    }
    routes
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A YAML mapping key (`key:` or `'key':` or `"key":`), when the line is one.
fn key(line: &str) -> Option<&str> {
    let t = line.trim();
    let k = t.strip_suffix(':')?;
    Some(k.trim_matches(|c| c == '\'' || c == '"'))
}

/// One documented operation: its path as written, method, and the lines of its body.
struct Operation {
    path: String,
    method: String,
    body: Vec<String>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method.to_uppercase(), self.path)
    }
}

/// The operations under `paths:` in the OpenAPI document.
fn documented(doc: &str) -> Vec<Operation> {
    let mut ops: Vec<Operation> = Vec::new();
    let mut in_paths = false;
    let mut path: Option<String> = None;
    let mut in_op = false;
    for line in doc.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let depth = indent(line);
        if depth == 0 {
            in_paths = line.trim_end() == "paths:";
            path = None;
            in_op = false;
            continue;
        }
        if !in_paths {
            continue;
        }
        if depth <= 4 {
            in_op = false;
        }
        match (depth, key(line)) {
            (2, Some(k)) => {
                assert!(
                    k.starts_with('/'),
                    "a key under `paths:` that is no path: {line:?}"
                );
                path = Some(k.to_string());
            }
            (4, Some(k)) if METHODS.contains(&k) => {
                let path = path.clone().expect("a method key outside a path");
                ops.push(Operation {
                    path,
                    method: k.to_string(),
                    body: Vec::new(),
                });
                in_op = true;
            }
            _ if in_op => {
                if let Some(op) = ops.last_mut() {
                    op.body.push(line.trim().to_string());
                }
            }
            _ => {}
        }
    }
    assert!(!ops.is_empty(), "no operations found under `paths:`");
    ops
}

fn doc() -> String {
    read("../../docs/openapi.yaml")
}

/// The documented operations as routes; each path and method documented once.
fn documented_routes(doc: &str) -> Routes {
    let mut routes = Routes::new();
    for op in documented(doc) {
        let fresh = routes
            .entry(normalize(&op.path))
            .or_default()
            .insert(op.method.clone());
        assert!(fresh, "{op:?} is documented twice");
    }
    routes
}

/// Each `METHOD path` in `a` that is not in `b`.
fn not_in(a: &Routes, b: &Routes) -> Vec<String> {
    let mut out = Vec::new();
    for (path, methods) in a {
        for m in methods {
            if !b.get(path).is_some_and(|other| other.contains(m)) {
                out.push(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_implemented() {
    let implemented = implemented();
    let documented = documented_routes(&doc());
    let missing = not_in(&implemented, &documented);
    let extra = not_in(&documented, &implemented);
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.yaml is out of date.\nroutes not documented: {missing:?}\ndocumented routes not implemented: {extra:?}"
    );
}

#[test]
fn the_web_ui_stays_under_ui_and_out_of_the_api_document() {
    assert!(
        read("src/lib.rs").contains(".merge(ui::routes("),
        "lib.rs no longer mounts ui.rs; update this test"
    );
    let ui = routes_in(&read("src/ui.rs"), "", "ui.rs");
    let outside: Vec<&String> = ui
        .keys()
        .filter(|p| *p != "/ui" && !p.starts_with("/ui/"))
        .collect();
    assert!(outside.is_empty(), "web UI routes outside /ui: {outside:?}");
    assert!(ui.contains_key("/ui/destinations/{}/mappings/{}"), "{ui:?}");
    let documented = documented_routes(&doc());
    let listed: Vec<&String> = documented.keys().filter(|p| p.starts_with("/ui")).collect();
    assert!(
        listed.is_empty(),
        "web UI pages in the API document: {listed:?}"
    );
    let clash: Vec<String> = implemented()
        .into_keys()
        .filter(|p| p.starts_with("/ui"))
        .collect();
    assert!(
        clash.is_empty(),
        "API or public routes under /ui: {clash:?}"
    );
}

#[test]
fn a_route_added_without_documenting_it_is_caught() {
    let api = read("src/api.rs").replacen(
        "Router::new()",
        "Router::new()\n        .route(\"/sources/{id}/keys\", get(keys).post(rotate))",
        1,
    );
    let implemented = routes_in(&api, "/api/v1", "api.rs");
    let missing = not_in(&implemented, &documented_routes(&doc()));
    assert_eq!(
        missing,
        [
            "GET /api/v1/sources/{}/keys",
            "POST /api/v1/sources/{}/keys"
        ]
    );
}

#[test]
fn the_bearer_token_guards_the_api_and_nothing_else() {
    let doc = doc();
    assert!(
        doc.lines().any(|l| l.trim() == "bearerAuth:")
            && doc.lines().any(|l| l.trim() == "scheme: bearer"),
        "the bearerAuth security scheme is missing"
    );
    assert!(
        !doc.lines()
            .any(|l| l.trim_end() == "security:" && indent(l) == 0),
        "security is set per operation, not for the whole document"
    );
    for op in documented(&doc) {
        let bearer = op.body.iter().any(|l| l == "- bearerAuth: []");
        let open = op.body.iter().any(|l| l == "security: []");
        if op.path.starts_with("/api/v1/") {
            assert!(bearer && !open, "{op:?} must require `bearerAuth`");
        } else {
            assert!(open && !bearer, "{op:?} must say `security: []`");
        }
    }
}

#[test]
fn the_route_reader_reads_chained_methods() {
    let source = r#"
        Router::new()
            // .route("/commented", get(x))
            .route("/a/{id}", get(get_a).patch(patch_a).delete(delete_a))
            .route("/b", post(target))
    "#;
    let routes = routes_in(source, "/p", "example");
    let names = |p: &str| routes[p].iter().cloned().collect::<Vec<_>>();
    assert_eq!(routes.len(), 2, "{routes:?}");
    assert_eq!(names("/p/a/{}"), ["delete", "get", "patch"]);
    assert_eq!(names("/p/b"), ["post"]);
}
