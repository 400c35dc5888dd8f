//! Voice packs: a folder of clips plus `pack.toml` per language, and the tools that build,
//! record and validate them. Filled in by the speech issue.
