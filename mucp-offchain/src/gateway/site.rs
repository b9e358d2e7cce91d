//! The web application a gateway serves at `/`: files held in memory (the node embeds them in
//! its binary), looked up by name only, so no request reaches the file system.
//!
//! | Request | Answer |
//! |---|---|
//! | `GET /` | the application's `index.html` |
//! | `GET /_/app/{file}` | one of its files (scripts, styles, images) |
//! | `GET /_/site.json` | the settings the host gives the page (such as where its RPC is) |
//!
//! Every file has an `ETag` and is revalidated (`Cache-Control: no-cache`), so a node upgraded
//! in place never serves a stale page. The page itself gets a content security policy: scripts
//! only from the gateway (and WebAssembly, for the light client), connections only to the
//! gateway and to the node's own ports on the host the page was reached by (its RPC, its
//! light-client listener), no framing by other pages (a wallet must not be clickjacked), no
//! referrer. Data files (JSON) are sandboxed should anything open them as a page.

use std::{collections::BTreeMap, fmt};

use bytes::Bytes;
use hyper::{
	header::{HeaderValue, CACHE_CONTROL, ETAG, IF_NONE_MATCH},
	HeaderMap, Response, StatusCode,
};
use serde_json::Value;

use super::{full, Body};

/// What the page may load: scripts and styles from the gateway only. Where it may connect
/// follows (`connect-src`), made per request from the host it was reached by.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
	style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
	form-action 'none'; frame-ancestors 'none'";

/// The policy of files that are data, not pages.
const DATA_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// One file of the application.
struct Asset {
	content_type: &'static str,
	body: Bytes,
	etag: HeaderValue,
}

/// A web application: its files by name (`index.html`, `main.js`, ...) and the settings its
/// host gives it.
pub struct Site {
	files: BTreeMap<String, Asset>,
	settings: Value,
	connect_ports: Vec<u16>,
}

impl fmt::Debug for Site {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("Site").field("files", &self.files.keys()).finish_non_exhaustive()
	}
}

impl Site {
	/// The application made of `files` (name and contents); `index.html` is its page.
	pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'static [u8])>) -> Self {
		let site = Self {
			files: BTreeMap::new(),
			settings: Value::Object(Default::default()),
			connect_ports: Vec::new(),
		};
		files
			.into_iter()
			.fold(site, |site, (name, body)| site.with_file(name, Bytes::from_static(body)))
	}

	/// Adds (or replaces) the file `name`.
	pub fn with_file(mut self, name: &str, body: Bytes) -> Self {
		let mut hasher = twox_hash::XxHash3_64::new();
		std::hash::Hasher::write(&mut hasher, &body);
		let tag = format!("\"{:016x}\"", std::hash::Hasher::finish(&hasher));
		let asset = Asset {
			content_type: content_type_of(name),
			body,
			etag: HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\"")),
		};
		self.files.insert(name.trim_start_matches('/').to_owned(), asset);
		self
	}

	/// Lets the page connect to `ports` (over HTTP or WebSocket, plain or secure) on the host
	/// it was reached by, besides the gateway: the node's RPC and light-client listener.
	pub fn with_connect_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
		self.connect_ports = ports.into_iter().collect();
		self
	}

	/// Gives the page `settings`, served as `/_/site.json`.
	pub fn with_settings(mut self, settings: Value) -> Self {
		self.settings = settings;
		self
	}

	/// The names of its files.
	pub fn files(&self) -> impl Iterator<Item = &str> {
		self.files.keys().map(String::as_str)
	}

	/// The settings, as `/_/site.json` answers them.
	pub(super) fn settings(&self) -> &Value {
		&self.settings
	}

	/// The file `name` (`None` if there is none), or 304 if the request's `If-None-Match`
	/// already has it.
	pub(super) fn serve(&self, name: &str, request: &HeaderMap) -> Option<Response<Body>> {
		let asset = self.files.get(name)?;
		let cached = request.get(IF_NONE_MATCH).is_some_and(|tags| {
			tags.to_str().unwrap_or_default().split(',').any(|tag| tag.trim() == asset.etag)
		});
		let mut response = if cached {
			full(StatusCode::NOT_MODIFIED, asset.content_type, Bytes::new())
		} else {
			full(StatusCode::OK, asset.content_type, asset.body.clone())
		};
		let headers = response.headers_mut();
		headers.insert(ETAG, asset.etag.clone());
		headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
		headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
		if asset.content_type.starts_with("text/html") {
			let host = request.get(hyper::header::HOST).and_then(|v| v.to_str().ok());
			if let Ok(policy) = HeaderValue::from_str(&self.page_policy(host)) {
				headers.insert("content-security-policy", policy);
			}
			headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
			headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
		} else if !asset.content_type.starts_with("text/javascript") {
			// Scripts keep none: a worker's policy is its script's.
			headers.insert("content-security-policy", HeaderValue::from_static(DATA_POLICY));
		}
		Some(response)
	}

	/// The page's policy when reached at `host` (a `Host` header, already one the gateway
	/// answers to).
	fn page_policy(&self, host: Option<&str>) -> String {
		let mut connect = String::from("'self'");
		if let Some(name) = host.map(super::origins::host_name) {
			// An IPv6 address goes back in brackets before its port.
			let name = if name.contains(':') { format!("[{name}]") } else { name.to_owned() };
			for port in &self.connect_ports {
				for scheme in ["http", "https", "ws", "wss"] {
					connect.push_str(&format!(" {scheme}://{name}:{port}"));
				}
			}
		}
		format!("{CONTENT_SECURITY_POLICY}; connect-src {connect}")
	}
}

/// The media type of a file, by its extension.
fn content_type_of(name: &str) -> &'static str {
	match name.rsplit_once('.').map(|(_, extension)| extension) {
		Some("html") => "text/html; charset=utf-8",
		Some("js" | "mjs") => "text/javascript; charset=utf-8",
		Some("css") => "text/css; charset=utf-8",
		Some("json" | "map") => "application/json",
		Some("svg") => "image/svg+xml",
		Some("png") => "image/png",
		Some("ico") => "image/x-icon",
		Some("wasm") => "application/wasm",
		Some("woff2") => "font/woff2",
		Some("txt") => "text/plain; charset=utf-8",
		_ => "application/octet-stream",
	}
}

#[cfg(test)]
mod tests {
	use hyper::header::CONTENT_TYPE;

	use super::*;

	fn site() -> Site {
		Site::new([("index.html", &b"<!doctype html>"[..]), ("main.js", &b"go()"[..])])
	}

	#[test]
	fn files_are_served_with_their_type_and_a_tag_and_revalidated() {
		let site = site();
		let page = site.serve("index.html", &HeaderMap::new()).unwrap();
		assert_eq!(page.status(), StatusCode::OK);
		assert_eq!(page.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
		assert!(page.headers()["content-security-policy"]
			.to_str()
			.unwrap()
			.contains("frame-ancestors 'none'"));
		let script = site.serve("main.js", &HeaderMap::new()).unwrap();
		assert_eq!(script.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
		assert_eq!(script.headers()["x-content-type-options"], "nosniff");
		let mut again = HeaderMap::new();
		again.insert(IF_NONE_MATCH, script.headers()[ETAG].clone());
		assert_eq!(site.serve("main.js", &again).unwrap().status(), StatusCode::NOT_MODIFIED);
		assert_ne!(page.headers()[ETAG], script.headers()[ETAG]);
	}

	#[test]
	fn the_page_connects_only_to_its_nodes_ports_on_the_host_it_was_reached_by() {
		let site = site().with_connect_ports([9944, 30334]);
		let mut request = HeaderMap::new();
		request.insert(hyper::header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
		let page = site.serve("index.html", &request).unwrap();
		let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
		assert!(policy.ends_with(
			"connect-src 'self' http://127.0.0.1:9944 https://127.0.0.1:9944 ws://127.0.0.1:9944 \
			 wss://127.0.0.1:9944 http://127.0.0.1:30334 https://127.0.0.1:30334 \
			 ws://127.0.0.1:30334 wss://127.0.0.1:30334"
		), "{policy}");
		request.insert(hyper::header::HOST, HeaderValue::from_static("[::1]:8080"));
		let page = site.serve("index.html", &request).unwrap();
		assert!(page.headers()["content-security-policy"]
			.to_str()
			.unwrap()
			.contains("ws://[::1]:9944"));
		let page = site.serve("index.html", &HeaderMap::new()).unwrap();
		assert!(page.headers()["content-security-policy"]
			.to_str()
			.unwrap()
			.ends_with("connect-src 'self'"));
		let script = site.serve("main.js", &request).unwrap();
		assert!(
			script.headers().get("content-security-policy").is_none(),
			"a worker's policy is its script's"
		);
	}

	#[test]
	fn names_are_looked_up_never_resolved_as_paths() {
		let site = site();
		for name in ["../Cargo.toml", "/etc/passwd", "", "main.js/", "MAIN.JS"] {
			assert!(site.serve(name, &HeaderMap::new()).is_none(), "{name}");
		}
	}
}
