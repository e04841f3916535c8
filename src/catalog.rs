//! The product catalog: items, their relations, and the best-seller list.
//!
//! Loaded from JSON:
//! ```json
//! { "version": "2026-11-26",
//!   "items": [ { "id": "sku-1", "category": "shoes", "brand": "acme", "price": 59.9,
//!                "inStock": true, "tags": ["running"], "popularity": 0.8,
//!                "related": [{"id": "sku-2", "weight": 0.9}], "accessories": ["sku-9"],
//!                "similar": [] } ],
//!   "bestsellers": ["sku-1", "sku-7"] }
//! ```
//! Ids become dense indices at load time, so every lookup after that is O(1).
//! Relations to unknown items are dropped and counted, not fatal: catalogs are
//! exported from other systems and are rarely perfectly consistent.


use crate::decide::fxhash::FxHashMap;

use crate::error::{Error, ErrorCode, Result};
use crate::json::{Map, Value};
use crate::limits::{
    DERIVED_BESTSELLERS, MAX_BESTSELLERS, MAX_CATALOG_ITEMS, MAX_ID_LEN, MAX_RELATIONS_PER_ITEM, MAX_TAGS_PER_ITEM, MAX_TEXT_LEN,
};

/// The kinds of relation between items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    Related,
    Accessories,
    Similar,
}

impl RelationKind {
    pub const ALL: [RelationKind; 3] = [RelationKind::Related, RelationKind::Accessories, RelationKind::Similar];
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::Related => "related",
            RelationKind::Accessories => "accessories",
            RelationKind::Similar => "similar",
        }
    }
    pub fn parse(s: &str) -> Option<RelationKind> {
        RelationKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// One catalog item.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub id: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub price: Option<f64>,
    pub in_stock: bool,
    pub tags: Vec<String>,
    /// 0..1, from the best-seller rank or the item's own `popularity`.
    pub popularity: f64,
    /// (item index, weight 0..1) per relation kind, strongest first.
    pub relations: [Vec<(u32, f32)>; 3],
    /// Dense ids of the category and brand (0..[`Catalog::category_count`]),
    /// so a decision keeps per-category values in a flat array.
    pub category_id: Option<u32>,
    pub brand_id: Option<u32>,
    /// The item as rules see it under `item` (built once, borrowed per evaluation).
    pub value: Value,
}

impl Item {
    pub fn relations(&self, kind: RelationKind) -> &[(u32, f32)] {
        match kind {
            RelationKind::Related => &self.relations[0],
            RelationKind::Accessories => &self.relations[1],
            RelationKind::Similar => &self.relations[2],
        }
    }
}

/// What a load reports back.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadInfo {
    pub items: usize,
    pub dangling_relations: usize,
    pub version: String,
}

/// Item ids to catalog indices: an open-addressing table of (hash tag,
/// index) pairs over the catalog's own ids. A decision turns ~200 session
/// ids into indices; through a `HashMap<String, u32>` each look-up was a
/// chain of calls ending in a byte-at-a-time `memcmp` (opt-level "z" keeps
/// them as calls), ~11% of a wasm decide. Here a look-up is one hash over
/// 8-byte words, a probe comparing a 32-bit tag, and one word-wise compare.
#[derive(Clone, Debug, Default)]
struct IdIndex {
    /// (tag, item index); `EMPTY_SLOT` as the index marks a free slot.
    /// Empty, or a power of two at least twice the item count.
    slots: Vec<(u32, u32)>,
}

const EMPTY_SLOT: u32 = u32::MAX;

/// The Fx mix over the length and the id's 8-byte words (ids differ mostly
/// at their ends, so every word counts).
#[inline(always)]
fn id_hash(id: &str) -> u64 {
    use core::hash::Hasher;
    let mut h = crate::decide::fxhash::FxHasher::default();
    h.write_usize(id.len());
    h.write(id.as_bytes());
    h.finish()
}

use crate::decide::fxhash::word;

/// Byte equality, a word at a time (a slice `==` is a call to a
/// byte-at-a-time `memcmp` in this build, and a zip of chunk iterators
/// stayed a call too).
#[inline(always)]
fn same_id(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut at = 0;
    while at < a.len() {
        let end = at.saturating_add(8).min(a.len());
        match (a.get(at..end), b.get(at..end)) {
            (Some(x), Some(y)) if word(x) == word(y) => at = end,
            _ => return false,
        }
    }
    true
}

impl IdIndex {
    fn with_capacity(n: usize) -> IdIndex {
        let size = n.saturating_mul(2).max(8).next_power_of_two();
        IdIndex { slots: vec![(0, EMPTY_SLOT); size] }
    }

    /// The slot to start probing at and the tag for `hash`: the high bits of
    /// a multiplicative hash are its best mixed.
    fn start_and_tag(&self, hash: u64) -> (usize, u32) {
        let bits = self.slots.len().trailing_zeros();
        let start = if bits == 0 { 0 } else { hash.checked_shr(64u32.saturating_sub(bits)).unwrap_or(0) as usize };
        (start, hash as u32)
    }

    #[inline(always)]
    fn get(&self, id: &str, items: &[Item]) -> Option<u32> {
        let mask = self.slots.len().wrapping_sub(1);
        let (mut at, tag) = self.start_and_tag(id_hash(id));
        // At least half the slots are free, so a probe ends at one; the
        // bound only keeps an empty table (no slots) from looping.
        for _ in 0..self.slots.len() {
            let &(t, idx) = self.slots.get(at)?;
            if idx == EMPTY_SLOT {
                return None;
            }
            if t == tag && items.get(idx as usize).is_some_and(|it| same_id(&it.id, id)) {
                return Some(idx);
            }
            at = at.wrapping_add(1) & mask;
        }
        None
    }

    /// Adds `id` at `idx` (`items` holds the ids already added); false when
    /// the id is already there or the table is full (sized for fewer items).
    fn insert(&mut self, id: &str, idx: u32, items: &[Item]) -> bool {
        let mask = self.slots.len().wrapping_sub(1);
        let (mut at, tag) = self.start_and_tag(id_hash(id));
        for _ in 0..self.slots.len() {
            let Some(slot) = self.slots.get_mut(at) else { return false };
            if slot.1 == EMPTY_SLOT {
                *slot = (tag, idx);
                return true;
            }
            if slot.0 == tag && items.get(slot.1 as usize).is_some_and(|it| same_id(&it.id, id)) {
                return false;
            }
            at = at.wrapping_add(1) & mask;
        }
        false
    }
}

/// A number no other catalog built in this process has (from 1 up): what a
/// session's [`crate::session::CatalogHint`] names, so a hint from another
/// catalog is never read as one of this catalog's. Drawn when the catalog is
/// built (`Catalog::default()`, which `from_value` starts from); a clone keeps
/// it, with the same items. The wasm facade also keeps JS strings of relation
/// reasons by the address of an item id, per generation
/// (`wasm::personalizer::TextsByAddress`): an engine must never swap its
/// catalog for a clone of it and drop the original, or a freed address could
/// name another id under the same generation. Nothing does today.
#[derive(Clone, Copy, Debug)]
struct Generation(u64);

impl Default for Generation {
    fn default() -> Self {
        Generation(crate::ids::next_generation())
    }
}

/// The catalog, indexed.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub version: String,
    generation: Generation,
    items: Vec<Item>,
    index: IdIndex,
    /// Dense ids of the categories / brands, in order of first appearance
    /// (an item's `category_id` / `brand_id`).
    category_ids: FxHashMap<String, u32>,
    brand_ids: FxHashMap<String, u32>,
    /// Item indices per category / brand id, most popular first. Lists by
    /// dense id, not a second map keyed by name: one map type fewer in the
    /// wasm build (and with it std's SipHash).
    by_category: Vec<Vec<u32>>,
    by_brand: Vec<Vec<u32>>,
    bestsellers: Vec<u32>,
}

impl Catalog {
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.index.get(id, &self.items)
    }
    /// This catalog's generation (see [`crate::session::CatalogHint`]).
    pub fn generation(&self) -> u64 {
        self.generation.0
    }
    /// `index_of(id)`, answered by `hint` when it was taken in this catalog.
    #[inline(always)]
    pub fn index_hinted(&self, id: &str, hint: crate::session::CatalogHint) -> Option<u32> {
        match hint.index_in(self.generation.0) {
            Some(known) => known,
            None => self.index_of(id),
        }
    }
    pub fn item(&self, idx: u32) -> Option<&Item> {
        self.items.get(idx as usize)
    }
    pub fn get(&self, id: &str) -> Option<&Item> {
        self.index_of(id).and_then(|i| self.item(i))
    }
    pub fn in_category(&self, category: &str) -> &[u32] {
        self.category_ids.get(category).and_then(|&c| self.by_category.get(c as usize)).map_or(&[], Vec::as_slice)
    }
    pub fn of_brand(&self, brand: &str) -> &[u32] {
        self.brand_ids.get(brand).and_then(|&b| self.by_brand.get(b as usize)).map_or(&[], Vec::as_slice)
    }
    pub fn bestsellers(&self) -> &[u32] {
        &self.bestsellers
    }
    /// How many distinct categories (brands) the items have: the bound of `category_id` (`brand_id`).
    pub fn category_count(&self) -> usize {
        self.by_category.len()
    }
    pub fn brand_count(&self) -> usize {
        self.by_brand.len()
    }

    /// Builds a catalog from its JSON form. A malformed catalog is rejected
    /// whole, with the path of the first problem.
    pub fn from_value(v: &Value) -> Result<(Catalog, LoadInfo)> {
        let obj = v.as_object().ok_or_else(|| wrong("", "an object", v))?;
        let version = match obj.get("version") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if s.len() <= MAX_ID_LEN => s.clone(),
            Some(Value::Number(n)) => crate::json::to_json_string(&Value::Number(*n)),
            Some(other) => return Err(wrong("version", "a short string", other)),
        };
        let list = obj
            .get("items")
            .ok_or_else(|| Error::new(ErrorCode::MissingField, "items", "\"items\" is required"))?;
        let list = list.as_array().ok_or_else(|| wrong("items", "an array", list))?;
        if list.len() > MAX_CATALOG_ITEMS {
            return Err(Error::new(
                ErrorCode::TooLarge,
                "items",
                format!("{} items, at most {MAX_CATALOG_ITEMS}", list.len()),
            ));
        }
        // Pass 1: ids and plain fields, so relations can refer forward.
        let mut cat = Catalog { version: version.clone(), ..Catalog::default() };
        cat.items.reserve(list.len());
        cat.index = IdIndex::with_capacity(list.len());
        for (i, raw) in list.iter().enumerate() {
            let path = format!("items[{i}]");
            let item = parse_item(raw).map_err(|e| e.at(&path))?;
            if !cat.index.insert(&item.id, i as u32, &cat.items) {
                return Err(Error::new(ErrorCode::InvalidValue, format!("{path}.id"), format!("duplicate item id \"{}\"", item.id)));
            }
            cat.items.push(item);
        }
        // Pass 2: relations, now that every id has an index.
        let mut dangling = 0usize;
        for (i, raw) in list.iter().enumerate() {
            let Some(robj) = raw.as_object() else { continue };
            for (k, kind) in RelationKind::ALL.iter().enumerate() {
                let Some(rel) = robj.get(kind.as_str()) else { continue };
                let path = format!("items[{i}].{}", kind.as_str());
                let parsed = parse_relations(rel, &cat, &mut dangling).map_err(|e| e.at(&path))?;
                if let Some(slot) = cat.items.get_mut(i).and_then(|it| it.relations.get_mut(k)) {
                    *slot = parsed;
                }
            }
        }
        // Best-sellers: explicit list, else by the items' own popularity.
        match obj.get("bestsellers") {
            None | Some(Value::Null) => {}
            Some(b) => {
                let arr = b.as_array().ok_or_else(|| wrong("bestsellers", "an array of item ids", b))?;
                for (i, id) in arr.iter().take(MAX_BESTSELLERS).enumerate() {
                    let id = id.as_str().ok_or_else(|| wrong(&format!("bestsellers[{i}]"), "an item id", id))?;
                    match cat.index_of(id) {
                        Some(idx) if !cat.bestsellers.contains(&idx) => cat.bestsellers.push(idx),
                        Some(_) => {}
                        None => dangling = dangling.saturating_add(1),
                    }
                }
                let n = cat.bestsellers.len().max(1) as f64;
                for (rank, &idx) in cat.bestsellers.iter().enumerate() {
                    if let Some(it) = cat.items.get_mut(idx as usize) {
                        it.popularity = it.popularity.max(1.0 - rank as f64 / n);
                    }
                }
            }
        }
        if cat.bestsellers.is_empty() {
            let mut by_pop: Vec<u32> = (0..cat.items.len() as u32).collect();
            crate::order::sort_by(&mut by_pop, &|&a, &b| cat.popularity(b).total_cmp(&cat.popularity(a)).then(a.cmp(&b)));
            by_pop.truncate(MAX_BESTSELLERS.min(DERIVED_BESTSELLERS));
            cat.bestsellers = by_pop;
        }
        // Per-category and per-brand lists, most popular first; dense ids in
        // order of first appearance.
        for (i, it) in cat.items.iter_mut().enumerate() {
            if let Some(c) = &it.category {
                let id = dense_id(&mut cat.category_ids, &mut cat.by_category, c);
                it.category_id = Some(id);
                push_to(&mut cat.by_category, id, i as u32);
            }
            if let Some(b) = &it.brand {
                let id = dense_id(&mut cat.brand_ids, &mut cat.by_brand, b);
                it.brand_id = Some(id);
                push_to(&mut cat.by_brand, id, i as u32);
            }
        }
        let items = &cat.items;
        let pop = |i: u32| items.get(i as usize).map(|it| it.popularity).unwrap_or(0.0);
        for list in cat.by_category.iter_mut().chain(cat.by_brand.iter_mut()) {
            crate::order::sort_by(list, &|&a, &b| pop(b).total_cmp(&pop(a)).then(a.cmp(&b)));
        }
        let info = LoadInfo { items: cat.items.len(), dangling_relations: dangling, version };
        Ok((cat, info))
    }

    fn popularity(&self, idx: u32) -> f64 {
        self.item(idx).map(|it| it.popularity).unwrap_or(0.0)
    }
}

/// The dense id of `name` in `ids`, adding it (and an empty list) when new.
fn dense_id(ids: &mut FxHashMap<String, u32>, lists: &mut Vec<Vec<u32>>, name: &str) -> u32 {
    if let Some(&id) = ids.get(name) {
        return id;
    }
    let id = lists.len() as u32;
    ids.insert(name.to_string(), id);
    lists.push(Vec::new());
    id
}

fn push_to(lists: &mut [Vec<u32>], id: u32, item: u32) {
    if let Some(list) = lists.get_mut(id as usize) {
        list.push(item);
    }
}

fn wrong(path: &str, expected: &str, got: &Value) -> Error {
    Error::new(ErrorCode::WrongType, path, format!("expected {expected}, got {}", got.type_name()))
}

fn opt_string(obj: &Map, key: &str, max: usize) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(Error::new(ErrorCode::TooLarge, key, format!("too long: at most {max} bytes"))),
        Some(other) => Err(wrong(key, "a string", other)),
    }
}

fn parse_item(v: &Value) -> Result<Item> {
    let obj = v.as_object().ok_or_else(|| wrong("", "an object", v))?;
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => s.clone(),
        Some(Value::String(_)) => return Err(Error::new(ErrorCode::InvalidValue, "id", format!("must be 1 to {MAX_ID_LEN} bytes"))),
        Some(other) => return Err(wrong("id", "a string", other)),
        None => return Err(Error::new(ErrorCode::MissingField, "id", "\"id\" is required")),
    };
    // An item whose id events may not carry could never be viewed, carted or bought.
    crate::event::refuse_control_chars(&id, "id")?;
    let category = opt_string(obj, "category", MAX_ID_LEN)?;
    let brand = opt_string(obj, "brand", MAX_ID_LEN)?;
    let price = match obj.get("price") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => Some(*n),
        Some(Value::Number(_)) => return Err(Error::new(ErrorCode::InvalidValue, "price", "must be a finite number ≥ 0")),
        Some(other) => return Err(wrong("price", "a number", other)),
    };
    let in_stock = match obj.get("inStock") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(wrong("inStock", "a boolean", other)),
    };
    let popularity = match obj.get("popularity") {
        None | Some(Value::Null) => 0.0,
        Some(Value::Number(n)) if (0.0..=1.0).contains(n) => *n,
        Some(Value::Number(_)) => return Err(Error::new(ErrorCode::InvalidValue, "popularity", "must be between 0 and 1")),
        Some(other) => return Err(wrong("popularity", "a number", other)),
    };
    let tags = match obj.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.len() <= MAX_TAGS_PER_ITEM => a
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                Value::String(s) if s.len() <= MAX_TEXT_LEN => Ok(s.clone()),
                other => Err(wrong(&format!("tags[{i}]"), "a short string", other)),
            })
            .collect::<Result<Vec<_>>>()?,
        Some(Value::Array(_)) => return Err(Error::new(ErrorCode::TooLarge, "tags", format!("at most {MAX_TAGS_PER_ITEM} tags"))),
        Some(other) => return Err(wrong("tags", "an array of strings", other)),
    };
    let mut value = Map::with_capacity(6);
    value.insert("id", Value::from(id.as_str()));
    if let Some(c) = &category {
        value.insert("category", Value::from(c.as_str()));
    }
    if let Some(b) = &brand {
        value.insert("brand", Value::from(b.as_str()));
    }
    if let Some(p) = price {
        value.insert("price", Value::Number(p));
    }
    value.insert("inStock", Value::Bool(in_stock));
    value.insert("tags", Value::Array(tags.iter().map(|t| Value::from(t.as_str())).collect()));
    value.insert("popularity", Value::Number(popularity));
    Ok(Item {
        id,
        category,
        brand,
        price,
        in_stock,
        tags,
        popularity,
        relations: Default::default(),
        category_id: None,
        brand_id: None,
        value: Value::Object(value),
    })
}

/// `["sku-2", ...]` or `[{"id": "sku-2", "weight": 0.9}, ...]`; weight defaults to 1.
fn parse_relations(v: &Value, cat: &Catalog, dangling: &mut usize) -> Result<Vec<(u32, f32)>> {
    let arr = v.as_array().ok_or_else(|| wrong("", "an array", v))?;
    if arr.len() > MAX_RELATIONS_PER_ITEM {
        return Err(Error::new(ErrorCode::TooLarge, "", format!("at most {MAX_RELATIONS_PER_ITEM} relations")));
    }
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(arr.len());
    for (i, r) in arr.iter().enumerate() {
        let (id, weight) = match r {
            Value::String(s) => (s.as_str(), 1.0),
            Value::Object(o) => {
                let id = o.get("id").and_then(Value::as_str).ok_or_else(|| {
                    Error::new(ErrorCode::MissingField, format!("[{i}].id"), "relation needs an item id")
                })?;
                let w = match o.get("weight") {
                    None | Some(Value::Null) => 1.0,
                    Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => n.min(1.0),
                    Some(other) => return Err(wrong(&format!("[{i}].weight"), "a number from 0 to 1", other)),
                };
                (id, w)
            }
            other => return Err(wrong(&format!("[{i}]"), "an item id or {id, weight}", other)),
        };
        match cat.index_of(id) {
            Some(idx) if !out.iter().any(|(j, _)| *j == idx) => out.push((idx, weight as f32)),
            Some(_) => {}
            None => *dangling = dangling.saturating_add(1),
        }
    }
    crate::order::sort_by(&mut out, &|a, b| b.1.total_cmp(&a.1));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn with_items(items: Vec<Value>) -> Value {
        let mut m = Map::new();
        m.insert("items", Value::Array(items));
        Value::Object(m)
    }

    #[test]
    fn the_id_index_finds_every_id_and_only_those() {
        // Shared prefixes, ids differing only in their last byte, word-length
        // boundaries (7, 8, 9, 16, 17 bytes), multibyte text.
        let mut ids: Vec<String> = (0..3000).map(|i| format!("sku-{i:05}")).collect();
        ids.extend(["a", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq", "é", "sku-0000"].map(String::from));
        let items: Vec<Value> = ids.iter().map(|id| parse(&format!(r#"{{"id":"{id}"}}"#)).unwrap_or_default()).collect();
        let (cat, _) = Catalog::from_value(&with_items(items.clone())).expect("loads");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(cat.index_of(id), Some(i as u32), "{id}");
        }
        for absent in ["", "sku-3000", "sku-0000 ", "abcdefgh\u{0}", "abcdefghijklmnopqr", "b", "sku-00000x", "SKU-00001"] {
            assert_eq!(cat.index_of(absent), None, "{absent}");
        }
        assert_eq!(Catalog::default().index_of("a"), None);
        let mut dup = items;
        dup.push(parse(r#"{"id":"abcdefghi"}"#).unwrap_or_default());
        let err = Catalog::from_value(&with_items(dup)).err().expect("a duplicate id is refused");
        assert!(err.to_string().contains("duplicate item id"), "{err}");
    }

    fn load(text: &str) -> Result<(Catalog, LoadInfo)> {
        Catalog::from_value(&parse(text).expect("json"))
    }

    #[test]
    fn loads_items_relations_and_bestsellers() {
        let (c, info) = load(
            r#"{"version":"v1","items":[
                {"id":"a","category":"shoes","brand":"acme","price":10,"related":[{"id":"b","weight":0.5},"c"],"accessories":["c","ghost"]},
                {"id":"b","category":"shoes","inStock":false},
                {"id":"c","category":"socks","tags":["cotton"]}],
               "bestsellers":["c","a"]}"#,
        )
        .expect("valid");
        assert_eq!(info, LoadInfo { items: 3, dangling_relations: 1, version: "v1".into() });
        let a = c.get("a").expect("a");
        assert_eq!(a.relations(RelationKind::Related), &[(2, 1.0), (1, 0.5)]);
        assert_eq!(c.bestsellers(), &[2, 0]);
        assert_eq!(c.in_category("shoes"), &[0, 1]);
        assert!(!c.get("b").expect("b").in_stock);
        assert_eq!(c.get("c").expect("c").popularity, 1.0);
        // Dense ids: equal exactly when the names are, below the counts.
        let ids = |id: &str| c.get(id).map(|it| (it.category_id, it.brand_id)).expect(id);
        assert_eq!((ids("a"), ids("b"), ids("c")), ((Some(0), Some(0)), (Some(0), None), (Some(1), None)));
        assert_eq!((c.category_count(), c.brand_count()), (2, 1));
    }

    #[test]
    fn malformed_catalogs_are_rejected_with_a_path() {
        let cases: &[(&str, ErrorCode, &str)] = &[
            (r#"[]"#, ErrorCode::WrongType, ""),
            (r#"{}"#, ErrorCode::MissingField, "items"),
            (r#"{"items":[{"id":"a"},{"id":"a"}]}"#, ErrorCode::InvalidValue, "items[1].id"),
            (r#"{"items":[{"id":"a","price":"cheap"}]}"#, ErrorCode::WrongType, "items[0].price"),
            (r#"{"items":[{"id":"a","related":[{"weight":1}]}]}"#, ErrorCode::MissingField, "items[0].related[0].id"),
            (r#"{"items":[{"id":"a","popularity":7}]}"#, ErrorCode::InvalidValue, "items[0].popularity"),
            (r#"{"items":[{"id":"a"}],"bestsellers":[1]}"#, ErrorCode::WrongType, "bestsellers[0]"),
        ];
        for (text, code, path) in cases {
            let err = load(text).expect_err(text);
            assert_eq!((err.code, err.path.as_str()), (*code, *path), "{text}: {err}");
        }
    }

    #[test]
    fn bestsellers_default_to_popularity_order() {
        let (c, _) = load(r#"{"items":[{"id":"a","popularity":0.1},{"id":"b","popularity":0.9}]}"#).expect("valid");
        assert_eq!(c.bestsellers(), &[1, 0]);
    }
}
