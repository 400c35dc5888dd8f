//! The back-end service: imports devices, activates them for a person and validates their
//! codes. Filled in by the service issue.
