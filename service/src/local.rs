//! Where a service on this machine keeps its data by default: an SQLite file and the
//! at-rest key in the user's data directory. The `service` binary and the simulator's
//! embedded host both open it through here, so they see the same devices.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Clock, SecretBox, Service, ServiceError};

/// `$XDG_DATA_HOME/kodeoplaeser` (usually `~/.local/share/kodeoplaeser`).
pub fn data_dir() -> Result<PathBuf, ServiceError> {
    dirs::data_dir()
        .map(|base| base.join("kodeoplaeser"))
        .ok_or_else(|| ServiceError::Invalid {
            field: "db",
            message: "no data directory for this user; pass --db and --key-file".into(),
        })
}

/// Opens the service on `db` (default: SQLite in [`data_dir`]) with the key in `key_file`
/// (default: `secret.key` in [`data_dir`], created on first use).
pub async fn open_local(
    db: Option<&str>,
    key_file: Option<&Path>,
    clock: Arc<dyn Clock>,
) -> Result<Service, ServiceError> {
    let needs_dir = db.is_none() || key_file.is_none();
    let dir = if needs_dir { Some(data_dir()?) } else { None };
    if let Some(dir) = &dir {
        std::fs::create_dir_all(dir).map_err(|e| ServiceError::Invalid {
            field: "db",
            message: format!("cannot create {}: {e}", dir.display()),
        })?;
    }
    let default_dir = || dir.clone().unwrap_or_default();
    let db = match db {
        Some(url) => url.to_owned(),
        None => format!("sqlite://{}", default_dir().join("kode.db").display()),
    };
    let key_file = match key_file {
        Some(path) => path.to_owned(),
        None => default_dir().join("secret.key"),
    };
    let sealer = SecretBox::from_key_file(&key_file)?;
    Service::open(&db, sealer, clock).await
}
