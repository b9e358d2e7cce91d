//! A client of a node's local HTTP gateway.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use mucp_offchain::protocol::MicroError;

/// What went wrong talking to the gateway.
#[derive(Debug)]
pub enum GatewayError {
	/// The gateway could not be reached.
	Unreachable(String),
	/// It answered with a `Micro-Error`.
	Micro(MicroError),
}

impl std::fmt::Display for GatewayError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Unreachable(detail) => write!(f, "the gateway is unreachable: {detail}"),
			Self::Micro(error) => write!(f, "{}", error.to_json()),
		}
	}
}

/// A gateway at a base URL such as `http://127.0.0.1:8080`.
#[derive(Clone)]
pub struct Gateway {
	base: String,
	client: Client<HttpConnector, Full<Bytes>>,
}

impl Gateway {
	/// The gateway at `base`.
	pub fn new(base: &str) -> Self {
		let client = Client::builder(TokioExecutor::new()).build_http();
		Self { base: base.trim_end_matches('/').to_owned(), client }
	}

	/// Sends a request and returns the response once its headers are in.
	async fn send(
		&self,
		method: Method,
		path: &str,
		headers: &[(&str, String)],
		body: Vec<u8>,
	) -> Result<hyper::Response<hyper::body::Incoming>, GatewayError> {
		let mut request = Request::builder()
			.method(method)
			.uri(format!("{}{path}", self.base))
			.header("content-type", "application/json");
		for (name, value) in headers {
			request = request.header(*name, value);
		}
		let request = request
			.body(Full::new(Bytes::from(body)))
			.map_err(|e| GatewayError::Unreachable(e.to_string()))?;
		self.client
			.request(request)
			.await
			.map_err(|e| GatewayError::Unreachable(format!("{}: {e}", self.base)))
	}

	async fn whole(
		response: hyper::Response<hyper::body::Incoming>,
	) -> Result<(StatusCode, Vec<u8>), GatewayError> {
		let status = response.status();
		let body = response
			.into_body()
			.collect()
			.await
			.map_err(|e| GatewayError::Unreachable(e.to_string()))?
			.to_bytes()
			.to_vec();
		Ok((status, body))
	}

	fn checked(status: StatusCode, body: Vec<u8>) -> Result<Vec<u8>, GatewayError> {
		if status.is_success() {
			return Ok(body);
		}
		let text = String::from_utf8_lossy(&body);
		Err(GatewayError::Micro(MicroError::from_json(&text).unwrap_or_else(|_| {
			MicroError::new("mucp.gateway", status.as_u16(), text.into_owned())
		})))
	}

	/// Calls `service`'s `endpoint` with JSON `body`, paying with `allowances` (header texts)
	/// and at `version` if given; returns the answer's body.
	pub async fn call(
		&self,
		service: &str,
		endpoint: &str,
		body: &str,
		allowances: &[String],
		version: Option<u32>,
	) -> Result<Vec<u8>, GatewayError> {
		let mut headers = Vec::new();
		if !allowances.is_empty() {
			headers.push((mucp_offchain::settlement::ALLOWANCE_HEADER, allowances.join(",")));
		}
		if let Some(version) = version {
			headers.push((mucp_offchain::executor::VERSION_HEADER, version.to_string()));
		}
		let path = format!("/{service}/{endpoint}");
		let response = self.send(Method::POST, &path, &headers, body.as_bytes().to_vec()).await?;
		let (status, body) = Self::whole(response).await?;
		Self::checked(status, body)
	}

	/// The JSON of a successful answer, or its `Micro-Error`.
	async fn json_answer(
		response: hyper::Response<hyper::body::Incoming>,
	) -> Result<serde_json::Value, GatewayError> {
		let (status, body) = Self::whole(response).await?;
		let body = Self::checked(status, body)?;
		serde_json::from_slice(&body).map_err(|e| GatewayError::Unreachable(e.to_string()))
	}

	/// GETs `path` and parses the JSON answer.
	pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, GatewayError> {
		Self::json_answer(self.send(Method::GET, path, &[], Vec::new()).await?).await
	}

	/// Publishes JSON `body` to `topic`; returns the gateway's account of it.
	pub async fn publish(
		&self,
		topic: &str,
		body: &str,
	) -> Result<serde_json::Value, GatewayError> {
		let path = format!("/_/publish/{topic}");
		Self::json_answer(self.send(Method::POST, &path, &[], body.as_bytes().to_vec()).await?)
			.await
	}

	/// Opens a stream to `service`'s `endpoint`, sends `requests` (JSON, one each) and hands
	/// each answer line to `on_line` as it arrives.
	pub async fn stream(
		&self,
		service: &str,
		endpoint: &str,
		requests: &[String],
		on_line: impl FnMut(&str),
	) -> Result<(), GatewayError> {
		let requests = futures::stream::iter(requests.to_vec());
		self.stream_from(service, endpoint, requests, on_line).await
	}

	/// Opens a stream to `service`'s `endpoint` and sends each request (JSON) `requests` yields
	/// as soon as it yields it, while handing each answer line to `on_line` as it arrives: a
	/// request may wait for the answer to the one before. The stream's sending side ends when
	/// `requests` does.
	pub async fn stream_from(
		&self,
		service: &str,
		endpoint: &str,
		requests: impl futures::Stream<Item = String> + Send + 'static,
		mut on_line: impl FnMut(&str),
	) -> Result<(), GatewayError> {
		use futures::StreamExt;
		let path = format!("/_/stream/{service}/{endpoint}");
		let frames = requests
			.map(|request| {
				let line = Bytes::from(format!("{request}\n"));
				Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(line))
			})
			.boxed();
		let client = Client::builder(TokioExecutor::new()).build_http();
		let request = Request::builder()
			.method(Method::POST)
			.uri(format!("{}{path}", self.base))
			.header("content-type", "application/x-ndjson")
			.body(http_body_util::StreamBody::new(frames))
			.map_err(|e| GatewayError::Unreachable(e.to_string()))?;
		let response = client
			.request(request)
			.await
			.map_err(|e| GatewayError::Unreachable(format!("{}: {e}", self.base)))?;
		if !response.status().is_success() {
			let (status, body) = Self::whole(response).await?;
			return Self::checked(status, body).map(drop);
		}
		lines(response, |line| {
			on_line(line);
			true
		})
		.await
	}

	/// Subscribes to `topic` (in `queue` if given) and hands each message's JSON to `on_message`
	/// until it returns `false` or the gateway closes the stream.
	pub async fn subscribe(
		&self,
		topic: &str,
		queue: Option<&str>,
		mut on_message: impl FnMut(&str) -> bool,
	) -> Result<(), GatewayError> {
		let path = match queue {
			Some(queue) => format!("/_/subscribe/{topic}?queue={queue}"),
			None => format!("/_/subscribe/{topic}"),
		};
		let accept = [("accept", "text/event-stream".to_owned())];
		let response = self.send(Method::GET, &path, &accept, Vec::new()).await?;
		if !response.status().is_success() {
			let (status, body) = Self::whole(response).await?;
			return Self::checked(status, body).map(drop);
		}
		let mut data = String::new();
		lines(response, |line| {
			if let Some(rest) = line.strip_prefix("data:") {
				if !data.is_empty() {
					data.push('\n');
				}
				data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
				true
			} else if line.is_empty() && !data.is_empty() {
				let keep_going = on_message(&data);
				data.clear();
				keep_going
			} else {
				true
			}
		})
		.await
	}
}

/// Hands each line of `response`'s body to `on_line` until it returns `false` or the body ends.
async fn lines(
	response: hyper::Response<hyper::body::Incoming>,
	mut on_line: impl FnMut(&str) -> bool,
) -> Result<(), GatewayError> {
	let mut body = response.into_body();
	let mut buffer = Vec::new();
	while let Some(frame) = body.frame().await {
		let frame = frame.map_err(|e| GatewayError::Unreachable(e.to_string()))?;
		let Ok(data) = frame.into_data() else { continue };
		buffer.extend_from_slice(&data);
		while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
			let line: Vec<u8> = buffer.drain(..=end).collect();
			let line = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
			if !on_line(line.trim_end_matches('\r')) {
				return Ok(());
			}
		}
	}
	Ok(())
}
