//! Which web pages may use the gateway: its own, and the origins the operator allows
//! (`--gateway-cors`). Everything else a browser sends on another page's behalf is refused.
//!
//! The gateway spends its node's free quota, publishes as its node and hands out the node's
//! inboxes, so a page the user merely visits must not be able to use it through the user's
//! browser. Three rules, each against one attack:
//!
//! - **Cross-site requests need an allowed `Origin`.** Browsers send `Origin` with every
//!   `fetch`, `EventSource` and form `POST` from another page, even the "simple" ones they send
//!   without asking first. A request whose origin is neither the gateway's own nor allowed is
//!   answered 403 before anything runs: no call, no publish, no subscription. Stops request
//!   forgery (CSRF) from any page on the web against a gateway on the user's machine.
//! - **No `Origin`, but `Sec-Fetch-Site` says another site:** refused too, except a plain
//!   navigation (a link to the console). Stops `<img>`/`<script>` tags, which send no `Origin`,
//!   from opening event streams that would hold a topic's messages.
//! - **A loopback gateway answers only to loopback names in `Host`.** A page on
//!   `evil.example` whose DNS name later resolves to 127.0.0.1 is "same origin" with itself;
//!   its requests name `evil.example` in `Host`, so they are refused. Stops DNS rebinding,
//!   which would otherwise defeat the origin rules.
//!
//! Allowed origins get CORS headers (and preflights a 204); the list is empty by default, as
//! in NATS's and Substrate's own servers, so nothing outside the node's own pages is trusted
//! unless its operator says so. `*` allows every origin: only for a gateway meant to be public.

use std::net::{IpAddr, SocketAddr};

use hyper::{
	header::{HeaderValue, HOST, ORIGIN},
	HeaderMap, Method,
};

use crate::{executor::VERSION_HEADER, protocol::MicroError, settlement::ALLOWANCE_HEADER};

/// How long a browser may cache a preflight's answer.
const PREFLIGHT_MAX_AGE_SECONDS: u32 = 600;

/// What the origin rules make of one request.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
	/// Not from another web page: the node's own console, or not a browser at all.
	Own,
	/// From an allowed page: answer with CORS headers naming it.
	Allowed(HeaderValue),
}

/// Applies the rules to a request's headers. `listen` is where the gateway listens; `allowed`
/// the origins its operator allows.
pub(super) fn check(
	method: &Method,
	headers: &HeaderMap,
	listen: SocketAddr,
	allowed: &[String],
) -> Result<Verdict, MicroError> {
	let host = headers.get(HOST).and_then(|v| v.to_str().ok());
	if listen.ip().is_loopback() {
		if let Some(host) = host.filter(|h| !is_loopback_host(h)) {
			let detail = format!(
				"`Host: {host}` does not name this loopback gateway; use http://{listen}/ (a page \
				 reaching it under another name is refused: DNS rebinding)"
			);
			return Err(MicroError::new("mucp.gateway", 403, detail));
		}
	}
	let Some(origin) = headers.get(ORIGIN) else {
		let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
		let mode = headers.get("sec-fetch-mode").and_then(|v| v.to_str().ok());
		let navigation = *method == Method::GET && mode == Some("navigate");
		if matches!(site, Some("cross-site" | "same-site")) && !navigation {
			let detail = "a request another web page made without saying its origin is refused";
			return Err(MicroError::new("mucp.gateway", 403, detail));
		}
		return Ok(Verdict::Own);
	};
	let text = origin.to_str().unwrap_or_default();
	if host.is_some_and(|host| text.strip_prefix("http://") == Some(host)) {
		return Ok(Verdict::Own);
	}
	if allowed.iter().any(|allowed| allowed == "*" || allowed.trim_end_matches('/') == text) {
		return Ok(Verdict::Allowed(origin.clone()));
	}
	let detail = format!(
		"requests from the web page at `{text}` are refused: this gateway allows only its own \
		 pages{}; its operator can allow this one with `--gateway-cors {text}`",
		if allowed.is_empty() { String::new() } else { format!(" and {}", allowed.join(", ")) }
	);
	Err(MicroError::new("mucp.gateway", 403, detail))
}

/// Whether `host` (a `Host` header: a name or address and maybe a port) names this machine's
/// loopback interface.
fn is_loopback_host(host: &str) -> bool {
	let name = match host.strip_prefix('[') {
		Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
		None => host.rsplit_once(':').map_or(host, |(name, _)| name),
	};
	name.eq_ignore_ascii_case("localhost")
		|| name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Adds what a response to an allowed page needs: the origin it may be read by, and the
/// headers the page may read besides the simple ones.
pub(super) fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
	headers.insert("access-control-allow-origin", origin);
	headers.append("vary", HeaderValue::from_static("Origin"));
	headers.insert("access-control-expose-headers", HeaderValue::from_static("Micro-Error"));
}

/// The headers of an allowed preflight's answer: the methods and request headers the gateway
/// takes.
pub(super) fn preflight(headers: &mut HeaderMap, origin: HeaderValue) {
	allow(headers, origin);
	headers.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST"));
	let request_headers = format!(
		"Content-Type, {ALLOWANCE_HEADER}, {VERSION_HEADER}, Micro-Delivery, Micro-Id, \
		 Last-Event-ID"
	);
	if let Ok(value) = HeaderValue::from_str(&request_headers) {
		headers.insert("access-control-allow-headers", value);
	}
	headers.insert("access-control-max-age", HeaderValue::from(PREFLIGHT_MAX_AGE_SECONDS));
}

#[cfg(test)]
mod tests {
	use super::*;

	const LOOPBACK: SocketAddr =
		SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)), 8080);
	const PUBLIC: SocketAddr =
		SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(0, 0, 0, 0)), 8080);

	fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
		let mut map = HeaderMap::new();
		for (name, value) in pairs {
			map.insert(*name, HeaderValue::from_str(value).unwrap());
		}
		map
	}

	fn code(result: Result<Verdict, MicroError>) -> u16 {
		result.err().map_or(200, |e| e.code)
	}

	#[test]
	fn clients_that_are_not_browsers_and_the_nodes_own_pages_are_served() {
		let curl = headers(&[("host", "127.0.0.1:8080")]);
		assert_eq!(check(&Method::POST, &curl, LOOPBACK, &[]), Ok(Verdict::Own));
		let console = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")]);
		assert_eq!(check(&Method::POST, &console, LOOPBACK, &[]), Ok(Verdict::Own));
		let same_origin = headers(&[("host", "localhost:8080"), ("sec-fetch-site", "same-origin")]);
		assert_eq!(check(&Method::GET, &same_origin, LOOPBACK, &[]), Ok(Verdict::Own));
	}

	#[test]
	fn another_page_is_refused_unless_its_origin_is_allowed() {
		let forged = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://evil.example")]);
		let refused = check(&Method::POST, &forged, LOOPBACK, &[]).unwrap_err();
		assert_eq!(refused.code, 403);
		assert!(refused.detail.contains("--gateway-cors https://evil.example"), "{refused:?}");
		let other = ["https://app.example".to_owned()];
		assert_eq!(code(check(&Method::POST, &forged, LOOPBACK, &other)), 403);
		let app = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://app.example")]);
		let allowed = check(&Method::POST, &app, LOOPBACK, &["https://app.example/".to_owned()]);
		assert_eq!(allowed, Ok(Verdict::Allowed(HeaderValue::from_static("https://app.example"))));
		let any = check(&Method::POST, &forged, PUBLIC, &["*".to_owned()]);
		assert_eq!(any, Ok(Verdict::Allowed(HeaderValue::from_static("https://evil.example"))));
	}

	#[test]
	fn a_page_on_another_port_of_the_same_machine_is_another_origin() {
		let page = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:3000")]);
		assert_eq!(code(check(&Method::GET, &page, LOOPBACK, &[])), 403);
	}

	#[test]
	fn tags_without_an_origin_are_refused_but_links_to_the_console_are_followed() {
		let image = headers(&[
			("host", "127.0.0.1:8080"),
			("sec-fetch-site", "cross-site"),
			("sec-fetch-mode", "no-cors"),
		]);
		assert_eq!(code(check(&Method::GET, &image, LOOPBACK, &[])), 403);
		let link = headers(&[
			("host", "127.0.0.1:8080"),
			("sec-fetch-site", "cross-site"),
			("sec-fetch-mode", "navigate"),
		]);
		assert_eq!(check(&Method::GET, &link, LOOPBACK, &[]), Ok(Verdict::Own));
	}

	#[test]
	fn a_rebound_name_cannot_reach_a_loopback_gateway() {
		let rebound =
			headers(&[("host", "evil.example:8080"), ("origin", "http://evil.example:8080")]);
		let refused = check(&Method::POST, &rebound, LOOPBACK, &[]).unwrap_err();
		assert!(refused.detail.contains("DNS rebinding"), "{refused:?}");
		// A public gateway is reached by whatever name its operator gives it.
		assert_eq!(check(&Method::POST, &rebound, PUBLIC, &[]), Ok(Verdict::Own));
		for host in ["localhost:8080", "LOCALHOST", "127.0.0.2:1", "[::1]:8080", "[::1]"] {
			assert!(is_loopback_host(host), "{host}");
		}
		for host in ["evil.example", "localhost.evil.example:8080", "10.0.0.1:8080", "[::2]"] {
			assert!(!is_loopback_host(host), "{host}");
		}
	}
}
