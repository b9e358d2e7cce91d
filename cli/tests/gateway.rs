//! The HTTP gateway and `micro`'s client of it, against a real MUCP peer on loopback: calls,
//! errors, streams, publish and subscribe with the inbox, and the OpenAPI document.

use std::{sync::Arc, time::Duration};

use micro_cli::gateway::{Gateway as Client, GatewayError};
use mucp_offchain::{
	gateway::{Gateway, GatewayConfig},
	peer::{Peer, PeerConfig, Service},
	registry::{Endpoint, FieldDescription},
	settlement::CALLER_HEADER,
};
use serde_json::{json, Value};

fn echo() -> Service {
	let mut call = Endpoint::new("Echo.Call", "Request", "Response");
	call.request.fields.push(FieldDescription {
		number: 1,
		name: "text".into(),
		kind: "string".into(),
		repeated: false,
	});
	Service::new("echo", "1")
		.call(call, |request| async move {
			let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
			let caller = request.header(CALLER_HEADER).unwrap_or_default().to_owned();
			Ok(json!({ "echo": body, "caller": caller }).to_string().into_bytes())
		})
		.stream(Endpoint::new("Echo.Stream", "Request", "Response"), |_, mut stream| async move {
			while let Some(Ok(message)) = stream.recv().await {
				let body: Value = serde_json::from_slice(&message.body).unwrap_or(Value::Null);
				let _ = stream.send(json!({ "again": body }).to_string()).await;
			}
		})
}

async fn started() -> (tempfile::TempDir, Arc<Peer>, Gateway, Client) {
	let dir = tempfile::tempdir().unwrap();
	let peer = Arc::new(Peer::start(PeerConfig::new(dir.path().join("b.redb"))).await.unwrap());
	peer.serve(echo()).unwrap();
	let config = GatewayConfig { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
	let gateway = Gateway::start(peer.clone(), config).await.unwrap();
	let client = Client::new(&format!("http://{}", gateway.address()));
	(dir, peer, gateway, client)
}

fn micro_error(result: Result<impl std::fmt::Debug, GatewayError>) -> (u16, String) {
	match result {
		Err(GatewayError::Micro(error)) => (error.code, error.detail),
		other => panic!("expected a Micro-Error, got {other:?}"),
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_and_their_errors_go_through_the_gateway() {
	let (_dir, peer, gateway, client) = started().await;
	let answer = client.call("echo", "Echo.Call", r#"{"text":"hi"}"#, &[], None).await.unwrap();
	let answer: Value = serde_json::from_slice(&answer).unwrap();
	assert_eq!(answer["echo"], json!({ "text": "hi" }));
	assert_eq!(answer["caller"], peer.id().to_string(), "the serving peer names the caller");

	let (code, detail) = micro_error(client.call("nothing", "X.Y", "{}", &[], None).await);
	assert_eq!(code, 404, "{detail}");
	let (code, detail) =
		micro_error(client.call("echo", "Echo.Call", "{not json", &[], None).await);
	assert_eq!((code, detail.contains("malformed JSON")), (400, true), "{detail}");
	let (code, _) = micro_error(client.call("echo", "Echo.Nope", "{}", &[], None).await);
	assert_eq!(code, 404);
	let unmetered = client.call("echo", "Echo.Call", "{}", &["0xnothex".into()], None).await;
	assert!(unmetered.is_ok(), "a service with no meter reads no allowance: {unmetered:?}");
	gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_streams_publishes_subscribes_and_describes() {
	let (_dir, _peer, gateway, client) = started().await;
	let mut answers = Vec::new();
	client
		.stream("echo", "Echo.Stream", &["{\"n\":1}".into(), "{\"n\":2}".into()], |line| {
			answers.push(line.to_owned())
		})
		.await
		.unwrap();
	assert_eq!(answers, vec![r#"{"again":{"n":1}}"#, r#"{"again":{"n":2}}"#]);

	// Nobody listens: the message waits in the inbox for the first subscriber.
	let stored = client.publish("news", r#"{"item":1}"#).await.unwrap();
	assert_eq!(stored["stored"], true, "{stored}");
	let subscriber = client.clone();
	let received = tokio::spawn(async move {
		let mut got = Vec::new();
		subscriber
			.subscribe("news", None, |data| {
				got.push(data.to_owned());
				got.len() < 2
			})
			.await
			.unwrap();
		got
	});
	tokio::time::sleep(Duration::from_millis(500)).await;
	let delivered = client.publish("news", r#"{"item":2}"#).await.unwrap();
	assert_eq!(delivered["delivered"], 1, "{delivered}");
	let got = tokio::time::timeout(Duration::from_secs(10), received).await.unwrap().unwrap();
	assert_eq!(got, vec![r#"{"item":1}"#, r#"{"item":2}"#]);

	let openapi = client.get_json("/openapi.json").await.unwrap();
	let request = &openapi["paths"]["/echo/Echo.Call"]["post"]["requestBody"]["content"]
		["application/json"]["schema"];
	assert_eq!(request["properties"]["text"]["type"], "string", "{openapi}");
	let (code, _) = micro_error(client.get_json("/echo/Echo.Call").await);
	assert_eq!(code, 405, "calls are POST");
	let (code, _) = micro_error(client.get_json("/_/nowhere").await);
	assert_eq!(code, 404);
	gateway.shutdown().await;
}

/// Each request of a stream is sent as it is given and its answer comes back before the next
/// is sent: a client can hold a conversation. With the whole body read first, the first answer
/// would never come while the request stayed open.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_answers_each_request_before_the_next_is_sent() {
	let (_dir, _peer, gateway, client) = started().await;
	let (requests, receive) = tokio::sync::mpsc::unbounded_channel::<String>();
	let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel::<String>();
	let requests_stream = futures::stream::unfold(receive, |mut receive| async move {
		receive.recv().await.map(|request| (request, receive))
	});
	let streaming = tokio::spawn(async move {
		client
			.stream_from("echo", "Echo.Stream", requests_stream, |line| {
				let _ = answered.send(line.to_owned());
			})
			.await
	});
	for n in 1..=3 {
		requests.send(format!("{{\"n\":{n}}}")).unwrap();
		let answer = tokio::time::timeout(Duration::from_secs(10), answers.recv())
			.await
			.unwrap_or_else(|_| panic!("no answer to request {n} while the stream is open"));
		assert_eq!(answer.as_deref(), Some(format!("{{\"again\":{{\"n\":{n}}}}}").as_str()));
	}
	// A later line that is not JSON ends the stream with its error.
	requests.send("{not json".into()).unwrap();
	let error = tokio::time::timeout(Duration::from_secs(10), answers.recv()).await.unwrap();
	assert!(error.as_deref().is_some_and(|e| e.contains("line 4 is not JSON")), "{error:?}");
	drop(requests);
	tokio::time::timeout(Duration::from_secs(10), streaming).await.unwrap().unwrap().unwrap();

	// `micro stream`, reading stdin: each line is sent as it is read, its answer printed at once.
	use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
	let mut micro = tokio::process::Command::new(env!("CARGO_BIN_EXE_micro"))
		.args(["--gateway", &format!("http://{}", gateway.address())])
		.args(["stream", "echo", "Echo.Stream"])
		.stdin(std::process::Stdio::piped())
		.stdout(std::process::Stdio::piped())
		.stderr(std::process::Stdio::piped())
		.kill_on_drop(true)
		.spawn()
		.unwrap();
	let mut stdin = micro.stdin.take().unwrap();
	let mut stdout = tokio::io::BufReader::new(micro.stdout.take().unwrap()).lines();
	for n in 1..=2 {
		stdin.write_all(format!("{{\"n\":{n}}}\n").as_bytes()).await.unwrap();
		stdin.flush().await.unwrap();
		let line = tokio::time::timeout(Duration::from_secs(10), stdout.next_line())
			.await
			.unwrap_or_else(|_| panic!("micro stream printed no answer to line {n}"))
			.unwrap();
		assert_eq!(line, Some(format!("{{\"again\":{{\"n\":{n}}}}}")));
	}
	// A line that is not JSON is refused and not sent; the stream goes on.
	stdin.write_all(b"oops\n{\"n\":3}\n").await.unwrap();
	let line = tokio::time::timeout(Duration::from_secs(10), stdout.next_line()).await.unwrap();
	assert_eq!(line.unwrap().as_deref(), Some(r#"{"again":{"n":3}}"#));
	drop(stdin);
	let output = tokio::time::timeout(Duration::from_secs(10), micro.wait_with_output())
		.await
		.unwrap()
		.unwrap();
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert_eq!(output.status.code(), Some(2), "one line was not sent: {stderr}");
	assert!(stderr.contains("`oops` is not JSON"), "{stderr}");
	gateway.shutdown().await;
}

/// What one client can hold through `/_/stream` is bounded (the attacks: idle streams taking
/// all of this node's streams to a service, a body read for ever): past `max_streams` open
/// streams the next gets a 429 at once; a client that sends nothing more for `body_timeout`
/// has its request side finished, so the service ends the stream and the slot frees.
#[tokio::test(flavor = "multi_thread")]
async fn streams_are_bounded_in_number_and_idle_ones_end() {
	let dir = tempfile::tempdir().unwrap();
	let peer = Arc::new(Peer::start(PeerConfig::new(dir.path().join("b.redb"))).await.unwrap());
	peer.serve(echo()).unwrap();
	let config = GatewayConfig {
		listen: "127.0.0.1:0".parse().unwrap(),
		max_streams: 1,
		body_timeout: Duration::from_secs(2),
		..Default::default()
	};
	let gateway = Gateway::start(peer.clone(), config).await.unwrap();
	let client = Client::new(&format!("http://{}", gateway.address()));

	// One stream sends a request, gets its answer, then goes quiet without ending its body.
	let (requests, receive) = tokio::sync::mpsc::unbounded_channel::<String>();
	let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel::<String>();
	let requests_stream = futures::stream::unfold(receive, |mut receive| async move {
		receive.recv().await.map(|request| (request, receive))
	});
	let idle_client = client.clone();
	let idle = tokio::spawn(async move {
		idle_client
			.stream_from("echo", "Echo.Stream", requests_stream, |line| {
				let _ = answered.send(line.to_owned());
			})
			.await
	});
	requests.send("{\"n\":1}".into()).unwrap();
	let answer = tokio::time::timeout(Duration::from_secs(10), answers.recv()).await.unwrap();
	assert_eq!(answer.as_deref(), Some("{\"again\":{\"n\":1}}"));

	// The only stream is taken: another is refused at once.
	let second = client.stream("echo", "Echo.Stream", &["{\"n\":2}".into()], |_| {}).await;
	let (code, detail) = micro_error(second);
	assert_eq!(code, 429, "{detail}");

	// The quiet client's stream ends by itself (its sender still open), and the slot frees.
	tokio::time::timeout(Duration::from_secs(10), idle)
		.await
		.expect("an idle stream ends after body_timeout")
		.unwrap()
		.unwrap();
	let mut again = Vec::new();
	client
		.stream("echo", "Echo.Stream", &["{\"n\":3}".into()], |line| again.push(line.to_owned()))
		.await
		.unwrap();
	assert_eq!(again, vec!["{\"again\":{\"n\":3}}".to_string()]);
	drop(requests);
	gateway.shutdown().await;
}
