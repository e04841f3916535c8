//! Evaluating a compiled condition against a [`Scope`].
//!
//! Results borrow from the data and the rule wherever they can (`Cow`), so a
//! `var` lookup or a literal costs no allocation; only operations that build
//! values (arithmetic, `cat`, `map`, ...) allocate.
//!
//! Cost is bounded: every node visited takes one step of the
//! [`MAX_EVAL_STEPS`] budget (inside `map`/`filter`/`reduce`/`all`/`some`/
//! `none` bodies too), and bulk work takes steps in proportion (one per array
//! element copied or scanned, one per 16 bytes of string built); past the
//! budget evaluation stops with `StepLimit`. Arrays built are bounded by
//! [`MAX_EVAL_ARRAY`] (`TooLarge`). Recursion follows the compiled tree, whose
//! depth is bounded at compile time; the one loop that can nest values
//! without bound, `reduce` wrapping its accumulator, is stopped with
//! `TooDeep` past [`MAX_JSON_DEPTH`] levels.

use std::borrow::Cow;

use super::compile::{Condition, Node, Op};
use super::ops::{
    js_le, js_lt, js_max, js_min, loose_eq, parse_float, push_js_string, str_to_number, strict_eq,
    substr, to_js_string, to_number, utf16_len,
};
use super::path::{lookup_split, VarPath};
use super::Scope;
use crate::error::{Error, ErrorCode, Result};

/// Internal results box the error: it keeps every `Result` the size of a
/// `Cow<Value>`, which the recursion moves at every node.
type R<T> = std::result::Result<T, Box<Error>>;
use crate::json::{Map, Value};
use crate::limits::{MAX_EVAL_ARRAY, MAX_EVAL_STEPS, MAX_JSON_DEPTH};

pub use super::ops::truthy;

/// Compiles `rule` and evaluates it on plain JSON `data` (`null` for none).
///
/// ```
/// use edge_personalize::json::parse;
/// use edge_personalize::logic::eval_json;
/// let rule = parse(r#"{"+": [{"var": "a"}, "2"]}"#).unwrap();
/// let data = parse(r#"{"a": 1}"#).unwrap();
/// assert_eq!(eval_json(&rule, &data).unwrap(), 3.0.into());
/// ```
pub fn eval_json(rule: &Value, data: &Value) -> Result<Value> {
    Condition::compile(rule)?.eval(data)
}

impl Condition {
    /// Evaluates the condition. Errors: `StepLimit` when it takes more than
    /// [`MAX_EVAL_STEPS`] steps, `TooLarge` when it would build an array
    /// longer than [`MAX_EVAL_ARRAY`], `TooDeep` when a `reduce` nests its
    /// accumulator deeper than [`MAX_JSON_DEPTH`].
    #[cfg_attr(ep_hot_speed, optimize(speed))]
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value> {
        let mut cx = Cx { steps: 0, root: scope };
        eval(&self.root, &mut cx, scope).map(Cow::into_owned).map_err(|e| *e)
    }

    /// The condition with every subtree that reads no `item` (at the top
    /// level, outside iteration bodies) evaluated once against `scope` and
    /// replaced by its result: what an item-level rule part leaves to do per
    /// candidate. `{"==": [{"var": "item.brand"}, {"var": "session.recent.0.brand"}]}`
    /// becomes `item.brand == "northpeak"` for the decision.
    ///
    /// Evaluates the same as `self` on any scope that agrees with `scope`
    /// outside `item`: only scalar results are folded (arrays and objects
    /// keep their identity semantics), a subtree that fails stays as it is
    /// and fails again per evaluation, and a folded subtree charges the
    /// steps it took. `None` when nothing can be folded.
    pub fn specialize(&self, scope: &dyn Scope) -> Option<Condition> {
        if !self.uses_item || !has_foldable(&self.root) {
            return None;
        }
        Some(Condition { root: fold(&self.root, scope), uses_item: self.uses_item })
    }

    /// The one `item.*` path the condition reads, when that value is all it
    /// reads of `item` (no other item path, no `var ""`, computed path or
    /// `missing` outside iteration bodies). Within one decision everything
    /// else a condition sees is fixed, so its result is then a function of
    /// that value: candidates sharing it share the result.
    pub fn single_item_path(&self) -> Option<&VarPath> {
        fn walk<'n>(node: &'n Node, found: &mut Option<&'n VarPath>) -> bool {
            match node {
                Node::Const(_) | Node::Folded { .. } => true,
                Node::Array(nodes) => nodes.iter().all(|n| walk(n, found)),
                Node::Var { path, default } => {
                    let ok = match path.first() {
                        None => false,
                        Some("item") => match found {
                            Some(p) => p.as_str() == path.as_str(),
                            None => {
                                *found = Some(path);
                                true
                            }
                        },
                        Some(_) => true,
                    };
                    ok && default.as_deref().is_none_or(|d| walk(d, found))
                }
                Node::DynVar { .. } | Node::Op { op: Op::Missing | Op::MissingSome, .. } => false,
                Node::Op { op, args } => args.iter().enumerate().all(|(i, a)| op.is_body(i) || walk(a, found)),
            }
        }
        let mut found = None;
        if walk(&self.root, &mut found) {
            found
        } else {
            None
        }
    }

    /// Whether the condition reads nothing but `item.*` paths and constants:
    /// no session, context, slot or clock, no merchant operator (they ask
    /// the session even inside iteration bodies), no computed path or
    /// `missing`. Its result is then a property of the item alone, the same
    /// in every decision, so it can be computed once per catalog item when
    /// the rules or the catalog load.
    pub fn reads_item_only(&self) -> bool {
        fn walk(node: &Node, in_body: bool) -> bool {
            match node {
                Node::Const(_) | Node::Folded { .. } => true,
                Node::Array(nodes) => nodes.iter().all(|n| walk(n, in_body)),
                // In a body `var` reads the element; outside, only `item.*` qualifies.
                Node::Var { path, default } => {
                    (in_body || path.first() == Some("item")) && default.as_deref().is_none_or(|d| walk(d, in_body))
                }
                Node::DynVar { .. } | Node::Op { op: Op::Missing | Op::MissingSome | Op::Merchant(_), .. } => false,
                Node::Op { op, args } => args.iter().enumerate().all(|(i, a)| walk(a, in_body || op.is_body(i))),
            }
        }
        walk(&self.root, false)
    }

    /// Evaluates the condition and applies JsonLogic truthiness, without
    /// copying the result.
    #[cfg_attr(ep_hot_speed, optimize(speed))]
    pub fn matches(&self, scope: &dyn Scope) -> Result<bool> {
        let mut cx = Cx { steps: 0, root: scope };
        eval(&self.root, &mut cx, scope).map(|v| truthy(&v)).map_err(|e| *e)
    }
}

/// A condition of the form `op(a, b, ...)` whose arguments are all `item.*`
/// reads or constants (folded ones included): a comparison, an equality or
/// a merchant operator. [`DirectTest::matches`] applies the operator to the
/// item's values straight away, with the very functions the evaluator uses,
/// so the answer is the evaluator's without walking the tree per candidate:
/// after [`Condition::specialize`], `item.price <= 2 × session.recent.0.price`,
/// `item.brand == session.recent.0.brand` and `in_cart(item.id)` take this form.
pub struct DirectTest<'c> {
    op: Op,
    args: &'c [Node],
}

impl Condition {
    /// The condition as a [`DirectTest`], when it has that form and cannot
    /// run out of evaluation steps (a folded argument charges its steps again).
    pub fn direct_test(&self) -> Option<DirectTest<'_>> {
        let Node::Op { op, args } = &self.root else { return None };
        let direct_op = match op {
            Op::Eq | Op::Ne | Op::StrictEq | Op::StrictNe | Op::Gt | Op::Ge | Op::Lt | Op::Le => args.len() == 2,
            Op::Merchant(_) => args.len() <= 3,
            _ => false,
        };
        // The steps an evaluation would take: the operator, then each argument.
        let mut steps: u64 = 1;
        for a in args.iter() {
            let taken = match a {
                Node::Var { path, default: None } if path.first() == Some("item") => 1,
                Node::Const(_) => 1,
                Node::Folded { steps, .. } => u64::from(*steps).max(1),
                _ => return None,
            };
            steps = steps.saturating_add(taken);
        }
        (direct_op && steps <= u64::from(MAX_EVAL_STEPS)).then_some(DirectTest { op: *op, args })
    }
}

/// An argument of a [`DirectTest`]: an `item.*` read or a constant.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DirectArg<'c> {
    Item(&'c VarPath),
    Const(&'c Value),
}

impl<'c> DirectTest<'c> {
    /// The operator, for callers that answer common forms from typed data
    /// of their own (`decide`'s typed tests).
    pub(crate) fn op(&self) -> Op {
        self.op
    }

    pub(crate) fn arg_count(&self) -> usize {
        self.args.len()
    }

    pub(crate) fn arg(&self, i: usize) -> Option<DirectArg<'c>> {
        match self.args.get(i)? {
            Node::Var { path, .. } => Some(DirectArg::Item(path)),
            Node::Const(v) | Node::Folded { value: v, .. } => Some(DirectArg::Const(v)),
            _ => None,
        }
    }
}

impl DirectTest<'_> {
    /// The condition's truthiness for `item`; `scope` answers the merchant
    /// operators (and must be the scope whose `item` is `item`).
    pub fn matches(&self, item: &Value, scope: &dyn Scope) -> bool {
        let value = |i: usize| -> Cow<'_, Value> {
            match self.args.get(i) {
                Some(Node::Var { path, .. }) => path.lookup_from(item, 1).unwrap_or(Cow::Borrowed(&NULL)),
                Some(Node::Const(v) | Node::Folded { value: v, .. }) => Cow::Borrowed(v),
                _ => Cow::Borrowed(&NULL),
            }
        };
        match self.op {
            Op::Eq => loose_eq(&value(0), &value(1)),
            Op::Ne => !loose_eq(&value(0), &value(1)),
            Op::StrictEq => strict_eq(&value(0), &value(1)),
            Op::StrictNe => !strict_eq(&value(0), &value(1)),
            Op::Lt => js_lt(&value(0), &value(1)),
            Op::Le => js_le(&value(0), &value(1)),
            Op::Gt => js_lt(&value(1), &value(0)),
            Op::Ge => js_le(&value(1), &value(0)),
            Op::Merchant(m) => {
                let vals: [Cow<'_, Value>; 3] = std::array::from_fn(value);
                truthy(&m.apply(vals.get(..self.args.len().min(3)).unwrap_or(&[]), scope))
            }
            _ => false,
        }
    }
}

/// Whether `node` reads nothing of `item` when evaluated against the root
/// scope: the per-node form of the compiler's `uses_item`.
fn item_free(node: &Node) -> bool {
    match node {
        Node::Const(_) | Node::Folded { .. } => true,
        Node::Array(nodes) => nodes.iter().all(item_free),
        Node::Var { path, default } => {
            !matches!(path.first(), None | Some("item")) && default.as_deref().is_none_or(item_free)
        }
        Node::DynVar { .. } => false,
        Node::Op { op: Op::Missing | Op::MissingSome, .. } => false,
        // Iteration bodies read their element, never the root's `item`.
        Node::Op { op, args } => args.iter().enumerate().all(|(i, a)| op.is_body(i) || item_free(a)),
    }
}

/// Whether `node` reads `item` and has an item-free part worth folding.
fn has_foldable(node: &Node) -> bool {
    if item_free(node) {
        return !matches!(node, Node::Const(_) | Node::Folded { .. });
    }
    match node {
        Node::Array(nodes) => nodes.iter().any(has_foldable),
        Node::Var { default, .. } | Node::DynVar { default, .. } => default.as_deref().is_some_and(has_foldable),
        Node::Op { op, args } => args.iter().enumerate().any(|(i, a)| !op.is_body(i) && has_foldable(a)),
        _ => false,
    }
}

fn fold(node: &Node, scope: &dyn Scope) -> Node {
    if item_free(node) {
        if !matches!(node, Node::Const(_) | Node::Folded { .. }) {
            let mut cx = Cx { steps: 0, root: scope };
            if let Ok(v) = eval(node, &mut cx, scope) {
                if !matches!(*v, Value::Array(_) | Value::Object(_)) {
                    return Node::Folded { value: v.into_owned(), steps: cx.steps };
                }
            }
        }
        return node.clone();
    }
    let fold_box = |d: &Option<Box<Node>>| d.as_deref().map(|d| Box::new(fold(d, scope)));
    match node {
        Node::Array(nodes) => Node::Array(nodes.iter().map(|n| fold(n, scope)).collect()),
        Node::Var { path, default } => Node::Var { path: path.clone(), default: fold_box(default) },
        Node::DynVar { path, default } => Node::DynVar { path: Box::new(fold(path, scope)), default: fold_box(default) },
        Node::Op { op, args } => Node::Op {
            op: *op,
            args: args.iter().enumerate().map(|(i, a)| if op.is_body(i) { a.clone() } else { fold(a, scope) }).collect(),
        },
        other => other.clone(),
    }
}

/// The state of one evaluation.
struct Cx<'s> {
    steps: u32,
    /// The scope the condition was evaluated against; merchant operators
    /// always ask it, even inside iteration bodies.
    root: &'s dyn Scope,
}

impl Cx<'_> {
    #[inline(always)]
    fn charge(&mut self, n: usize) -> R<()> {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.steps = self.steps.saturating_add(n);
        if self.steps > MAX_EVAL_STEPS {
            Err(step_limit())
        } else {
            Ok(())
        }
    }

    /// Charges for copying `v` (its top-level length; deeper parts were
    /// charged when they were built, or come from bounded input).
    fn charge_copy(&mut self, v: &Value) -> R<()> {
        match v {
            Value::Array(a) => self.charge(a.len()),
            Value::Object(m) => self.charge(m.len()),
            Value::String(s) => self.charge(s.len() / 16),
            _ => Ok(()),
        }
    }
}

static NULL: Value = Value::Null;

#[cold]
fn step_limit() -> Box<Error> {
    Box::new(Error::new(ErrorCode::StepLimit, "", format!("condition stopped after {MAX_EVAL_STEPS} evaluation steps")))
}

fn too_large(what: &str) -> Box<Error> {
    Box::new(Error::new(ErrorCode::TooLarge, "", format!("{what} would build an array of more than {MAX_EVAL_ARRAY} items")))
}

fn owned<'r>(v: Value) -> R<Cow<'r, Value>> {
    Ok(Cow::Owned(v))
}

/// Makes an evaluated value owned, charging for the copy.
fn take(cx: &mut Cx<'_>, v: Cow<'_, Value>) -> R<Value> {
    match v {
        Cow::Owned(v) => Ok(v),
        Cow::Borrowed(b) => {
            cx.charge_copy(b)?;
            Ok(b.clone())
        }
    }
}

#[cfg_attr(ep_hot_speed, optimize(speed))]
fn arg<'r>(args: &'r [Node], i: usize, cx: &mut Cx<'_>, scope: &'r dyn Scope) -> R<Cow<'r, Value>> {
    match args.get(i) {
        Some(n) => eval(n, cx, scope),
        None => Ok(Cow::Borrowed(&NULL)),
    }
}

#[cfg_attr(ep_hot_speed, optimize(speed))]
fn eval<'r>(node: &'r Node, cx: &mut Cx<'_>, scope: &'r dyn Scope) -> R<Cow<'r, Value>> {
    cx.charge(1)?;
    match node {
        Node::Const(v) => Ok(Cow::Borrowed(v)),
        Node::Folded { value, steps } => {
            // One step was charged above, as the subtree's root took it.
            cx.charge(steps.saturating_sub(1) as usize)?;
            Ok(Cow::Borrowed(value))
        }
        Node::Array(nodes) => {
            let mut out = Vec::with_capacity(nodes.len());
            for n in nodes.iter() {
                let v = eval(n, cx, scope)?;
                out.push(take(cx, v)?);
            }
            owned(Value::Array(out))
        }
        Node::Var { path, default } => match scope.var_path(path) {
            Some(v) => Ok(v),
            None => match default {
                Some(d) => eval(d, cx, scope),
                None => Ok(Cow::Borrowed(&NULL)),
            },
        },
        Node::DynVar { path, default } => {
            let p = eval(path, cx, scope)?;
            let found = match &*p {
                Value::Null => scope.var(""),
                Value::String(s) if s.is_empty() => scope.var(""),
                Value::String(s) => scope.var(s),
                other => scope.var(&to_js_string(other)),
            };
            match (found, default) {
                (Some(v), _) => Ok(v),
                (None, Some(d)) => eval(d, cx, scope),
                (None, None) => Ok(Cow::Borrowed(&NULL)),
            }
        }
        Node::Op { op, args } => eval_op(*op, args, cx, scope),
    }
}

// Inlined into its one caller, `eval`, by LLVM: wasm-opt no longer inlines
// one-caller functions this large (`-ocimfs 20`), and the call cost ~3%.
#[cfg_attr(ep_hot_speed, optimize(speed))]
#[cfg_attr(ep_hot_speed, inline(always))]
fn eval_op<'r>(op: Op, args: &'r [Node], cx: &mut Cx<'_>, scope: &'r dyn Scope) -> R<Cow<'r, Value>> {
    let bool_ = |b: bool| owned(Value::Bool(b));
    let num = |n: f64| owned(Value::Number(n));
    match op {
        Op::If => {
            let mut i: usize = 0;
            while i.saturating_add(1) < args.len() {
                if truthy(&*arg(args, i, cx, scope)?) {
                    return arg(args, i.saturating_add(1), cx, scope);
                }
                i = i.saturating_add(2);
            }
            arg(args, i, cx, scope) // the else branch, or null
        }
        Op::And | Op::Or => {
            let want = op == Op::Or;
            let mut last = Cow::Borrowed(&NULL);
            for i in 0..args.len() {
                last = arg(args, i, cx, scope)?;
                if truthy(&last) == want {
                    return Ok(last);
                }
            }
            Ok(last)
        }
        Op::Not => bool_(!truthy(&*arg(args, 0, cx, scope)?)),
        Op::NotNot => bool_(truthy(&*arg(args, 0, cx, scope)?)),
        Op::Eq | Op::Ne | Op::StrictEq | Op::StrictNe => {
            // A path against literal text, answered by the scope without a
            // Value (the session's interactions would build a String per
            // element): both sides strings or the path missing, so loose and
            // strict equality are plain text equality.
            let text_test = match args {
                [Node::Var { path, default: None }, Node::Const(Value::String(t))]
                | [Node::Const(Value::String(t)), Node::Var { path, default: None }] => Some((path, t)),
                _ => None,
            };
            if let Some((path, text)) = text_test {
                if let Some(found) = scope.var_text(path) {
                    cx.charge(2)?; // the var and the literal, as evaluating them would
                    let equal = found.is_some_and(|s| crate::json::str_eq(s, text));
                    return bool_(equal == matches!(op, Op::Eq | Op::StrictEq));
                }
            }
            let a = arg(args, 0, cx, scope)?;
            let b = arg(args, 1, cx, scope)?;
            bool_(match op {
                Op::Eq => loose_eq(&a, &b),
                Op::Ne => !loose_eq(&a, &b),
                Op::StrictEq => strict_eq(&a, &b),
                _ => !strict_eq(&a, &b),
            })
        }
        Op::Gt | Op::Ge => {
            let a = arg(args, 0, cx, scope)?;
            let b = arg(args, 1, cx, scope)?;
            bool_(if op == Op::Gt { js_lt(&b, &a) } else { js_le(&b, &a) })
        }
        Op::Lt | Op::Le => {
            let test = if op == Op::Lt { js_lt } else { js_le };
            let a = arg(args, 0, cx, scope)?;
            let b = arg(args, 1, cx, scope)?;
            if args.len() == 3 {
                let c = arg(args, 2, cx, scope)?;
                bool_(test(&a, &b) && test(&b, &c))
            } else {
                bool_(test(&a, &b))
            }
        }
        Op::Max | Op::Min => {
            let f = if op == Op::Max { js_max } else { js_min };
            let mut acc = if op == Op::Max { f64::NEG_INFINITY } else { f64::INFINITY };
            for i in 0..args.len() {
                acc = f(acc, to_number(&*arg(args, i, cx, scope)?));
            }
            num(acc)
        }
        Op::Add => {
            let mut acc = 0.0;
            for i in 0..args.len() {
                acc += parse_float(&*arg(args, i, cx, scope)?);
            }
            num(acc)
        }
        Op::Mul => {
            // Array.reduce without an initial value: one argument comes back as is.
            let first = arg(args, 0, cx, scope)?;
            if args.len() == 1 {
                return Ok(first);
            }
            let mut acc = parse_float(&first);
            for i in 1..args.len() {
                acc *= parse_float(&*arg(args, i, cx, scope)?);
            }
            num(acc)
        }
        Op::Sub => {
            let a = to_number(&*arg(args, 0, cx, scope)?);
            if args.len() == 1 {
                num(-a)
            } else {
                num(a - to_number(&*arg(args, 1, cx, scope)?))
            }
        }
        Op::Div | Op::Mod => {
            let a = to_number(&*arg(args, 0, cx, scope)?);
            let b = to_number(&*arg(args, 1, cx, scope)?);
            num(if op == Op::Div { a / b } else { crate::json::num::js_remainder(a, b) })
        }
        Op::In => {
            let needle = arg(args, 0, cx, scope)?;
            let hay = arg(args, 1, cx, scope)?;
            match &*hay {
                Value::String(s) if !s.is_empty() => {
                    cx.charge(s.len() / 16)?;
                    bool_(match &*needle {
                        Value::String(n) => s.contains(n.as_str()),
                        other => s.contains(to_js_string(other).as_str()),
                    })
                }
                Value::Array(items) => {
                    cx.charge(items.len())?;
                    bool_(items.iter().any(|x| strict_eq(&needle, x)))
                }
                _ => bool_(false),
            }
        }
        Op::Cat => {
            let mut out = String::new();
            for i in 0..args.len() {
                let v = arg(args, i, cx, scope)?;
                if !matches!(*v, Value::Null) {
                    push_js_string(&v, &mut out, 0);
                }
                cx.charge(out.len() / 16)?;
            }
            owned(Value::String(out))
        }
        Op::Substr => {
            let source = arg(args, 0, cx, scope)?;
            let start = to_number(&*arg(args, 1, cx, scope)?);
            let s: Cow<'_, str> = match &*source {
                Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(to_js_string(other)),
            };
            cx.charge(s.len() / 16)?;
            if args.len() < 3 {
                return owned(Value::String(substr(&s, start, None)));
            }
            let end = arg(args, 2, cx, scope)?;
            if js_lt(&end, &Value::Number(0.0)) {
                // PHP-style negative length: drop that many from the end.
                let temp = substr(&s, start, None);
                let units = utf16_len(&temp);
                let len = units as f64;
                // JavaScript `temp.length + end`: string concatenation if `end`
                // is not a number. (`units` is an integer: formatting it keeps
                // core's f64 Display out of the wasm build.)
                let keep = match &*end {
                    Value::Number(n) => len + n,
                    other => str_to_number(&format!("{units}{}", to_js_string(other))),
                };
                owned(Value::String(substr(&temp, 0.0, Some(keep))))
            } else {
                owned(Value::String(substr(&s, start, Some(to_number(&end)))))
            }
        }
        Op::Log => arg(args, 0, cx, scope),
        Op::Merge => {
            let mut out = Vec::new();
            for i in 0..args.len() {
                let v = arg(args, i, cx, scope)?;
                match v {
                    Cow::Owned(Value::Array(items)) => {
                        extend_bounded(out.len(), items.len(), cx)?;
                        out.extend(items);
                    }
                    Cow::Borrowed(Value::Array(items)) => {
                        extend_bounded(out.len(), items.len(), cx)?;
                        out.extend(items.iter().cloned());
                    }
                    other => {
                        extend_bounded(out.len(), 1, cx)?;
                        out.push(take(cx, other)?);
                    }
                }
            }
            owned(Value::Array(out))
        }
        Op::Missing => {
            let mut missing = Vec::new();
            if args.is_empty() {
                return owned(Value::Array(missing));
            }
            let first = arg(args, 0, cx, scope)?;
            if let Value::Array(keys) = &*first {
                for key in keys {
                    missing_key(key, &mut missing, cx, scope)?;
                }
            } else {
                missing_key(&first, &mut missing, cx, scope)?;
                for i in 1..args.len() {
                    let key = arg(args, i, cx, scope)?;
                    missing_key(&key, &mut missing, cx, scope)?;
                }
            }
            owned(Value::Array(missing))
        }
        Op::MissingSome => {
            let need = arg(args, 0, cx, scope)?;
            let options = arg(args, 1, cx, scope)?;
            let mut missing = Vec::new();
            let available = match &*options {
                Value::Array(keys) => {
                    for key in keys {
                        missing_key(key, &mut missing, cx, scope)?;
                    }
                    keys.len() as f64
                }
                other => {
                    missing_key(other, &mut missing, cx, scope)?;
                    match other {
                        Value::String(s) => utf16_len(s) as f64,
                        _ => f64::NAN, // `options.length` is undefined
                    }
                }
            };
            let present = Value::Number(available - missing.len() as f64);
            if js_le(&need, &present) {
                owned(Value::Array(Vec::new()))
            } else {
                owned(Value::Array(missing))
            }
        }
        Op::All | Op::None | Op::Some if args.len() == 2 => {
            // Over a list the scope serves element by element (session.recent),
            // when the body reads only named fields of the element.
            if let (Some(Node::Var { path, default: None }), Some(body)) = (args.first(), args.get(1)) {
                if path.first().is_some() && reads_named_fields_only(body) {
                    cx.charge(1)?; // the `var` node, as evaluating it would
                    let stop_on = op != Op::All;
                    let mut hit = false;
                    let mut failed = None;
                    let served = scope.each_element(path, &mut |el| match eval(body, cx, el) {
                        Ok(v) if truthy(&v) == stop_on => {
                            hit = true;
                            false
                        }
                        Ok(_) => true,
                        Err(e) => {
                            failed = Some(e);
                            false
                        }
                    });
                    if let Some(len) = served {
                        if let Some(e) = failed {
                            return Err(e);
                        }
                        if len == 0 {
                            return bool_or_empty(op);
                        }
                        return bool_(if hit { op == Op::Some } else { op != Op::Some });
                    }
                    // Not served: evaluate the path as a value (its step is paid).
                    let data = match scope.var_path(path) {
                        Some(v) => v,
                        None => Cow::Borrowed(&NULL),
                    };
                    return iterate(op, data, body, cx);
                }
            }
            let data = arg(args, 0, cx, scope)?;
            match args.get(1) {
                Some(body) => iterate(op, data, body, cx),
                None => bool_or_empty(op),
            }
        }
        Op::Map | Op::Filter | Op::All | Op::None | Op::Some => {
            let data = arg(args, 0, cx, scope)?;
            let body = args.get(1);
            let (Value::Array(items), Some(body)) = (&*data, body) else {
                return bool_or_empty(op);
            };
            if items.is_empty() {
                return bool_or_empty(op);
            }
            match op {
                Op::Map | Op::Filter => {
                    if items.len() > MAX_EVAL_ARRAY {
                        return Err(too_large(if op == Op::Map { "map" } else { "filter" }));
                    }
                    let mut out = Vec::with_capacity(if op == Op::Map { items.len() } else { 0 });
                    for item in items {
                        let r = eval(body, cx, item)?;
                        if op == Op::Map {
                            out.push(take(cx, r)?);
                        } else if truthy(&r) {
                            cx.charge_copy(item)?;
                            out.push(item.clone());
                        }
                    }
                    owned(Value::Array(out))
                }
                _ => {
                    // all: stop at the first falsy; some/none: at the first truthy.
                    let stop_on = op != Op::All;
                    for item in items {
                        if truthy(&*eval(body, cx, item)?) == stop_on {
                            return bool_(op == Op::Some);
                        }
                    }
                    bool_(op != Op::Some)
                }
            }
        }
        Op::Reduce => {
            let data = arg(args, 0, cx, scope)?;
            let initial = arg(args, 2, cx, scope)?;
            let (Value::Array(items), Some(body)) = (&*data, args.get(1)) else {
                return Ok(initial);
            };
            let mut acc = take(cx, initial)?;
            for (i, item) in items.iter().enumerate() {
                let rs = ReduceScope { current: item, accumulator: &acc };
                let r = eval(body, cx, &rs)?;
                if matches!(r, Cow::Borrowed(b) if std::ptr::eq(b, &acc)) {
                    continue; // the accumulator itself: nothing changed
                }
                let next = take(cx, r)?;
                acc = next;
                check_depth(&acc, cx).map_err(|e| Box::new(Error { message: format!("{} (reduce, element {i})", e.message), ..*e }))?;
            }
            owned(acc)
        }
        Op::Merchant(m) => {
            let mut vals: [Cow<'r, Value>; 3] = std::array::from_fn(|_| Cow::Borrowed(&NULL));
            for (i, slot) in vals.iter_mut().enumerate().take(args.len()) {
                *slot = arg(args, i, cx, scope)?;
            }
            owned(m.apply(vals.get(..args.len().min(3)).unwrap_or(&[]), cx.root))
        }
    }
}

/// `all`/`none`/`some` over an evaluated value.
#[cfg_attr(ep_hot_speed, optimize(speed))]
fn iterate<'r>(op: Op, data: Cow<'r, Value>, body: &'r Node, cx: &mut Cx<'_>) -> R<Cow<'r, Value>> {
    let Value::Array(items) = &*data else {
        return bool_or_empty(op);
    };
    if items.is_empty() {
        return bool_or_empty(op);
    }
    let stop_on = op != Op::All;
    for item in items {
        if truthy(&*eval(body, cx, item)?) == stop_on {
            return owned(Value::Bool(op == Op::Some));
        }
    }
    owned(Value::Bool(op != Op::Some))
}

/// Whether every data read in `node` is a static `var` with a non-empty
/// path: no `var ""` (the whole element), no computed path, no `missing`.
/// Such a body sees only named fields of its element, never the element
/// itself, so an element served field by field answers it exactly.
fn reads_named_fields_only(node: &Node) -> bool {
    match node {
        Node::Const(_) | Node::Folded { .. } => true,
        Node::Array(nodes) => nodes.iter().all(reads_named_fields_only),
        Node::Var { path, default } => path.first().is_some() && default.as_deref().is_none_or(reads_named_fields_only),
        Node::DynVar { .. } | Node::Op { op: Op::Missing | Op::MissingSome, .. } => false,
        Node::Op { args, .. } => args.iter().all(reads_named_fields_only),
    }
}

/// What `map`/`filter`/`all`/`none`/`some` give for a non-array or empty input.
fn bool_or_empty<'r>(op: Op) -> R<Cow<'r, Value>> {
    owned(match op {
        Op::Map | Op::Filter => Value::Array(Vec::new()),
        Op::None => Value::Bool(true),
        _ => Value::Bool(false),
    })
}

fn extend_bounded(have: usize, more: usize, cx: &mut Cx<'_>) -> R<()> {
    if have.saturating_add(more) > MAX_EVAL_ARRAY {
        return Err(too_large("merge"));
    }
    cx.charge(more)
}

/// `missing`'s test for one key: absent, `null` or `""` counts as missing.
/// The key is looked up as json-logic-js does, as `{"var": key}`: so an array
/// key is `[path, default]`.
fn missing_key(key: &Value, missing: &mut Vec<Value>, cx: &mut Cx<'_>, scope: &dyn Scope) -> R<()> {
    cx.charge(1)?;
    let (path, default) = match key {
        Value::Array(parts) => (parts.first().unwrap_or(&NULL), parts.get(1)),
        other => (other, None),
    };
    let found = match path {
        Value::Null => scope.var(""),
        Value::String(s) => scope.var(s),
        other => scope.var(&to_js_string(other)),
    };
    let found = found.or_else(|| default.map(Cow::Borrowed));
    let absent = match found.as_deref() {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    };
    if absent {
        if missing.len() >= MAX_EVAL_ARRAY {
            return Err(too_large("missing"));
        }
        missing.push(key.clone());
    }
    Ok(())
}

/// Fails when `v` nests deeper than [`MAX_JSON_DEPTH`], charging for the walk.
fn check_depth(v: &Value, cx: &mut Cx<'_>) -> R<()> {
    fn walk(v: &Value, depth: usize, seen: &mut usize) -> bool {
        let children: &mut dyn Iterator<Item = &Value> = match v {
            Value::Array(a) => &mut a.iter(),
            Value::Object(m) => &mut m.iter().map(|(_, v)| v),
            _ => return true,
        };
        if depth > MAX_JSON_DEPTH {
            return false;
        }
        for c in children {
            *seen = seen.saturating_add(1);
            if !walk(c, depth.saturating_add(1), seen) {
                return false;
            }
        }
        true
    }
    let mut seen = 0;
    let ok = walk(v, 1, &mut seen);
    cx.charge(seen / 16)?;
    if ok {
        Ok(())
    } else {
        Err(Box::new(Error::new(ErrorCode::TooDeep, "", format!("value nested deeper than {MAX_JSON_DEPTH} levels"))))
    }
}

/// The data of a `reduce` body: `{"current": ..., "accumulator": ...}`,
/// read in place instead of built per element.
struct ReduceScope<'a> {
    current: &'a Value,
    accumulator: &'a Value,
}

impl ReduceScope<'_> {
    fn base(&self, name: &str) -> Option<&Value> {
        match name {
            "current" => Some(self.current),
            "accumulator" => Some(self.accumulator),
            _ => None,
        }
    }
    fn whole(&self) -> Value {
        let mut m = Map::with_capacity(2);
        m.insert("current", self.current.clone());
        m.insert("accumulator", self.accumulator.clone());
        Value::Object(m)
    }
}

impl Scope for ReduceScope<'_> {
    fn var(&self, path: &str) -> Option<Cow<'_, Value>> {
        if path.is_empty() {
            return Some(Cow::Owned(self.whole()));
        }
        match path.split_once('.') {
            None => self.base(path).map(Cow::Borrowed),
            Some((first, rest)) => lookup_split(self.base(first)?, rest),
        }
    }
    fn var_path(&self, path: &VarPath) -> Option<Cow<'_, Value>> {
        match path.first() {
            None => Some(Cow::Owned(self.whole())),
            Some(first) => path.lookup_from(self.base(first)?, 1),
        }
    }
}
