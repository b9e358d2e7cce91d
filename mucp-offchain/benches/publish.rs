//! Publish throughput by delivery mode: messages per second from the first publish until the
//! subscriber holds the last, to a subscriber on the same peer and on another peer, at 128 B
//! and 4 KiB.
//!
//! - **durable, one at a time**: `Peer::publish` awaited before the next (stored, acknowledged);
//! - **durable, pipelined**: a `Publisher` sending without waiting, then `flush` (commits shared);
//! - **core, pipelined**: a core `Publisher` (at most once, nothing stored), then `flush`.
//!
//! Run with `cargo bench -p mucp-offchain --bench publish`; `BENCH_QUICK=1` runs a tenth of the
//! messages. Figures on a shared machine are a direction, not a result.

use std::time::{Duration, Instant};

use mucp_offchain::{
	broker::{BrokerConfig, DeliveryMode},
	peer::{Peer, PeerConfig, PublishOptions, Subscription},
};

/// Body sizes measured, in bytes.
const SIZES: [usize; 2] = [128, 4096];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
	DurableOneByOne,
	DurablePipelined,
	CorePipelined,
}

impl Way {
	fn name(self) -> &'static str {
		match self {
			Self::DurableOneByOne => "durable, one at a time",
			Self::DurablePipelined => "durable, pipelined",
			Self::CorePipelined => "core, pipelined",
		}
	}
}

async fn peer(dir: &tempfile::TempDir, name: &str, bootstrap: Option<&Peer>) -> Peer {
	let mut config = PeerConfig::new(dir.path().join(format!("{name}.redb")));
	config.call_timeout = Duration::from_secs(30);
	config.authority = mucp_offchain::authority::trust_all();
	config.broker = BrokerConfig { subscriber_buffer: 8192, ..BrokerConfig::default() };
	if let Some(bootstrap) = bootstrap {
		config.bootstrap = bootstrap.addresses();
	}
	Peer::start(config).await.expect("the peer starts")
}

/// Messages per second publishing `count` messages of `size` bytes from `publisher` to
/// `subscription` (subscribed to `topic`) in `way`.
async fn measure(
	publisher: &Peer,
	subscription: &mut Subscription,
	topic: &str,
	way: Way,
	size: usize,
	count: usize,
) -> f64 {
	let payload = vec![0x0a_u8; size];
	let start = Instant::now();
	let receiving = async {
		for _ in 0..count {
			let next = tokio::time::timeout(Duration::from_secs(30), subscription.next());
			let delivery = next.await.expect("a delivery within 30 s").expect("a delivery");
			subscription.ack(&delivery).expect("acknowledged");
		}
		start.elapsed()
	};
	let publishing = async {
		match way {
			Way::DurableOneByOne => {
				for _ in 0..count {
					publisher.publish(topic, payload.clone()).await.expect("published");
				}
			}
			Way::DurablePipelined | Way::CorePipelined => {
				let delivery = if way == Way::CorePipelined {
					DeliveryMode::Core
				} else {
					DeliveryMode::Durable
				};
				let options = PublishOptions { delivery };
				let mut sender = publisher.publisher(topic, options).expect("a publisher");
				for _ in 0..count {
					sender.send(payload.clone()).await.expect("published");
				}
				sender.flush().await.expect("flushed");
			}
		}
	};
	let (elapsed, ()) = tokio::join!(receiving, publishing);
	count as f64 / elapsed.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
	let count = if std::env::var_os("BENCH_QUICK").is_some() { 2_000 } else { 20_000 };
	let dir = tempfile::tempdir().expect("a temporary directory");
	let server = peer(&dir, "server", None).await;
	let client = peer(&dir, "client", Some(&server)).await;
	println!("publish, {count} messages each: messages per second");
	println!("{:<24} {:>6} {:>14} {:>14}", "way", "bytes", "same peer", "other peer");
	for size in SIZES {
		for way in [Way::DurableOneByOne, Way::DurablePipelined, Way::CorePipelined] {
			let topic = format!("bench-{size}-{way:?}");
			let mut local = client.subscribe(&format!("{topic}-local"), None).expect("subscribed");
			let same =
				measure(&client, &mut local, &format!("{topic}-local"), way, size, count).await;
			drop(local);
			let mut remote = server.subscribe(&topic, None).expect("subscribed");
			while client.listeners(&topic).await.is_empty() {
				tokio::time::sleep(Duration::from_millis(20)).await;
			}
			let other = measure(&client, &mut remote, &topic, way, size, count).await;
			drop(remote);
			println!("{:<24} {:>6} {:>14.0} {:>14.0}", way.name(), size, same, other);
		}
	}
}
