//! Which identity documents are enough to get MitID at Borgerservice: a passport or a
//! driving licence; otherwise two documents, one with the CPR number (e.g. the health card)
//! and one of a baptism or name certificate, the latest annual tax statement, or proof of a
//! public benefit payment at most 3 months old. Without a passport or driving licence the
//! caller must then also answer questions from the CPR register or bring a witness.

use std::str::FromStr;

use chrono::{Months, NaiveDate};

/// A document the caller has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Passport,
    DrivingLicence,
    /// The yellow/blue health card (sundhedskort), which shows the CPR number.
    HealthCard,
    /// Any other document showing the CPR number.
    OtherWithCpr,
    BaptismOrNameCertificate,
    /// The annual tax statement (årsopgørelse); `latest` is false for an older year's.
    AnnualTaxStatement {
        latest: bool,
    },
    /// Proof of a public benefit payment, dated.
    BenefitPayment {
        dated: NaiveDate,
    },
}

/// The words accepted on the command line, in the order they are listed in help texts.
pub const DOCUMENT_WORDS: &str = "passport, driving-licence, health-card, other-with-cpr, \
    baptism-certificate (or name-certificate), tax-statement, old-tax-statement, \
    benefit:YYYY-MM-DD";

/// A document word that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown document {0:?}; known: {DOCUMENT_WORDS}")]
pub struct UnknownDocument(pub String);

impl FromStr for Document {
    type Err = UnknownDocument;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let word = text.trim().to_ascii_lowercase();
        Ok(match word.as_str() {
            "passport" | "pas" => Document::Passport,
            "driving-licence" | "driving-license" | "kørekort" => Document::DrivingLicence,
            "health-card" | "sundhedskort" => Document::HealthCard,
            "other-with-cpr" => Document::OtherWithCpr,
            "baptism-certificate" | "name-certificate" | "dåbsattest" | "navneattest" => {
                Document::BaptismOrNameCertificate
            }
            "tax-statement" | "årsopgørelse" => Document::AnnualTaxStatement { latest: true },
            "old-tax-statement" => Document::AnnualTaxStatement { latest: false },
            _ => match word.strip_prefix("benefit:") {
                Some(date) => Document::BenefitPayment {
                    dated: date.parse().map_err(|_| UnknownDocument(text.to_owned()))?,
                },
                None => return Err(UnknownDocument(text.to_owned())),
            },
        })
    }
}

/// What the caller can do with the documents they have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentVerdict {
    /// A passport or driving licence: enough on its own.
    PhotoIdEnough,
    /// Two documents are enough; the caller must also answer CPR-register questions or bring
    /// a witness.
    TwoDocumentsThenQuestionsOrWitness,
    /// Not enough; each shortfall says what is missing or wrong.
    NotEnough(Vec<Shortfall>),
}

/// Proof of a public benefit payment may be at most this many months old.
pub const BENEFIT_MAX_MONTHS: u32 = 3;

/// One reason why documents without a passport or driving licence are not enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// No passport or driving licence, so two other documents are needed.
    NoPhotoId,
    /// None of the documents shows the CPR number.
    NoCprDocument,
    /// No baptism or name certificate, latest tax statement or recent benefit proof.
    NoSecondDocument,
    /// A tax statement that is not the latest one.
    OldTaxStatement,
    /// A benefit proof older than [`BENEFIT_MAX_MONTHS`]; `from` is the earliest date allowed.
    BenefitTooOld { dated: NaiveDate, from: NaiveDate },
    /// A benefit proof dated after the day of the check.
    BenefitInFuture { dated: NaiveDate },
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shortfall::NoPhotoId => write!(
                f,
                "no passport or driving licence, so two other documents are needed"
            ),
            Shortfall::NoCprDocument => {
                write!(f, "a document with the CPR number (e.g. the health card)")
            }
            Shortfall::NoSecondDocument => write!(
                f,
                "a baptism or name certificate, the latest annual tax statement, or proof of a \
                 public benefit payment at most {BENEFIT_MAX_MONTHS} months old"
            ),
            Shortfall::OldTaxStatement => write!(f, "the tax statement must be the latest one"),
            Shortfall::BenefitTooOld { dated, from } => write!(
                f,
                "the benefit payment proof of {dated} is more than {BENEFIT_MAX_MONTHS} months \
                 old (must be from {from} or later)"
            ),
            Shortfall::BenefitInFuture { dated } => write!(
                f,
                "the benefit payment proof is dated in the future ({dated})"
            ),
        }
    }
}

impl DocumentVerdict {
    pub fn enough(&self) -> bool {
        !matches!(self, DocumentVerdict::NotEnough(_))
    }
}

impl std::fmt::Display for DocumentVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocumentVerdict::PhotoIdEnough => {
                write!(
                    f,
                    "enough: a passport or driving licence is enough on its own"
                )
            }
            DocumentVerdict::TwoDocumentsThenQuestionsOrWitness => write!(
                f,
                "enough: two documents; then answer questions from the CPR register or bring \
                 a witness"
            ),
            DocumentVerdict::NotEnough(missing) => {
                let missing: Vec<String> = missing.iter().map(ToString::to_string).collect();
                write!(f, "not enough: {}", missing.join("; "))
            }
        }
    }
}

/// Checks the caller's documents on day `on` (benefit proofs must be at most 3 months old).
pub fn check_documents(documents: &[Document], on: NaiveDate) -> DocumentVerdict {
    if documents
        .iter()
        .any(|d| matches!(d, Document::Passport | Document::DrivingLicence))
    {
        return DocumentVerdict::PhotoIdEnough;
    }
    let has_cpr = documents
        .iter()
        .any(|d| matches!(d, Document::HealthCard | Document::OtherWithCpr));
    let three_months_ago = on - Months::new(BENEFIT_MAX_MONTHS);
    let mut problems = Vec::new();
    let has_second = documents.iter().any(|d| match d {
        Document::BaptismOrNameCertificate => true,
        Document::AnnualTaxStatement { latest } => *latest,
        Document::BenefitPayment { dated } => *dated >= three_months_ago && *dated <= on,
        _ => false,
    });
    for document in documents {
        match document {
            Document::AnnualTaxStatement { latest: false } => {
                problems.push(Shortfall::OldTaxStatement)
            }
            Document::BenefitPayment { dated } if *dated < three_months_ago => {
                problems.push(Shortfall::BenefitTooOld {
                    dated: *dated,
                    from: three_months_ago,
                })
            }
            Document::BenefitPayment { dated } if *dated > on => {
                problems.push(Shortfall::BenefitInFuture { dated: *dated })
            }
            _ => {}
        }
    }
    if has_cpr && has_second {
        return DocumentVerdict::TwoDocumentsThenQuestionsOrWitness;
    }
    let mut missing = vec![Shortfall::NoPhotoId];
    if !has_cpr {
        missing.push(Shortfall::NoCprDocument);
    }
    if !has_second {
        missing.push(Shortfall::NoSecondDocument);
    }
    missing.extend(problems);
    DocumentVerdict::NotEnough(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn docs(words: &[&str]) -> Vec<Document> {
        words.iter().map(|w| w.parse().unwrap()).collect()
    }

    #[test]
    fn table() {
        let on = date("2026-11-25");
        let cases: &[(&[&str], bool)] = &[
            (&["passport"], true),
            (&["driving-licence"], true),
            (&["health-card"], false),
            (&["health-card", "baptism-certificate"], true),
            (&["health-card", "name-certificate"], true),
            (&["health-card", "tax-statement"], true),
            (&["health-card", "old-tax-statement"], false),
            (&["other-with-cpr", "tax-statement"], true),
            (&["baptism-certificate", "tax-statement"], false),
            // Benefit proofs: exactly 3 months old is fine, a day older is not.
            (&["health-card", "benefit:2026-08-25"], true),
            (&["health-card", "benefit:2026-08-24"], false),
            (&["health-card", "benefit:2026-11-26"], false),
            (&[], false),
        ];
        for (words, enough) in cases {
            assert_eq!(
                check_documents(&docs(words), on).enough(),
                *enough,
                "{words:?}"
            );
        }
    }

    #[test]
    fn verdict_kinds() {
        let on = date("2026-11-25");
        assert_eq!(
            check_documents(&docs(&["passport", "health-card"]), on),
            DocumentVerdict::PhotoIdEnough
        );
        assert_eq!(
            check_documents(&docs(&["health-card", "tax-statement"]), on),
            DocumentVerdict::TwoDocumentsThenQuestionsOrWitness
        );
        let DocumentVerdict::NotEnough(missing) =
            check_documents(&docs(&["health-card", "benefit:2026-01-01"]), on)
        else {
            panic!("an old benefit proof is not enough");
        };
        assert!(missing.contains(&Shortfall::BenefitTooOld {
            dated: date("2026-01-01"),
            from: date("2026-08-25"),
        }));
        assert!(missing
            .iter()
            .any(|m| m.to_string().contains("more than 3 months old")));
    }

    #[test]
    fn three_months_from_the_end_of_a_month() {
        // 31 May − 3 months = 28 February (chrono clamps to the month's last day).
        let on = date("2026-05-31");
        assert!(check_documents(&docs(&["health-card", "benefit:2026-02-28"]), on).enough());
        assert!(!check_documents(&docs(&["health-card", "benefit:2026-02-27"]), on).enough());
    }

    #[test]
    fn unknown_words_are_named() {
        let err = "pasport".parse::<Document>().unwrap_err();
        assert!(err.to_string().contains("\"pasport\""));
        assert!("benefit:2026-13-01".parse::<Document>().is_err());
    }
}
