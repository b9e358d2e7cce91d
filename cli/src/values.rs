//! Reading the dynamic values (`scale_value::Value`) view functions and events answer with.

use subxt::ext::scale_value::{Composite, Primitive, Value, ValueDef};

/// The named field `name` of a composite value.
pub fn field<'a, T>(value: &'a Value<T>, name: &str) -> Option<&'a Value<T>> {
	match &value.value {
		ValueDef::Composite(Composite::Named(fields)) => {
			fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
		}
		_ => None,
	}
}

/// The `index`th item of an unnamed composite (a tuple or sequence).
pub fn item<T>(value: &Value<T>, index: usize) -> Option<&Value<T>> {
	items(value).get(index).copied()
}

/// The items of a sequence, tuple or single-field wrapper, or the fields of an enum's variant.
pub fn items<T>(value: &Value<T>) -> Vec<&Value<T>> {
	let composite = match &value.value {
		ValueDef::Composite(composite) => composite,
		ValueDef::Variant(variant) => &variant.values,
		_ => return Vec::new(),
	};
	match composite {
		Composite::Unnamed(values) => values.iter().collect(),
		Composite::Named(values) => values.iter().map(|(_, v)| v).collect(),
	}
}

/// A number, looking through single-field wrappers.
pub fn number<T>(value: &Value<T>) -> Option<u128> {
	match &value.value {
		ValueDef::Primitive(Primitive::U128(n)) => Some(*n),
		ValueDef::Primitive(Primitive::I128(n)) => u128::try_from(*n).ok(),
		ValueDef::Composite(_) => match items(value).as_slice() {
			[only] => number(only),
			_ => None,
		},
		_ => None,
	}
}

/// The bytes of a `Vec<u8>`, `BoundedVec<u8>` or `[u8; N]`.
pub fn bytes<T>(value: &Value<T>) -> Vec<u8> {
	match &value.value {
		ValueDef::Composite(Composite::Unnamed(values)) if values.len() == 1 => {
			match &values[0].value {
				ValueDef::Composite(_) => bytes(&values[0]),
				_ => values.iter().filter_map(number).map(|n| n as u8).collect(),
			}
		}
		ValueDef::Composite(_) => {
			items(value).into_iter().filter_map(number).map(|n| n as u8).collect()
		}
		_ => Vec::new(),
	}
}

/// The bytes as UTF-8 text (lossy).
pub fn text<T>(value: &Value<T>) -> String {
	String::from_utf8_lossy(&bytes(value)).into_owned()
}

/// The variant's name, for an enum value, or through an `Option`'s `Some`.
pub fn variant<T>(value: &Value<T>) -> Option<&str> {
	match &value.value {
		ValueDef::Variant(variant) => Some(variant.name.as_str()),
		_ => None,
	}
}

/// The value inside `Some(..)`, or `None` for `None` (or anything else).
pub fn some<T>(value: &Value<T>) -> Option<&Value<T>> {
	match &value.value {
		ValueDef::Variant(variant) if variant.name == "Some" => match &variant.values {
			Composite::Unnamed(values) => values.first(),
			Composite::Named(values) => values.first().map(|(_, v)| v),
		},
		_ => None,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn fields_numbers_and_bytes_are_found() {
		let value = Value::named_composite([
			("name", Value::from_bytes(b"greeter")),
			("price", Value::u128(3)),
			("maybe", Value::variant("Some", Composite::Unnamed(vec![Value::u128(7)]))),
		]);
		assert_eq!(text(field(&value, "name").unwrap()), "greeter");
		assert_eq!(number(field(&value, "price").unwrap()), Some(3));
		assert_eq!(number(some(field(&value, "maybe").unwrap()).unwrap()), Some(7));
		let voting = Value::named_variant("Voting", [("ends", Value::u128(12))]);
		assert_eq!(item(&voting, 0).and_then(number), Some(12));
	}
}
