//! Subscriptions as server-sent events (`GET /_/subscribe/{topic}`), acknowledged by the client
//! when it reconnects with `Last-Event-ID` (see the gateway's documentation).

use std::{collections::VecDeque, time::Duration};

use bytes::Bytes;
use futures::FutureExt;
use hyper::{header::HeaderValue, Response};
use tokio::sync::watch;

use super::{error_response, json_text, percent_decode, streamed, Body, UNCONFIRMED_EVENTS};
use crate::{broker::Delivery, peer::Peer, protocol::Message};

/// One server-sent event: the message's id and its body (JSON on one `data:` line each).
fn event_text(message: &Message) -> String {
	let mut text = String::new();
	if let Some(id) = message.id() {
		text.push_str(&format!("id: {}\n", id.replace(['\n', '\r'], " ")));
	}
	// Split on `\r` too: SSE ends a line at either, so a lone `\r` in a body must not start a
	// field of its own.
	for line in json_text(message).split(['\r', '\n']).filter(|l| !l.is_empty()) {
		text.push_str("data: ");
		text.push_str(line);
		text.push('\n');
	}
	text.push('\n');
	text
}

pub(super) fn subscribe(
	peer: &Peer,
	topic: &str,
	queue: Option<&str>,
	resume_after: Option<String>,
	keep_alive: Duration,
	mut shutdown: watch::Receiver<bool>,
) -> Response<Body> {
	let topic = percent_decode(topic);
	let mut subscription = match peer.subscribe(&topic, queue.filter(|q| !q.is_empty())) {
		Ok(subscription) => subscription,
		Err(error) => return error_response(&error),
	};
	let (frames, receiver) = tokio::sync::mpsc::channel::<Bytes>(16);
	tokio::spawn(async move {
		let hello = format!(": subscribed to {topic}\n\n");
		if frames.send(Bytes::from(hello)).await.is_err() {
			return;
		}
		// Resuming: of the events waiting, those up to `Last-Event-ID` the client has.
		let mut waiting = Vec::new();
		while let Some(Some(delivery)) = subscription.next().now_or_never() {
			waiting.push(delivery);
		}
		if let Some(last) = resume_after {
			if let Some(at) = waiting.iter().position(|d| d.message.id() == Some(last.as_str())) {
				for delivery in waiting.drain(..=at) {
					let _ = subscription.ack(&delivery);
				}
			}
		}
		let mut unconfirmed = VecDeque::new();
		for delivery in waiting {
			if !send_event(&frames, &subscription, &mut unconfirmed, delivery).await {
				return;
			}
		}
		loop {
			tokio::select! {
				delivery = subscription.next() => {
					let Some(delivery) = delivery else { return };
					if !send_event(&frames, &subscription, &mut unconfirmed, delivery).await {
						// The client left: what it was sent goes back to the inbox.
						return;
					}
				}
				_ = tokio::time::sleep(keep_alive) => {
					if frames.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
						return;
					}
				}
				_ = shutdown.changed() => return,
				_ = frames.closed() => return,
			}
		}
	});
	let mut response = streamed(receiver, "text/event-stream");
	response.headers_mut().insert("cache-control", HeaderValue::from_static("no-cache"));
	response
}

/// Writes `delivery` as an event and holds it unacknowledged (see the module's
/// documentation); a redelivery of an event this connection already sent only renews it.
/// Returns whether the client is still there.
async fn send_event(
	frames: &tokio::sync::mpsc::Sender<Bytes>,
	subscription: &crate::peer::Subscription,
	unconfirmed: &mut VecDeque<Delivery>,
	delivery: Delivery,
) -> bool {
	if let Some(sent) = unconfirmed.iter_mut().find(|d| d.message.id() == delivery.message.id()) {
		*sent = delivery;
		return true;
	}
	if frames.send(Bytes::from(event_text(&delivery.message))).await.is_err() {
		return false;
	}
	unconfirmed.push_back(delivery);
	if unconfirmed.len() > UNCONFIRMED_EVENTS {
		if let Some(oldest) = unconfirmed.pop_front() {
			let _ = subscription.ack(&oldest);
		}
	}
	true
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn events_are_one_data_line_per_body_line() {
		let message = Message::publish("m-1", "news", br#"{"a":1}"#.to_vec());
		assert_eq!(event_text(&message), "id: m-1\ndata: {\"a\":1}\n\n");
	}

	#[test]
	fn a_body_cannot_inject_fields_or_events() {
		let body = b"{\"a\":1,\rid: forged\r\rdata: {\"evil\":1}}".to_vec();
		let message = Message::publish("m-1\rid: x", "news", body);
		let text = event_text(&message);
		let lines: Vec<&str> = text.split(['\r', '\n']).collect();
		assert!(
			lines
				.iter()
				.filter(|l| !l.is_empty())
				.all(|l| l.starts_with("data: ") || l.starts_with("id: m-1 id: x")),
			"{text:?}"
		);
		assert_eq!(text.matches("\n\n").count(), 1, "one event");
	}
}
