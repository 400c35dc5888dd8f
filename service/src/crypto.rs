//! Secrets at rest and admin tokens: device secrets sealed with AES-256-GCM under a key
//! read from a file (the serial is the associated data, so a sealed secret cannot be moved
//! to another device's row), and admin tokens kept only as SHA-256 hashes.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Why a key or a sealed secret cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("key file {path}: expected 64 hex digits (32 bytes)")]
    KeyFormat { path: String },
    #[error("sealed secret of device {serial} cannot be opened (wrong key or damaged row)")]
    Open { serial: String },
}

/// The at-rest key. Sealed values are nonce (12 bytes) || ciphertext+tag.
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Reads a key file of 64 hex digits; creates one (mode 0600) with a fresh random key
    /// when the file does not exist, so a first start needs no setup.
    pub fn from_key_file(path: &Path) -> Result<Self, CryptoError> {
        let shown = path.display().to_string();
        let io = |source| CryptoError::KeyFile {
            path: shown.clone(),
            source,
        };
        if !path.exists() {
            let mut key = Zeroizing::new([0u8; 32]);
            rand::rngs::OsRng.fill_bytes(key.as_mut());
            let hex = Zeroizing::new(data_encoding::HEXLOWER.encode(key.as_ref()));
            create_durably(path, hex.as_bytes()).map_err(io)?;
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(text.trim().as_bytes())
            .map_err(|_| CryptoError::KeyFormat {
                path: shown.clone(),
            })?;
        let bytes = Zeroizing::new(bytes);
        let key: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::KeyFormat { path: shown })?;
        Ok(SecretBox::new(key))
    }

    pub fn seal(&self, serial: &str, secret: &otp::Secret) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.expose(),
                    aad: serial.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short secret cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, serial: &str, sealed: &[u8]) -> Result<otp::Secret, CryptoError> {
        let fail = || CryptoError::Open {
            serial: serial.to_owned(),
        };
        if sealed.len() < 12 {
            return Err(fail());
        }
        let (nonce, body) = sealed.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: serial.as_bytes(),
                },
            )
            .map(otp::Secret::new)
            .map_err(|_| fail())
    }
}

/// Creates the file at `path` holding `bytes` (mode 0600), all or nothing and durably:
/// written to a temporary file, fsynced, linked into place (never replacing a file that
/// another process created meanwhile: then that one is kept), and the directory fsynced,
/// as is each directory created for it. A crash at any point leaves either no key file
/// or the whole key, so no secret is ever sealed under a key that a crash can take away.
fn create_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    create_dirs_durably(directory)?;
    let mut suffix = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = directory.join(format!(
        ".{name}.{}.tmp",
        data_encoding::HEXLOWER.encode(&suffix)
    ));
    let written = write_private(&temporary, bytes).and_then(|()| {
        match std::fs::hard_link(&temporary, path) {
            Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(error),
            _ => Ok(()),
        }
    });
    let removed = std::fs::remove_file(&temporary);
    written?;
    removed?;
    sync_directory(directory)
}

/// Creates `directory` and its missing ancestors, fsyncing the parent of each one made.
fn create_dirs_durably(directory: &Path) -> std::io::Result<()> {
    if directory.is_dir() {
        return Ok(());
    }
    let parent = match directory.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    create_dirs_durably(parent)?;
    match std::fs::create_dir(directory) {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => return Err(error),
        _ => {}
    }
    sync_directory(parent)
}

/// Makes the entries of `directory` (a file created or renamed in it) durable.
#[cfg(unix)]
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    std::fs::File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Writes a new private file and fsyncs it.
#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// SHA-256 of a token or activation code, as stored.
pub fn hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The admin token, kept only as its hash and compared in constant time.
#[derive(Clone)]
pub struct AdminToken {
    hash: Option<[u8; 32]>,
}

impl AdminToken {
    /// `None` (or an empty token) disables every admin endpoint.
    pub fn new(token: Option<&str>) -> Self {
        AdminToken {
            hash: token.filter(|t| !t.is_empty()).map(hash),
        }
    }

    pub fn is_set(&self) -> bool {
        self.hash.is_some()
    }

    pub fn check(&self, presented: &str) -> bool {
        match &self.hash {
            Some(expected) => bool::from(expected.ct_eq(&hash(presented))),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_serial() {
        let sealer = SecretBox::new(&[7; 32]);
        let secret = otp::Secret::new(b"12345678901234567890".to_vec());
        let sealed = sealer.seal("SN1", &secret);
        assert!(!sealed.windows(20).any(|w| w == secret.expose()));
        assert_eq!(sealer.open("SN1", &sealed).unwrap(), secret);
        assert!(sealer.open("SN2", &sealed).is_err());
        assert!(SecretBox::new(&[8; 32]).open("SN1", &sealed).is_err());
        assert!(sealer.open("SN1", &sealed[..5]).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret.key");
        let first = SecretBox::from_key_file(&path).unwrap();
        let sealed = first.seal("S", &otp::Secret::new(vec![1, 2, 3]));
        let again = SecretBox::from_key_file(&path).unwrap();
        assert_eq!(again.open("S", &sealed).unwrap().expose(), [1, 2, 3]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "zz").unwrap();
        let error = SecretBox::from_key_file(&path).err().unwrap();
        assert!(error.to_string().contains("64 hex digits"), "{error}");
    }

    #[test]
    fn admin_token_checks_in_constant_time_and_can_be_off() {
        let token = AdminToken::new(Some("s3cret"));
        assert!(token.check("s3cret"));
        assert!(!token.check("s3cres"));
        assert!(!AdminToken::new(None).check(""));
        assert!(!AdminToken::new(Some("")).is_set());
    }
}
