//! Compiling a JsonLogic value into an evaluable tree, once.
//!
//! Compilation resolves every operator name to an enum, checks arities,
//! splits static `var` paths, folds literal arrays into constants and bounds
//! the tree ([`MAX_RULE_DEPTH`] levels, [`MAX_RULE_NODES`] nodes), so
//! evaluation never meets a name, a string path to split or an unbounded tree.
//!
//! What is an operation follows json-logic-js: an object with exactly one key;
//! other objects (none or several keys) are literal data, as are all scalars.
//! Arrays evaluate each element. `{"op": x}` with a non-array `x` means
//! `{"op": [x]}`.
//!
//! Arity is stricter than json-logic-js, which silently reads missing
//! arguments as `undefined`: each operator's accepted argument counts are in
//! [`Op::arity`]; anything else is `BadArity` at compile time.

use super::merchant::Merchant;
use super::ops::to_js_string;
use super::path::VarPath;
use crate::error::{Error, ErrorCode, Result};
use crate::json::{to_json_string, Value};
use crate::limits::{MAX_RULE_DEPTH, MAX_RULE_NODES};

/// A compiled JsonLogic condition. Compile once with [`Condition::compile`],
/// evaluate many times with [`Condition::eval`].
///
/// ```
/// use edge_personalize::json::parse;
/// use edge_personalize::logic::Condition;
/// let rule = parse(r#"{"and": [{">": [{"var": "item.price"}, 50]}, {"in_cart": ["sku-1"]}]}"#).unwrap();
/// let cond = Condition::compile(&rule).unwrap();
/// assert!(cond.uses_item());
/// let data = parse(r#"{"item": {"price": 60}, "session": {"cart": [{"item": "sku-1", "quantity": 1}]}}"#).unwrap();
/// assert_eq!(cond.eval(&data).unwrap(), true.into());
/// ```
#[derive(Clone, Debug)]
pub struct Condition {
    pub(crate) root: Node,
    pub(crate) uses_item: bool,
}

/// A node of the compiled tree.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Literal data (scalars, non-operation objects, arrays without operations).
    Const(Value),
    /// A subtree that reads no item, evaluated once per decision by
    /// [`Condition::specialize`]: its scalar result, and the steps the
    /// subtree took, charged again at every evaluation so the step budget
    /// runs out exactly where the unfolded condition's would.
    Folded { value: Value, steps: u32 },
    /// An array with at least one operation inside: evaluated element-wise.
    Array(Box<[Node]>),
    /// `var` with a path known at compile time.
    Var { path: VarPath, default: Option<Box<Node>> },
    /// `var` whose path is computed.
    DynVar { path: Box<Node>, default: Option<Box<Node>> },
    Op { op: Op, args: Box<[Node]> },
}

/// Every operator but `var` (which has its own nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Missing,
    MissingSome,
    If,
    Eq,
    StrictEq,
    Ne,
    StrictNe,
    Not,
    NotNot,
    Or,
    And,
    Gt,
    Ge,
    Lt,
    Le,
    Max,
    Min,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Map,
    Filter,
    Reduce,
    All,
    None,
    Some,
    Merge,
    In,
    Cat,
    Substr,
    Log,
    Merchant(Merchant),
}

const ANY: usize = usize::MAX;

impl Op {
    /// The operator named `name`, if we know it.
    pub(crate) fn from_name(name: &str) -> Option<Op> {
        Some(match name {
            "missing" => Op::Missing,
            "missing_some" => Op::MissingSome,
            "if" | "?:" => Op::If,
            "==" => Op::Eq,
            "===" => Op::StrictEq,
            "!=" => Op::Ne,
            "!==" => Op::StrictNe,
            "!" => Op::Not,
            "!!" => Op::NotNot,
            "or" => Op::Or,
            "and" => Op::And,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "max" => Op::Max,
            "min" => Op::Min,
            "+" => Op::Add,
            "-" => Op::Sub,
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Mod,
            "map" => Op::Map,
            "filter" => Op::Filter,
            "reduce" => Op::Reduce,
            "all" => Op::All,
            "none" => Op::None,
            "some" => Op::Some,
            "merge" => Op::Merge,
            "in" => Op::In,
            "cat" => Op::Cat,
            "substr" => Op::Substr,
            "log" => Op::Log,
            "viewed_within" => Op::Merchant(Merchant::ViewedWithin),
            "viewed_category_within" => Op::Merchant(Merchant::ViewedCategoryWithin),
            "affinity" => Op::Merchant(Merchant::Affinity),
            "affinity_above" => Op::Merchant(Merchant::AffinityAbove),
            "in_cart" => Op::Merchant(Merchant::InCart),
            "purchased" => Op::Merchant(Merchant::Purchased),
            _ => return None,
        })
    }

    /// The accepted argument counts, `(min, max)`; `max == ANY` is unbounded.
    pub(crate) fn arity(self) -> (usize, usize) {
        match self {
            Op::If | Op::Missing | Op::Merge | Op::Cat | Op::Add => (0, ANY),
            Op::And | Op::Or | Op::Max | Op::Min | Op::Mul => (1, ANY),
            Op::Not | Op::NotNot | Op::Log => (1, 1),
            Op::Sub => (1, 2),
            Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge => (2, 2),
            Op::Div | Op::Mod | Op::In | Op::MissingSome => (2, 2),
            Op::Lt | Op::Le | Op::Substr => (2, 3),
            Op::Map | Op::Filter | Op::All | Op::None | Op::Some => (2, 2),
            Op::Reduce => (2, 3),
            Op::Merchant(m) => match m {
                Merchant::InCart | Merchant::Purchased => (1, 1),
                Merchant::ViewedWithin | Merchant::ViewedCategoryWithin | Merchant::Affinity => (2, 2),
                Merchant::AffinityAbove => (3, 3),
            },
        }
    }

    /// Whether argument `i` is evaluated with each array element as its data.
    pub(crate) fn is_body(self, i: usize) -> bool {
        i == 1 && matches!(self, Op::Map | Op::Filter | Op::Reduce | Op::All | Op::None | Op::Some)
    }
}

impl Condition {
    /// Compiles a JsonLogic rule. Errors carry a path relative to the rule:
    /// `and[1]` is the second argument of the root `and`, `and[1].or[0]` the
    /// first argument of the `or` found there.
    ///
    /// - `UnknownOperator`: `unknown operator "=~"`
    /// - `BadArity`: `"==" takes 2 arguments, got 3`
    /// - `TooDeep`: nesting deeper than [`MAX_RULE_DEPTH`]
    /// - `TooLarge`: more than [`MAX_RULE_NODES`] nodes
    pub fn compile(rule: &Value) -> Result<Condition> {
        let mut c = Compiler { nodes: 0, body: 0, uses_item: false };
        let root = c.node(rule, 1, &At::ROOT)?;
        Ok(Condition { root, uses_item: c.uses_item })
    }

    /// Whether the condition may read `item` (a `var` path starting with
    /// `item`, or one that cannot be known before evaluation). Conditions
    /// that do not can be evaluated once per decision instead of per item.
    pub fn uses_item(&self) -> bool {
        self.uses_item
    }
}

/// Where a node sits in the rule, as a linked list rendered only on error.
#[derive(Clone, Copy)]
struct At<'p> {
    parent: Option<&'p At<'p>>,
    seg: Seg<'p>,
}

#[derive(Clone, Copy)]
enum Seg<'p> {
    Root,
    Op(&'p str),
    Index(usize),
}

impl<'p> At<'p> {
    const ROOT: At<'static> = At { parent: None, seg: Seg::Root };

    fn child(&'p self, seg: Seg<'p>) -> At<'p> {
        At { parent: Some(self), seg }
    }

    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(a) = cur {
            segs.push(a.seg);
            cur = a.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Op(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    fn err(&self, code: ErrorCode, message: impl Into<String>) -> Error {
        Error::new(code, self.render(), message)
    }
}

struct Compiler {
    nodes: usize,
    /// How many iteration bodies enclose the current node.
    body: usize,
    uses_item: bool,
}

/// Whether `v` holds no operation (no single-key object) within `depth_left` levels.
fn is_literal(v: &Value, depth_left: usize) -> bool {
    match v {
        Value::Array(items) => depth_left > 0 && items.iter().all(|i| is_literal(i, depth_left.saturating_sub(1))),
        Value::Object(m) => m.len() != 1,
        _ => true,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "argument"
    } else {
        "arguments"
    }
}

fn arity_message(name: &str, (min, max): (usize, usize), got: usize) -> String {
    let quoted = to_json_string(&Value::from(name));
    let takes = if min == max {
        format!("{min} {}", plural(min))
    } else if max == ANY {
        format!("at least {min} {}", plural(min))
    } else if min.checked_add(1) == Some(max) {
        format!("{min} or {max} arguments")
    } else {
        format!("{min} to {max} arguments")
    };
    format!("{quoted} takes {takes}, got {got}")
}

impl Compiler {
    fn node(&mut self, v: &Value, depth: usize, at: &At<'_>) -> Result<Node> {
        // Depth counts operations and arrays; a scalar leaf adds no level.
        if depth > MAX_RULE_DEPTH && matches!(v, Value::Array(_) | Value::Object(_)) {
            return Err(at.err(ErrorCode::TooDeep, format!("condition nested deeper than {MAX_RULE_DEPTH} levels")));
        }
        self.nodes = self.nodes.saturating_add(1);
        if self.nodes > MAX_RULE_NODES {
            return Err(at.err(ErrorCode::TooLarge, format!("condition has more than {MAX_RULE_NODES} nodes")));
        }
        match v {
            Value::Array(items) => {
                // Literal data (a list of SKUs) is one constant node.
                if is_literal(v, MAX_RULE_DEPTH.saturating_sub(depth)) {
                    return Ok(Node::Const(v.clone()));
                }
                let mut nodes = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    nodes.push(self.node(item, depth.saturating_add(1), &at.child(Seg::Index(i)))?);
                }
                Ok(Node::Array(nodes.into_boxed_slice()))
            }
            Value::Object(m) if m.len() == 1 => match m.iter().next() {
                Some((name, args)) => self.operation(name, args, depth, at),
                None => Ok(Node::Const(v.clone())),
            },
            _ => Ok(Node::Const(v.clone())),
        }
    }

    /// Compiles the arguments of `name`; `args_v` is the value under the key.
    fn args(&mut self, name: &str, op: Option<Op>, args_v: &Value, depth: usize, at: &At<'_>) -> Result<Vec<Node>> {
        let op_at = at.child(Seg::Op(name));
        match args_v {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let body = op.is_some_and(|o| o.is_body(i));
                    self.body = self.body.saturating_add(usize::from(body));
                    let n = self.node(item, depth.saturating_add(1), &op_at.child(Seg::Index(i)));
                    self.body = self.body.saturating_sub(usize::from(body));
                    out.push(n?);
                }
                Ok(out)
            }
            single => Ok(vec![self.node(single, depth.saturating_add(1), &op_at)?]),
        }
    }

    fn operation(&mut self, name: &str, args_v: &Value, depth: usize, at: &At<'_>) -> Result<Node> {
        let count = match args_v {
            Value::Array(items) => items.len(),
            _ => 1,
        };
        if name == "var" {
            if count > 2 {
                return Err(at.err(ErrorCode::BadArity, arity_message("var", (0, 2), count)));
            }
            let mut args = self.args(name, None, args_v, depth, at)?.into_iter();
            let path = args.next();
            let default = args.next().map(Box::new);
            return Ok(match path {
                None => self.var(VarPath::new(""), default),
                Some(Node::Const(Value::Null)) => self.var(VarPath::new(""), default),
                Some(Node::Const(Value::String(s))) => self.var(VarPath::new(&s), default),
                Some(Node::Const(other)) => self.var(VarPath::new(&to_js_string(&other)), default),
                Some(dynamic) => {
                    if self.body == 0 {
                        self.uses_item = true;
                    }
                    Node::DynVar { path: Box::new(dynamic), default }
                }
            });
        }
        let Some(op) = Op::from_name(name) else {
            return Err(at.err(
                ErrorCode::UnknownOperator,
                format!("unknown operator {}", to_json_string(&Value::from(name))),
            ));
        };
        let (min, max) = op.arity();
        if count < min || count > max {
            return Err(at.err(ErrorCode::BadArity, arity_message(name, (min, max), count)));
        }
        if matches!(op, Op::Missing | Op::MissingSome) && self.body == 0 {
            // Their keys are paths into the data, possibly under `item`.
            self.uses_item = true;
        }
        let args = self.args(name, Some(op), args_v, depth, at)?;
        Ok(Node::Op { op, args: args.into_boxed_slice() })
    }

    fn var(&mut self, path: VarPath, default: Option<Box<Node>>) -> Node {
        if self.body == 0 && matches!(path.first(), None | Some("item")) {
            self.uses_item = true;
        }
        Node::Var { path, default }
    }
}
