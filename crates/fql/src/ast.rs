//! The compiled form of a trigger: what the reference's AST means, with every
//! literal already converted the way `validate` would convert it on each event.

use diagnostics::Span;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conj {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub conj: Conj,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Group(Group),
    Condition(Condition),
    /// Empty parentheses among other conditions: the reference keeps `undefined`
    /// in its AST, and evaluating it throws.
    Hole(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: Field,
    pub test: Test,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Type,
    Event,
    Name,
    UserId,
    Properties(Path),
    Traits(Path),
    Context(Path),
}

/// A nested lookup inside `properties`, `traits` or `context`.
#[derive(Debug, Clone, PartialEq)]
pub enum Path {
    /// An empty path: always `undefined`.
    Empty,
    Keys(Vec<String>),
    /// A path with no key in it (such as `.`): the reference throws when it looks it up.
    Invalid(String),
}

/// A text to search for. Slicing a `match` pattern by UTF-16 units can split a
/// surrogate pair; such a needle is kept as units.
#[derive(Debug, Clone, PartialEq)]
pub enum Needle {
    Text(String),
    Units(Vec<u16>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `actual === text`
    Eq(String),
    /// `actual !== text`
    Ne(String),
    NumEq(f64),
    NumNe(f64),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
    Contains(Needle),
    NotContains(Needle),
    StartsWith(Needle),
    NotStartsWith(Needle),
    EndsWith(Needle),
    NotEndsWith(Needle),
    Exists,
    NotExists,
    IsTrue,
    IsFalse,
    /// An operator the evaluator does not know (`.`, `,`, ...): always false.
    Never(String),
}

impl fmt::Display for Needle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Needle::Text(s) => write!(f, "{s:?}"),
            Needle::Units(u) => write!(f, "{:?}", String::from_utf16_lossy(u)),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (root, path) = match self {
            Field::Type => return f.write_str("type"),
            Field::Event => return f.write_str("event"),
            Field::Name => return f.write_str("name"),
            Field::UserId => return f.write_str("userId"),
            Field::Properties(p) => ("properties", p),
            Field::Traits(p) => ("traits", p),
            Field::Context(p) => ("context", p),
        };
        match path {
            Path::Empty => write!(f, "{root}.<empty>"),
            Path::Keys(keys) => write!(f, "{root}.{}", keys.join(".")),
            Path::Invalid(raw) => write!(f, "{root}.{raw}"),
        }
    }
}

fn num(n: f64) -> String {
    js::number_to_string(n)
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match &self.test {
            Test::Eq(s) => write!(f, "{field} is the text {s:?}"),
            Test::Ne(s) => write!(f, "{field} is not the text {s:?}"),
            Test::NumEq(n) => write!(f, "{field} is the number {}", num(*n)),
            Test::NumNe(n) => write!(f, "{field} is a number other than {}", num(*n)),
            Test::Lt(n) => write!(f, "{field} is a number < {}", num(*n)),
            Test::Le(n) => write!(f, "{field} is a number <= {}", num(*n)),
            Test::Gt(n) => write!(f, "{field} is a number > {}", num(*n)),
            Test::Ge(n) => write!(f, "{field} is a number >= {}", num(*n)),
            Test::Contains(n) => write!(f, "{field} is text containing {n}"),
            Test::NotContains(n) => write!(f, "{field} is text not containing {n}"),
            Test::StartsWith(n) => write!(f, "{field} is text starting with {n}"),
            Test::NotStartsWith(n) => write!(f, "{field} is text not starting with {n}"),
            Test::EndsWith(n) => write!(f, "{field} is text ending with {n}"),
            Test::NotEndsWith(n) => write!(f, "{field} is text not ending with {n}"),
            Test::Exists => write!(f, "{field} exists"),
            Test::NotExists => write!(f, "{field} is missing or null"),
            Test::IsTrue => write!(f, "{field} is true"),
            Test::IsFalse => write!(f, "{field} is false"),
            Test::Never(op) => write!(f, "never (`{op}` is not an operator)"),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Condition(c) => write!(f, "{c}"),
            Node::Hole(_) => f.write_str("<error: empty parentheses>"),
            Node::Group(g) => {
                let word = match g.conj {
                    Conj::And => " AND ",
                    Conj::Or => " OR ",
                };
                f.write_str("(")?;
                for (i, c) in g.children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(word)?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str(")")
            }
        }
    }
}
