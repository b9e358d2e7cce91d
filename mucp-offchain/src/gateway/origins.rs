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
//!   `Origin: null` (sandboxed frames, `data:` pages) is anyone's, so it is never allowed by
//!   name.
//! - **No `Origin`, but `Sec-Fetch-Site` says another site:** refused too, except a plain
//!   navigation to the console's page (a link to it). Stops `<img>`/`<script>` tags and
//!   frames, which send no `Origin`, from opening event streams that would hold a topic's
//!   messages.
//! - **`Host` must be an IP address, `localhost`, or a name the operator gave
//!   (`--gateway-host`).** A page on `evil.example` whose DNS name later resolves to the
//!   gateway's address (127.0.0.1, or a LAN address behind the user's firewall) is "same
//!   origin" with itself; its requests name `evil.example` in `Host`, so they are refused.
//!   Stops DNS rebinding, which would otherwise defeat the origin rules, on every gateway
//!   whatever it listens on. An address in `Host` cannot be rebound: its origin is the
//!   gateway's own.
//!
//! Allowed origins get CORS headers (and preflights a 204); the list is empty by default, as
//! in NATS's and Substrate's own servers, so nothing outside the node's own pages is trusted
//! unless its operator says so. `*` allows every origin: only for a gateway meant to be public.

use std::net::{IpAddr, SocketAddr};

use hyper::{
	header::{HeaderValue, HOST, ORIGIN},
	HeaderMap, Method,
};

use crate::{
	executor::VERSION_HEADER,
	protocol::{header, MicroError},
	settlement::ALLOWANCE_HEADER,
};

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

/// Who may use a gateway from a browser: the names it is reached by and the pages allowed.
#[derive(Clone, Copy, Debug)]
pub(super) struct Policy<'a> {
	/// Where the gateway listens (for the error that says how to reach it).
	pub listen: SocketAddr,
	/// DNS names the gateway is reached by, besides addresses and `localhost`.
	pub hosts: &'a [String],
	/// The web origins allowed besides the gateway's own; `*` for any.
	pub allowed: &'a [String],
}

/// Applies the rules to a request: its method, path and headers.
pub(super) fn check(
	method: &Method,
	path: &str,
	headers: &HeaderMap,
	policy: Policy<'_>,
) -> Result<Verdict, MicroError> {
	let host = headers.get(HOST).and_then(|v| v.to_str().ok());
	if let Some(host) = host.filter(|h| !is_known_host(h, policy.hosts)) {
		let detail = format!(
			"`Host: {host}` is not a name this gateway is reached by; use an address such as \
			 http://{}/, or start the node with `--gateway-host NAME` (a page reaching it under \
			 another name is refused: DNS rebinding)",
			policy.listen
		);
		return Err(MicroError::new("mucp.gateway", 403, detail));
	}
	let Some(origin) = headers.get(ORIGIN) else {
		let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
		let mode = headers.get("sec-fetch-mode").and_then(|v| v.to_str().ok());
		let navigation = *method == Method::GET
			&& mode == Some("navigate")
			&& matches!(path, "/" | "/index.html");
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
	let allowed = policy.allowed;
	let named = |entry: &String| entry != "null" && entry.trim_end_matches('/') == text;
	if allowed.iter().any(|entry| entry == "*" || named(entry)) {
		return Ok(Verdict::Allowed(origin.clone()));
	}
	let advice = if text == "null" {
		"`Origin: null` is any sandboxed or `data:` page's, so it is never allowed by name"
			.to_owned()
	} else {
		format!("its operator can allow this one with `--gateway-cors {text}`")
	};
	let detail = format!(
		"requests from the web page at `{text}` are refused: this gateway allows only its own \
		 pages{}; {advice}",
		if allowed.is_empty() { String::new() } else { format!(" and {}", allowed.join(", ")) }
	);
	Err(MicroError::new("mucp.gateway", 403, detail))
}

/// Checks the operator's lists: origins are `scheme://host[:port]` or `*` (never `null`),
/// host names are bare names.
pub(super) fn validate(hosts: &[String], allowed: &[String]) -> Result<(), String> {
	for origin in allowed {
		let origin = origin.trim_end_matches('/');
		let well_formed = origin == "*"
			|| origin.split_once("://").is_some_and(|(scheme, rest)| {
				!scheme.is_empty() && !rest.is_empty() && !rest.contains(['/', '?', '#', ' '])
			});
		if !well_formed {
			return Err(format!(
				"--gateway-cors `{origin}`: an origin is scheme://host[:port] (such as \
				 https://app.example) or *; `null` would allow every sandboxed page"
			));
		}
	}
	for host in hosts {
		let bare = !host.is_empty()
			&& host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
		if !bare {
			return Err(format!(
				"--gateway-host `{host}`: a DNS name only, such as gateway.example.org"
			));
		}
	}
	Ok(())
}

/// The name or address a `Host` header names, without its port (nor an IPv6 address's
/// brackets).
pub(super) fn host_name(host: &str) -> &str {
	match host.strip_prefix('[') {
		Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
		None => host.rsplit_once(':').map_or(host, |(name, _)| name),
	}
}

/// Whether `host` (a `Host` header: a name or address, maybe with a port) is one this
/// gateway answers to: an IP address, `localhost`, or one of `names`.
fn is_known_host(host: &str, names: &[String]) -> bool {
	let name = host_name(host);
	name.parse::<IpAddr>().is_ok()
		|| name.eq_ignore_ascii_case("localhost")
		|| names.iter().any(|known| known.eq_ignore_ascii_case(name))
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
		"Content-Type, {ALLOWANCE_HEADER}, {VERSION_HEADER}, {}, {}, Last-Event-ID",
		header::DELIVERY,
		header::ID
	);
	if let Ok(value) = HeaderValue::from_str(&request_headers) {
		headers.insert("access-control-allow-headers", value);
	}
	headers.insert("access-control-max-age", HeaderValue::from(PREFLIGHT_MAX_AGE_SECONDS));
}

#[cfg(test)]
mod tests {
	use super::*;

	const LISTEN: SocketAddr =
		SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)), 8080);

	fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
		let mut map = HeaderMap::new();
		for (name, value) in pairs {
			map.insert(*name, HeaderValue::from_str(value).unwrap());
		}
		map
	}

	fn policy<'a>(hosts: &'a [String], allowed: &'a [String]) -> Policy<'a> {
		Policy { listen: LISTEN, hosts, allowed }
	}

	fn code(result: Result<Verdict, MicroError>) -> u16 {
		result.err().map_or(200, |e| e.code)
	}

	#[test]
	fn clients_that_are_not_browsers_and_the_nodes_own_pages_are_served() {
		let none = policy(&[], &[]);
		let curl = headers(&[("host", "127.0.0.1:8080")]);
		assert_eq!(check(&Method::POST, "/a/b", &curl, none), Ok(Verdict::Own));
		let console = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")]);
		assert_eq!(check(&Method::POST, "/a/b", &console, none), Ok(Verdict::Own));
		let same_origin = headers(&[("host", "localhost:8080"), ("sec-fetch-site", "same-origin")]);
		assert_eq!(check(&Method::GET, "/_/health", &same_origin, none), Ok(Verdict::Own));
		let lan = headers(&[("host", "192.168.1.20:8080"), ("origin", "http://192.168.1.20:8080")]);
		assert_eq!(check(&Method::POST, "/a/b", &lan, none), Ok(Verdict::Own));
	}

	#[test]
	fn another_page_is_refused_unless_its_origin_is_allowed() {
		let forged = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://evil.example")]);
		let refused = check(&Method::POST, "/a/b", &forged, policy(&[], &[])).unwrap_err();
		assert_eq!(refused.code, 403);
		assert!(refused.detail.contains("--gateway-cors https://evil.example"), "{refused:?}");
		let other = ["https://app.example".to_owned()];
		assert_eq!(code(check(&Method::POST, "/a/b", &forged, policy(&[], &other))), 403);
		let app = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://app.example")]);
		let with_slash = ["https://app.example/".to_owned()];
		let allowed = check(&Method::POST, "/a/b", &app, policy(&[], &with_slash));
		assert_eq!(allowed, Ok(Verdict::Allowed(HeaderValue::from_static("https://app.example"))));
		let any = check(&Method::POST, "/a/b", &forged, policy(&[], &["*".to_owned()]));
		assert_eq!(any, Ok(Verdict::Allowed(HeaderValue::from_static("https://evil.example"))));
	}

	#[test]
	fn a_sandboxed_page_is_never_allowed_by_name_nor_told_how_to_be() {
		let sandboxed = headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]);
		let null = ["null".to_owned()];
		let refused = check(&Method::POST, "/a/b", &sandboxed, policy(&[], &null)).unwrap_err();
		assert!(!refused.detail.contains("--gateway-cors null"), "{refused:?}");
		assert!(validate(&[], &null).is_err());
		assert!(validate(&[], &["https://app.example".into(), "*".into()]).is_ok());
		assert!(validate(&[], &["app.example".into()]).is_err());
		assert!(validate(&["gateway.example.org".into()], &[]).is_ok());
		assert!(validate(&["http://gateway.example.org".into()], &[]).is_err());
	}

	#[test]
	fn a_page_on_another_port_of_the_same_machine_is_another_origin() {
		let page = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:3000")]);
		assert_eq!(code(check(&Method::GET, "/_/health", &page, policy(&[], &[]))), 403);
	}

	#[test]
	fn tags_and_frames_without_an_origin_are_refused_but_links_to_the_console_are_followed() {
		let none = policy(&[], &[]);
		let image = headers(&[
			("host", "127.0.0.1:8080"),
			("sec-fetch-site", "cross-site"),
			("sec-fetch-mode", "no-cors"),
		]);
		assert_eq!(code(check(&Method::GET, "/_/subscribe/news", &image, none)), 403);
		let link = headers(&[
			("host", "127.0.0.1:8080"),
			("sec-fetch-site", "cross-site"),
			("sec-fetch-mode", "navigate"),
		]);
		assert_eq!(check(&Method::GET, "/", &link, none), Ok(Verdict::Own));
		// A frame navigated to a subscription would hold its messages.
		assert_eq!(code(check(&Method::GET, "/_/subscribe/news", &link, none)), 403);
	}

	#[test]
	fn a_rebound_name_cannot_reach_any_gateway() {
		let rebound =
			headers(&[("host", "evil.example:8080"), ("origin", "http://evil.example:8080")]);
		let refused = check(&Method::POST, "/a/b", &rebound, policy(&[], &[])).unwrap_err();
		assert!(refused.detail.contains("DNS rebinding"), "{refused:?}");
		// A name the operator gave is the gateway's own.
		let named = ["Gateway.Example.org".to_owned()];
		let own =
			headers(&[("host", "gateway.example.org"), ("origin", "http://gateway.example.org")]);
		assert_eq!(check(&Method::POST, "/a/b", &own, policy(&named, &[])), Ok(Verdict::Own));
		assert_eq!(code(check(&Method::POST, "/a/b", &rebound, policy(&named, &[]))), 403);
		for host in
			["localhost:8080", "LOCALHOST", "127.0.0.2:1", "[::1]:8080", "[::1]", "10.0.0.1"]
		{
			assert!(is_known_host(host, &[]), "{host}");
		}
		for host in ["evil.example", "localhost.evil.example:8080", "localhost.", "[evil]"] {
			assert!(!is_known_host(host, &[]), "{host}");
		}
	}
}
