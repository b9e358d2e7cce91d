//! The gateway's OpenAPI document (`GET /openapi.json`): one operation per endpoint of each
//! service's newest version, with schemas from the fields the registry describes.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::{registry, settlement::ALLOWANCE_HEADER};

/// The JSON schema of a field kind the registry describes.
fn field_schema(field: &registry::FieldDescription) -> Value {
	let scalar = match field.kind.as_str() {
		"string" => json!({ "type": "string" }),
		"bytes" => json!({ "type": "string", "format": "byte" }),
		"bool" => json!({ "type": "boolean" }),
		"int64" | "sint64" | "int32" => json!({ "type": "integer", "format": "int64" }),
		"uint64" | "uint32" => json!({ "type": "integer", "format": "int64", "minimum": 0 }),
		"double" | "float" => json!({ "type": "number" }),
		_ => json!({}),
	};
	let schema = if field.repeated { json!({ "type": "array", "items": scalar }) } else { scalar };
	let mut schema = schema;
	schema["description"] = json!(format!("protobuf field {}", field.number));
	schema
}

fn message_schema(message: &registry::TypeDescription) -> Value {
	let properties: serde_json::Map<String, Value> =
		message.fields.iter().map(|f| (f.name.clone(), field_schema(f))).collect();
	json!({ "type": "object", "title": message.name, "properties": properties })
}

/// An OpenAPI 3 document of `services`: one `POST /{service}/{endpoint}` per endpoint of each
/// service's newest version, with request and response schemas from the fields described.
pub fn openapi(services: &[registry::Service]) -> Value {
	let mut newest: BTreeMap<&str, &registry::Service> = BTreeMap::new();
	for service in services {
		let name = service.description.name.as_str();
		let newer = newest.get(name).is_none_or(|known| {
			version_key(&service.description.version) > version_key(&known.description.version)
		});
		if newer {
			newest.insert(name, service);
		}
	}
	let error = json!({
		"description": "a Micro-Error",
		"content": { "application/json": { "schema": { "$ref": "#/components/schemas/MicroError" } } }
	});
	let mut paths = serde_json::Map::new();
	for (name, service) in &newest {
		for endpoint in &service.description.endpoints {
			let operation = json!({
				"post": {
					"operationId": format!("{name}.{}", endpoint.name),
					"summary": format!("{name} {} (version {}, on {} node(s))", endpoint.name,
						service.description.version, service.nodes.len()),
					"tags": [name],
					"parameters": [{
						"name": ALLOWANCE_HEADER, "in": "header", "required": false,
						"description": "signed allowances paying for the call (`micro allowance sign`)",
						"schema": { "type": "string" }
					}],
					"requestBody": { "required": true, "content": {
						"application/json": { "schema": message_schema(&endpoint.request) } } },
					"responses": {
						"200": { "description": "the answer", "content": {
							"application/json": { "schema": message_schema(&endpoint.response) } } },
						"default": error,
					}
				}
			});
			paths.insert(format!("/{name}/{}", endpoint.name), operation);
		}
	}
	json!({
		"openapi": "3.0.3",
		"info": {
			"title": "Micro Network gateway",
			"version": env!("CARGO_PKG_VERSION"),
			"description": "Every service this node's registry knows, callable over HTTP.",
		},
		"paths": paths,
		"components": { "schemas": { "MicroError": {
			"type": "object",
			"properties": {
				"id": { "type": "string" }, "code": { "type": "integer" },
				"detail": { "type": "string" }, "status": { "type": "string" },
			}
		} } }
	})
}

/// Orders versions numerically where they are numbers (`10` after `9`).
fn version_key(version: &str) -> (Vec<u64>, String) {
	let numbers = version
		.trim_start_matches('v')
		.split('.')
		.map_while(|part| part.parse::<u64>().ok())
		.collect();
	(numbers, version.to_owned())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn service(version: &str, endpoint: &str) -> registry::Service {
		let mut e = registry::Endpoint::new(endpoint, "Request", "Response");
		e.request.fields.push(registry::FieldDescription {
			number: 1,
			name: "name".into(),
			kind: "string".into(),
			repeated: false,
		});
		e.response.fields.push(registry::FieldDescription {
			number: 2,
			name: "tags".into(),
			kind: "uint64".into(),
			repeated: true,
		});
		registry::Service {
			description: registry::ServiceDescription {
				name: "greeter".into(),
				version: version.into(),
				endpoints: vec![e],
				metadata: Default::default(),
			},
			nodes: Vec::new(),
		}
	}

	#[test]
	fn openapi_describes_the_newest_version_of_each_service() {
		let document = openapi(&[service("9", "Say.Old"), service("10", "Say.Hello")]);
		let paths = document["paths"].as_object().unwrap();
		assert_eq!(paths.keys().collect::<Vec<_>>(), vec!["/greeter/Say.Hello"], "10 beats 9");
		let post = &paths["/greeter/Say.Hello"]["post"];
		let request = &post["requestBody"]["content"]["application/json"]["schema"];
		assert_eq!(request["properties"]["name"]["type"], "string");
		let response = &post["responses"]["200"]["content"]["application/json"]["schema"];
		assert_eq!(response["properties"]["tags"]["type"], "array");
		assert_eq!(response["properties"]["tags"]["items"]["type"], "integer");
		assert_eq!(document["openapi"], "3.0.3");
	}
}
