//! The device's secret, from its provisioning file: an `otpauth://` Key URI or a PSKC
//! container. The file must stay private (0600); the secret is never shown, spoken or logged.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use otp::{Hotp, KeyUri, OtpKind, Totp};

use crate::core::Token;

/// Why the secret could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("reading provisioning file {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("provisioning file {path} can be read by others (mode {mode:o}) and could not be made private: {cause}")]
    Permissions {
        path: PathBuf,
        mode: u32,
        cause: std::io::Error,
    },
    #[error("provisioning file {path}: {cause}")]
    Uri { path: PathBuf, cause: otp::UriError },
    #[error("provisioning file {path}: {cause}")]
    Pskc {
        path: PathBuf,
        cause: otp::PskcError,
    },
    #[error("provisioning file {path} has no key for serial {serial}")]
    NoKeyForSerial { path: PathBuf, serial: otp::Serial },
    #[error("provisioning file {path}: {cause}")]
    Period {
        path: PathBuf,
        cause: otp::TotpError,
    },
    #[error("provisioning file {path} is neither an otpauth:// URI nor a PSKC (XML) file")]
    UnknownFormat { path: PathBuf },
}

/// What provisioning gives the device.
#[derive(Debug)]
pub struct Provisioned {
    pub token: Token,
    /// The first HOTP counter (from the file), used until the state file has one.
    pub hotp_start: Option<u64>,
}

/// Loads the secret for the device with `serial` from `path`; a PSKC file may be
/// encrypted with `pre_shared_key`. A file readable by group or others is made 0600
/// first (and a warning logged).
pub fn load(
    path: &Path,
    serial: &otp::Serial,
    pre_shared_key: Option<&[u8]>,
) -> Result<Provisioned, ProvisionError> {
    let metadata = fs::metadata(path).map_err(|cause| ProvisionError::Read {
        path: path.to_owned(),
        cause,
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|cause| {
            ProvisionError::Permissions {
                path: path.to_owned(),
                mode,
                cause,
            }
        })?;
        tracing::warn!(
            "provisioning file {} was mode {mode:o}; made it 0600",
            path.display()
        );
    }
    let text = zeroize::Zeroizing::new(fs::read_to_string(path).map_err(|cause| {
        ProvisionError::Read {
            path: path.to_owned(),
            cause,
        }
    })?);
    parse(&text, path, serial, pre_shared_key)
}

/// Reads a provisioning file's text (an otpauth URI, or a PSKC container holding the key
/// for `serial`), without I/O; `path` names it in errors.
pub fn parse(
    text: &str,
    path: &Path,
    serial: &otp::Serial,
    pre_shared_key: Option<&[u8]>,
) -> Result<Provisioned, ProvisionError> {
    let trimmed = text.trim();
    let (kind, secret, algorithm, digits) = if trimmed.starts_with("otpauth://") {
        let uri = KeyUri::parse(trimmed).map_err(|cause| ProvisionError::Uri {
            path: path.to_owned(),
            cause,
        })?;
        (uri.kind, uri.secret, uri.algorithm, uri.digits)
    } else if trimmed.starts_with('<') {
        let packages =
            otp::pskc::parse(trimmed, pre_shared_key).map_err(|cause| ProvisionError::Pskc {
                path: path.to_owned(),
                cause,
            })?;
        let package = packages
            .into_iter()
            .find(|package| otp::Serial::parse(&package.serial).as_ref() == Ok(serial))
            .ok_or_else(|| ProvisionError::NoKeyForSerial {
                path: path.to_owned(),
                serial: serial.clone(),
            })?;
        (
            package.kind,
            package.secret,
            package.algorithm,
            package.digits,
        )
    } else {
        return Err(ProvisionError::UnknownFormat {
            path: path.to_owned(),
        });
    };
    provisioned(kind, &secret, algorithm, digits).map_err(|cause| ProvisionError::Period {
        path: path.to_owned(),
        cause,
    })
}

/// What an otpauth URI provisions (the simulator takes its secret this way).
pub fn from_uri(uri: &KeyUri) -> Result<Provisioned, otp::TotpError> {
    provisioned(uri.kind, &uri.secret, uri.algorithm, uri.digits)
}

fn provisioned(
    kind: OtpKind,
    secret: &otp::Secret,
    algorithm: otp::Algorithm,
    digits: otp::Digits,
) -> Result<Provisioned, otp::TotpError> {
    Ok(match kind {
        OtpKind::Totp { period } => Provisioned {
            token: Token::Totp(Totp::new(secret, algorithm, digits, period, 0)?),
            hotp_start: None,
        },
        OtpKind::Hotp { counter } => Provisioned {
            token: Token::Hotp(Hotp::new(secret, algorithm, digits)),
            hotp_start: Some(counter),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serial(text: &str) -> otp::Serial {
        otp::Serial::parse(text).unwrap()
    }

    #[test]
    fn loads_a_totp_uri_and_makes_the_file_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.uri");
        fs::write(
            &path,
            "otpauth://totp/MitID:KR1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=MitID\n",
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let provisioned = load(&path, &serial("KR1"), None).unwrap();
        let Token::Totp(totp) = provisioned.token else {
            panic!("not TOTP")
        };
        assert_eq!(totp.code_at(59).unwrap().to_string(), "287082");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn loads_an_hotp_uri_with_its_counter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.uri");
        fs::write(
            &path,
            "otpauth://hotp/KR1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=3",
        )
        .unwrap();
        let provisioned = load(&path, &serial("KR1"), None).unwrap();
        assert_eq!(provisioned.hotp_start, Some(3));
    }

    #[test]
    fn loads_the_device_s_key_from_a_pskc_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.pskc");
        let package = |serial: &str, secret: &str| {
            format!(
                "<KeyPackage><DeviceInfo><SerialNo>{serial}</SerialNo></DeviceInfo>\
                 <Key Id=\"k{serial}\" Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:totp\">\
                 <AlgorithmParameters><ResponseFormat Length=\"6\" Encoding=\"DECIMAL\"/></AlgorithmParameters>\
                 <Data><Secret><PlainValue>{secret}</PlainValue></Secret>\
                 <TimeInterval><PlainValue>30</PlainValue></TimeInterval></Data></Key></KeyPackage>"
            )
        };
        let xml = format!(
            "<?xml version=\"1.0\"?><KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">{}{}</KeyContainer>",
            package("1111-2222", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            // "12345678901234567890" in base64.
            package("1234-5678-90", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA="),
        );
        fs::write(&path, xml).unwrap();
        let provisioned = load(&path, &serial("1234567890"), None).unwrap();
        let Token::Totp(totp) = provisioned.token else {
            panic!("not TOTP")
        };
        assert_eq!(totp.code_at(59).unwrap().to_string(), "287082");
        assert!(matches!(
            load(&path, &serial("999"), None),
            Err(ProvisionError::NoKeyForSerial { .. })
        ));
    }

    #[test]
    fn errors_name_the_file_and_never_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.uri");
        fs::write(
            &path,
            "otpauth://totp/KR1?secret=GEZDGNBVGY3TQOJQ!!&issuer=MitID",
        )
        .unwrap();
        let message = load(&path, &serial("KR1"), None).unwrap_err().to_string();
        assert!(message.contains("secret.uri"), "{message}");
        assert!(!message.contains("GEZDGNBV"), "{message}");
        fs::write(&path, "hello").unwrap();
        assert!(matches!(
            load(&path, &serial("KR1"), None),
            Err(ProvisionError::UnknownFormat { .. })
        ));
        assert!(matches!(
            load(&dir.path().join("missing"), &serial("KR1"), None),
            Err(ProvisionError::Read { .. })
        ));
    }
}
