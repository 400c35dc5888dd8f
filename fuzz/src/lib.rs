//! What the fuzz targets share: where a reported position may lie, and a PSKC writer for
//! round trips.

use otp::pskc::KeyPackage;
use otp::OtpKind;

/// Lines in `text` as an error may number them: 1 for empty text, one more than the line
/// breaks (a position at the very end may name the line after the last break).
pub fn lines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// Asserts that a 1-based line number names a line of `text`.
pub fn assert_line_in(line: usize, text: &str, error: &dyn std::fmt::Display) {
    assert!(
        (1..=lines(text)).contains(&line),
        "error names line {line} of a {}-line input: {error}",
        lines(text)
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain PSKC container (RFC 6030) holding `packages`, as a vendor would write it.
pub fn write_pskc(packages: &[KeyPackage]) -> String {
    use base64::Engine as _;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n",
    );
    for (n, package) in packages.iter().enumerate() {
        let (urn, data) = match package.kind {
            OtpKind::Hotp { counter } => (
                "urn:ietf:params:xml:ns:keyprov:pskc:hotp",
                format!("<Counter><PlainValue>{counter}</PlainValue></Counter>"),
            ),
            OtpKind::Totp { period } => (
                "urn:ietf:params:xml:ns:keyprov:pskc:totp",
                format!("<TimeInterval><PlainValue>{period}</PlainValue></TimeInterval>"),
            ),
        };
        let issuer = package
            .issuer
            .as_deref()
            .map(|issuer| format!("<Issuer>{}</Issuer>", escape(issuer)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<KeyPackage><DeviceInfo><SerialNo>{}</SerialNo></DeviceInfo>\n\
             <Key Id=\"{n}\" Algorithm=\"{urn}\">{issuer}<AlgorithmParameters>\
             <Suite>{}</Suite><ResponseFormat Length=\"{}\" Encoding=\"DECIMAL\"/>\
             </AlgorithmParameters><Data><Secret><PlainValue>{}</PlainValue></Secret>{data}\
             </Data></Key></KeyPackage>\n",
            escape(&package.serial),
            package.algorithm,
            package.digits.get(),
            base64::engine::general_purpose::STANDARD.encode(package.secret.expose()),
        ));
    }
    out.push_str("</KeyContainer>\n");
    out
}
