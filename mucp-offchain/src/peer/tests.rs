//! Tests across the peer's concerns, and the helpers the other files' tests share.

use super::*;

pub(super) async fn lone_peer(dir: &tempfile::TempDir) -> Peer {
	let mut config = PeerConfig::new(dir.path().join("broker.redb"));
	config.limits.max_body = 1024;
	config.limits.max_frame = 2048;
	Peer::start(config).await.unwrap()
}

pub(super) fn echo() -> Service {
	Service::new("echo", "1.0.0")
		.call(
			Endpoint::new("Echo.Call", "Bytes", "Bytes"),
			|request| async move { Ok(request.body) },
		)
		.call(Endpoint::new("Echo.Panic", "Bytes", "Bytes"), |_| async move {
			panic!("a handler's bug")
		})
		.stream(Endpoint::new("Echo.Stream", "Bytes", "Bytes"), |_, mut stream| async move {
			while let Some(Ok(message)) = stream.recv().await {
				let _ = stream.send(message.body).await;
			}
		})
}

#[tokio::test]
async fn a_service_on_this_node_is_called_and_streamed_without_the_network() {
	let dir = tempfile::tempdir().unwrap();
	let peer = lone_peer(&dir).await;
	peer.serve(echo()).unwrap();
	let described = &peer.service("echo")[0].description;
	let endpoints: Vec<&str> = described.endpoints.iter().map(|e| e.name.as_str()).collect();
	assert_eq!(endpoints, vec!["Echo.Call", "Echo.Panic", "Echo.Stream"]);
	assert_eq!(described.endpoints[2].metadata.get("stream").map(String::as_str), Some("true"));

	let reply = peer.call("echo", "Echo.Call", br#"{"a":1}"#.to_vec()).await.unwrap();
	assert_eq!(reply.body, br#"{"a":1}"#);
	let panicked = peer.call("echo", "Echo.Panic", Vec::new()).await.unwrap_err();
	assert_eq!((panicked.code, panicked.detail.as_str()), (500, "the handler panicked"));
	let mut stream = peer.stream("echo", "Echo.Stream").await.unwrap();
	stream.send(b"\x0a\x01x".to_vec()).await.unwrap();
	assert_eq!(stream.recv().await.unwrap().unwrap().body, b"\x0a\x01x");
	stream.finish();
	assert!(stream.recv().await.is_none());
}

#[tokio::test]
async fn a_shared_peer_closes_gracefully_withdrawing_its_services() {
	let dir = tempfile::tempdir().unwrap();
	let peer = Arc::new(lone_peer(&dir).await);
	peer.serve(echo()).unwrap();
	assert_eq!(peer.service("echo").len(), 1);
	let closing = peer.clone();
	tokio::spawn(async move { closing.close().await }).await.unwrap();
	assert!(peer.service("echo").is_empty(), "withdrawn");
	assert_eq!(
		peer.call("echo", "Echo.Call", Vec::new()).await.unwrap_err().code,
		404,
		"no node runs it"
	);
}
