//! Compiles `proto/mucp.proto` with prost. Needs `protoc` (Debian's `protobuf-compiler`, which
//! `scripts/setup.sh` installs).
//!
//! An envelope's body is `bytes::Bytes`: decoded from a `Bytes` frame it is a slice of the
//! frame, not a copy.

fn main() -> std::io::Result<()> {
	println!("cargo:rerun-if-changed=../proto/mucp.proto");
	prost_build::Config::new()
		.bytes([".micro.mucp.v1.Envelope.body"])
		.compile_protos(&["../proto/mucp.proto"], &["../proto"])
}
