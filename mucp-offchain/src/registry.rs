//! The service registry: self-describing services, the nodes that run them, and TTL expiry.
//!
//! Each node registers the services it runs, one [`Registration`] per (service, version, node),
//! with a TTL it must refresh. An entry whose node stops refreshing expires on time
//! ([`Registry::expire`]) and drops out of every answer even before it is swept.
//!
//! Registries on different peers converge by exchanging [`Record`]s (the transport gossips
//! them): a record carries a sequence number set by the registering node, and for each key the
//! highest sequence wins, deregistrations included (kept as tombstones until their TTL ends), so
//! the order records arrive in does not matter. A record's TTL is relative (time left), so peers
//! need no common clock.

use std::{
	collections::{BTreeMap, HashMap},
	time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Free-form key/value metadata.
pub type Metadata = BTreeMap<String, String>;

/// One endpoint of a service, described well enough to call it without reading its code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
	/// The endpoint's name, such as `Say.Hello`.
	pub name: String,
	/// The request message type and its fields.
	pub request: TypeDescription,
	/// The response message type and its fields.
	pub response: TypeDescription,
	/// Anything else (for example `stream: true`).
	#[serde(default)]
	pub metadata: Metadata,
}

impl Endpoint {
	/// Endpoint `name` taking message type `request` and answering `response`, fields not
	/// described.
	pub fn new(name: &str, request: &str, response: &str) -> Self {
		let named = |name: &str| TypeDescription { name: name.to_owned(), fields: Vec::new() };
		Self {
			name: name.to_owned(),
			request: named(request),
			response: named(response),
			metadata: Metadata::new(),
		}
	}
}

/// A message type: its name and fields, protobuf style.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDescription {
	/// The message's name.
	pub name: String,
	/// Its fields.
	#[serde(default)]
	pub fields: Vec<FieldDescription>,
}

/// One field of a message type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDescription {
	/// The protobuf field number.
	pub number: u32,
	/// The field's name.
	pub name: String,
	/// Its type (`string`, `int64`, a message name, ...).
	pub kind: String,
	/// Whether it repeats.
	#[serde(default)]
	pub repeated: bool,
}

/// A node running a service: how to reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
	/// The node's libp2p peer id.
	pub id: String,
	/// Its multiaddrs.
	pub addresses: Vec<String>,
	/// Anything else.
	#[serde(default)]
	pub metadata: Metadata,
}

/// What a service says about itself, independent of the node running it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDescription {
	/// The service's name, such as `greeter`.
	pub name: String,
	/// Its version.
	pub version: String,
	/// Its endpoints.
	pub endpoints: Vec<Endpoint>,
	/// Anything else.
	#[serde(default)]
	pub metadata: Metadata,
}

/// A service as the registry answers for it: one version, and every live node running it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
	/// The description.
	#[serde(flatten)]
	pub description: ServiceDescription,
	/// The nodes running this version now.
	pub nodes: Vec<Node>,
}

/// What identifies a registration: service, version and node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
	/// The service's name.
	pub service: String,
	/// The version.
	pub version: String,
	/// The node's id.
	pub node: String,
}

/// One node's claim to run one version of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
	/// The service.
	pub service: ServiceDescription,
	/// The node.
	pub node: Node,
}

impl Registration {
	/// The registration's key.
	pub fn key(&self) -> Key {
		Key {
			service: self.service.name.clone(),
			version: self.service.version.clone(),
			node: self.node.id.clone(),
		}
	}
}

/// A registration (or its removal) as peers exchange it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
	/// The key.
	pub key: Key,
	/// Set by the registering node, higher for every change it makes to this key.
	pub sequence: u64,
	/// Time left until the entry expires, in milliseconds.
	pub ttl_ms: u64,
	/// The registration, or `None` for a deregistration.
	pub registration: Option<Registration>,
}

/// What changed in the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
	/// A node started running a service version.
	Registered(Key),
	/// A registration's description or addresses changed.
	Updated(Key),
	/// A node stopped running it.
	Deregistered(Key),
	/// A node stopped refreshing it and its TTL ran out.
	Expired(Key),
}

/// Why the registry refused something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
	/// The service has no name or version, or the node no id.
	Incomplete(&'static str),
	/// A TTL must be positive.
	ZeroTtl,
}

impl std::fmt::Display for RegistryError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Incomplete(what) => write!(f, "the registration has no {what}"),
			Self::ZeroTtl => write!(f, "a registration's TTL must be positive"),
		}
	}
}

impl std::error::Error for RegistryError {}

/// A registration the registry holds, or the tombstone of one.
#[derive(Clone, Debug)]
struct Entry {
	sequence: u64,
	expires_at: Instant,
	registration: Option<Registration>,
}

/// The registry of one peer.
pub struct Registry {
	entries: HashMap<Key, Entry>,
	events: broadcast::Sender<Event>,
}

impl Default for Registry {
	fn default() -> Self {
		Self::new()
	}
}

impl Registry {
	/// An empty registry.
	pub fn new() -> Self {
		Self { entries: HashMap::new(), events: broadcast::channel(1024).0 }
	}

	/// Every change from now on. A watcher that falls more than 1,024 events behind is told
	/// it lagged and should re-read the registry.
	pub fn watch(&self) -> broadcast::Receiver<Event> {
		self.events.subscribe()
	}

	fn emit(&self, event: Event) {
		let _ = self.events.send(event);
	}

	/// Registers (or refreshes) `registration` for `ttl` from `now`, as change `sequence` of
	/// its key, and returns the record to gossip. A sequence no higher than the one held is a
	/// refresh of the same claim.
	pub fn register(
		&mut self,
		registration: Registration,
		ttl: Duration,
		sequence: u64,
		now: Instant,
	) -> Result<Record, RegistryError> {
		if registration.service.name.is_empty() {
			return Err(RegistryError::Incomplete("service name"));
		}
		if registration.service.version.is_empty() {
			return Err(RegistryError::Incomplete("version"));
		}
		if registration.node.id.is_empty() {
			return Err(RegistryError::Incomplete("node id"));
		}
		if ttl.is_zero() {
			return Err(RegistryError::ZeroTtl);
		}
		let record = Record {
			key: registration.key(),
			sequence,
			ttl_ms: ttl.as_millis().min(u64::MAX as u128) as u64,
			registration: Some(registration),
		};
		self.apply(record.clone(), now);
		Ok(record)
	}

	/// Removes the registration at `key` as change `sequence`, and returns the record to
	/// gossip; the tombstone lasts `ttl`, long enough for every peer to hear of it.
	pub fn deregister(&mut self, key: Key, ttl: Duration, sequence: u64, now: Instant) -> Record {
		let record = Record {
			key,
			sequence,
			ttl_ms: ttl.as_millis().min(u64::MAX as u128) as u64,
			registration: None,
		};
		self.apply(record.clone(), now);
		record
	}

	/// Applies a record heard from a peer (or made here). Returns whether it changed anything:
	/// a record older than the one held is ignored, and the same sequence only extends the TTL.
	pub fn apply(&mut self, record: Record, now: Instant) -> bool {
		let expires_at = now + Duration::from_millis(record.ttl_ms);
		let live_before = self.live(&record.key, now).cloned();
		match self.entries.get_mut(&record.key) {
			Some(entry) if record.sequence < entry.sequence => return false,
			Some(entry) if record.sequence == entry.sequence => {
				if expires_at > entry.expires_at {
					entry.expires_at = expires_at;
				}
				return false;
			}
			_ => {}
		}
		let key = record.key.clone();
		self.entries.insert(
			record.key,
			Entry { sequence: record.sequence, expires_at, registration: record.registration },
		);
		let live_after = self.live(&key, now).cloned();
		match (live_before, live_after) {
			(None, Some(_)) => self.emit(Event::Registered(key)),
			(Some(before), Some(after)) if before != after => self.emit(Event::Updated(key)),
			(Some(_), None) => self.emit(Event::Deregistered(key)),
			_ => {}
		}
		true
	}

	/// The live registration at `key`, if any.
	fn live(&self, key: &Key, now: Instant) -> Option<&Registration> {
		self.entries
			.get(key)
			.filter(|entry| entry.expires_at > now)
			.and_then(|entry| entry.registration.as_ref())
	}

	/// Removes every entry whose TTL has run out by `now`, and returns the keys of the
	/// registrations that expired.
	pub fn expire(&mut self, now: Instant) -> Vec<Key> {
		let mut expired = Vec::new();
		self.entries.retain(|key, entry| {
			if entry.expires_at > now {
				return true;
			}
			if entry.registration.is_some() {
				expired.push(key.clone());
			}
			false
		});
		expired.sort();
		for key in &expired {
			self.emit(Event::Expired(key.clone()));
		}
		expired
	}

	/// How many entries are held, tombstones and expired ones not yet swept included.
	pub fn len(&self) -> usize {
		self.entries.len()
	}

	/// Whether nothing is held.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	/// Every live version of `name`, each with the nodes running it, newest version last.
	pub fn get(&self, name: &str, now: Instant) -> Vec<Service> {
		self.list(now).into_iter().filter(|s| s.description.name == name).collect()
	}

	/// Every live service version, by name and version.
	pub fn list(&self, now: Instant) -> Vec<Service> {
		let mut by_version: BTreeMap<(String, String), Service> = BTreeMap::new();
		let mut keys: Vec<&Key> = self.entries.keys().collect();
		keys.sort();
		for key in keys {
			let Some(registration) = self.live(key, now) else { continue };
			by_version
				.entry((key.service.clone(), key.version.clone()))
				.or_insert_with(|| Service {
					description: registration.service.clone(),
					nodes: Vec::new(),
				})
				.nodes
				.push(registration.node.clone());
		}
		by_version.into_values().collect()
	}

	/// Every entry as a record, with the TTL it has left at `now`: what a peer joining (or
	/// healing a partition) is sent to catch up.
	pub fn snapshot(&self, now: Instant) -> Vec<Record> {
		let mut records: Vec<Record> = self
			.entries
			.iter()
			.filter(|(_, entry)| entry.expires_at > now)
			.map(|(key, entry)| Record {
				key: key.clone(),
				sequence: entry.sequence,
				ttl_ms: entry.expires_at.saturating_duration_since(now).as_millis() as u64,
				registration: entry.registration.clone(),
			})
			.collect();
		records.sort_by(|a, b| a.key.cmp(&b.key));
		records
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const TTL: Duration = Duration::from_secs(30);

	fn greeter(version: &str, node: &str) -> Registration {
		Registration {
			service: ServiceDescription {
				name: "greeter".into(),
				version: version.into(),
				endpoints: vec![Endpoint {
					name: "Say.Hello".into(),
					request: TypeDescription {
						name: "Request".into(),
						fields: vec![FieldDescription {
							number: 1,
							name: "name".into(),
							kind: "string".into(),
							repeated: false,
						}],
					},
					response: TypeDescription { name: "Response".into(), fields: vec![] },
					metadata: Metadata::new(),
				}],
				metadata: Metadata::new(),
			},
			node: Node {
				id: node.into(),
				addresses: vec![format!("/ip4/127.0.0.1/tcp/1/p2p/{node}")],
				metadata: Metadata::new(),
			},
		}
	}

	fn nodes(services: &[Service]) -> Vec<(String, Vec<String>)> {
		services
			.iter()
			.map(|s| {
				(s.description.version.clone(), s.nodes.iter().map(|n| n.id.clone()).collect())
			})
			.collect()
	}

	#[test]
	fn registrations_group_by_version_with_their_nodes() {
		let now = Instant::now();
		let mut registry = Registry::new();
		registry.register(greeter("1", "a"), TTL, 1, now).unwrap();
		registry.register(greeter("1", "b"), TTL, 1, now).unwrap();
		registry.register(greeter("2", "a"), TTL, 1, now).unwrap();
		assert_eq!(
			nodes(&registry.get("greeter", now)),
			vec![("1".into(), vec!["a".into(), "b".into()]), ("2".into(), vec!["a".into()])]
		);
		assert_eq!(registry.get("nobody", now), vec![]);
		assert_eq!(registry.list(now).len(), 2);
		assert_eq!(registry.get("greeter", now)[0].description.endpoints[0].name, "Say.Hello");
	}

	#[test]
	fn an_unrefreshed_registration_expires_on_time() {
		let start = Instant::now();
		let mut registry = Registry::new();
		let mut events = registry.watch();
		registry.register(greeter("1", "a"), TTL, 1, start).unwrap();
		registry.register(greeter("1", "b"), TTL, 1, start).unwrap();
		// b refreshes, a does not.
		registry.register(greeter("1", "b"), TTL, 1, start + Duration::from_secs(20)).unwrap();
		let just_before = start + TTL - Duration::from_millis(1);
		assert_eq!(
			nodes(&registry.get("greeter", just_before)),
			vec![("1".into(), vec!["a".into(), "b".into()])]
		);
		let at_ttl = start + TTL;
		assert_eq!(nodes(&registry.get("greeter", at_ttl)), vec![("1".into(), vec!["b".into()])]);
		assert_eq!(registry.expire(at_ttl), vec![greeter("1", "a").key()]);
		assert_eq!(registry.expire(at_ttl), vec![]);
		let seen: Vec<Event> = std::iter::from_fn(|| events.try_recv().ok()).collect();
		assert_eq!(
			seen,
			vec![
				Event::Registered(greeter("1", "a").key()),
				Event::Registered(greeter("1", "b").key()),
				Event::Expired(greeter("1", "a").key()),
			]
		);
	}

	#[test]
	fn bad_registrations_are_refused() {
		let now = Instant::now();
		let mut registry = Registry::new();
		let mut nameless = greeter("1", "a");
		nameless.service.name.clear();
		assert_eq!(
			registry.register(nameless, TTL, 1, now),
			Err(RegistryError::Incomplete("service name"))
		);
		assert_eq!(
			registry.register(greeter("", "a"), TTL, 1, now),
			Err(RegistryError::Incomplete("version"))
		);
		assert_eq!(
			registry.register(greeter("1", ""), TTL, 1, now),
			Err(RegistryError::Incomplete("node id"))
		);
		assert_eq!(
			registry.register(greeter("1", "a"), Duration::ZERO, 1, now),
			Err(RegistryError::ZeroTtl)
		);
		assert!(registry.list(now).is_empty());
	}

	#[test]
	fn a_deregistration_removes_and_a_stale_record_cannot_bring_it_back() {
		let now = Instant::now();
		let mut registry = Registry::new();
		let old = registry.register(greeter("1", "a"), TTL, 1, now).unwrap();
		let mut events = registry.watch();
		registry.deregister(greeter("1", "a").key(), TTL, 2, now);
		assert!(registry.get("greeter", now).is_empty());
		assert!(!registry.apply(old, now), "the older registration is ignored");
		assert!(registry.get("greeter", now).is_empty());
		assert_eq!(events.try_recv().unwrap(), Event::Deregistered(greeter("1", "a").key()));
		registry.register(greeter("1", "a"), TTL, 3, now).unwrap();
		assert_eq!(registry.get("greeter", now).len(), 1);
	}

	#[test]
	fn changes_to_a_registration_are_updates() {
		let now = Instant::now();
		let mut registry = Registry::new();
		registry.register(greeter("1", "a"), TTL, 1, now).unwrap();
		let mut events = registry.watch();
		let mut moved = greeter("1", "a");
		moved.node.addresses = vec!["/ip4/10.0.0.1/tcp/2".into()];
		registry.register(moved, TTL, 2, now).unwrap();
		assert_eq!(events.try_recv().unwrap(), Event::Updated(greeter("1", "a").key()));
		assert_eq!(registry.get("greeter", now)[0].nodes[0].addresses, vec!["/ip4/10.0.0.1/tcp/2"]);
	}

	#[test]
	fn peers_converge_whatever_order_records_arrive_in() {
		let now = Instant::now();
		let mut origin = Registry::new();
		let mut records = vec![
			origin.register(greeter("1", "a"), TTL, 1, now).unwrap(),
			origin.register(greeter("1", "b"), TTL, 1, now).unwrap(),
			origin.deregister(greeter("1", "a").key(), TTL, 2, now),
			origin.register(greeter("2", "b"), TTL, 1, now).unwrap(),
			origin.register(greeter("1", "b"), TTL, 4, now).unwrap(),
		];
		let expected = origin.list(now);
		// Every rotation and the reverse of the record order.
		for rotation in 0..records.len() {
			records.rotate_left(1);
			for order in [records.clone(), records.iter().rev().cloned().collect()] {
				let mut peer = Registry::new();
				for record in order {
					peer.apply(record, now);
				}
				assert_eq!(peer.list(now), expected, "rotation {rotation}");
			}
		}
	}

	#[test]
	fn a_joining_peer_catches_up_from_a_snapshot_with_the_ttl_left() {
		let start = Instant::now();
		let mut origin = Registry::new();
		origin.register(greeter("1", "a"), TTL, 1, start).unwrap();
		let later = start + Duration::from_secs(10);
		let snapshot = origin.snapshot(later);
		assert_eq!(snapshot[0].ttl_ms, 20_000);
		let mut joiner = Registry::new();
		for record in snapshot {
			joiner.apply(record, later);
		}
		assert_eq!(joiner.list(later), origin.list(later));
		// It expires on the joiner when it does on the origin.
		let end = start + TTL;
		assert!(joiner.get("greeter", end).is_empty());
		assert_eq!(joiner.expire(end), vec![greeter("1", "a").key()]);
	}

	#[test]
	fn records_survive_json() {
		let now = Instant::now();
		let mut registry = Registry::new();
		let record = registry.register(greeter("1", "a"), TTL, 7, now).unwrap();
		let json = serde_json::to_string(&record).unwrap();
		assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), record);
	}
}
