//! Reading an `iaPlan` (version 1; its format is documented in ARCHITECTURE.md and
//! produced by `destination::page_plan`) into the structures `run` walks. Anything this
//! module does not implement makes the whole plan unusable here (`None`), and the page
//! uses the full engine instead.

use crate::json::J;

pub struct Plan {
    pub name: String,
    pub actions: Vec<Action>,
    pub subs: Vec<Sub>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Perform {
    Track,
    Identify,
    Show,
}

pub struct Action {
    pub key: String,
    pub perform: Perform,
    pub fields: Vec<Field>,
}

pub struct Field {
    pub key: String,
    pub label: String,
    /// An object field; otherwise a string field.
    pub object: bool,
    pub required: bool,
    pub allow_null: bool,
}

pub struct Sub {
    pub id: String,
    pub action: usize,
    pub trigger: Trigger,
    pub mapping: Node,
    pub consent: Vec<String>,
}

pub enum Trigger {
    All(Vec<Trigger>),
    Any(Vec<Trigger>),
    /// `root` is a member of the event; `keys` walk inside it (`properties.a.b`), or
    /// `None` for the top-level fields (`type`, `event`, ...).
    Cond {
        root: String,
        keys: Option<Vec<String>>,
        test: Test,
        arg: J,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Test {
    Eq,
    Ne,
    NumEq,
    NumNe,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    NotContains,
    Starts,
    NotStarts,
    Ends,
    NotEnds,
    Exists,
    NotExists,
    True,
    False,
    Never,
    /// Evaluating it throws in the reference (empty parentheses, a path with no key)
    /// or needs UTF-16 units: the full engine answers.
    Defer,
}

pub enum Node {
    Undef,
    Const(J),
    Arr(Vec<Node>),
    Obj(Vec<(String, Node)>),
    /// No keys: the whole data.
    Path(Vec<String>),
    Template(Vec<Part>),
    If {
        exists: bool,
        test: Box<Node>,
        then: Option<Box<Node>>,
        otherwise: Option<Box<Node>>,
    },
    /// `Some(true)` upper, `Some(false)` lower, `None` an operator that throws.
    Case(Option<bool>, Box<Node>),
    ExcludeWhenNull(Box<Node>),
    /// `@template` whose text is resolved when evaluated (`["t!", text]`), or first
    /// evaluated (`["dt", M]`).
    TemplateText(String),
    DynTemplate(Box<Node>),
    DynPath(Box<Node>),
    /// `@replace`: the value (none when the option is falsy), then pattern,
    /// replacement, ignorecase, global, pattern2, replacement2 as written.
    Replace(Option<Box<Node>>, Box<[J; 6]>),
    ArrayPath(Box<Node>, Option<Box<Node>>),
    /// `@json`: `Some(true)` encode, `Some(false)` decode, `None` neither.
    Json(Option<bool>, Box<Node>),
    Flatten(Box<Node>, Box<Node>, bool),
    /// `@merge`; `None` objects throw when evaluated.
    Merge(Box<Node>, Option<Vec<Node>>),
    /// `@transform`; `None` apply throws when evaluated.
    Transform(Option<Box<Node>>, Box<Node>),
    /// Throws when evaluated: the full engine words the error.
    Defer,
}

pub enum Part {
    Text(String),
    Hole(Vec<String>),
}

/// `f` of every item, or `None` when any gives `None` (a loop: iterator adapters over
/// `Option` cost the page more).
fn all<T>(items: &[J], mut f: impl FnMut(&J) -> Option<T>) -> Option<Vec<T>> {
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        out.push(f(i)?);
    }
    Some(out)
}

fn strings(v: &J) -> Option<Vec<String>> {
    all(v.arr()?, |s| string(Some(s)))
}

fn string(v: Option<&J>) -> Option<String> {
    v?.str().map(String::from)
}

pub fn load(plan: &J) -> Option<Plan> {
    if plan.own("v") != Some(&J::Num(1.0)) {
        return None;
    }
    let actions = all(plan.own("actions")?.arr()?, action)?;
    let subs = all(plan.own("subs")?.arr()?, |s| {
        let [id, action, trigger_, mapping, consent] = s.arr()? else {
            return None;
        };
        let action = match action {
            J::Num(n) if n.fract() == 0.0 && *n >= 0.0 && (*n as usize) < actions.len() => {
                *n as usize
            }
            _ => return None,
        };
        Some(Sub {
            id: string(Some(id))?,
            action,
            trigger: trigger(trigger_, 0)?,
            mapping: node(mapping, 0)?,
            consent: strings(consent)?,
        })
    })?;
    Some(Plan {
        name: string(plan.own("name"))?,
        actions,
        subs,
    })
}

fn action(a: &J) -> Option<Action> {
    let key = string(a.own("key"))?;
    let perform = match key.as_str() {
        "trackEvent" => Perform::Track,
        "identifyUser" => Perform::Identify,
        "showSurvey" => Perform::Show,
        _ => return None,
    };
    let fields = all(a.own("fields")?.arr()?, |f| {
        // [key, label, type, required, allowNull, multiple]; choices or
        // properties (a 7th element) are not implemented here.
        let [key, label, kind, J::Bool(required), J::Bool(allow_null), J::Bool(false)] = f.arr()?
        else {
            return None;
        };
        let object = match kind.str()? {
            "string" | "text" | "password" => false,
            "object" => true,
            _ => return None,
        };
        Some(Field {
            key: string(Some(key))?,
            label: string(Some(label))?,
            object,
            required: *required,
            allow_null: *allow_null,
        })
    })?;
    Some(Action {
        key,
        perform,
        fields,
    })
}

/// Plans nest no deeper than the engine lets mappings and triggers nest; this bound
/// only keeps a hand-made plan from exhausting the stack.
const MAX_DEPTH: usize = 256;

fn trigger(t: &J, depth: usize) -> Option<Trigger> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (head, rest) = t.arr()?.split_first()?;
    let head = head.str()?;
    let children = || all(rest, |c| trigger(c, depth + 1));
    let defer = || Trigger::Cond {
        root: String::new(),
        keys: None,
        test: Test::Defer,
        arg: J::Undef,
    };
    match head {
        "and" => return Some(Trigger::All(children()?)),
        "or" => return Some(Trigger::Any(children()?)),
        "hole" => return Some(defer()),
        _ => {}
    }
    let (keys, test, arg) = match rest {
        [keys, test] => (keys, test, J::Undef),
        [keys, test, arg] => (keys, test, arg.clone()),
        _ => return None,
    };
    let keys = match (head, keys) {
        ("type" | "event" | "name" | "userId", J::Null) => None,
        ("properties" | "traits" | "context", J::Arr(k)) if !k.is_empty() => Some(strings(keys)?),
        // An empty path (always `undefined`) or one with no key (throws).
        ("properties" | "traits" | "context", _) => return Some(defer()),
        _ => return None,
    };
    if matches!(arg, J::Obj(_)) {
        // UTF-16 needles and non-finite numbers.
        return Some(defer());
    }
    let (test, needs) = match test.str()? {
        "eq" => (Test::Eq, 's'),
        "ne" => (Test::Ne, 's'),
        "neq" => (Test::NumEq, 'n'),
        "nne" => (Test::NumNe, 'n'),
        "lt" => (Test::Lt, 'n'),
        "le" => (Test::Le, 'n'),
        "gt" => (Test::Gt, 'n'),
        "ge" => (Test::Ge, 'n'),
        "contains" => (Test::Contains, 's'),
        "ncontains" => (Test::NotContains, 's'),
        "starts" => (Test::Starts, 's'),
        "nstarts" => (Test::NotStarts, 's'),
        "ends" => (Test::Ends, 's'),
        "nends" => (Test::NotEnds, 's'),
        "exists" => (Test::Exists, '-'),
        "nexists" => (Test::NotExists, '-'),
        "true" => (Test::True, '-'),
        "false" => (Test::False, '-'),
        "never" => (Test::Never, '-'),
        _ => return None,
    };
    let fits = match needs {
        's' => matches!(arg, J::Str(_)),
        'n' => matches!(arg, J::Num(_)),
        _ => true,
    };
    fits.then(|| Trigger::Cond {
        root: head.into(),
        keys,
        test,
        arg,
    })
}

fn boxed(n: &J, depth: usize) -> Option<Box<Node>> {
    node(n, depth + 1).map(Box::new)
}

fn optional(n: &J, depth: usize) -> Option<Option<Box<Node>>> {
    match n {
        J::Null => Some(None),
        n => boxed(n, depth).map(Some),
    }
}

fn node(n: &J, depth: usize) -> Option<Node> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (head, rest) = n.arr()?.split_first()?;
    Some(match (head.str()?, rest) {
        ("u", []) => Node::Undef,
        ("c", [v]) => Node::Const(v.clone()),
        ("a", items) => Node::Arr(all(items, |i| node(i, depth + 1))?),
        ("o", members) if members.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(members.len() / 2);
            for kv in members.chunks(2) {
                out.push((string(kv.first())?, node(kv.get(1)?, depth + 1)?));
            }
            Node::Obj(out)
        }
        ("p", keys) => Node::Path(all(keys, |k| string(Some(k)))?),
        ("t", parts) => Node::Template(all(parts, |p| match p {
            J::Str(s) => Some(Part::Text(s.clone())),
            keys => strings(keys).map(Part::Hole),
        })?),
        ("if", [J::Bool(exists), test, then, otherwise]) => Node::If {
            exists: *exists,
            test: boxed(test, depth)?,
            then: optional(then, depth)?,
            otherwise: optional(otherwise, depth)?,
        },
        ("case", [operator, value]) => Node::Case(
            match operator.str() {
                Some("upper") => Some(true),
                Some("lower") => Some(false),
                _ => None,
            },
            boxed(value, depth)?,
        ),
        ("ewn", [value]) => Node::ExcludeWhenNull(boxed(value, depth)?),
        ("t!", [J::Str(t)]) => Node::TemplateText(t.clone()),
        ("dt", [inner]) => Node::DynTemplate(boxed(inner, depth)?),
        ("dp", [inner]) => Node::DynPath(boxed(inner, depth)?),
        ("r", [value, a, b, c, d, e, f]) => Node::Replace(
            optional(value, depth)?,
            Box::new([
                a.clone(),
                b.clone(),
                c.clone(),
                d.clone(),
                e.clone(),
                f.clone(),
            ]),
        ),
        ("ap", [root, shape]) => Node::ArrayPath(boxed(root, depth)?, optional(shape, depth)?),
        ("json", [J::Str(mode), value]) => Node::Json(
            match mode.as_str() {
                "encode" => Some(true),
                "decode" => Some(false),
                _ => None,
            },
            boxed(value, depth)?,
        ),
        ("flat", [separator, value, J::Bool(omit)]) => {
            Node::Flatten(boxed(separator, depth)?, boxed(value, depth)?, *omit)
        }
        ("merge", [direction, objects]) => Node::Merge(
            boxed(direction, depth)?,
            match objects {
                J::Arr(items) => Some(all(items, |i| node(i, depth + 1))?),
                _ => None,
            },
        ),
        ("tr", [apply, mapping]) => Node::Transform(
            match apply {
                J::Obj(_) => None,
                apply => Some(boxed(apply, depth)?),
            },
            boxed(mapping, depth)?,
        ),
        ("fail", _) => Node::Defer,
        _ => return None,
    })
}
