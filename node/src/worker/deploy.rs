//! The services the chain places on this node, read from the chain's view functions at the
//! best block and handed to the library's placement reconciler
//! ([`mucp_offchain::hosting::Reconciler`]), which builds, checks, starts, retires and serves
//! them.

use micro_primitives::NodeId;
use micro_runtime::Runtime;
use mucp_offchain::{
	hosting::{Placed, PlacedVersion},
	registry,
};
use pallet_micro_services::{FieldKind, VersionStatus};

use super::chain::Chain;

fn field_kind(kind: FieldKind) -> &'static str {
	match kind {
		FieldKind::String => "string",
		FieldKind::Bytes => "bytes",
		FieldKind::Bool => "bool",
		FieldKind::Int64 => "int64",
		FieldKind::Uint64 => "uint64",
		FieldKind::Double => "double",
		FieldKind::Json => "json",
	}
}

fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// The services the chain places on `node` at the best block.
pub fn placed_on(chain: &Chain, node: NodeId) -> Result<Vec<Placed>, String> {
	use pallet_micro_services::{
		PlacementsViewFunction, ServiceViewFunction, ServicesOnViewFunction, VersionsViewFunction,
	};
	let (at, _) = chain.best();
	let mut placed = Vec::new();
	for service in chain.view(at, ServicesOnViewFunction::<Runtime>::new(node))? {
		let Some((info, _owner)) = chain.view(at, ServiceViewFunction::<Runtime>::new(service))?
		else {
			continue;
		};
		let placements = chain.view(at, PlacementsViewFunction::<Runtime>::new(service))?;
		let Some((_, here, _)) = placements.into_iter().find(|(n, _, _)| *n == node) else {
			continue;
		};
		let versions = chain.view(at, VersionsViewFunction::<Runtime>::new(service))?;
		let versions = versions
			.into_iter()
			.filter(|(v, _, status)| here.contains(v) && *status != VersionStatus::Retired)
			.map(|(version, info, _)| PlacedVersion {
				version,
				repository: text(&info.source.repository),
				reference: text(&info.source.reference),
				code_hash: info.code_hash.into(),
				endpoints: info
					.endpoints
					.iter()
					.map(|e| {
						let message = |m: &pallet_micro_services::MessageType<Runtime>| {
							registry::TypeDescription {
								name: text(&m.name),
								fields: m
									.fields
									.iter()
									.map(|f| registry::FieldDescription {
										number: f.number,
										name: text(&f.name),
										kind: field_kind(f.kind).into(),
										repeated: f.repeated,
									})
									.collect(),
							}
						};
						registry::Endpoint {
							name: text(&e.name),
							request: message(&e.request),
							response: message(&e.response),
							metadata: Default::default(),
						}
					})
					.collect(),
			})
			.collect();
		placed.push(Placed {
			service,
			name: text(&info.name),
			price_per_call: info.price_per_call,
			price_rise: info.price_rise,
			versions,
		});
	}
	Ok(placed)
}
