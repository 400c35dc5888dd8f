//! End-to-end tests across crates live in `tests/tests/`; this library holds what they
//! share (finding the built binaries).
