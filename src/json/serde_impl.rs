//! `Serialize` and `Deserialize` for [`Value`]: how values cross the wasm
//! boundary through serde-wasm-bindgen (and any other serde format).
//!
//! Deserializing accepts any self-describing input: booleans, every integer
//! width (converted to f64, as JavaScript holds them), floats, strings,
//! unit/none (null), sequences and string-keyed maps. Nesting deeper than
//! [`MAX_JSON_DEPTH`] is refused with an error that says so, so a hostile or
//! cyclic JS object cannot exhaust the stack. Non-finite floats (JS `NaN`,
//! `Infinity`) are refused too: a `Value` never holds them.
//!
//! Serializing writes numbers as f64, arrays as sequences and objects as maps
//! in insertion order. (With serde-wasm-bindgen, pass a serializer built with
//! `serialize_maps_as_objects(true)` to get plain JS objects, not `Map`s.)

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Map, Value};
use crate::limits::MAX_JSON_DEPTH;

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => serializer.serialize_f64(*n),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut m = serializer.serialize_map(Some(map.len()))?;
                for (k, v) in map.iter() {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor { depth: 0 })
    }
}

/// Deserializes a [`Value`] found `depth` arrays/objects deep in a larger
/// value, so the nesting limit counts from that value's root (for callers
/// that convert only parts of a value).
pub fn deserialize_at_depth<'de, D: Deserializer<'de>>(deserializer: D, depth: usize) -> Result<Value, D::Error> {
    deserializer.deserialize_any(ValueVisitor { depth })
}

/// Builds a [`Value`]; `depth` is how many arrays/objects enclose it.
#[derive(Clone, Copy)]
struct ValueVisitor {
    depth: usize,
}

impl ValueVisitor {
    fn enter<E: de::Error>(self) -> Result<ValueVisitor, E> {
        if self.depth >= MAX_JSON_DEPTH {
            Err(E::custom(format_args!("nesting deeper than {MAX_JSON_DEPTH} levels")))
        } else {
            Ok(ValueVisitor { depth: self.depth.saturating_add(1) })
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueVisitor {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Containers are pre-sized from the input's hint, but never beyond this, so
/// a lying hint cannot make us allocate gigabytes up front.
const MAX_PREALLOC: usize = 4096;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value (null, boolean, finite number, string, array or object)")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        if v.is_finite() {
            Ok(Value::Number(v))
        } else {
            Err(E::custom(format_args!("{v} is not a JSON number")))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_PREALLOC));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(0).min(MAX_PREALLOC));
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(inner)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    //! serde ships no data format, so these tests drive the impls with a tiny
    //! self-describing test format (`T`) in both directions.
    use super::*;
    use crate::json::parse;
    use serde::de::value::{Error as DeError, MapDeserializer, SeqDeserializer};
    use serde::de::IntoDeserializer;

    /// A self-describing test input, like a JS value seen by serde-wasm-bindgen.
    #[derive(Clone, Debug, PartialEq)]
    enum T {
        Unit,
        Bool(bool),
        I64(i64),
        U64(u64),
        F64(f64),
        Str(String),
        Opt(Option<Box<T>>),
        Seq(Vec<T>),
        Map(Vec<(String, T)>),
    }

    impl<'de> Deserializer<'de> for T {
        type Error = DeError;
        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            match self {
                T::Unit => v.visit_unit(),
                T::Bool(b) => v.visit_bool(b),
                T::I64(n) => v.visit_i64(n),
                T::U64(n) => v.visit_u64(n),
                T::F64(n) => v.visit_f64(n),
                T::Str(s) => v.visit_string(s),
                T::Opt(None) => v.visit_none(),
                T::Opt(Some(t)) => v.visit_some(*t),
                T::Seq(items) => v.visit_seq(SeqDeserializer::new(items.into_iter())),
                T::Map(entries) => v.visit_map(MapDeserializer::new(entries.into_iter())),
            }
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }

    impl<'de> IntoDeserializer<'de, DeError> for T {
        type Deserializer = T;
        fn into_deserializer(self) -> T {
            self
        }
    }

    fn from(t: T) -> Result<Value, DeError> {
        Value::deserialize(t)
    }

    #[test]
    fn deserializes_every_kind() {
        let t = T::Map(vec![
            ("a".into(), T::Seq(vec![T::I64(-3), T::U64(u64::MAX), T::F64(2.5), T::Bool(true), T::Unit])),
            ("b".into(), T::Opt(None)),
            ("c".into(), T::Opt(Some(Box::new(T::Str("x".into()))))),
            ("a".into(), T::Seq(vec![T::I64(7)])),
        ]);
        let v = from(t).unwrap_or_default();
        let want = parse(r#"{"a":[7],"b":null,"c":"x"}"#).unwrap_or_default();
        assert_eq!(v, want);
        assert_eq!(from(T::U64(u64::MAX)), Ok(Value::Number(18446744073709551615.0)));
        assert!(from(T::F64(f64::NAN)).is_err());
        assert!(from(T::F64(f64::INFINITY)).is_err());
    }

    #[test]
    fn deserialize_depth_is_bounded() {
        let nest = |n: usize| (0..n).fold(T::I64(1), |inner, _| T::Seq(vec![inner]));
        assert!(from(nest(MAX_JSON_DEPTH)).is_ok());
        let err = from(nest(MAX_JSON_DEPTH + 1)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(&format!("nesting deeper than {MAX_JSON_DEPTH}")), "{err}");
        let deep_map = (0..MAX_JSON_DEPTH + 1).fold(T::Unit, |inner, _| T::Map(vec![("k".into(), inner)]));
        assert!(from(deep_map).is_err());
    }

    /// A test serializer that rebuilds a `T` from what `Value::serialize` emits.
    struct ToT;
    struct SeqT(Vec<T>);
    struct MapT(Vec<(String, T)>, Option<String>);
    type Unsupported = serde::ser::Impossible<T, DeError>;

    fn unsupported<X>() -> Result<X, DeError> {
        Err(serde::ser::Error::custom("not emitted by Value"))
    }

    impl Serializer for ToT {
        type Ok = T;
        type Error = DeError;
        type SerializeSeq = SeqT;
        type SerializeTuple = Unsupported;
        type SerializeTupleStruct = Unsupported;
        type SerializeTupleVariant = Unsupported;
        type SerializeMap = MapT;
        type SerializeStruct = Unsupported;
        type SerializeStructVariant = Unsupported;
        fn serialize_bool(self, v: bool) -> Result<T, DeError> {
            Ok(T::Bool(v))
        }
        fn serialize_i8(self, _: i8) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_i16(self, _: i16) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_i32(self, _: i32) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_i64(self, _: i64) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_u8(self, _: u8) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_u16(self, _: u16) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_u32(self, _: u32) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_u64(self, _: u64) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_f32(self, _: f32) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_f64(self, v: f64) -> Result<T, DeError> {
            Ok(T::F64(v))
        }
        fn serialize_char(self, _: char) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_str(self, v: &str) -> Result<T, DeError> {
            Ok(T::Str(v.to_owned()))
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_none(self) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_some<V: Serialize + ?Sized>(self, _: &V) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_unit(self) -> Result<T, DeError> {
            Ok(T::Unit)
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_newtype_struct<V: Serialize + ?Sized>(self, _: &'static str, _: &V) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_newtype_variant<V: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &V,
        ) -> Result<T, DeError> {
            unsupported()
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<SeqT, DeError> {
            Ok(SeqT(Vec::new()))
        }
        fn serialize_tuple(self, _: usize) -> Result<Unsupported, DeError> {
            unsupported()
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Unsupported, DeError> {
            unsupported()
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Unsupported, DeError> {
            unsupported()
        }
        fn serialize_map(self, _: Option<usize>) -> Result<MapT, DeError> {
            Ok(MapT(Vec::new(), None))
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Unsupported, DeError> {
            unsupported()
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Unsupported, DeError> {
            unsupported()
        }
    }

    impl SerializeSeq for SeqT {
        type Ok = T;
        type Error = DeError;
        fn serialize_element<V: Serialize + ?Sized>(&mut self, v: &V) -> Result<(), DeError> {
            self.0.push(v.serialize(ToT)?);
            Ok(())
        }
        fn end(self) -> Result<T, DeError> {
            Ok(T::Seq(self.0))
        }
    }

    impl SerializeMap for MapT {
        type Ok = T;
        type Error = DeError;
        fn serialize_key<K: Serialize + ?Sized>(&mut self, k: &K) -> Result<(), DeError> {
            match k.serialize(ToT)? {
                T::Str(s) => {
                    self.1 = Some(s);
                    Ok(())
                }
                _ => unsupported(),
            }
        }
        fn serialize_value<V: Serialize + ?Sized>(&mut self, v: &V) -> Result<(), DeError> {
            let key = self.1.take().unwrap_or_default();
            self.0.push((key, v.serialize(ToT)?));
            Ok(())
        }
        fn end(self) -> Result<T, DeError> {
            Ok(T::Map(self.0))
        }
    }

    #[test]
    fn serializes_and_round_trips() {
        let v = parse(r#"{"z":[1,2.5,null,true,"é"],"a":{"b":{}}}"#).unwrap_or_default();
        let t = v.serialize(ToT);
        let want = T::Map(vec![
            ("z".into(), T::Seq(vec![T::F64(1.0), T::F64(2.5), T::Unit, T::Bool(true), T::Str("é".into())])),
            ("a".into(), T::Map(vec![("b".into(), T::Map(vec![]))])),
        ]);
        assert_eq!(t, Ok(want.clone()));
        assert_eq!(from(want), Ok(v));
    }
}
