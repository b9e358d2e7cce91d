//! The gateway among web pages, as an attacker's page would try it: another site forging calls
//! and publications through the user's browser, a rebound DNS name reaching a loopback or a
//! LAN//! gateway, and what an allowed origin and the gateway's own console get.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use mucp_offchain::{
	gateway::{Gateway, GatewayConfig, Site},
	peer::{Peer, PeerConfig, Service},
	registry::Endpoint,
};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpStream,
};

const ALLOWED: &str = "https://app.example";

struct Answer {
	status: u16,
	head: String,
	body: String,
}

impl Answer {
	/// The value of header `name` (lower case), if the answer has it.
	fn header(&self, name: &str) -> Option<&str> {
		self.head.lines().find_map(|line| {
			let (key, value) = line.split_once(':')?;
			key.eq_ignore_ascii_case(name).then(|| value.trim())
		})
	}
}

/// Sends `method path` with `headers` (each `Name: value`) and `body`, and reads the answer.
async fn send(
	address: SocketAddr,
	method: &str,
	path: &str,
	headers: &[&str],
	body: &str,
) -> Answer {
	let mut stream = TcpStream::connect(address).await.unwrap();
	let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
	for header in headers {
		request.push_str(header);
		request.push_str("\r\n");
	}
	request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut answer = Vec::new();
	tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
		.await
		.expect("the gateway answers within 10 s")
		.unwrap();
	let text = String::from_utf8_lossy(&answer).into_owned();
	let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
	let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	Answer { status, head: head.to_owned(), body: body.to_owned() }
}

async fn gateway(dir: &tempfile::TempDir) -> (Arc<Peer>, Gateway) {
	gateway_on(dir, "127.0.0.1:0").await
}

async fn gateway_on(dir: &tempfile::TempDir, listen: &str) -> (Arc<Peer>, Gateway) {
	let peer =
		Arc::new(Peer::start(PeerConfig::new(dir.path().join("broker.redb"))).await.unwrap());
	let echo =
		Service::new("echo", "1")
			.call(Endpoint::new("Echo.Call", "Bytes", "Bytes"), |request| async move {
				Ok(request.body)
			});
	peer.serve(echo).unwrap();
	let site = Site::new([
		("index.html", &b"<!doctype html><script src=/_/app/main.js></script>"[..]),
		("main.js", &b"console.log('console')"[..]),
	])
	.with_settings(serde_json::json!({ "rpc": "ws://127.0.0.1:9944" }));
	let config = GatewayConfig {
		listen: listen.parse().unwrap(),
		cors: vec![ALLOWED.to_owned()],
		site: Some(Arc::new(site)),
		..GatewayConfig::default()
	};
	let gateway = Gateway::start(peer.clone(), config).await.unwrap();
	(peer, gateway)
}

#[tokio::test]
async fn another_sites_page_cannot_publish_or_call_through_the_users_browser() {
	let dir = tempfile::tempdir().unwrap();
	let (peer, gateway) = gateway(&dir).await;
	let address = gateway.address();
	let host = format!("Host: {address}");
	let mut news = peer.subscribe("news", None).unwrap();

	// A form on evil.example posting to the user's gateway: a "simple" request, sent by the
	// browser without asking, with its Origin.
	let forged = send(
		address,
		"POST",
		"/_/publish/news",
		&[&host, "Origin: https://evil.example", "Content-Type: text/plain"],
		r#"{"forged":true}"#,
	)
	.await;
	assert_eq!(forged.status, 403, "{}", forged.body);
	assert!(forged.body.contains("--gateway-cors https://evil.example"), "{}", forged.body);
	let call = send(
		address,
		"POST",
		"/echo/Echo.Call",
		&[&host, "Origin: https://evil.example"],
		r#"{"a":1}"#,
	)
	.await;
	assert_eq!(call.status, 403);
	assert!(call.header("access-control-allow-origin").is_none());

	// The console's own page publishes: the subscriber's first message is that one, so the
	// forged one never reached the topic.
	let own = send(
		address,
		"POST",
		"/_/publish/news",
		&[&host, &format!("Origin: http://{address}")],
		r#"{"own":true}"#,
	)
	.await;
	assert_eq!(own.status, 202, "{}", own.body);
	let first = tokio::time::timeout(Duration::from_secs(10), news.next()).await.unwrap().unwrap();
	assert_eq!(first.message.body, br#"{"own":true}"#.to_vec());

	// An image tag sends no Origin, but the browser says the request is cross-site.
	let image = send(
		address,
		"GET",
		"/_/subscribe/news",
		&[&host, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors"],
		"",
	)
	.await;
	assert_eq!(image.status, 403);
	gateway.shutdown().await;
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_and_a_rebound_name_gets_nothing() {
	let dir = tempfile::tempdir().unwrap();
	let (_peer, gateway) = gateway(&dir).await;
	let address = gateway.address();
	let host = format!("Host: {address}");
	let origin = format!("Origin: {ALLOWED}");

	let preflight = send(
		address,
		"OPTIONS",
		"/echo/Echo.Call",
		&[
			&host,
			&origin,
			"Access-Control-Request-Method: POST",
			"Access-Control-Request-Headers: content-type, micro-allowance",
		],
		"",
	)
	.await;
	assert_eq!(preflight.status, 204);
	assert_eq!(preflight.header("access-control-allow-origin"), Some(ALLOWED));
	let allowed_headers = preflight.header("access-control-allow-headers").unwrap();
	assert!(allowed_headers.contains("Micro-Allowance"), "{allowed_headers}");
	let refused_preflight = send(
		address,
		"OPTIONS",
		"/echo/Echo.Call",
		&[&host, "Origin: https://evil.example", "Access-Control-Request-Method: POST"],
		"",
	)
	.await;
	assert_eq!(refused_preflight.status, 403);

	let call = send(
		address,
		"POST",
		"/echo/Echo.Call",
		&[&host, &origin, "Content-Type: application/json"],
		r#"{"a":1}"#,
	)
	.await;
	assert_eq!(call.status, 200, "{}", call.body);
	assert_eq!(call.body, r#"{"a":1}"#);
	assert_eq!(call.header("access-control-allow-origin"), Some(ALLOWED));
	assert_eq!(call.header("access-control-expose-headers"), Some("Micro-Error"));

	// evil.example resolved to 127.0.0.1 after its page loaded: to the browser, its requests
	// are same-origin, but they name evil.example.
	let rebound = send(
		address,
		"POST",
		"/echo/Echo.Call",
		&["Host: evil.example:8080", "Origin: http://evil.example:8080"],
		r#"{"a":1}"#,
	)
	.await;
	assert_eq!(rebound.status, 403);
	assert!(rebound.body.contains("DNS rebinding"), "{}", rebound.body);
	let rebound_read =
		send(address, "GET", "/openapi.json", &["Host: evil.example:8080"], "").await;
	assert_eq!(rebound_read.status, 403);
	gateway.shutdown().await;
}

#[tokio::test]
async fn the_console_is_served_from_memory_with_its_settings() {
	let dir = tempfile::tempdir().unwrap();
	let (_peer, gateway) = gateway(&dir).await;
	let address = gateway.address();
	let host = format!("Host: {address}");

	let page = send(address, "GET", "/", &[&host], "").await;
	assert_eq!(page.status, 200);
	assert!(page.body.starts_with("<!doctype html>"), "{}", page.body);
	assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
	assert!(page.header("content-security-policy").unwrap().contains("script-src 'self'"));
	assert_eq!(page.header("x-frame-options"), Some("DENY"));

	let script = send(address, "GET", "/_/app/main.js", &[&host], "").await;
	assert_eq!(script.status, 200);
	assert_eq!(script.body, "console.log('console')");
	let etag = script.header("etag").unwrap().to_owned();
	let cached =
		send(address, "GET", "/_/app/main.js", &[&host, &format!("If-None-Match: {etag}")], "")
			.await;
	assert_eq!(cached.status, 304);
	assert_eq!(cached.body, "");

	let settings = send(address, "GET", "/_/site.json", &[&host], "").await;
	let settings: serde_json::Value = serde_json::from_str(&settings.body).unwrap();
	assert_eq!(settings["rpc"], "ws://127.0.0.1:9944");

	for path in ["/_/app/../Cargo.toml", "/_/app/%2e%2e%2fCargo.toml", "/_/app/missing.js"] {
		let missing = send(address, "GET", path, &[&host], "").await;
		assert_eq!(missing.status, 404, "{path}: {}", missing.body);
	}
	gateway.shutdown().await;
}

#[tokio::test]
async fn a_rebound_name_cannot_reach_a_gateway_listening_on_every_interface() {
	let dir = tempfile::tempdir().unwrap();
	let (peer, gateway) = gateway_on(&dir, "0.0.0.0:0").await;
	let address: SocketAddr = ([127, 0, 0, 1], gateway.address().port()).into();
	let mut secrets = peer.subscribe("secrets", None).unwrap();

	// evil.example now resolves to this machine: its page's requests are same-origin to the
	// browser, but they name evil.example.
	let rebound_host = format!("Host: evil.example:{}", address.port());
	let rebound_origin = format!("Origin: http://evil.example:{}", address.port());
	let publish = send(
		address,
		"POST",
		"/_/publish/secrets",
		&[&rebound_host, &rebound_origin],
		r#"{"from":"evil"}"#,
	)
	.await;
	assert_eq!(publish.status, 403, "{}", publish.body);
	let read = send(address, "GET", "/_/subscribe/secrets", &[&rebound_host], "").await;
	assert_eq!(read.status, 403);

	// Reached by its address, the gateway serves as before; the subscriber's first message is
	// that one, so the rebound publication never reached the topic.
	let host = format!("Host: {address}");
	let own = send(address, "POST", "/_/publish/secrets", &[&host], r#"{"from":"own"}"#).await;
	assert_eq!(own.status, 202, "{}", own.body);
	let first =
		tokio::time::timeout(Duration::from_secs(10), secrets.next()).await.unwrap().unwrap();
	assert_eq!(first.message.body, br#"{"from":"own"}"#.to_vec());
	gateway.shutdown().await;
}

#[tokio::test]
async fn an_origin_list_that_would_allow_every_sandboxed_page_is_refused_at_start() {
	let dir = tempfile::tempdir().unwrap();
	let peer =
		Arc::new(Peer::start(PeerConfig::new(dir.path().join("broker.redb"))).await.unwrap());
	let config = GatewayConfig {
		listen: "127.0.0.1:0".parse().unwrap(),
		cors: vec!["null".to_owned()],
		..GatewayConfig::default()
	};
	let error = Gateway::start(peer, config).await.err().expect("refused");
	assert!(error.to_string().contains("--gateway-cors `null`"), "{error}");
}
