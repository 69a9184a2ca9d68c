//! The parser: a faithful port of `parseFql` from
//! `@segment/destination-subscriptions@3.37.0` (normalize, then a flat,
//! precedence-free, token-skipping parse), plus what the reference never says:
//! a positioned error where it fails, and a warning wherever the trigger does not
//! mean what it looks like.

use crate::ast::{Condition, Conj, Field, Group, Needle, Node, Path, Test};
use crate::lex::{Kind, Token};
use diagnostics::{Diagnostic, Span};
use std::collections::VecDeque;

/// Field roots the reference recognises, and the prototype members of its lookup
/// table, which it also "recognises" (they consume an operator and a value, and
/// produce nothing).
enum Root {
    Field(&'static str),
    Prototype,
}

fn root_of(word: &str) -> Option<Root> {
    let root = word.split('.').next().unwrap_or("");
    const FIELDS: [&str; 7] = [
        "type",
        "event",
        "name",
        "userId",
        "context",
        "properties",
        "traits",
    ];
    const PROTO: [&str; 12] = [
        "constructor",
        "__proto__",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toString",
        "toLocaleString",
        "valueOf",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
    ];
    if let Some(f) = FIELDS.iter().find(|f| **f == root) {
        return Some(Root::Field(f));
    }
    PROTO.contains(&root).then_some(Root::Prototype)
}

fn is_function(t: &Token) -> bool {
    t.kind == Kind::Ident && (t.value == "contains" || t.value == "match")
}

/// A literal as the reference's `getTokenValue` produces it.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Lit {
    fn of(t: &Token) -> Lit {
        match t.kind {
            Kind::String => {
                let s = t.value.strip_prefix('"').unwrap_or(&t.value);
                Lit::Str(s.strip_suffix('"').unwrap_or(s).to_string())
            }
            Kind::Number => Lit::Num(js::string_to_number(&t.value)),
            Kind::Ident if t.value == "true" => Lit::Bool(true),
            Kind::Ident if t.value == "false" => Lit::Bool(false),
            _ => Lit::Str(t.value.clone()),
        }
    }

    /// `String(value)`
    fn text(&self) -> String {
        match self {
            Lit::Str(s) => s.clone(),
            Lit::Num(n) => js::number_to_string(*n),
            Lit::Bool(b) => b.to_string(),
        }
    }

    /// `Number(value)`
    fn number(&self) -> f64 {
        match self {
            Lit::Str(s) => js::string_to_number(s),
            Lit::Num(n) => *n,
            Lit::Bool(b) => f64::from(u8::from(*b)),
        }
    }
}

/// `validateValue`'s operator switch, resolved once.
fn test_for(operator: &str, value: &Lit) -> Test {
    let needle = || Needle::Text(value.text());
    match operator {
        "=" => Test::Eq(value.text()),
        "!=" => Test::Ne(value.text()),
        "number_equals" => Test::NumEq(value.number()),
        "number_not_equals" => Test::NumNe(value.number()),
        "<" => Test::Lt(value.number()),
        "<=" => Test::Le(value.number()),
        ">" => Test::Gt(value.number()),
        ">=" => Test::Ge(value.number()),
        "contains" => Test::Contains(needle()),
        "not_contains" => Test::NotContains(needle()),
        "exists" => Test::Exists,
        "not_exists" => Test::NotExists,
        "is_true" => Test::IsTrue,
        "is_false" => Test::IsFalse,
        other => Test::Never(other.to_string()),
    }
}

/// `get`'s path splitting: runs of characters other than `[`, `.` and `]`.
fn path_of(name: &str) -> Path {
    if name.is_empty() {
        return Path::Empty;
    }
    let keys: Vec<String> = name
        .split(['[', '.', ']'])
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    if keys.is_empty() {
        Path::Invalid(name.to_string())
    } else {
        Path::Keys(keys)
    }
}

fn field_of(root: &str, word: &str) -> Field {
    let rest = |prefix: &str| path_of(word.strip_prefix(prefix).unwrap_or(word));
    match root {
        "type" => Field::Type,
        "event" => Field::Event,
        "name" => Field::Name,
        "userId" => Field::UserId,
        "properties" => Field::Properties(rest("properties.")),
        "traits" => Field::Traits(rest("traits.")),
        _ => Field::Context(rest("context.")),
    }
}

/// What `parse` returned at one level: a node, or JavaScript's `undefined`.
type Level = Option<Node>;

/// A conjunction as the parser met it in a level.
#[derive(Debug, Clone, Copy)]
struct Placed {
    conj: Conj,
    span: Span,
    /// Conditions of the level before it.
    nodes_before: usize,
    /// Whether a word other than a conjunction came before it in the level.
    words_before: bool,
    /// Whether skipped words follow it before the next condition.
    skipped_after: bool,
}

pub(crate) struct Parser<'s> {
    src: &'s str,
    pub warnings: Vec<Diagnostic>,
}

fn text_of(t: &Token) -> String {
    match t.kind {
        Kind::Eos => "end of input".into(),
        _ => format!("`{}`", t.value),
    }
}

impl<'s> Parser<'s> {
    pub fn new(src: &'s str) -> Parser<'s> {
        Parser {
            src,
            warnings: Vec::new(),
        }
    }

    fn slice(&self, span: Span) -> &'s str {
        self.src
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// `parseFql` after lexing: normalize, parse, wrap in a top-level group.
    pub fn parse(&mut self, tokens: Vec<Token>) -> Result<Group, Diagnostic> {
        let mut tokens = normalize(tokens);
        let eos = tokens.back().map_or(Span::at(self.src.len()), |t| t.span);
        match self.level(&mut tokens, None)? {
            Some(Node::Group(g)) => Ok(g),
            Some(node) => Ok(Group {
                conj: Conj::And,
                children: vec![node],
            }),
            None => Err(self.nothing_to_match(eos)),
        }
    }

    fn nothing_to_match(&mut self, eos: Span) -> Diagnostic {
        if self.src.trim().is_empty() {
            return Diagnostic::error("FQL010", "the trigger is empty")
                .with_label(eos, "expected a condition such as `type = \"track\"`")
                .with_help(
                    "a trigger needs at least one condition; an empty trigger never matches",
                );
        }
        // The skipped-token warnings say what was dropped; fold them into the error.
        let skipped: Vec<Diagnostic> = self.warnings.drain(..).collect();
        let mut d = Diagnostic::error(
            "FQL010",
            "the trigger has no condition the reference understands",
        );
        for w in &skipped {
            if let Some(span) = w.span() {
                d = d.with_label(span, w.message.clone());
            }
        }
        if d.labels.is_empty() {
            d = d.with_label(Span::new(0, self.src.len()), "nothing here is a condition");
        }
        let help = skipped.iter().find_map(|w| w.help.clone());
        d.with_help(help.unwrap_or_else(|| {
            "conditions look like `type = \"track\"`, `properties.plan = \"pro\"` or `contains(event, \"Order\")`".into()
        }))
    }

    /// One call of the reference's `parse` over `tokens`. `open` is the `(` this
    /// level is inside of.
    fn level(
        &mut self,
        tokens: &mut VecDeque<Token>,
        open: Option<Span>,
    ) -> Result<Level, Diagnostic> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut conj = Conj::And;
        let mut conjunctions: Vec<(Conj, Span)> = Vec::new();
        let mut skipped: Vec<Span> = Vec::new();
        let mut skipped_first: Option<Token> = None;
        // Where each conjunction stands, to tell which ones have no condition on a side.
        let mut placed: Vec<Placed> = Vec::new();
        // Whether a word other than a conjunction came yet.
        let mut words = false;

        while let Some(token) = tokens.pop_front() {
            if token.kind == Kind::Eos {
                break;
            }
            let mut used = false;
            if token.kind == Kind::Ident {
                match root_of(&token.value) {
                    Some(Root::Field(root)) => {
                        let node = self.condition(root, &token, tokens)?;
                        nodes.push(node);
                        used = true;
                    }
                    Some(Root::Prototype) => {
                        let op = tokens.pop_front();
                        let value = tokens.pop_front();
                        let Some(value) = value else {
                            return Err(self.missing_operand(&token));
                        };
                        let end = op.map_or(value.span, |o| o.span.to(value.span));
                        self.warnings.push(
                            Diagnostic::warning(
                                "FQL052",
                                format!(
                                    "`{}` is not a field; this comparison is ignored",
                                    self.slice(token.span.to(end))
                                ),
                            )
                            .with_label(token.span.to(end), "ignored")
                            .with_help(FIELDS_HELP),
                        );
                        used = true;
                    }
                    None => {}
                }
                if is_function(&token) {
                    self.function(&token, None, &mut nodes, tokens)?;
                    used = true;
                }
            }
            if token.is(Kind::Operator, "!") {
                match tokens.front() {
                    Some(next) if is_function(next) => {
                        let name = tokens.pop_front().unwrap_or_else(|| token.clone());
                        self.function(&name, Some(token.span), &mut nodes, tokens)?;
                    }
                    Some(next) => {
                        let what = if next.kind == Kind::ParenLeft {
                            "a parenthesised group"
                        } else {
                            "a comparison"
                        };
                        self.warnings.push(
                            Diagnostic::warning("FQL051", format!("`!` before {what} is ignored"))
                                .with_label(token.span, "this `!` has no effect")
                                .with_help("`!` negates only `contains(...)` and `match(...)`; use `!=` to negate a comparison"),
                        );
                    }
                    None => {
                        return Err(Diagnostic::error("FQL010", "`!` at the end of a group")
                            .with_label(token.span, "nothing follows"));
                    }
                }
                used = true;
            }
            if token.kind == Kind::ParenLeft {
                if let Some(outer) = open {
                    return Err(Diagnostic::error("FQL014", "parentheses cannot be nested")
                        .with_label(token.span, "a `(` inside another group")
                        .with_secondary(outer, "the enclosing group opens here")
                        .with_help("the reference cannot parse nested groups; rewrite the trigger with one level of parentheses"));
                }
                let mut group = VecDeque::new();
                loop {
                    match tokens.pop_front() {
                        Some(t) if t.kind == Kind::ParenRight => {
                            group.push_back(Token {
                                kind: Kind::Eos,
                                value: "eos".into(),
                                span: Span::at(t.span.start as usize),
                            });
                            break;
                        }
                        Some(t) => group.push_back(t),
                        None => {
                            // A nested `(` would fail first in the reference too: report it.
                            if let Some(inner) = group.iter().find(|t| t.kind == Kind::ParenLeft) {
                                return Err(Diagnostic::error(
                                    "FQL014",
                                    "parentheses cannot be nested",
                                )
                                .with_label(inner.span, "a `(` inside another group")
                                .with_secondary(token.span, "the enclosing group opens here"));
                            }
                            return Err(Diagnostic::error("FQL013", "unclosed `(`")
                                .with_label(token.span, "this group is never closed")
                                .with_help("add `)` where the group should end"));
                        }
                    }
                }
                let close = group.back().map_or(token.span, |t| t.span);
                match self.level(&mut group, Some(token.span))? {
                    Some(node) => nodes.push(node),
                    None => nodes.push(Node::Hole(
                        token
                            .span
                            .to(Span::new(close.start as usize, close.start as usize + 1)),
                    )),
                }
                used = true;
            }
            if token.kind == Kind::Conditional {
                conj = if token.value == "or" {
                    Conj::Or
                } else {
                    Conj::And
                };
                conjunctions.push((conj, token.span));
                placed.push(Placed {
                    conj,
                    span: token.span,
                    nodes_before: nodes.len(),
                    words_before: words,
                    skipped_after: false,
                });
                used = true;
            } else {
                words = true;
            }
            if !used {
                if let Some(last) = placed.last_mut().filter(|c| c.nodes_before == nodes.len()) {
                    last.skipped_after = true;
                }
            }
            if used {
                self.flush_skipped(&mut skipped, &mut skipped_first);
            } else {
                if skipped_first.is_none() {
                    skipped_first = Some(token.clone());
                }
                skipped.push(token.span);
            }
        }
        self.flush_skipped(&mut skipped, &mut skipped_first);
        self.lonely_conjunctions(&placed, nodes.len());

        if nodes.len() > 1 {
            self.warn_precedence(&conjunctions, conj, nodes.len());
            for node in &nodes {
                if let Node::Hole(span) = node {
                    self.warnings.push(
                        Diagnostic::warning("FQL057", "empty parentheses make the reference throw when evaluation reaches them")
                            .with_label(*span, "empty group")
                            .with_help("remove the empty parentheses"),
                    );
                }
            }
            return Ok(Some(Node::Group(Group {
                conj,
                children: nodes,
            })));
        }
        Ok(match nodes.pop() {
            Some(Node::Hole(_)) | None => None,
            Some(node) => Some(node),
        })
    }

    fn flush_skipped(&mut self, skipped: &mut Vec<Span>, first: &mut Option<Token>) {
        let (Some(start), Some(end), Some(first)) = (
            skipped.first().copied(),
            skipped.last().copied(),
            first.take(),
        ) else {
            skipped.clear();
            return;
        };
        skipped.clear();
        let span = start.to(end);
        let text = self.slice(span);
        let (message, help) = skipped_explanation(&first, text);
        self.warnings.push(
            Diagnostic::warning("FQL052", message)
                .with_label(span, "ignored by the reference")
                .with_help(help),
        );
    }

    /// Conjunctions with no condition on one side (leading, trailing, doubled). Only the
    /// last conjunction of a level with several conditions has an effect, and only when
    /// its word differs from the one that would be last without it (the previous
    /// conjunction, or `and` by default): then it decides how all are joined.
    /// Conjunctions next to skipped words are left to those words' warning, unless
    /// they decide the join.
    fn lonely_conjunctions(&mut self, placed: &[Placed], nodes: usize) {
        for (i, c) in placed.iter().enumerate() {
            let nothing_after = match placed.get(i + 1) {
                Some(next) => next.nodes_before == c.nodes_before,
                None => nodes == c.nodes_before,
            };
            let instead = if i > 0 { placed[i - 1].conj } else { Conj::And };
            let deciding = i + 1 == placed.len() && nodes > 1 && c.conj != instead;
            let side = if c.nodes_before == 0 && !c.words_before {
                "before it"
            } else if nothing_after && (!c.skipped_after || deciding) {
                "after it"
            } else {
                continue;
            };
            let word = self.slice(c.span).to_string();
            let diagnostic = if deciding {
                let other = if instead == Conj::Or { "or" } else { "and" };
                Diagnostic::warning(
                    "FQL060",
                    format!("`{word}` has no condition {side}, yet as the last conjunction here it joins all these conditions with `{word}`"),
                )
                .with_label(c.span, "decides the join")
                .with_help(format!(
                    "write it between the conditions it joins; removed, the conditions are joined with `{other}`"
                ))
            } else {
                Diagnostic::warning(
                    "FQL060",
                    format!("`{word}` has no condition {side}, so it has no effect"),
                )
                .with_label(c.span, "no effect")
                .with_help(format!(
                    "remove this `{word}`, or add the condition it should join"
                ))
            };
            self.warnings.push(diagnostic);
        }
    }

    fn warn_precedence(&mut self, conjunctions: &[(Conj, Span)], last: Conj, count: usize) {
        let mixed = conjunctions.iter().any(|(c, _)| *c != last);
        if !mixed {
            return;
        }
        let word = if last == Conj::Or { "or" } else { "and" };
        let mut d = Diagnostic::warning(
            "FQL050",
            format!("`and` and `or` have no precedence here: the last one, `{word}`, joins all {count} conditions of this group"),
        );
        let last_span = conjunctions.last().map(|(_, s)| *s);
        if let Some(span) = last_span {
            d = d.with_label(span, format!("this `{word}` applies to the whole group"));
        }
        for (c, span) in conjunctions {
            if *c != last {
                d = d.with_secondary(*span, "treated as `".to_string() + word + "`");
            }
        }
        self.warnings.push(
            d.with_help("put the part that belongs together in parentheses, e.g. `a and (b or c)`"),
        );
    }

    fn missing_operand(&self, field: &Token) -> Diagnostic {
        Diagnostic::error(
            "FQL011",
            format!("expected an operator and a value after `{}`", field.value),
        )
        .with_label(field.span, "this field is compared with nothing")
        .with_help(format!(
            "write for example `{} = \"value\"` or `{} != null`",
            field.value, field.value
        ))
    }

    fn condition(
        &mut self,
        root: &str,
        field_token: &Token,
        tokens: &mut VecDeque<Token>,
    ) -> Result<Node, Diagnostic> {
        let Some(op) = tokens.pop_front() else {
            return Err(self.missing_operand(field_token));
        };
        let Some(value) = tokens.pop_front() else {
            return Err(self.missing_operand(field_token));
        };
        let span = field_token.span.to(value.span);
        let is = |o: &str, v: &str| op.value == o && value.value == v;
        let (exists, not_exists) = (is("!=", "null"), is("=", "null"));
        let (is_true, is_false) = (is("=", "true"), is("=", "false"));
        let number = value.kind == Kind::Number;
        let lit = Lit::of(&value);
        let field = field_of(root, &field_token.value);
        let test = match root {
            "type" | "event" => test_for(&op.value, &Lit::Str(lit.text())),
            "name" if exists => Test::Exists,
            "name" if not_exists => Test::NotExists,
            "name" => test_for(&op.value, &Lit::Str(lit.text())),
            "userId" if exists => Test::Exists,
            "userId" if not_exists => Test::NotExists,
            "userId" if is_true => Test::IsTrue,
            "userId" if is_false => Test::IsFalse,
            "userId" => test_for(&op.value, &Lit::Str(lit.text())),
            _ if exists => Test::Exists,
            _ if not_exists => Test::NotExists,
            _ if is_true => Test::IsTrue,
            _ if is_false => Test::IsFalse,
            _ if op.value == "=" && number => test_for("number_equals", &lit),
            _ if op.value == "!=" && number => test_for("number_not_equals", &lit),
            _ => test_for(&op.value, &lit),
        };
        let condition = Condition { field, test, span };
        self.check_condition(&condition, root, &op, &value);
        Ok(Node::Condition(condition))
    }

    /// Warnings for comparisons that accept input but do not mean what they look like.
    fn check_condition(&mut self, c: &Condition, root: &str, op: &Token, value: &Token) {
        let this = self.slice(c.span).to_string();
        if let Path::Invalid(raw) = field_path(&c.field) {
            self.warnings.push(
                Diagnostic::warning("FQL057", format!("the path `{raw}` has no key in it; the reference throws when it evaluates `{this}`"))
                    .with_label(c.span, "throws when reached"),
            );
        }
        if let Test::Never(operator) = &c.test {
            let mut d = Diagnostic::warning(
                "FQL056",
                format!("`{operator}` is not an operator, so `{this}` is never true"),
            )
            .with_label(op.span, "not an operator");
            if operator == "eos" {
                d = Diagnostic::warning(
                    "FQL056",
                    format!("`{}` is compared with nothing, so it is never true", root),
                )
                .with_label(op.span, "expected an operator here");
            } else if op.kind == Kind::Dot {
                d = d.with_help("array indexes such as `properties.items.0` cannot be tested");
            }
            self.warnings.push(d);
            return;
        }
        match value.kind {
            Kind::String if value.value.starts_with('\'') => self.warnings.push(
                Diagnostic::warning(
                    "FQL054",
                    format!(
                        "single quotes are part of the value: this compares with {}",
                        value.value
                    ),
                )
                .with_label(value.span, "the quotes are kept")
                .with_help(format!(
                    "use double quotes: \"{}\"",
                    value.value.trim_matches('\'')
                )),
            ),
            Kind::Eos => self.warnings.push(
                Diagnostic::warning(
                    "FQL055",
                    format!("`{this}` has no value; the reference compares with the text \"eos\""),
                )
                .with_label(value.span, "expected a value")
                .with_help("add a value such as `\"track\"` or `null`"),
            ),
            Kind::Operator
            | Kind::Dot
            | Kind::Comma
            | Kind::BrackLeft
            | Kind::BrackRight
            | Kind::ParenLeft
            | Kind::ParenRight
            | Kind::Conditional => {
                let mut d = Diagnostic::warning(
                    "FQL055",
                    format!(
                        "the value compared here is {}, not a literal",
                        text_of(value)
                    ),
                )
                .with_label(value.span, "taken as the value");
                if value.value == "=" && (op.value == "<" || op.value == ">") {
                    d = d.with_help(format!("`{}=` needs a space after it; as written this is `{} \"=\"`, which is never true", op.value, op.value));
                } else if value.value == "=" && op.value == "=" {
                    d = d.with_help("write a single `=`");
                }
                self.warnings.push(d);
            }
            Kind::Ident
                if matches!(
                    value.value.to_ascii_lowercase().as_str(),
                    "true" | "false" | "null"
                ) && !matches!(value.value.as_str(), "true" | "false" | "null") =>
            {
                self.warnings.push(
                    Diagnostic::warning(
                        "FQL058",
                        format!(
                            "`{}` is compared as text; only lowercase `{}` is a literal",
                            value.value,
                            value.value.to_ascii_lowercase()
                        ),
                    )
                    .with_label(value.span, "a bare word"),
                )
            }
            _ => {}
        }
        let special = matches!(
            c.test,
            Test::Exists | Test::NotExists | Test::IsTrue | Test::IsFalse
        );
        if !special
            && (value.value == "true" || value.value == "false")
            && op.value == "!="
            && root != "type"
            && root != "event"
            && root != "name"
        {
            self.warnings.push(
                Diagnostic::warning("FQL058", format!("`!= {}` compares with the text \"{}\", so it is true for the boolean {} too", value.value, value.value, value.value))
                    .with_label(c.span, "always true for booleans")
                    .with_help(format!("use `= {}` to test for the other boolean", if value.value == "true" { "false" } else { "true" })),
            );
        }
        if (root == "type" || root == "event") && value.kind == Kind::Null {
            let meaning = if op.value == "=" {
                "is the text \"null\""
            } else {
                "is anything but the text \"null\", including missing"
            };
            self.warnings.push(
                Diagnostic::warning("FQL058", format!("for `{root}`, `null` is the text \"null\": this is true when `{root}` {meaning}"))
                    .with_label(value.span, "compared as text"),
            );
        }
        if let Test::Lt(n) | Test::Le(n) | Test::Gt(n) | Test::Ge(n) = c.test {
            if n.is_nan() {
                self.warnings.push(
                    Diagnostic::warning(
                        "FQL056",
                        format!(
                            "{} is not a number, so `{this}` is never true",
                            text_of(value)
                        ),
                    )
                    .with_label(value.span, "not a number"),
                );
            }
        }
    }

    /// `parseFqlFunction`: `name ( field , value )`, taking five tokens whatever they are.
    fn function(
        &mut self,
        name: &Token,
        bang: Option<Span>,
        nodes: &mut Vec<Node>,
        tokens: &mut VecDeque<Token>,
    ) -> Result<(), Diagnostic> {
        let negate = bang.is_some();
        let open = tokens.pop_front();
        let Some(field) = tokens.pop_front() else {
            return Err(self.missing_argument(name, "1st"));
        };
        let comma = tokens.pop_front();
        let Some(value) = tokens.pop_front() else {
            return Err(self.missing_argument(name, "2nd"));
        };
        let close = tokens.pop_front();
        let start = bang.unwrap_or(name.span);
        let end = close.as_ref().map_or(value.span, |t| t.span);
        let span = start.to(end);

        for (tok, want) in [(&open, "("), (&comma, ","), (&close, ")")] {
            if let Some(t) = tok {
                if !(t.value == want && t.kind != Kind::String) {
                    let d = Diagnostic::warning(
                        "FQL055",
                        format!(
                            "expected `{want}` in `{}(...)`, found {}",
                            name.value,
                            text_of(t)
                        ),
                    )
                    .with_label(t.span, format!("taken as the `{want}`"))
                    .with_help(format!(
                        "write `{}(field, \"value\")` with exactly two arguments",
                        name.value
                    ));
                    self.warnings.push(d);
                }
            }
        }

        let text = Lit::of(&value).text();
        let (positive, negative, needle) = if name.value == "contains" {
            ("contains", "not_contains", Needle::Text(text))
        } else {
            let units: Vec<u16> = text.encode_utf16().collect();
            let starts = value.value.ends_with("*\"");
            let sliced: Vec<u16> = if starts {
                units[..units.len().saturating_sub(1)].to_vec()
            } else {
                units.get(1..).unwrap_or(&[]).to_vec()
            };
            let needle =
                String::from_utf16(&sliced).map_or(Needle::Units(sliced.clone()), Needle::Text);
            self.check_match(&value, &text, starts, &needle);
            if starts {
                ("starts_with", "not_starts_with", needle)
            } else {
                ("ends_with", "not_ends_with", needle)
            }
        };
        if value.kind == Kind::String && value.value.starts_with('\'') {
            self.warnings.push(
                Diagnostic::warning(
                    "FQL054",
                    format!(
                        "single quotes are part of the value: this searches for {}",
                        value.value
                    ),
                )
                .with_label(value.span, "the quotes are kept")
                .with_help(format!(
                    "use double quotes: \"{}\"",
                    value.value.trim_matches('\'')
                )),
            );
        }
        let test = match (negate, positive) {
            (false, "contains") => Test::Contains(needle),
            (true, "contains") => Test::NotContains(needle),
            (false, "starts_with") => Test::StartsWith(needle),
            (true, "starts_with") => Test::NotStartsWith(needle),
            (false, _) => Test::EndsWith(needle),
            (true, _) => Test::NotEndsWith(needle),
        };
        let _ = negative;
        let word = field.value.as_str();
        let field_kind = if ["event", "name", "userId"].contains(&word) {
            Some(field_of(word, word))
        } else if word.starts_with("properties") {
            Some(Field::Properties(path_of(
                word.strip_prefix("properties.").unwrap_or(word),
            )))
        } else if word.starts_with("traits") {
            Some(Field::Traits(path_of(
                word.strip_prefix("traits.").unwrap_or(word),
            )))
        } else if word.starts_with("context") {
            Some(Field::Context(path_of(
                word.strip_prefix("context.").unwrap_or(word),
            )))
        } else {
            None
        };
        match field_kind {
            Some(field) => {
                let condition = Condition { field, test, span };
                if let Path::Invalid(raw) = field_path(&condition.field) {
                    self.warnings.push(
                        Diagnostic::warning("FQL057", format!("the path `{raw}` has no key in it; the reference throws when it evaluates this"))
                            .with_label(span, "throws when reached"),
                    );
                }
                nodes.push(Node::Condition(condition));
            }
            None => self.warnings.push(
                Diagnostic::warning("FQL052", format!("`{}` cannot be used in `{}(...)`; this call is ignored", field.value, name.value))
                    .with_label(field.span, "not usable here")
                    .with_secondary(span, "ignored")
                    .with_help("functions accept `event`, `name`, `userId`, `properties.*`, `traits.*` and `context.*`"),
            ),
        }
        Ok(())
    }

    fn check_match(&mut self, value: &Token, text: &str, starts: bool, needle: &Needle) {
        let stars = text.matches('*').count();
        let intended = if starts {
            stars == 1
        } else {
            text.starts_with('*') && stars == 1
        };
        if intended {
            return;
        }
        let meaning = if starts { "starts with" } else { "ends with" };
        let help = if stars == 0 {
            format!("write `\"{text}*\"` for \"starts with\", `\"*{text}\"` for \"ends with\", or use `contains` or `=`")
        } else {
            "`match` supports one `*`, at the start (ends with) or at the end (starts with)"
                .to_string()
        };
        self.warnings.push(
            Diagnostic::warning(
                "FQL053",
                format!("this `match` means: the value {meaning} {needle}"),
            )
            .with_label(value.span, "pattern")
            .with_help(help),
        );
    }

    fn missing_argument(&self, name: &Token, which: &str) -> Diagnostic {
        Diagnostic::error(
            "FQL012",
            format!("`{}()` is missing a {which} argument", name.value),
        )
        .with_label(name.span, "this call runs out of arguments")
        .with_help(format!("write `{}(event, \"value\")`", name.value))
    }
}

fn field_path(f: &Field) -> &Path {
    match f {
        Field::Properties(p) | Field::Traits(p) | Field::Context(p) => p,
        _ => &Path::Empty,
    }
}

const FIELDS_HELP: &str =
    "fields are `type`, `event`, `name`, `userId`, `properties.*`, `traits.*` and `context.*`";

fn skipped_explanation(first: &Token, text: &str) -> (String, String) {
    let word = first.value.as_str();
    let fields = [
        "type",
        "event",
        "name",
        "userId",
        "properties",
        "traits",
        "context",
    ];
    match first.kind {
        Kind::Ident if word == "AND" || word == "OR" || word == "And" || word == "Or" => (
            format!(
                "`{word}` is not a conjunction: only lowercase `and`/`or` are, so it is skipped"
            ),
            format!("write `{}`", word.to_ascii_lowercase()),
        ),
        Kind::Ident if word == "not" || word == "NOT" => (
            format!("`{word}` is skipped: the condition after it is not negated"),
            "negate a comparison with `!=`, and a function with `!contains(...)` or `!match(...)`"
                .into(),
        ),
        Kind::Ident => {
            let root = word.split('.').next().unwrap_or(word);
            let suggestion = fields.iter().find(|f| f.eq_ignore_ascii_case(root));
            let help = match suggestion {
                Some(f) => format!("did you mean `{f}`? field names are case-sensitive"),
                None => FIELDS_HELP.into(),
            };
            (
                format!("`{text}` is skipped: `{root}` is not a field triggers can test"),
                help,
            )
        }
        Kind::ParenRight => (
            format!("`{text}` is skipped: this `)` closes nothing"),
            "remove it".into(),
        ),
        _ => (
            format!("`{text}` is skipped by the reference"),
            "a condition is `field operator value`, e.g. `properties.plan = \"pro\"`".into(),
        ),
    }
}

/// `normalize`: merge `ident . ident` into one dotted identifier, repeatedly.
fn normalize(tokens: Vec<Token>) -> VecDeque<Token> {
    let mut out: VecDeque<Token> = VecDeque::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let merge = out.back().is_some_and(|t| t.kind == Kind::Ident)
            && tokens[i].kind == Kind::Dot
            && tokens.get(i + 1).is_some_and(|t| t.kind == Kind::Ident);
        if merge {
            let prev = out.pop_back().unwrap_or_else(|| tokens[i].clone());
            let next = &tokens[i + 1];
            out.push_back(Token {
                kind: Kind::Ident,
                value: format!("{}.{}", prev.value, next.value),
                span: prev.span.to(next.span),
            });
            i += 2;
        } else {
            out.push_back(tokens[i].clone());
            i += 1;
        }
    }
    out
}
