//! Compiles `proto/mucp.proto` with prost. Needs `protoc` (Debian's `protobuf-compiler`, which
//! `scripts/setup.sh` installs).

fn main() -> std::io::Result<()> {
	println!("cargo:rerun-if-changed=../proto/mucp.proto");
	prost_build::compile_protos(&["../proto/mucp.proto"], &["../proto"])
}
