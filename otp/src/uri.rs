//! The `otpauth://` Key URI format (as Google Authenticator defined it): parse and write.
//!
//! `otpauth://TYPE/[ISSUER:]ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`

use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::hotp::{BadDigits, UnknownAlgorithm};
use crate::totp::{TotpError, DEFAULT_PERIOD};
use crate::{Algorithm, Code, Digits, Hotp, Secret, SecretError, Totp};

/// Everything but unreserved characters is escaped, so labels survive any parser.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Counter-based or time-based, with the parameter that belongs to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpKind {
    Hotp { counter: u64 },
    Totp { period: u64 },
}

/// A parsed Key URI. Construct it directly or with [`KeyUri::parse`]; [`KeyUri::to_uri`]
/// writes it back, and parsing what it writes gives the same value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUri {
    pub kind: OtpKind,
    /// The provider, written both as the label prefix and as the `issuer` parameter.
    pub issuer: Option<String>,
    /// The account name: must be non-empty and contain no ':'.
    pub account: String,
    pub secret: Secret,
    pub algorithm: Algorithm,
    pub digits: Digits,
}

/// The part of a Key URI that an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Scheme,
    Type,
    Label,
    Secret,
    Issuer,
    Algorithm,
    Digits,
    Counter,
    Period,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Scheme => "scheme",
            Field::Type => "type",
            Field::Label => "label",
            Field::Secret => "secret",
            Field::Issuer => "issuer",
            Field::Algorithm => "algorithm",
            Field::Digits => "digits",
            Field::Counter => "counter",
            Field::Period => "period",
        })
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("missing")]
    Missing,
    #[error("given more than once")]
    Repeated,
    #[error("empty")]
    Empty,
    #[error("expected {expected}, found {found:?}")]
    Unexpected {
        expected: &'static str,
        found: String,
    },
    #[error("not valid UTF-8 after percent-decoding")]
    NotUtf8,
    #[error("must not contain ':'")]
    Colon,
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("{0}")]
    Algorithm(#[from] UnknownAlgorithm),
    #[error("{0}")]
    Digits(#[from] BadDigits),
    #[error("label says {label:?} but the issuer parameter says {parameter:?}")]
    IssuerMismatch { label: String, parameter: String },
}

/// A Key URI that cannot be used, naming the field and why ("secret: not base32 at position 7").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct UriError {
    pub field: Field,
    pub problem: Problem,
}

fn fail<T>(field: Field, problem: impl Into<Problem>) -> Result<T, UriError> {
    Err(UriError {
        field,
        problem: problem.into(),
    })
}

fn decode_label_part(raw: &str) -> Result<String, UriError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|text| text.into_owned())
        .or_else(|_| fail(Field::Label, Problem::NotUtf8))
}

/// Splits `ISSUER:ACCOUNT` at the first literal or percent-encoded colon.
fn split_label(raw: &str) -> Result<(Option<String>, String), UriError> {
    let lower = raw.to_ascii_lowercase();
    let split = match (raw.find(':'), lower.find("%3a")) {
        (Some(colon), Some(encoded)) if encoded < colon => Some((encoded, 3)),
        (Some(colon), _) => Some((colon, 1)),
        (None, Some(encoded)) => Some((encoded, 3)),
        (None, None) => None,
    };
    let (issuer, account) = match split {
        Some((at, width)) => {
            let issuer = decode_label_part(&raw[..at])?;
            if issuer.is_empty() {
                return fail(Field::Issuer, Problem::Empty);
            }
            (Some(issuer), &raw[at + width..])
        }
        None => (None, raw),
    };
    // The format allows spaces after the colon; they are not part of the account.
    let account = decode_label_part(account)?.trim_start().to_owned();
    if account.is_empty() {
        return fail(Field::Label, Problem::Empty);
    }
    if account.contains(':') {
        return fail(Field::Label, Problem::Colon);
    }
    Ok((issuer, account))
}

fn number(field: Field, text: &str) -> Result<u64, UriError> {
    text.parse().or_else(|_| {
        fail(
            field,
            Problem::Unexpected {
                expected: "a whole number",
                found: text.to_owned(),
            },
        )
    })
}

/// The query parameters the format defines, each at most once.
#[derive(Default)]
struct Parameters {
    secret: Option<String>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<String>,
    counter: Option<String>,
    period: Option<String>,
}

impl Parameters {
    fn parse(query: &str) -> Result<Self, UriError> {
        let mut parameters = Parameters::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let (slot, field) = match name.as_ref() {
                "secret" => (&mut parameters.secret, Field::Secret),
                "issuer" => (&mut parameters.issuer, Field::Issuer),
                "algorithm" => (&mut parameters.algorithm, Field::Algorithm),
                "digits" => (&mut parameters.digits, Field::Digits),
                "counter" => (&mut parameters.counter, Field::Counter),
                "period" => (&mut parameters.period, Field::Period),
                // Unknown parameters (image, color …) are allowed by the format and ignored.
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return fail(field, Problem::Repeated);
            }
        }
        Ok(parameters)
    }
}

impl KeyUri {
    /// Parses a Key URI. Every problem is reported with its field; nothing panics.
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let text = text.trim();
        let scheme = "otpauth://";
        let rest = match text.get(..scheme.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(scheme) => &text[scheme.len()..],
            _ => {
                return fail(
                    Field::Scheme,
                    Problem::Unexpected {
                        expected: "otpauth://",
                        found: text.split("//").next().unwrap_or_default().to_owned(),
                    },
                )
            }
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let (kind_text, rest) = rest.split_once('/').unwrap_or((rest, ""));
        let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (label_issuer, account) = split_label(label)?;
        let parameters = Parameters::parse(query)?;

        let kind = match kind_text.to_ascii_lowercase().as_str() {
            "hotp" => OtpKind::Hotp {
                counter: match &parameters.counter {
                    Some(counter) => number(Field::Counter, counter)?,
                    None => return fail(Field::Counter, Problem::Missing),
                },
            },
            "totp" => OtpKind::Totp {
                period: match &parameters.period {
                    Some(period) => match number(Field::Period, period)? {
                        0 => {
                            return fail(
                                Field::Period,
                                Problem::Unexpected {
                                    expected: "at least 1 second",
                                    found: period.clone(),
                                },
                            )
                        }
                        seconds => seconds,
                    },
                    None => DEFAULT_PERIOD,
                },
            },
            other => {
                return fail(
                    Field::Type,
                    Problem::Unexpected {
                        expected: "hotp or totp",
                        found: other.to_owned(),
                    },
                )
            }
        };

        let secret = match &parameters.secret {
            Some(secret) => Secret::from_base32(secret).or_else(|e| fail(Field::Secret, e))?,
            None => return fail(Field::Secret, Problem::Missing),
        };

        let issuer = match (label_issuer, parameters.issuer) {
            (Some(label), Some(parameter)) if label != parameter => {
                return fail(Field::Issuer, Problem::IssuerMismatch { label, parameter })
            }
            (_, Some(parameter)) if parameter.is_empty() => {
                return fail(Field::Issuer, Problem::Empty)
            }
            (_, Some(parameter)) if parameter.contains(':') => {
                return fail(Field::Issuer, Problem::Colon)
            }
            (label, parameter) => label.or(parameter),
        };

        let algorithm = match &parameters.algorithm {
            Some(name) => name.parse().or_else(|e| fail(Field::Algorithm, e))?,
            None => Algorithm::Sha1,
        };
        let digits = match &parameters.digits {
            Some(count) => {
                let count = number(Field::Digits, count)?;
                Digits::new(u32::try_from(count).unwrap_or(u32::MAX))
                    .or_else(|e| fail(Field::Digits, e))?
            }
            None => Digits::SIX,
        };

        Ok(KeyUri {
            kind,
            issuer,
            account,
            secret,
            algorithm,
            digits,
        })
    }

    /// Writes the URI with every parameter explicit.
    pub fn to_uri(&self) -> String {
        let encode = |text: &str| utf8_percent_encode(text, ESCAPED).to_string();
        let (kind, extra) = match self.kind {
            OtpKind::Hotp { counter } => ("hotp", format!("counter={counter}")),
            OtpKind::Totp { period } => ("totp", format!("period={period}")),
        };
        let label = match &self.issuer {
            Some(issuer) => format!("{}:{}", encode(issuer), encode(&self.account)),
            None => encode(&self.account),
        };
        let issuer = self
            .issuer
            .as_deref()
            .map(|issuer| format!("&issuer={}", encode(issuer)))
            .unwrap_or_default();
        format!(
            "otpauth://{kind}/{label}?secret={}{issuer}&algorithm={}&digits={}&{extra}",
            self.secret.to_base32().as_str(),
            self.algorithm,
            self.digits.get(),
        )
    }

    /// The code this token shows now: for TOTP the code at `unix`, for HOTP at its counter.
    pub fn code_at(&self, unix: u64) -> Result<Code, TotpError> {
        match self.kind {
            OtpKind::Hotp { counter } => {
                Ok(Hotp::new(&self.secret, self.algorithm, self.digits).code(counter))
            }
            OtpKind::Totp { period } => {
                Totp::new(&self.secret, self.algorithm, self.digits, period, 0)?.code_at(unix)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GOOGLE_EXAMPLE: &str =
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";

    #[test]
    fn parses_the_format_example() {
        let uri = KeyUri::parse(GOOGLE_EXAMPLE).unwrap();
        assert_eq!(uri.kind, OtpKind::Totp { period: 30 });
        assert_eq!(uri.issuer.as_deref(), Some("Example"));
        assert_eq!(uri.account, "alice@google.com");
        assert_eq!(uri.secret.expose(), b"Hello!\xde\xad\xbe\xef");
        assert_eq!(uri.algorithm, Algorithm::Sha1);
        assert_eq!(uri.digits, Digits::SIX);
    }

    #[test]
    fn parses_encoded_labels_and_all_parameters() {
        let uri = KeyUri::parse(
            "otpauth://hotp/ACME%20Co%3A%20john.doe%40email.com?secret=GEZDGNBVGY3TQOJQ&counter=7&digits=8&algorithm=sha256&image=x",
        )
        .unwrap();
        assert_eq!(uri.kind, OtpKind::Hotp { counter: 7 });
        assert_eq!(uri.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(uri.account, "john.doe@email.com");
        assert_eq!(uri.digits.get(), 8);
        assert_eq!(uri.algorithm, Algorithm::Sha256);
    }

    #[test]
    fn writes_what_it_parses() {
        let uri = KeyUri::parse(GOOGLE_EXAMPLE).unwrap();
        assert_eq!(
            uri.to_uri(),
            "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn errors_name_the_field_and_the_reason() {
        let cases = [
            (
                "otpauth://totp/a?secret=JBSWY1DP",
                "secret: not base32 at position 6",
            ),
            ("otpauth://totp/a", "secret: missing"),
            (
                "http://totp/a?secret=JBSWY3DP",
                "scheme: expected otpauth://, found \"http:\"",
            ),
            (
                "otpauth://motp/a?secret=JBSWY3DP",
                "type: expected hotp or totp, found \"motp\"",
            ),
            ("otpauth://hotp/a?secret=JBSWY3DP", "counter: missing"),
            (
                "otpauth://hotp/a?secret=JBSWY3DP&counter=-1",
                "counter: expected a whole number, found \"-1\"",
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DP&period=0",
                "period: expected at least 1 second, found \"0\"",
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DP&digits=4",
                "digits: 4 digits is not supported (6 to 10)",
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DP&algorithm=MD5",
                "algorithm: unknown algorithm \"MD5\" (expected SHA1, SHA256 or SHA512)",
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DP&secret=JBSWY3DP",
                "secret: given more than once",
            ),
            (
                "otpauth://totp/A:b?secret=JBSWY3DP&issuer=B",
                "issuer: label says \"A\" but the issuer parameter says \"B\"",
            ),
            ("otpauth://totp/?secret=JBSWY3DP", "label: empty"),
            ("otpauth://totp/A:?secret=JBSWY3DP", "label: empty"),
            (
                "otpauth://totp/%FF?secret=JBSWY3DP",
                "label: not valid UTF-8 after percent-decoding",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                KeyUri::parse(text).unwrap_err().to_string(),
                message,
                "{text}"
            );
        }
    }

    #[test]
    fn code_at_follows_the_kind() {
        let hotp =
            KeyUri::parse("otpauth://hotp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=3")
                .unwrap();
        assert_eq!(hotp.code_at(0).unwrap().to_string(), "969429");
        let totp =
            KeyUri::parse("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8")
                .unwrap();
        assert_eq!(totp.code_at(59).unwrap().to_string(), "94287082");
    }

    fn any_key_uri() -> impl Strategy<Value = KeyUri> {
        let kind = prop_oneof![
            any::<u64>().prop_map(|counter| OtpKind::Hotp { counter }),
            (1u64..=u64::MAX).prop_map(|period| OtpKind::Totp { period }),
        ];
        let algorithm = prop_oneof![
            Just(Algorithm::Sha1),
            Just(Algorithm::Sha256),
            Just(Algorithm::Sha512)
        ];
        (
            kind,
            proptest::option::of("[^:\\s][^:]{0,15}"),
            "[^:\\s][^:]{0,20}",
            proptest::collection::vec(any::<u8>(), 1..64),
            algorithm,
            6u32..=10,
        )
            .prop_map(|(kind, issuer, account, key, algorithm, digits)| KeyUri {
                kind,
                issuer,
                account,
                secret: Secret::new(key),
                algorithm,
                digits: Digits::new(digits).unwrap(),
            })
    }

    proptest! {
        #[test]
        fn write_then_parse_is_the_identity(uri in any_key_uri()) {
            let written = uri.to_uri();
            prop_assert_eq!(KeyUri::parse(&written), Ok(uri), "{}", written);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = KeyUri::parse(&text);
        }

        #[test]
        fn parsing_near_misses_never_panics(
            kind in "(totp|hotp|x)",
            label in "[a-z%:0-9A-F ]{0,12}",
            query in "[a-z0-9=&%+:A-Z]{0,60}",
        ) {
            let _ = KeyUri::parse(&format!("otpauth://{kind}/{label}?{query}"));
        }
    }
}
