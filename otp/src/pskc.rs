//! PSKC (RFC 6030) key containers: the vendor's file of device secrets, read into key
//! packages, with pre-shared-key (AES-128-CBC) encryption and HMAC-SHA1 integrity checks.
//!
//! No I/O: [`parse`] takes the XML text and, for encrypted files, the pre-shared key.
//! A document type declaration is refused outright, so no entity (external or internal)
//! is ever expanded. A file is taken whole or refused whole: the first problem is reported
//! with its line and element.

use std::fmt;

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use sha1::Sha1;
use zeroize::Zeroizing;

use crate::{Algorithm, Digits, OtpKind, Secret, DEFAULT_PERIOD};

const HOTP_URN: &str = "urn:ietf:params:xml:ns:keyprov:pskc:hotp";
const TOTP_URN: &str = "urn:ietf:params:xml:ns:keyprov:pskc:totp";
const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";

/// One device's key from a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPackage {
    /// `DeviceInfo/SerialNo`, or the `Key/@Id` when the package names no device.
    pub serial: String,
    pub issuer: Option<String>,
    /// HOTP with its starting counter, or TOTP with its step length.
    pub kind: OtpKind,
    pub algorithm: Algorithm,
    pub digits: Digits,
    pub secret: Secret,
}

/// What is wrong with an element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("document type declarations are refused (no entities are expanded)")]
    DocType,
    #[error("expected <{expected}> as the root element")]
    WrongRoot { expected: &'static str },
    #[error("missing <{0}>")]
    MissingElement(&'static str),
    #[error("missing attribute {0:?}")]
    MissingAttribute(&'static str),
    #[error("unsupported {what} {found:?}")]
    Unsupported { what: &'static str, found: String },
    #[error("not base64")]
    NotBase64,
    #[error("expected a whole number, found {0:?}")]
    NotNumber(String),
    #[error("{0}")]
    Digits(#[from] crate::hotp::BadDigits),
    #[error("the file is encrypted with a pre-shared key, but none was given")]
    KeyNeeded,
    #[error("pre-shared key must be 16 bytes for AES-128, got {0}")]
    KeyLength(usize),
    #[error("ciphertext is not an IV plus whole AES blocks")]
    CipherLength,
    #[error("cannot decrypt: wrong pre-shared key or damaged ciphertext")]
    Decrypt,
    #[error("the MAC does not match: the file was altered or the key is wrong")]
    MacMismatch,
    #[error("an encrypted value has no <ValueMAC>, so its integrity cannot be checked")]
    MacMissing,
    #[error("secret is empty")]
    EmptySecret,
    #[error("serial {0:?} appears more than once")]
    DuplicateSerial(String),
    #[error("the container holds no key packages")]
    NoKeys,
    #[error("elements nested more than {limit} deep")]
    TooDeep { limit: usize },
}

/// A refused container: where (line, element) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, <{element}>: {problem}")]
pub struct PskcError {
    pub line: usize,
    pub element: String,
    pub problem: Problem,
}

/// A parsed element: local name (namespace prefix dropped), attributes, text, children.
struct Node {
    name: String,
    line: usize,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn fail<T>(&self, problem: impl Into<Problem>) -> Result<T, PskcError> {
        Err(PskcError {
            line: self.line,
            element: self.name.clone(),
            problem: problem.into(),
        })
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn require(&self, name: &'static str) -> Result<&Node, PskcError> {
        match self.child(name) {
            Some(node) => Ok(node),
            None => self.fail(Problem::MissingElement(name)),
        }
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn require_attribute(&self, name: &'static str) -> Result<&str, PskcError> {
        match self.attribute(name) {
            Some(value) => Ok(value),
            None => self.fail(Problem::MissingAttribute(name)),
        }
    }

    fn trimmed(&self) -> &str {
        self.text.trim()
    }

    fn base64(&self) -> Result<Vec<u8>, PskcError> {
        let clean: String = self.text.split_whitespace().collect();
        BASE64
            .decode(clean)
            .or_else(|_| self.fail(Problem::NotBase64))
    }

    fn number(&self) -> Result<u64, PskcError> {
        let text = self.trimmed();
        text.parse()
            .or_else(|_| self.fail(Problem::NotNumber(text.to_owned())))
    }
}

/// Elements nested deeper than this are refused (PSKC needs 7): the tree is dropped
/// recursively, and no honest container comes near it.
pub const MAX_DEPTH: usize = 32;

/// The line of each byte offset, counted as the reader moves forward: every byte is
/// looked at once over the whole document (an offset behind the last one, which only an
/// error position can be, is counted again from the start).
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        if end < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        self.line += self.text[self.offset..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = end;
        self.line
    }
}

fn local_name(raw: &[u8]) -> String {
    let name = String::from_utf8_lossy(raw);
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_owned(),
        None => name.into_owned(),
    }
}

fn xml_error(
    lines: &mut Lines,
    offset: usize,
    element: &str,
    message: impl fmt::Display,
) -> PskcError {
    PskcError {
        line: lines.at(offset),
        element: element.to_owned(),
        problem: Problem::Xml(message.to_string()),
    }
}

fn start_node(lines: &mut Lines, offset: usize, start: &BytesStart) -> Result<Node, PskcError> {
    let name = local_name(start.name().as_ref());
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| xml_error(lines, offset, &name, e))?;
        let value = attribute
            .unescape_value()
            .map_err(|e| xml_error(lines, offset, &name, e))?;
        attributes.push((local_name(attribute.key.as_ref()), value.into_owned()));
    }
    Ok(Node {
        line: lines.at(offset),
        name,
        attributes,
        text: String::new(),
        children: Vec::new(),
    })
}

/// Reads the whole document into a tree, refusing any DOCTYPE and any nesting deeper
/// than [`MAX_DEPTH`]. Linear in the document's length.
fn read_tree(text: &str) -> Result<Node, PskcError> {
    let mut reader = Reader::from_str(text);
    let mut lines = Lines::new(text);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        let offset = reader.buffer_position() as usize;
        let current = stack
            .last()
            .map_or("document", |n| n.name.as_str())
            .to_owned();
        let event = reader
            .read_event()
            .map_err(|e| xml_error(&mut lines, reader.error_position() as usize, &current, e))?;
        match event {
            Event::DocType(_) => {
                return Err(PskcError {
                    line: lines.at(offset),
                    element: "!DOCTYPE".into(),
                    problem: Problem::DocType,
                })
            }
            Event::Start(start) => {
                let node = start_node(&mut lines, offset, &start)?;
                if stack.len() >= MAX_DEPTH {
                    return node.fail(Problem::TooDeep { limit: MAX_DEPTH });
                }
                stack.push(node);
            }
            Event::Empty(start) => {
                let node = start_node(&mut lines, offset, &start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::Text(content) => {
                let content = content
                    .unescape()
                    .map_err(|e| xml_error(&mut lines, offset, &current, e))?;
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&content);
                }
            }
            Event::CData(content) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&String::from_utf8_lossy(&content));
                }
            }
            Event::End(_) => {
                let node = stack.pop().expect("the reader checks that end tags match");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::Eof => {
                return Err(xml_error(
                    &mut lines,
                    text.len(),
                    &current,
                    "the document ends before its root element is closed",
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

/// The keys that decrypt and authenticate encrypted values.
struct Keys {
    encryption: Zeroizing<Vec<u8>>,
    mac: Option<Zeroizing<Vec<u8>>>,
}

/// Decrypts an `EncryptedValue`-shaped element (EncryptionMethod + CipherData/CipherValue),
/// after checking `mac` over IV || ciphertext when given (RFC 6030 §6.1.1).
fn decrypt(
    node: &Node,
    key: &[u8],
    mac: Option<(&[u8], &Node)>,
) -> Result<Zeroizing<Vec<u8>>, PskcError> {
    let method = node.require("EncryptionMethod")?;
    let algorithm = method.require_attribute("Algorithm")?;
    if algorithm != AES128_CBC {
        return method.fail(Problem::Unsupported {
            what: "encryption algorithm",
            found: algorithm.to_owned(),
        });
    }
    let cipher_value = node.require("CipherData")?.require("CipherValue")?;
    let data = cipher_value.base64()?;
    if data.len() < 32 || data.len() % 16 != 0 {
        return cipher_value.fail(Problem::CipherLength);
    }
    if let Some((mac_key, value_mac)) = mac {
        let expected = value_mac.base64()?;
        let mut hmac = Hmac::<Sha1>::new_from_slice(mac_key).expect("HMAC takes any key length");
        hmac.update(&data);
        if hmac.verify_slice(&expected).is_err() {
            return value_mac.fail(Problem::MacMismatch);
        }
    }
    let (iv, ciphertext) = data.split_at(16);
    let decryptor = cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
        .or_else(|_| node.fail(Problem::KeyLength(key.len())))?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let plain_len = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buffer)
        .or_else(|_| cipher_value.fail(Problem::Decrypt))?
        .len();
    buffer.truncate(plain_len);
    Ok(buffer)
}

/// Reads the container's EncryptionKey and MACMethod into the keys for its values.
fn container_keys(root: &Node, pre_shared_key: Option<&[u8]>) -> Result<Option<Keys>, PskcError> {
    let Some(encryption_key) = root.child("EncryptionKey") else {
        return Ok(None);
    };
    if let Some(other) = encryption_key.children.iter().find(|c| c.name != "KeyName") {
        return other.fail(Problem::Unsupported {
            what: "key protection",
            found: other.name.clone(),
        });
    }
    let Some(key) = pre_shared_key else {
        return encryption_key.fail(Problem::KeyNeeded);
    };
    if key.len() != 16 {
        return encryption_key.fail(Problem::KeyLength(key.len()));
    }
    let mac = match root.child("MACMethod") {
        None => None,
        Some(method) => {
            let algorithm = method.require_attribute("Algorithm")?;
            if algorithm != HMAC_SHA1 {
                return method.fail(Problem::Unsupported {
                    what: "MAC algorithm",
                    found: algorithm.to_owned(),
                });
            }
            Some(decrypt(method.require("MACKey")?, key, None)?)
        }
    };
    Ok(Some(Keys {
        encryption: Zeroizing::new(key.to_vec()),
        mac,
    }))
}

fn secret_of(node: &Node, keys: Option<&Keys>) -> Result<Secret, PskcError> {
    let bytes = if let Some(plain) = node.child("PlainValue") {
        Zeroizing::new(plain.base64()?)
    } else if let Some(encrypted) = node.child("EncryptedValue") {
        let Some(keys) = keys else {
            return encrypted.fail(Problem::MissingElement("EncryptionKey"));
        };
        let Some(mac_key) = keys.mac.as_deref() else {
            return encrypted.fail(Problem::MacMissing);
        };
        let Some(value_mac) = node.child("ValueMAC") else {
            return node.fail(Problem::MacMissing);
        };
        decrypt(encrypted, &keys.encryption, Some((mac_key, value_mac)))?
    } else {
        return node.fail(Problem::MissingElement("PlainValue"));
    };
    if bytes.is_empty() {
        return node.fail(Problem::EmptySecret);
    }
    Ok(Secret::new(bytes.to_vec()))
}

/// A plain number in `<Data>`: `<Counter><PlainValue>5</PlainValue></Counter>`.
fn data_number(data: &Node, name: &'static str) -> Result<Option<u64>, PskcError> {
    match data.child(name) {
        None => Ok(None),
        Some(node) => match node.child("PlainValue") {
            Some(value) => value.number().map(Some),
            None => node.fail(Problem::MissingElement("PlainValue")),
        },
    }
}

fn key_package(package: &Node, keys: Option<&Keys>) -> Result<KeyPackage, PskcError> {
    let key = package.require("Key")?;
    let kind_urn = key.require_attribute("Algorithm")?;
    let serial = match package
        .child("DeviceInfo")
        .and_then(|info| info.child("SerialNo"))
    {
        Some(serial) => serial.trimmed().to_owned(),
        None => key.require_attribute("Id")?.trim().to_owned(),
    };
    if serial.is_empty() {
        return package.fail(Problem::MissingElement("SerialNo"));
    }
    let mut digits = Digits::SIX;
    let mut algorithm = Algorithm::Sha1;
    if let Some(parameters) = key.child("AlgorithmParameters") {
        if let Some(suite) = parameters.child("Suite") {
            algorithm = suite.trimmed().parse().or_else(|_| {
                suite.fail(Problem::Unsupported {
                    what: "suite",
                    found: suite.trimmed().to_owned(),
                })
            })?;
        }
        if let Some(format) = parameters.child("ResponseFormat") {
            let encoding = format.require_attribute("Encoding")?;
            if encoding != "DECIMAL" {
                return format.fail(Problem::Unsupported {
                    what: "response encoding",
                    found: encoding.to_owned(),
                });
            }
            let length = format.require_attribute("Length")?;
            let count = length
                .parse()
                .or_else(|_| format.fail(Problem::NotNumber(length.to_owned())))?;
            digits = Digits::new(count).or_else(|e| format.fail(e))?;
        }
    }
    let data = key.require("Data")?;
    let secret = secret_of(data.require("Secret")?, keys)?;
    let kind = match kind_urn {
        HOTP_URN => OtpKind::Hotp {
            counter: data_number(data, "Counter")?.unwrap_or(0),
        },
        TOTP_URN => {
            if let Some(start) = data_number(data, "Time")? {
                if start != 0 {
                    return data.require("Time")?.fail(Problem::Unsupported {
                        what: "start time",
                        found: start.to_string(),
                    });
                }
            }
            let period = data_number(data, "TimeInterval")?.unwrap_or(DEFAULT_PERIOD);
            if period == 0 {
                return data
                    .require("TimeInterval")?
                    .fail(Problem::NotNumber("0".into()));
            }
            OtpKind::Totp { period }
        }
        other => {
            return key.fail(Problem::Unsupported {
                what: "key algorithm",
                found: other.to_owned(),
            })
        }
    };
    Ok(KeyPackage {
        serial,
        issuer: key.child("Issuer").map(|n| n.trimmed().to_owned()),
        kind,
        algorithm,
        digits,
        secret,
    })
}

/// Reads every key package of a PSKC container. `pre_shared_key` (16 bytes) is needed
/// when the container's secrets are encrypted; every encrypted secret must carry a
/// `<ValueMAC>` that matches. Serials must be unique within the file.
pub fn parse(xml: &str, pre_shared_key: Option<&[u8]>) -> Result<Vec<KeyPackage>, PskcError> {
    let root = read_tree(xml)?;
    if root.name != "KeyContainer" {
        return root.fail(Problem::WrongRoot {
            expected: "KeyContainer",
        });
    }
    let version = root.require_attribute("Version")?;
    if version != "1.0" {
        return root.fail(Problem::Unsupported {
            what: "version",
            found: version.to_owned(),
        });
    }
    let keys = container_keys(&root, pre_shared_key)?;
    let mut packages: Vec<KeyPackage> = Vec::new();
    let mut serials = std::collections::HashSet::new();
    for node in root.children.iter().filter(|c| c.name == "KeyPackage") {
        let package = key_package(node, keys.as_ref())?;
        if !serials.insert(package.serial.clone()) {
            return node.fail(Problem::DuplicateSerial(package.serial));
        }
        packages.push(package);
    }
    if packages.is_empty() {
        return root.fail(Problem::NoKeys);
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hotp;

    /// RFC 6030 Figure 6 (pre-shared key 12345678901234567890123456789012 hex; its
    /// <MACKey> decrypts to 1122334455667788990011223344556677889900).
    const FIGURE_6: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0"
    xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
    <EncryptionKey>
        <ds:KeyName>Pre-shared-key</ds:KeyName>
    </EncryptionKey>
    <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
        <MACKey>
            <xenc:EncryptionMethod
            Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData>
                <xenc:CipherValue>
    ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX
                </xenc:CipherValue>
            </xenc:CipherData>
        </MACKey>
    </MACMethod>
    <KeyPackage>
        <DeviceInfo>
            <Manufacturer>Manufacturer</Manufacturer>
            <SerialNo>987654321</SerialNo>
        </DeviceInfo>
        <CryptoModuleInfo>
            <Id>CM_ID_001</Id>
        </CryptoModuleInfo>
        <Key Id="12345678"
            Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <Issuer>Issuer</Issuer>
            <AlgorithmParameters>
                <ResponseFormat Length="8" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret>
                    <EncryptedValue>
                        <xenc:EncryptionMethod
            Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
                        <xenc:CipherData>
                            <xenc:CipherValue>
    AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv
                            </xenc:CipherValue>
                        </xenc:CipherData>
                    </EncryptedValue>
                    <ValueMAC>Su+NvtQfmvfJzF6bmQiJqoLRExc=
                    </ValueMAC>
                </Secret>
                <Counter>
                    <PlainValue>0</PlainValue>
                </Counter>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>
"#;

    /// RFC 6030 Figure 3 (plain secret, HOTP, 8 digits, counter 0), with a second TOTP
    /// package in the shape of the RFC's time-based examples.
    const FIGURE_3_AND_TOTP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" Id="exampleID1"
    xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
    <KeyPackage>
        <DeviceInfo>
            <Manufacturer>Manufacturer</Manufacturer>
            <SerialNo>987654321</SerialNo>
            <UserId>DC=example-bank,DC=net</UserId>
        </DeviceInfo>
        <CryptoModuleInfo>
            <Id>CM_ID_001</Id>
        </CryptoModuleInfo>
        <Key Id="12345678"
            Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <Issuer>Issuer</Issuer>
            <AlgorithmParameters>
                <ResponseFormat Length="8" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret>
                    <PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=
                    </PlainValue>
                </Secret>
                <Counter>
                    <PlainValue>0</PlainValue>
                </Counter>
            </Data>
            <UserId>UID=jsmith,DC=example-bank,DC=net</UserId>
        </Key>
    </KeyPackage>
    <KeyPackage>
        <DeviceInfo><SerialNo>KR-0002</SerialNo></DeviceInfo>
        <Key Id="k2" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
            <AlgorithmParameters><Suite>HMAC-SHA256</Suite></AlgorithmParameters>
            <Data>
                <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=</PlainValue></Secret>
                <Time><PlainValue>0</PlainValue></Time>
                <TimeInterval><PlainValue>60</PlainValue></TimeInterval>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>
"#;

    fn rfc_psk() -> Vec<u8> {
        (0..16)
            .map(|i| {
                u8::from_str_radix(&"12345678901234567890123456789012"[i * 2..i * 2 + 2], 16)
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn figure_6_decrypts_with_the_pre_shared_key() {
        let packages = parse(FIGURE_6, Some(&rfc_psk())).unwrap();
        assert_eq!(packages.len(), 1);
        let package = &packages[0];
        assert_eq!(package.serial, "987654321");
        assert_eq!(package.issuer.as_deref(), Some("Issuer"));
        assert_eq!(package.kind, OtpKind::Hotp { counter: 0 });
        assert_eq!(package.digits.get(), 8);
        assert_eq!(package.secret.expose(), b"12345678901234567890");
        // RFC 4226 Appendix D's truncated value for counter 0 is 1284755224.
        let hotp = Hotp::new(&package.secret, package.algorithm, package.digits);
        assert_eq!(hotp.code(0).to_string(), "84755224");
    }

    #[test]
    fn figure_6_with_a_wrong_mac_is_refused() {
        let altered = FIGURE_6.replace(
            "Su+NvtQfmvfJzF6bmQiJqoLRExc=",
            "Tu+NvtQfmvfJzF6bmQiJqoLRExc=",
        );
        let error = parse(&altered, Some(&rfc_psk())).unwrap_err();
        assert_eq!(error.problem, Problem::MacMismatch);
        assert_eq!(error.element, "ValueMAC");
        assert_eq!(error.line, 45);
        // One flipped ciphertext bit is caught by the MAC before any decryption.
        let altered = FIGURE_6.replace("AAECAwQFBgcICQoLDA0OD+cI", "AAECAwQFBgcICQoLDA0OD+cJ");
        assert_eq!(
            parse(&altered, Some(&rfc_psk())).unwrap_err().problem,
            Problem::MacMismatch
        );
    }

    #[test]
    fn figure_6_needs_the_right_key() {
        assert_eq!(
            parse(FIGURE_6, None).unwrap_err().problem,
            Problem::KeyNeeded
        );
        let mut wrong = rfc_psk();
        wrong[0] ^= 1;
        // A wrong key gives a wrong MAC key, so the MAC check fails (or the padding does).
        let problem = parse(FIGURE_6, Some(&wrong)).unwrap_err().problem;
        assert!(
            matches!(problem, Problem::MacMismatch | Problem::Decrypt),
            "{problem:?}"
        );
        assert_eq!(
            parse(FIGURE_6, Some(&[1; 8])).unwrap_err().problem,
            Problem::KeyLength(8)
        );
    }

    #[test]
    fn encrypted_values_without_a_mac_are_refused() {
        let start = FIGURE_6.find("<ValueMAC>").unwrap();
        let end = FIGURE_6.find("</ValueMAC>").unwrap() + "</ValueMAC>".len();
        let stripped = format!("{}{}", &FIGURE_6[..start], &FIGURE_6[end..]);
        assert_eq!(
            parse(&stripped, Some(&rfc_psk())).unwrap_err().problem,
            Problem::MacMissing
        );
    }

    #[test]
    fn figure_3_plain_hotp_and_a_totp_package() {
        let packages = parse(FIGURE_3_AND_TOTP, None).unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].serial, "987654321");
        assert_eq!(packages[0].secret.expose(), b"12345678901234567890");
        assert_eq!(packages[0].kind, OtpKind::Hotp { counter: 0 });
        assert_eq!(packages[1].serial, "KR-0002");
        assert_eq!(packages[1].kind, OtpKind::Totp { period: 60 });
        assert_eq!(packages[1].algorithm, Algorithm::Sha256);
        assert_eq!(packages[1].digits, Digits::SIX);
        assert_eq!(packages[1].secret.len(), 32);
    }

    #[test]
    fn doctype_and_entities_are_refused() {
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE KeyContainer [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<KeyContainer Version="1.0"><KeyPackage>&xxe;</KeyPackage></KeyContainer>"#;
        let error = parse(xxe, None).unwrap_err();
        assert_eq!(error.problem, Problem::DocType);
        assert_eq!(error.line, 2);
        assert_eq!(
            error.to_string(),
            "line 2, <!DOCTYPE>: document type declarations are refused (no entities are expanded)"
        );
    }

    #[test]
    fn errors_name_line_and_element() {
        let bad = FIGURE_3_AND_TOTP.replace("Length=\"8\"", "Length=\"4\"");
        let error = parse(&bad, None).unwrap_err();
        assert_eq!((error.line, error.element.as_str()), (17, "ResponseFormat"));
        assert_eq!(
            error.to_string(),
            "line 17, <ResponseFormat>: 4 digits is not supported (6 to 10)"
        );

        let bad = FIGURE_3_AND_TOTP.replace("KR-0002", "987654321");
        assert_eq!(
            parse(&bad, None).unwrap_err().problem,
            Problem::DuplicateSerial("987654321".into())
        );

        let bad = FIGURE_3_AND_TOTP.replace("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=", "not base64!");
        let error = parse(&bad, None).unwrap_err();
        assert_eq!((error.line, error.problem), (21, Problem::NotBase64));

        let bad = FIGURE_3_AND_TOTP.replace("pskc:totp", "pskc:ocra");
        assert!(matches!(
            parse(&bad, None).unwrap_err().problem,
            Problem::Unsupported {
                what: "key algorithm",
                ..
            }
        ));

        let error = parse("<KeyContainer Version=\"1.0\"><KeyPackage>", None).unwrap_err();
        assert!(matches!(error.problem, Problem::Xml(_)), "{error}");
        assert_eq!(
            parse("<Other/>", None).unwrap_err().problem,
            Problem::WrongRoot {
                expected: "KeyContainer"
            }
        );
        assert_eq!(
            parse("<KeyContainer Version=\"1.0\"/>", None)
                .unwrap_err()
                .problem,
            Problem::NoKeys
        );
    }

    #[test]
    fn deep_nesting_is_refused_where_it_starts() {
        // Before the limit, 200 000 nested elements were read into a tree whose
        // recursive drop overflowed the stack and aborted the process.
        let depth = 200_000;
        let text = format!(
            "<KeyContainer Version=\"1.0\">\n{}{}</KeyContainer>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        let error = parse(&text, None).unwrap_err();
        assert_eq!(
            (error.line, error.element.as_str(), error.problem),
            (2, "a", Problem::TooDeep { limit: MAX_DEPTH })
        );
        // As deep as the limit is fine (and holds no keys).
        let text = format!(
            "<KeyContainer Version=\"1.0\">{}{}</KeyContainer>",
            "<a>".repeat(MAX_DEPTH - 1),
            "</a>".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(parse(&text, None).unwrap_err().problem, Problem::NoKeys);
    }

    #[test]
    fn a_duplicate_serial_is_named_at_its_second_package() {
        let package = |serial: &str| {
            format!(
                "<KeyPackage><DeviceInfo><SerialNo>{serial}</SerialNo></DeviceInfo>\
                 <Key Id=\"k\" Algorithm=\"{TOTP_URN}\"><Data><Secret><PlainValue>\
                 MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key></KeyPackage>\n"
            )
        };
        let text = format!(
            "<KeyContainer Version=\"1.0\">\n{}{}{}</KeyContainer>",
            package("A"),
            package("B"),
            package("A")
        );
        let error = parse(&text, None).unwrap_err();
        assert_eq!(
            (error.line, error.problem),
            (4, Problem::DuplicateSerial("A".into()))
        );
    }

    proptest::proptest! {
        #[test]
        fn lines_are_counted_as_from_the_start(
            text in "[a\n]{0,64}",
            offsets in proptest::collection::vec(0usize..80, 0..12),
        ) {
            let mut lines = Lines::new(&text);
            for offset in offsets {
                let end = offset.min(text.len());
                let expected = text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1;
                proptest::prop_assert_eq!(lines.at(offset), expected);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = parse(&text, None);
        }

        #[test]
        fn damaged_containers_never_panic(cut in 0usize..2000, insert in "[<>&/\"a-z ]{0,8}") {
            let cut = cut.min(FIGURE_6.len());
            let cut = (0..=cut).rev().find(|&i| FIGURE_6.is_char_boundary(i)).unwrap_or(0);
            let damaged = format!("{}{}{}", &FIGURE_6[..cut], insert, &FIGURE_6[cut..]);
            let _ = parse(&damaged, Some(&rfc_psk()));
        }
    }
}
