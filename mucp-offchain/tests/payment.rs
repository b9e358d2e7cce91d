//! Payment between two MUCP peers on loopback: a node serving a priced service through the
//! settlement meter, and a node calling it on its operator's free quota. Concurrent calls at
//! the edge of the quota, a handler slower than its caller's deadline, and a retried
//! `Micro-Id`: nobody is served or charged more than once, or past what they may spend.

use std::{
	future::Future,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use micro_primitives::NodeId;
use mucp_offchain::{
	peer::{CallOptions, Peer, PeerConfig, Service},
	protocol::Message,
	registry::Endpoint,
	settlement::{AccountId, BlockNumber, ChainView, Ledger, Meter, Priced},
};
use tempfile::TempDir;

/// How long anything that should happen is waited for.
const PATIENCE: Duration = Duration::from_secs(20);
/// The calling node's operator.
const OPERATOR: [u8; 32] = [9; 32];
/// The free calls the operator reserved on chain for the serving node.
const FREE_CALLS: u32 = 3;

/// The chain as the serving node sees it: registered, every peer operated by [`OPERATOR`].
struct Chain;

impl ChainView for Chain {
	fn genesis(&self) -> [u8; 32] {
		[7; 32]
	}
	fn best_block(&self) -> BlockNumber {
		10
	}
	fn node_id(&self) -> Option<NodeId> {
		Some(3)
	}
	fn tokens_of(&self, _: &AccountId) -> u128 {
		0
	}
	fn held_for(&self, _: &AccountId, _: NodeId) -> (u128, BlockNumber) {
		(0, 0)
	}
	fn revoked_up_to(&self, _: &AccountId, _: NodeId) -> Result<Option<u64>, String> {
		Ok(None)
	}
	fn operator_of_peer(&self, _: &str) -> Option<AccountId> {
		Some(AccountId::new(OPERATOR))
	}
	fn free_calls_reserved(&self, _: &AccountId, _: NodeId) -> (u32, u64) {
		(FREE_CALLS, 1)
	}
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
	F: FnMut() -> Fut,
	Fut: Future<Output = bool>,
{
	let deadline = Instant::now() + PATIENCE;
	while !check().await {
		assert!(Instant::now() < deadline, "timed out waiting until {what}");
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
}

struct Net {
	_dir: TempDir,
	server: Peer,
	caller: Peer,
	meter: Arc<Meter>,
	runs: Arc<AtomicUsize>,
}

fn free_used(meter: &Meter) -> u32 {
	meter.ledger().free_used(&AccountId::new(OPERATOR), 1)
}

/// A server running `metered` (its `Work.Do` sleeps as many milliseconds as its body says,
/// then answers `done`), behind a meter; a caller joined to it that sees the service.
async fn net() -> Net {
	let dir = tempfile::tempdir().unwrap();
	let ledger = Ledger::open(&dir.path().join("usage.redb")).unwrap();
	let meter = Arc::new(Meter::new(ledger, Arc::new(Chain), 20));
	let runs = Arc::new(AtomicUsize::new(0));
	let priced = Priced { service: 0, price_per_call: 10, price_rise: None };
	let (handler_meter, handler_runs) = (meter.clone(), runs.clone());
	let service = Service::new("metered", "1.0.0").call(
		Endpoint::new("Work.Do", "Millis", "Done"),
		move |request: Message| {
			let (meter, runs) = (handler_meter.clone(), handler_runs.clone());
			async move {
				let millis: u64 = String::from_utf8_lossy(&request.body).trim().parse().unwrap();
				let work = async {
					runs.fetch_add(1, Ordering::SeqCst);
					tokio::time::sleep(Duration::from_millis(millis)).await;
					Ok(b"done".to_vec())
				};
				meter.serve(&request, priced, 1, work).await
			}
		},
	);
	let server = Peer::start(PeerConfig::new(dir.path().join("server.redb"))).await.unwrap();
	server.serve(service).unwrap();
	let mut config = PeerConfig::new(dir.path().join("caller.redb"));
	config.bootstrap = server.addresses();
	// Two loopback peers with no chain: the caller believes the server's announcements.
	config.authority = mucp_offchain::authority::trust_all();
	let caller = Peer::start(config).await.unwrap();
	eventually("the caller sees the metered service", || async {
		!caller.service("metered").is_empty()
	})
	.await;
	Net { _dir: dir, server, caller, meter, runs }
}

fn work(id: &str, millis: u64) -> Message {
	Message::call(id, "metered", "Work.Do", millis.to_string().into_bytes())
}

fn waiting(timeout: Duration) -> CallOptions {
	CallOptions { timeout, retries: 0 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_at_the_edge_of_the_free_quota_are_served_exactly_up_to_it() {
	let net = net().await;
	let calls = (0..10).map(|n| {
		let request = work(&format!("edge-{n}"), 50);
		net.caller.call_with(request, waiting(Duration::from_secs(10)))
	});
	let outcomes = futures::future::join_all(calls).await;
	let served = outcomes.iter().filter(|o| o.is_ok()).count();
	assert_eq!(served, FREE_CALLS as usize);
	for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
		assert_eq!(refused.code, 402, "{refused:?}");
		assert!(refused.detail.contains("free quota for this period is used up"));
	}
	assert_eq!(free_used(&net.meter), FREE_CALLS);
	drop(net.server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_slower_than_the_callers_deadline_is_not_charged() {
	let net = net().await;
	let late = net.caller.call_with(work("late-1", 3_000), waiting(Duration::from_millis(500)));
	let late = late.await.unwrap_err();
	assert_eq!(late.code, 408, "{late:?}");
	eventually("the server stopped the late call", || async {
		net.runs.load(Ordering::SeqCst) == 1 && net.meter.ledger().reserved() == 0
	})
	.await;
	assert_eq!(free_used(&net.meter), 0, "not charged");

	let reply = net.caller.call_with(work("quick-1", 0), waiting(Duration::from_secs(10))).await;
	assert_eq!(reply.unwrap().body, b"done");
	assert_eq!(free_used(&net.meter), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_micro_id_is_served_and_charged_once() {
	let net = net().await;
	let options = waiting(Duration::from_secs(10));
	let first = net.caller.call_with(work("retry-1", 10), options).await.unwrap();
	let retry = net.caller.call_with(work("retry-1", 10), options).await.unwrap();
	assert_eq!((first.body.as_slice(), retry.body.as_slice()), (&b"done"[..], &b"done"[..]));
	assert_eq!(net.runs.load(Ordering::SeqCst), 1, "served once");
	assert_eq!(free_used(&net.meter), 1, "charged once");

	let other = net.caller.call_with(work("retry-1", 20), options).await.unwrap_err();
	assert_eq!(other.code, 409, "another request under the same Micro-Id: {other:?}");
}
