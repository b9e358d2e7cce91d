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
//!
//! The registry holds what strangers send it, so it checks and bounds it (whom to believe at
//! all is the [`authority`](crate::authority)'s call, made before a record gets here):
//! - a record whose body disagrees with its key (another node's id, another service's name or
//!   version) is refused ([`Record::check`]): it would otherwise list a node under a service
//!   it does not run, or hide a whole service version behind a wrong description;
//! - entries are bounded per node (in count and bytes), in total and in size
//!   ([`RegistryLimits`]), and names, versions and node ids in length ([`MAX_NAME_LEN`], as on
//!   chain): a peer cannot grow the registry without end, and a few registered nodes cannot
//!   fill it and have honest records refused as `Full`;
//! - an index by service answers [`Registry::get`] and [`Registry::nodes_of`] from that
//!   service's entries alone, without copying the whole registry per call.

use std::{
	collections::{BTreeMap, BTreeSet, HashMap},
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

impl Record {
	/// Whether the record is well formed: its registration (if any) is complete and says what
	/// its key says (same service, version and node).
	pub fn check(&self) -> Result<(), RegistryError> {
		if self.key.service.len() > MAX_NAME_LEN {
			return Err(RegistryError::TooLong("service name", MAX_NAME_LEN));
		}
		if self.key.version.len() > MAX_VERSION_LEN {
			return Err(RegistryError::TooLong("version", MAX_VERSION_LEN));
		}
		if self.key.node.len() > MAX_NODE_ID_LEN {
			return Err(RegistryError::TooLong("node id", MAX_NODE_ID_LEN));
		}
		if self.key.service.is_empty() {
			return Err(RegistryError::Incomplete("service name"));
		}
		if self.key.version.is_empty() {
			return Err(RegistryError::Incomplete("version"));
		}
		if self.key.node.is_empty() {
			return Err(RegistryError::Incomplete("node id"));
		}
		match &self.registration {
			Some(registration) if registration.key() != self.key => {
				Err(RegistryError::Inconsistent)
			}
			_ => Ok(()),
		}
	}

	/// Roughly how many bytes the record holds: its strings' lengths.
	pub fn size(&self) -> usize {
		let key = self.key.service.len() + self.key.version.len() + self.key.node.len();
		let Some(registration) = &self.registration else { return key };
		let metadata = |m: &Metadata| m.iter().map(|(k, v)| k.len() + v.len() + 16).sum::<usize>();
		let kind = |t: &TypeDescription| {
			t.name.len() + t.fields.iter().map(|f| f.name.len() + f.kind.len() + 16).sum::<usize>()
		};
		let service = &registration.service;
		let endpoints: usize = service
			.endpoints
			.iter()
			.map(|e| e.name.len() + kind(&e.request) + kind(&e.response) + metadata(&e.metadata))
			.sum();
		let node = &registration.node;
		key + service.name.len()
			+ service.version.len()
			+ endpoints
			+ metadata(&service.metadata)
			+ node.id.len()
			+ node.addresses.iter().map(|a| a.len() + 16).sum::<usize>()
			+ metadata(&node.metadata)
	}
}

/// Longest service name a record may carry, in bytes: the chain's (the runtime's
/// `MaxNameLen` of pallet-services), so no record names a service the chain could not place.
pub const MAX_NAME_LEN: usize = 64;
/// Longest version a record may carry, in bytes.
pub const MAX_VERSION_LEN: usize = 64;
/// Longest node id a record may carry, in bytes (a libp2p peer id's text is about 52).
pub const MAX_NODE_ID_LEN: usize = 128;

/// How much a registry holds at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistryLimits {
	/// Entries (registrations and tombstones) in all.
	pub max_entries: usize,
	/// Entries about one node.
	pub max_per_node: usize,
	/// The [size](Record::size) of one record.
	pub max_record_bytes: usize,
	/// The size of every entry together.
	pub max_total_bytes: usize,
	/// The size of one node's entries together: a few nodes cannot fill the registry.
	pub max_bytes_per_node: usize,
}

impl Default for RegistryLimits {
	/// 16,384 entries, 256 per node, 64 KiB each, 1 MiB per node, 64 MiB in all.
	fn default() -> Self {
		Self {
			max_entries: 16_384,
			max_per_node: 256,
			max_record_bytes: 64 * 1024,
			max_total_bytes: 64 * 1024 * 1024,
			max_bytes_per_node: 1024 * 1024,
		}
	}
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
	/// The service name, version or node id is longer than the bytes given.
	TooLong(&'static str, usize),
	/// A TTL must be positive.
	ZeroTtl,
	/// The registration's service, version or node is not the one its key names.
	Inconsistent,
	/// The record is larger than a record may be.
	TooLarge,
	/// The node already has as many entries as one node may.
	NodeFull,
	/// The registry holds as much as it may.
	Full,
}

impl std::fmt::Display for RegistryError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Incomplete(what) => write!(f, "the registration has no {what}"),
			Self::TooLong(what, most) => write!(f, "the {what} is longer than {most} bytes"),
			Self::ZeroTtl => write!(f, "a registration's TTL must be positive"),
			Self::Inconsistent => {
				write!(f, "the registration's service, version or node is not its key's")
			}
			Self::TooLarge => write!(f, "the record is larger than a record may be"),
			Self::NodeFull => {
				write!(f, "the node has as many registrations (or bytes) as one node may")
			}
			Self::Full => write!(f, "the registry is full"),
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
	size: usize,
}

/// The registry of one peer.
pub struct Registry {
	limits: RegistryLimits,
	entries: HashMap<Key, Entry>,
	/// The keys of each service's entries, in order.
	by_service: BTreeMap<String, BTreeSet<Key>>,
	/// How many entries each node has.
	per_node: HashMap<String, usize>,
	/// The size of each node's entries together.
	node_bytes: HashMap<String, usize>,
	/// The size of every entry together.
	bytes: usize,
	events: broadcast::Sender<Event>,
}

impl Default for Registry {
	fn default() -> Self {
		Self::new()
	}
}

impl Registry {
	/// An empty registry with the default limits.
	pub fn new() -> Self {
		Self::with_limits(RegistryLimits::default())
	}

	/// An empty registry holding at most what `limits` allow.
	pub fn with_limits(limits: RegistryLimits) -> Self {
		Self {
			limits,
			entries: HashMap::new(),
			by_service: BTreeMap::new(),
			per_node: HashMap::new(),
			node_bytes: HashMap::new(),
			bytes: 0,
			events: broadcast::channel(1024).0,
		}
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
		if ttl.is_zero() {
			return Err(RegistryError::ZeroTtl);
		}
		let record = Record {
			key: registration.key(),
			sequence,
			ttl_ms: ttl.as_millis().min(u64::MAX as u128) as u64,
			registration: Some(registration),
		};
		self.apply(record.clone(), now)?;
		Ok(record)
	}

	/// Removes the registration at `key` as change `sequence`, and returns the record to
	/// gossip; the tombstone lasts `ttl`, long enough for every peer to hear of it.
	/// A record the registry refuses (malformed, or no room) changes nothing.
	pub fn deregister(&mut self, key: Key, ttl: Duration, sequence: u64, now: Instant) -> Record {
		let record = Record {
			key,
			sequence,
			ttl_ms: ttl.as_millis().min(u64::MAX as u128) as u64,
			registration: None,
		};
		let _ = self.apply(record.clone(), now);
		record
	}

	/// Applies a record heard from a peer (or made here). Returns whether it changed anything:
	/// a record older than the one held is ignored, and the same sequence only extends the TTL.
	/// A malformed record, or one there is no room for, is refused and changes nothing.
	pub fn apply(&mut self, record: Record, now: Instant) -> Result<bool, RegistryError> {
		record.check()?;
		let size = record.size();
		if size > self.limits.max_record_bytes {
			return Err(RegistryError::TooLarge);
		}
		let expires_at = now + Duration::from_millis(record.ttl_ms);
		let live_before = self.live(&record.key, now).cloned();
		let held = match self.entries.get_mut(&record.key) {
			Some(entry) if record.sequence < entry.sequence => return Ok(false),
			Some(entry) if record.sequence == entry.sequence => {
				if expires_at > entry.expires_at {
					entry.expires_at = expires_at;
				}
				return Ok(false);
			}
			Some(entry) => entry.size,
			None => {
				let node = self.per_node.get(&record.key.node).copied().unwrap_or(0);
				if node >= self.limits.max_per_node {
					return Err(RegistryError::NodeFull);
				}
				if self.entries.len() >= self.limits.max_entries {
					return Err(RegistryError::Full);
				}
				0
			}
		};
		let node_bytes = self.node_bytes.get(&record.key.node).copied().unwrap_or(0);
		if node_bytes - held + size > self.limits.max_bytes_per_node {
			return Err(RegistryError::NodeFull);
		}
		if self.bytes - held + size > self.limits.max_total_bytes {
			return Err(RegistryError::Full);
		}
		let key = record.key.clone();
		let entry = Entry {
			sequence: record.sequence,
			expires_at,
			registration: record.registration,
			size,
		};
		if self.entries.insert(record.key, entry).is_none() {
			*self.per_node.entry(key.node.clone()).or_default() += 1;
			self.by_service.entry(key.service.clone()).or_default().insert(key.clone());
		}
		self.bytes = self.bytes - held + size;
		*self.node_bytes.entry(key.node.clone()).or_default() = node_bytes - held + size;
		let live_after = self.live(&key, now).cloned();
		match (live_before, live_after) {
			(None, Some(_)) => self.emit(Event::Registered(key)),
			(Some(before), Some(after)) if before != after => self.emit(Event::Updated(key)),
			(Some(_), None) => self.emit(Event::Deregistered(key)),
			_ => {}
		}
		Ok(true)
	}

	/// Takes `key`'s entry out of the maps and indices.
	fn remove(&mut self, key: &Key) -> Option<Entry> {
		let entry = self.entries.remove(key)?;
		self.bytes -= entry.size;
		if let Some(bytes) = self.node_bytes.get_mut(&key.node) {
			*bytes -= entry.size;
			if self.per_node.get(&key.node) == Some(&1) {
				self.node_bytes.remove(&key.node);
			}
		}
		if let Some(count) = self.per_node.get_mut(&key.node) {
			*count -= 1;
			if *count == 0 {
				self.per_node.remove(&key.node);
			}
		}
		if let Some(keys) = self.by_service.get_mut(&key.service) {
			keys.remove(key);
			if keys.is_empty() {
				self.by_service.remove(&key.service);
			}
		}
		Some(entry)
	}

	/// Drops every entry `keep` refuses (as when the chain no longer places a service on a
	/// node), and returns the keys of the live registrations dropped.
	pub fn retain(&mut self, now: Instant, mut keep: impl FnMut(&Key) -> bool) -> Vec<Key> {
		let mut dropped: Vec<Key> = self.entries.keys().filter(|key| !keep(key)).cloned().collect();
		dropped.sort();
		let mut live = Vec::new();
		for key in dropped {
			let was_live = self.live(&key, now).is_some();
			self.remove(&key);
			if was_live {
				self.emit(Event::Deregistered(key.clone()));
				live.push(key);
			}
		}
		live
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
		let ended: Vec<Key> = self
			.entries
			.iter()
			.filter(|(_, entry)| entry.expires_at <= now)
			.map(|(key, _)| key.clone())
			.collect();
		let mut expired = Vec::new();
		for key in ended {
			if self.remove(&key).is_some_and(|entry| entry.registration.is_some()) {
				expired.push(key);
			}
		}
		expired.sort();
		for key in &expired {
			self.emit(Event::Expired(key.clone()));
		}
		expired
	}

	/// Whether an entry (a registration or a tombstone) is held under `key`.
	pub fn holds(&self, key: &Key) -> bool {
		self.entries.contains_key(key)
	}

	/// How many entries are held, tombstones and expired ones not yet swept included.
	pub fn len(&self) -> usize {
		self.entries.len()
	}

	/// Whether nothing is held.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	/// Every live version of `name`, each with the nodes running it, by version.
	pub fn get(&self, name: &str, now: Instant) -> Vec<Service> {
		self.group(self.by_service.get(name).into_iter().flatten(), now)
	}

	/// The nodes running a live version of `name`, each with the version: what a call needs,
	/// read from the index without copying any description.
	pub fn nodes_of(&self, name: &str, now: Instant) -> Vec<(String, Node)> {
		self.by_service
			.get(name)
			.into_iter()
			.flatten()
			.filter_map(|key| Some((key.version.clone(), self.live(key, now)?.node.clone())))
			.collect()
	}

	/// Every live service version, by name and version.
	pub fn list(&self, now: Instant) -> Vec<Service> {
		self.group(self.by_service.values().flatten(), now)
	}

	/// The live registrations at `keys` (in order), grouped by service version.
	fn group<'a>(&self, keys: impl Iterator<Item = &'a Key>, now: Instant) -> Vec<Service> {
		let mut by_version: BTreeMap<(String, String), Service> = BTreeMap::new();
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
		assert!(!registry.apply(old, now).unwrap(), "the older registration is ignored");
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
					peer.apply(record, now).unwrap();
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
			joiner.apply(record, later).unwrap();
		}
		assert_eq!(joiner.list(later), origin.list(later));
		// It expires on the joiner when it does on the origin.
		let end = start + TTL;
		assert!(joiner.get("greeter", end).is_empty());
		assert_eq!(joiner.expire(end), vec![greeter("1", "a").key()]);
	}

	#[test]
	fn a_record_whose_body_is_not_its_keys_is_refused() {
		let now = Instant::now();
		let mut registry = Registry::new();
		let record = |key: (&str, &str, &str), body: Registration| Record {
			key: Key { service: key.0.into(), version: key.1.into(), node: key.2.into() },
			sequence: 1,
			ttl_ms: 30_000,
			registration: Some(body),
		};
		// Another node's id in the body, another version, another service's description.
		for forged in [
			record(("greeter", "1", "mallory"), greeter("1", "victim")),
			record(("greeter", "2", "mallory"), greeter("1", "mallory")),
			record(("aaa", "1", "mallory"), greeter("1", "mallory")),
		] {
			assert_eq!(registry.apply(forged, now), Err(RegistryError::Inconsistent));
		}
		assert_eq!(registry.len(), 0);
		assert!(registry.get("greeter", now).is_empty() && registry.get("aaa", now).is_empty());
		// A tombstone has no body to disagree with.
		let tombstone =
			Record { registration: None, ..record(("greeter", "1", "a"), greeter("1", "a")) };
		assert_eq!(registry.apply(tombstone, now), Ok(true));
	}

	#[test]
	fn the_registry_is_bounded_per_node_in_total_and_in_size() {
		let now = Instant::now();
		let limits = RegistryLimits {
			max_entries: 5,
			max_per_node: 3,
			max_record_bytes: 1024,
			max_total_bytes: 1 << 20,
			max_bytes_per_node: 1 << 20,
		};
		let mut registry = Registry::with_limits(limits);
		let named = |service: &str, node: &str| {
			let mut registration = greeter("1", node);
			registration.service.name = service.into();
			registration
		};
		for n in 0..3 {
			registry.register(named(&format!("s{n}"), "a"), TTL, 1, now).unwrap();
		}
		assert_eq!(registry.register(named("s3", "a"), TTL, 1, now), Err(RegistryError::NodeFull));
		// A newer record of a key held still fits.
		registry.register(named("s0", "a"), TTL, 2, now).unwrap();
		registry.register(named("s0", "b"), TTL, 1, now).unwrap();
		registry.register(named("s1", "b"), TTL, 1, now).unwrap();
		assert_eq!(registry.register(named("s0", "c"), TTL, 1, now), Err(RegistryError::Full));
		assert_eq!(registry.len(), 5);
		let mut huge = named("s9", "d");
		huge.service.metadata.insert("padding".into(), "x".repeat(2048));
		assert_eq!(
			Registry::new().register(huge.clone(), TTL, 1, now).map(drop),
			Ok(()),
			"the default allows it"
		);
		registry.expire(now + TTL);
		assert_eq!(registry.len(), 0, "expiry makes room again");
		assert_eq!(registry.register(huge, TTL, 1, now), Err(RegistryError::TooLarge));
		let one = Registry::new().register(named("s0", "a"), TTL, 1, now).unwrap().size();
		let tight = RegistryLimits { max_total_bytes: one + 1, ..limits };
		let mut registry = Registry::with_limits(tight);
		registry.register(named("s0", "a"), TTL, 1, now).unwrap();
		assert_eq!(registry.register(named("s1", "a"), TTL, 1, now), Err(RegistryError::Full));
	}

	#[test]
	fn one_node_cannot_fill_the_registry_with_bytes() {
		let now = Instant::now();
		let one = Registry::new().register(greeter("1", "a"), TTL, 1, now).unwrap().size();
		let limits = RegistryLimits { max_bytes_per_node: one * 2, ..RegistryLimits::default() };
		let mut registry = Registry::with_limits(limits);
		for version in ["1", "2"] {
			registry.register(greeter(version, "a"), TTL, 1, now).unwrap();
		}
		assert_eq!(registry.register(greeter("3", "a"), TTL, 1, now), Err(RegistryError::NodeFull));
		registry.register(greeter("3", "b"), TTL, 1, now).unwrap();
		// A newer record of a key held, of the same size, still fits; expiry gives bytes back.
		registry.register(greeter("1", "a"), TTL, 2, now).unwrap();
		registry.expire(now + TTL);
		registry.register(greeter("3", "a"), TTL, 1, now + TTL).unwrap();
	}

	#[test]
	fn names_versions_and_node_ids_are_bounded_like_the_chains() {
		let now = Instant::now();
		let mut registry = Registry::new();
		let tombstone = |service: String, version: String, node: String| Record {
			key: Key { service, version, node },
			sequence: 1,
			ttl_ms: 30_000,
			registration: None,
		};
		let long = |n: usize| "x".repeat(n);
		for (record, error) in [
			(
				tombstone(long(MAX_NAME_LEN + 1), "1".into(), "a".into()),
				RegistryError::TooLong("service name", MAX_NAME_LEN),
			),
			(
				tombstone("s".into(), long(MAX_VERSION_LEN + 1), "a".into()),
				RegistryError::TooLong("version", MAX_VERSION_LEN),
			),
			(
				tombstone("s".into(), "1".into(), long(MAX_NODE_ID_LEN + 1)),
				RegistryError::TooLong("node id", MAX_NODE_ID_LEN),
			),
		] {
			assert_eq!(registry.apply(record, now), Err(error));
		}
		assert_eq!(registry.len(), 0);
		let longest = tombstone(long(MAX_NAME_LEN), long(MAX_VERSION_LEN), long(MAX_NODE_ID_LEN));
		assert_eq!(registry.apply(longest, now), Ok(true));
		assert_eq!(
			RegistryError::TooLong("version", 64).to_string(),
			"the version is longer than 64 bytes"
		);
	}

	#[test]
	fn the_index_answers_one_service_and_follows_expiry_and_retain() {
		let start = Instant::now();
		let mut registry = Registry::new();
		registry.register(greeter("1", "a"), TTL, 1, start).unwrap();
		registry.register(greeter("2", "b"), TTL, 1, start).unwrap();
		let mut other = greeter("1", "a");
		other.service.name = "other".into();
		registry.register(other, TTL / 2, 1, start).unwrap();
		let nodes: Vec<(String, String)> =
			registry.nodes_of("greeter", start).into_iter().map(|(v, n)| (v, n.id)).collect();
		assert_eq!(nodes, vec![("1".into(), "a".into()), ("2".into(), "b".into())]);
		assert_eq!(registry.get("other", start).len(), 1);
		registry.expire(start + TTL / 2);
		assert!(registry.get("other", start + TTL / 2).is_empty());
		assert!(registry.nodes_of("other", start).is_empty(), "swept from the index");
		let mut events = registry.watch();
		let dropped = registry.retain(start, |key| key.node != "b");
		assert_eq!(dropped, vec![greeter("2", "b").key()]);
		assert_eq!(events.try_recv().unwrap(), Event::Deregistered(greeter("2", "b").key()));
		assert_eq!(nodes_of_ids(&registry, "greeter", start), vec!["a".to_owned()]);
		assert_eq!(registry.len(), 1);
	}

	fn nodes_of_ids(registry: &Registry, name: &str, now: Instant) -> Vec<String> {
		registry.nodes_of(name, now).into_iter().map(|(_, node)| node.id).collect()
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
