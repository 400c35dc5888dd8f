//! What a vendor delivers, read into devices: a PSKC container (RFC 6030, see
//! [`otp::pskc`]) or a text file of `SERIAL otpauth://…` lines (a comma may separate the
//! two, as in CSV). Pure: the caller reads the file. A bad file is refused whole, naming
//! the line and the reason.

use otp::{Algorithm, Digits, KeyUri, OtpKind, Secret};

/// One device to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedDevice {
    pub serial: String,
    pub kind: OtpKind,
    pub algorithm: Algorithm,
    pub digits: Digits,
    pub secret: Secret,
}

/// Why a file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Pskc(#[from] otp::PskcError),
    #[error("line {line}: {problem}")]
    Line { line: usize, problem: String },
    #[error("the file holds no devices")]
    Empty,
    #[error("secret of {serial} is {bytes} bytes; at least 16 are required (RFC 4226 §4)")]
    WeakSecret { serial: String, bytes: usize },
}

/// A serial number checked by the one rule ([`otp::Serial::parse`]: letters and digits,
/// spaces and hyphens ignored, letters upper-cased), given back in its canonical form.
pub fn check_serial(serial: &str) -> Result<String, String> {
    otp::Serial::parse(serial)
        .map(|serial| serial.as_str().to_owned())
        .map_err(|error| format!("{serial:?}: {error}"))
}

/// Reads either format: text starting with `<` is PSKC, anything else is lines.
pub fn parse(
    text: &str,
    pre_shared_key: Option<&[u8]>,
) -> Result<Vec<ImportedDevice>, ImportError> {
    let devices = if text.trim_start().starts_with('<') {
        parse_pskc(text, pre_shared_key)?
    } else {
        parse_lines(text)?
    };
    if devices.is_empty() {
        return Err(ImportError::Empty);
    }
    for device in &devices {
        if device.secret.len() < 16 {
            return Err(ImportError::WeakSecret {
                serial: device.serial.clone(),
                bytes: device.secret.len(),
            });
        }
    }
    Ok(devices)
}

fn parse_pskc(
    text: &str,
    pre_shared_key: Option<&[u8]>,
) -> Result<Vec<ImportedDevice>, ImportError> {
    let packages = otp::pskc::parse(text, pre_shared_key)?;
    packages
        .into_iter()
        .map(|package| {
            let serial = check_serial(&package.serial)
                .map_err(|problem| ImportError::Line { line: 0, problem })?;
            Ok(ImportedDevice {
                serial,
                kind: package.kind,
                algorithm: package.algorithm,
                digits: package.digits,
                secret: package.secret,
            })
        })
        .collect()
}

/// `SERIAL otpauth://…` per line; blank lines and `#` comments are skipped.
pub fn parse_lines(text: &str) -> Result<Vec<ImportedDevice>, ImportError> {
    let mut devices: Vec<ImportedDevice> = Vec::new();
    let mut serials = std::collections::HashSet::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let fail = |problem: String| ImportError::Line { line, problem };
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (serial, uri) = content
            .split_once(|c: char| c.is_whitespace() || c == ',')
            .ok_or_else(|| fail("expected `SERIAL otpauth://…`".into()))?;
        let canonical = check_serial(serial).map_err(fail)?;
        let key = KeyUri::parse(uri.trim()).map_err(|e| fail(format!("{serial}: {e}")))?;
        let serial = canonical;
        if !serials.insert(serial.clone()) {
            return Err(fail(format!("serial {serial} appears more than once")));
        }
        devices.push(ImportedDevice {
            serial,
            kind: key.kind,
            algorithm: key.algorithm,
            digits: key.digits,
            secret: key.secret,
        });
    }
    Ok(devices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const URI: &str =
        "otpauth://totp/MitID:KR-1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=MitID";

    #[test]
    fn lines_and_csv_parse() {
        let text = format!(
            "# vendor delivery\n\nKR-1 {URI}\nKR-2,otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=5&digits=8\n"
        );
        let devices = parse(&text, None).unwrap();
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0].serial, "KR1");
        assert_eq!(devices[0].kind, OtpKind::Totp { period: 30 });
        assert_eq!(devices[1].kind, OtpKind::Hotp { counter: 5 });
        assert_eq!(devices[1].digits.get(), 8);
    }

    #[test]
    fn a_bad_line_refuses_the_file_naming_the_line() {
        let text = format!("KR-1 {URI}\nKR-2 otpauth://totp/x?secret=GEZ1\n");
        let error = parse(&text, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2: KR-2: secret: not base32 at position 4"
        );
        let error = parse(&format!("KR-1 {URI}\nKR-1 {URI}\n"), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2: serial KR1 appears more than once"
        );
        let error = parse("just-a-serial\n", None).unwrap_err();
        assert_eq!(error.to_string(), "line 1: expected `SERIAL otpauth://…`");
        assert_eq!(parse("# nothing\n", None).unwrap_err(), ImportError::Empty);
        let weak = "KR-9 otpauth://totp/x?secret=GEZDGNBV\n";
        assert!(matches!(
            parse(weak, None).unwrap_err(),
            ImportError::WeakSecret { bytes: 5, .. }
        ));
    }

    #[test]
    fn pskc_is_recognised_and_doctype_refused() {
        let error = parse("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<x/>", None)
            .unwrap_err();
        assert!(
            error.to_string().starts_with("line 2, <!DOCTYPE>"),
            "{error}"
        );
    }

    #[test]
    fn serials_are_checked() {
        assert_eq!(check_serial("kr-0001").unwrap(), "KR0001");
        assert!(check_serial("").is_err());
        assert!(check_serial("a,b").is_err());
        assert!(check_serial(&"x".repeat(33)).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse(&text, None);
        }
    }
}
