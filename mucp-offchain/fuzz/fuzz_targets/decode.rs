//! Feeds arbitrary bytes to the MUCP envelope decoder: it must answer with a message or a
//! `Micro-Error`, never panic, and a message it accepts must survive encoding again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mucp_offchain::protocol::{Limits, Message};

fuzz_target!(|frame: &[u8]| {
	let limits =
		Limits { max_frame: 64 * 1024, max_body: 32 * 1024, max_headers: 32, max_header_len: 1024 };
	if let Ok((message, form)) = Message::decode(frame, &limits) {
		let (again, again_form) =
			Message::decode(&message.encode(), &limits).expect("an accepted message re-encodes");
		assert_eq!(again, message);
		assert_eq!(again_form, form);
		let _ = message.content_type();
		let _ = message.error();
	}
});
