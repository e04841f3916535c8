//! What of its data a compiled condition can read: a [`Projection`].
//!
//! `evalCondition(rule, data)` from JS used to convert the whole data into
//! wasm at every call; for a rule over a 200-event session that was ~470 µs
//! of conversion for well under a microsecond of evaluation. The projection
//! names the parts the condition can reach (`session.counters.events`; every
//! element's `category` and `type` for a `some` over `session.recent`), so a
//! caller converts only those and evaluates on a value that answers every
//! read exactly as the full data would.
//!
//! How it is derived, conservatively:
//! - a static `var` path needs the whole value at its end (it may be
//!   returned, compared or iterated);
//! - `map`/`all`/`none`/`some`/`reduce` over a static path need, of each
//!   element, what their body reads (`current.*` for `reduce`); `filter`
//!   returns its elements, so it needs them whole;
//! - an iteration over anything else (a computed array), a computed path,
//!   `var ""` or `missing`/`missing_some` need the whole data (or the whole
//!   element, inside a body);
//! - a merchant operator anywhere reads its part of `session` through the
//!   [`Scope`] defaults (`in_cart`: each cart line's `item` and `quantity`).
//!
//! A value projected by [`Projection::apply`] keeps only the projected keys
//! of objects, and arrays keep their length with `null` where no element is
//! read; the tests check that every condition evaluates the same on the
//! projected value as on the data.
//!
//! [`Scope`]: super::Scope

use super::compile::{Condition, Node, Op};
use super::merchant::Merchant;
use super::path::array_index;
use crate::json::{Map, Value};

/// The parts of a value a condition can read (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    /// The whole value is needed; `fields` and `each` are then empty.
    whole: bool,
    /// Object keys (or array indices, as text) read below this value.
    fields: Vec<(Box<str>, Projection)>,
    /// What is read of every element, when the value is an array.
    each: Option<Box<Projection>>,
}

impl Projection {
    /// Everything.
    pub fn whole() -> Projection {
        Projection { whole: true, ..Projection::default() }
    }

    /// Whether the whole value is needed.
    pub fn is_whole(&self) -> bool {
        self.whole
    }

    /// Whether nothing can be read but what is at `path` (and below it): on
    /// the way down, no value is needed whole, iterated or read at another key.
    pub fn only_below(&self, path: &[&str]) -> bool {
        let Some((key, rest)) = path.split_first() else { return true };
        match self.fields.as_slice() {
            [(k, below)] if !self.whole && self.each.is_none() && &**k == *key => below.only_below(rest),
            _ => false,
        }
    }

    /// The keys read below this value (object keys, or array indices as text).
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Projection)> {
        self.fields.iter().map(|(k, p)| (&**k, p))
    }

    /// What is needed of element `index` of an array: what every element
    /// needs, with what that index needs. `None` when nothing.
    pub fn element(&self, index: usize) -> Option<Projection> {
        if self.whole {
            return Some(Projection::whole());
        }
        let mut out: Option<Projection> = self.each.as_deref().cloned();
        for (key, p) in &self.fields {
            if array_index(key) == Some(index) {
                match &mut out {
                    Some(o) => o.merge(p),
                    None => out = Some(p.clone()),
                }
            }
        }
        out
    }

    fn mark_whole(&mut self) {
        self.whole = true;
        self.fields = Vec::new();
        self.each = None;
    }

    /// The node for `key` below this one, created if new; `None` when this
    /// value is needed whole already (nothing below needs recording).
    fn field(&mut self, key: &str) -> Option<&mut Projection> {
        if self.whole {
            return None;
        }
        let at = match self.fields.iter().position(|(k, _)| &**k == key) {
            Some(i) => i,
            None => {
                self.fields.push((key.into(), Projection::default()));
                self.fields.len().saturating_sub(1)
            }
        };
        self.fields.get_mut(at).map(|(_, p)| p)
    }

    /// The node at `path` below this one (see [`Projection::field`]).
    fn at<'a>(&mut self, path: impl IntoIterator<Item = &'a str>) -> Option<&mut Projection> {
        let mut node = self;
        for key in path {
            node = node.field(key)?;
        }
        (!node.whole).then_some(node)
    }

    /// Records that the whole value at `path` is read.
    pub(crate) fn read<'a>(&mut self, path: impl IntoIterator<Item = &'a str>) {
        if let Some(node) = self.at(path) {
            node.mark_whole();
        }
    }

    /// Records that `each` is read of every element of the array at `path`.
    pub(crate) fn read_each<'a>(&mut self, path: impl IntoIterator<Item = &'a str>, each: &Projection) {
        if let Some(node) = self.at(path) {
            match &mut node.each {
                Some(e) => e.merge(each),
                None => node.each = Some(Box::new(each.clone())),
            }
        }
    }

    fn merge(&mut self, other: &Projection) {
        if self.whole {
            return;
        }
        if other.whole {
            self.mark_whole();
            return;
        }
        for (key, p) in &other.fields {
            if let Some(node) = self.field(key) {
                node.merge(p);
            }
        }
        if let Some(e) = &other.each {
            match &mut self.each {
                Some(mine) => mine.merge(e),
                None => self.each = Some(e.clone()),
            }
        }
    }

    /// `value` with only the projected parts: objects keep the projected keys
    /// they have, arrays keep their length with `null` for elements not read,
    /// anything else stays as it is.
    pub fn apply(&self, value: &Value) -> Value {
        if self.whole {
            return value.clone();
        }
        match value {
            Value::Object(m) => {
                let mut out = Map::with_capacity(self.fields.len());
                for (key, p) in &self.fields {
                    if let Some(v) = m.get(key) {
                        out.push_unique(&**key, p.apply(v));
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.element(i).map_or(Value::Null, |p| p.apply(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// How `var` paths in a node resolve: against plain data (the root, or an
/// element of `map`/`some`/...), or against a `reduce` body's
/// `{current, accumulator}`.
#[derive(Clone, Copy, PartialEq)]
enum Base {
    Data,
    Reduce,
}

impl Condition {
    /// What of its data this condition can read (see [`Projection`]).
    pub fn reads(&self) -> Projection {
        let mut root = Projection::default();
        let mut merchant = Vec::new();
        collect(&self.root, &mut root, Base::Data, &mut merchant);
        for op in merchant {
            super::merchant::default_reads(op, &mut root);
        }
        root
    }
}

/// The path a `var` resolves to in `base`, as segments of the data (or of
/// the `reduce` element); `None` when it reads no data (`accumulator`, or a
/// name a `reduce` body does not have).
fn data_path(path: &super::VarPath, base: Base) -> Option<Vec<&str>> {
    let mut segs = path.segments();
    match base {
        Base::Data => Some(segs.collect()),
        Base::Reduce => match segs.next() {
            // `var ""` in a reduce body is {current, accumulator}: the whole element.
            None => Some(Vec::new()),
            Some("current") => Some(segs.collect()),
            Some(_) => None,
        },
    }
}

fn collect(node: &Node, base: &mut Projection, kind: Base, merchant: &mut Vec<Merchant>) {
    match node {
        Node::Const(_) | Node::Folded { .. } => {}
        Node::Array(nodes) => {
            for n in nodes.iter() {
                collect(n, base, kind, merchant);
            }
        }
        Node::Var { path, default } => {
            if let Some(p) = data_path(path, kind) {
                base.read(p);
            }
            if let Some(d) = default {
                collect(d, base, kind, merchant);
            }
        }
        Node::DynVar { path, default } => {
            collect(path, base, kind, merchant);
            if let Some(d) = default {
                collect(d, base, kind, merchant);
            }
            base.mark_whole();
        }
        Node::Op { op: Op::Missing | Op::MissingSome, args } => {
            for a in args.iter() {
                collect(a, base, kind, merchant);
            }
            base.mark_whole();
        }
        Node::Op { op: op @ (Op::Map | Op::All | Op::None | Op::Some | Op::Reduce), args } if args.len() >= 2 => {
            let body_base = if *op == Op::Reduce { Base::Reduce } else { Base::Data };
            let mut element = Projection::default();
            for (i, a) in args.iter().enumerate() {
                if i == 1 {
                    collect(a, &mut element, body_base, merchant);
                } else if i != 0 {
                    collect(a, base, kind, merchant);
                }
            }
            match args.first() {
                Some(Node::Var { path, default: None }) => {
                    if let Some(p) = data_path(path, kind) {
                        base.read_each(p, &element);
                    }
                }
                // Elements of a literal list are not data.
                Some(Node::Const(_) | Node::Folded { .. }) => {}
                // A computed list may hold data elements the body reads.
                Some(other) => {
                    collect(other, base, kind, merchant);
                    base.mark_whole();
                }
                None => {}
            }
        }
        Node::Op { op, args } => {
            if let Op::Merchant(m) = op {
                merchant.push(*m);
            }
            for (i, a) in args.iter().enumerate() {
                if op.is_body(i) {
                    // `filter` (or a short iteration): its list is read whole
                    // above, so the body reads only what is there already.
                    let mut ignored = Projection::default();
                    collect(a, &mut ignored, Base::Data, merchant);
                } else {
                    collect(a, base, kind, merchant);
                }
            }
        }
    }
}
