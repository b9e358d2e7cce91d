//! `greeter`: says hello. `Say.Hello` takes `{"name": "..."}` (or protobuf with the name in
//! field 1) and answers `{"msg": "Hello <name>"}`.

#![no_std]

extern crate alloc;

use alloc::{format, vec::Vec};
use micro_service::{protobuf, service, ContentType, Error, Request};

service! {
	"Say.Hello" => hello,
}

fn hello(request: &Request) -> Result<Vec<u8>, Error> {
	match request.content_type {
		ContentType::Json => {
			let name = request.json_str("name")?;
			if name.is_empty() {
				return Err(Error::bad_request("name must not be empty"));
			}
			let name = name.replace('\\', "\\\\").replace('"', "\\\"");
			Ok(format!(r#"{{"msg":"Hello {name}"}}"#).into_bytes())
		}
		ContentType::Protobuf => {
			let name = request.proto_str(1)?;
			let mut out = Vec::new();
			protobuf::put_bytes(&mut out, 1, format!("Hello {name}").as_bytes());
			Ok(out)
		}
	}
}
