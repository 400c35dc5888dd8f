//! Stage 1: the prompt catalogue. Every `catalogue/<lang>/<room>.ftl` file is embedded at
//! build time (see `build.rs`); loading checks that both languages have the same messages
//! with the same arguments, and reports every problem at once.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;

use crate::words::{self, Pause, RenderError, Script, Settings, Token};
use crate::{Lang, Part, Utterance};

/// One `.ftl` file: its language folder, file name and text.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub lang: &'a str,
    pub file: &'a str,
    pub text: &'a str,
}

/// The catalogue files compiled into this crate.
pub const EMBEDDED: &[Source<'static>] = include!(concat!(env!("OUT_DIR"), "/catalogue_files.rs"));

/// One thing wrong with the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A folder under `catalogue/` that is not a product language.
    UnknownLanguage { lang: String, file: String },
    /// A file that does not parse as Fluent.
    Parse {
        lang: Lang,
        file: String,
        line: usize,
        message: String,
    },
    /// A message present in one language only.
    Missing {
        id: String,
        file: String,
        present: Lang,
        missing: Lang,
    },
    /// The same id defined twice in one language.
    Duplicate {
        id: String,
        lang: Lang,
        files: (String, String),
    },
    /// A message with attributes but no text to say.
    NoValue {
        id: String,
        lang: Lang,
        file: String,
    },
    /// Fluent refused a file for another reason (e.g. a term defined twice).
    Bundle {
        lang: Lang,
        file: String,
        message: String,
    },
    /// The languages use different arguments for one message.
    ArgumentsDiffer {
        id: String,
        file: String,
        da: Vec<String>,
        en: Vec<String>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::UnknownLanguage { lang, file } => write!(
                f,
                "{lang}/{file}: {lang:?} is not a product language (da or en)"
            ),
            Problem::Parse {
                lang,
                file,
                line,
                message,
            } => write!(f, "{lang}/{file}:{line}: does not parse: {message}"),
            Problem::Missing {
                id,
                file,
                present,
                missing,
            } => write!(
                f,
                "{present}/{file}: message {id:?} has no {missing} translation (add it to {missing}/{file})"
            ),
            Problem::Duplicate { id, lang, files } => write!(
                f,
                "{lang}: message {id:?} is defined twice ({} and {})",
                files.0, files.1
            ),
            Problem::NoValue { id, lang, file } => {
                write!(f, "{lang}/{file}: message {id:?} has no text")
            }
            Problem::Bundle {
                lang,
                file,
                message,
            } => write!(f, "{lang}/{file}: {message}"),
            Problem::ArgumentsDiffer { id, file, da, en } => write!(
                f,
                "{file}: message {id:?} takes arguments {da:?} in da but {en:?} in en"
            ),
        }
    }
}

/// The catalogue did not load; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogueError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the prompt catalogue has {} problem(s):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// A prompt could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    #[error("no prompt {id:?} in the catalogue")]
    Unknown { id: String },
    #[error("prompt {id:?} ({lang}): {problems}")]
    Format {
        id: String,
        lang: Lang,
        problems: String,
    },
}

/// What the catalogue knows about one message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The file (e.g. `device.ftl`) the message lives in.
    pub file: String,
    /// The argument names it uses, sorted.
    pub args: Vec<String>,
}

/// The loaded prompts of both languages.
pub struct Catalogue {
    da: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
    messages: BTreeMap<String, MessageInfo>,
}

impl fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalogue")
            .field("messages", &self.messages.len())
            .finish()
    }
}

/// Where a message was found in one language, and its argument names.
type FileAndArgs = (String, Vec<String>);

struct Parsed {
    lang: Lang,
    file: String,
    resource: FluentResource,
}

impl Catalogue {
    /// The catalogue compiled into this crate.
    pub fn embedded() -> Result<Catalogue, CatalogueError> {
        Catalogue::from_sources(EMBEDDED)
    }

    /// Loads a catalogue from the given files, checking it as a whole.
    pub fn from_sources(sources: &[Source<'_>]) -> Result<Catalogue, CatalogueError> {
        let mut problems = Vec::new();
        let mut parsed = Vec::new();
        for source in sources {
            let Ok(lang) = source.lang.parse::<Lang>() else {
                problems.push(Problem::UnknownLanguage {
                    lang: source.lang.to_owned(),
                    file: source.file.to_owned(),
                });
                continue;
            };
            match FluentResource::try_new(source.text.to_owned()) {
                Ok(resource) => parsed.push(Parsed {
                    lang,
                    file: source.file.to_owned(),
                    resource,
                }),
                Err((resource, errors)) => {
                    // Keep what did parse, so its other problems are reported too.
                    parsed.push(Parsed {
                        lang,
                        file: source.file.to_owned(),
                        resource,
                    });
                    for error in errors {
                        problems.push(Problem::Parse {
                            lang,
                            file: source.file.to_owned(),
                            line: line_of(source.text, error.pos.start),
                            message: error.kind.to_string(),
                        });
                    }
                }
            }
        }

        // id → per language (file, argument names).
        let mut seen: BTreeMap<String, [Option<FileAndArgs>; 2]> = BTreeMap::new();
        for file in &parsed {
            for entry in file.resource.entries() {
                let ast::Entry::Message(message) = entry else {
                    continue;
                };
                let id = message.id.name.to_owned();
                let Some(value) = &message.value else {
                    problems.push(Problem::NoValue {
                        id,
                        lang: file.lang,
                        file: file.file.clone(),
                    });
                    continue;
                };
                let mut args = BTreeSet::new();
                pattern_variables(value, &mut args);
                let slot = &mut seen.entry(id.clone()).or_default()[lang_index(file.lang)];
                if let Some((other, _)) = slot {
                    problems.push(Problem::Duplicate {
                        id,
                        lang: file.lang,
                        files: (other.clone(), file.file.clone()),
                    });
                } else {
                    *slot = Some((file.file.clone(), args.into_iter().collect()));
                }
            }
        }

        let mut messages = BTreeMap::new();
        for (id, [da, en]) in seen {
            match (da, en) {
                (Some((file, da_args)), Some((_, en_args))) => {
                    if da_args != en_args {
                        problems.push(Problem::ArgumentsDiffer {
                            id,
                            file,
                            da: da_args,
                            en: en_args,
                        });
                    } else {
                        messages.insert(
                            id,
                            MessageInfo {
                                file,
                                args: da_args,
                            },
                        );
                    }
                }
                (Some((file, _)), None) => problems.push(Problem::Missing {
                    id,
                    file,
                    present: Lang::Da,
                    missing: Lang::En,
                }),
                (None, Some((file, _))) => problems.push(Problem::Missing {
                    id,
                    file,
                    present: Lang::En,
                    missing: Lang::Da,
                }),
                (None, None) => unreachable!("an id is only recorded with a language"),
            }
        }

        if !problems.is_empty() {
            return Err(CatalogueError { problems });
        }
        let mut da = new_bundle(Lang::Da);
        let mut en = new_bundle(Lang::En);
        for file in parsed {
            let bundle = match file.lang {
                Lang::Da => &mut da,
                Lang::En => &mut en,
            };
            // Duplicate messages were reported above; this catches duplicate terms.
            if let Err(errors) = bundle.add_resource(file.resource) {
                for error in errors {
                    problems.push(Problem::Bundle {
                        lang: file.lang,
                        file: file.file.clone(),
                        message: error.to_string(),
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(CatalogueError { problems });
        }
        Ok(Catalogue { da, en, messages })
    }

    /// Every message id, sorted, with its file and arguments.
    pub fn messages(&self) -> &BTreeMap<String, MessageInfo> {
        &self.messages
    }

    /// Whether the catalogue has this prompt (in both languages, by construction).
    pub fn contains(&self, id: &str) -> bool {
        self.messages.contains_key(id)
    }

    /// The text of a prompt in a language, with its arguments filled in. Numeric argument
    /// values are passed as numbers, so plural selectors work.
    pub fn format(
        &self,
        lang: Lang,
        id: &str,
        args: &[(String, String)],
    ) -> Result<String, PromptError> {
        let bundle = match lang {
            Lang::Da => &self.da,
            Lang::En => &self.en,
        };
        let pattern = bundle
            .get_message(id)
            .and_then(|message| message.value())
            .ok_or_else(|| PromptError::Unknown { id: id.to_owned() })?;
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value.parse::<f64>() {
                Ok(number) => FluentValue::from(number),
                Err(_) => FluentValue::from(value.as_str()),
            };
            fluent_args.set(name.as_str(), value);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            let problems = errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return Err(PromptError::Format {
                id: id.to_owned(),
                lang,
                problems,
            });
        }
        Ok(text.into_owned())
    }

    /// Stage 2 entry point: renders an utterance into a [`Script`] of tokens, with a
    /// [`Pause::Part`] between parts.
    pub fn render(&self, utterance: &Utterance, settings: Settings) -> Result<Script, RenderError> {
        let mut tokens = Vec::new();
        for (i, part) in utterance.parts.iter().enumerate() {
            if i > 0 {
                tokens.push(Token::Pause(Pause::Part));
            }
            match part {
                Part::Prompt { id, args } => tokens.push(Token::Prompt {
                    id: id.clone(),
                    text: self.format(settings.lang, id, args)?,
                    fixed: self.messages.get(id).is_some_and(|m| m.args.is_empty()),
                }),
                Part::Code(code) => tokens.extend(words::code_tokens(code, settings)),
                Part::Serial(serial) => tokens.extend(words::serial_tokens(serial, settings)),
                Part::Text(text) => tokens.push(Token::Text(text.clone())),
            }
        }
        Ok(Script { settings, tokens })
    }
}

fn new_bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let langid = match lang {
        Lang::Da => unic_langid::langid!("da"),
        Lang::En => unic_langid::langid!("en"),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Spoken text must not carry Unicode isolation marks around arguments.
    bundle.set_use_isolating(false);
    bundle
}

fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::Da => 0,
        Lang::En => 1,
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

fn pattern_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for variant in variants {
                pattern_variables(&variant.value, out);
            }
        }
        ast::Expression::Inline(inline) => inline_variables(inline, out),
    }
}

fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, out);
            }
            for named in &arguments.named {
                inline_variables(&named.value, out);
            }
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, out),
        ast::InlineExpression::StringLiteral { .. }
        | ast::InlineExpression::NumberLiteral { .. }
        | ast::InlineExpression::MessageReference { .. }
        | ast::InlineExpression::TermReference { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Loading succeeds exactly when both languages have the same ids, and otherwise
        /// names every id that lacks a translation, with the language it lacks.
        #[test]
        fn missing_translations_are_exactly_the_difference(
            da_ids in proptest::collection::btree_set("[a-z]{1,6}(-[a-z]{1,4})?", 0..8),
            en_ids in proptest::collection::btree_set("[a-z]{1,6}(-[a-z]{1,4})?", 0..8),
        ) {
            let text = |ids: &BTreeSet<String>| {
                ids.iter().map(|id| format!("{id} = tekst {id}\n")).collect::<String>()
            };
            let (da, en) = (text(&da_ids), text(&en_ids));
            let result = Catalogue::from_sources(&[src("da", "x.ftl", &da), src("en", "x.ftl", &en)]);
            let mut expected: Vec<Problem> = da_ids
                .symmetric_difference(&en_ids)
                .map(|id| Problem::Missing {
                    id: id.clone(),
                    file: "x.ftl".into(),
                    present: if da_ids.contains(id) { Lang::Da } else { Lang::En },
                    missing: if da_ids.contains(id) { Lang::En } else { Lang::Da },
                })
                .collect();
            expected.sort_by(|a, b| format!("{a}").cmp(&format!("{b}")));
            match result {
                Ok(catalogue) => {
                    prop_assert!(expected.is_empty());
                    prop_assert_eq!(catalogue.messages().len(), da_ids.len());
                }
                Err(mut err) => {
                    err.problems.sort_by(|a, b| format!("{a}").cmp(&format!("{b}")));
                    prop_assert_eq!(err.problems, expected);
                }
            }
        }
    }

    fn src<'a>(lang: &'a str, file: &'a str, text: &'a str) -> Source<'a> {
        Source { lang, file, text }
    }

    #[test]
    fn embedded_catalogue_loads_with_the_speech_prompts() {
        let catalogue = Catalogue::embedded().unwrap();
        for id in [
            "your-code-is",
            "repeating",
            "serial-number-is",
            "test-phrase",
            "speech-unavailable",
        ] {
            assert!(catalogue.contains(id), "{id} missing");
        }
        assert_eq!(
            catalogue.format(Lang::Da, "your-code-is", &[]).unwrap(),
            "Din kode er"
        );
        assert_eq!(
            catalogue.format(Lang::En, "your-code-is", &[]).unwrap(),
            "Your code is"
        );
    }

    #[test]
    fn a_missing_translation_names_file_id_and_language() {
        let err = Catalogue::from_sources(&[
            src("da", "room.ftl", "hello = Hej\nbye = Farvel\n"),
            src("en", "room.ftl", "hello = Hello\n"),
        ])
        .unwrap_err();
        assert_eq!(
            err.problems,
            [Problem::Missing {
                id: "bye".into(),
                file: "room.ftl".into(),
                present: Lang::Da,
                missing: Lang::En,
            }]
        );
        assert!(err.to_string().contains(
            "da/room.ftl: message \"bye\" has no en translation (add it to en/room.ftl)"
        ));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Catalogue::from_sources(&[
            src("da", "a.ftl", "one = En\nlevel = Niveau { $level }\n"),
            src("en", "a.ftl", "level = Level { $volume }\ntwo = Two\n"),
            src("da", "b.ftl", "one = Igen\nbroken = { \n"),
            src("de", "c.ftl", "x = y\n"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("de/c.ftl"), "{text}");
        assert!(text.contains("da/b.ftl:3: does not parse"), "{text}");
        assert!(text.contains("\"one\" is defined twice"), "{text}");
        assert!(text.contains("\"two\" has no da translation"), "{text}");
        assert!(
            text.contains("\"level\" takes arguments [\"level\"] in da but [\"volume\"] in en"),
            "{text}"
        );
    }

    #[test]
    fn arguments_and_plurals_are_filled_in_without_isolation_marks() {
        let catalogue = Catalogue::from_sources(&[
            src(
                "da",
                "a.ftl",
                "left = { $seconds ->\n    [one] Et sekund tilbage\n   *[other] { $seconds } sekunder tilbage\n}\n",
            ),
            src(
                "en",
                "a.ftl",
                "left = { $seconds ->\n    [one] One second left\n   *[other] { $seconds } seconds left\n}\n",
            ),
        ])
        .unwrap();
        let args = |n: &str| vec![("seconds".to_owned(), n.to_owned())];
        assert_eq!(
            catalogue.format(Lang::Da, "left", &args("20")).unwrap(),
            "20 sekunder tilbage"
        );
        assert_eq!(
            catalogue.format(Lang::En, "left", &args("1")).unwrap(),
            "One second left"
        );
        assert_eq!(catalogue.messages()["left"].args, ["seconds"]);
        let missing = catalogue.format(Lang::En, "left", &[]).unwrap_err();
        assert!(matches!(missing, PromptError::Format { .. }), "{missing}");
        assert_eq!(
            catalogue.format(Lang::En, "nope", &[]).unwrap_err(),
            PromptError::Unknown { id: "nope".into() }
        );
    }

    #[test]
    fn render_puts_part_pauses_between_parts() {
        let catalogue = Catalogue::embedded().unwrap();
        let utterance =
            Utterance::prompt("your-code-is").then_code(otp::Code::from_digits("482079").unwrap());
        let script = catalogue.render(&utterance, Settings::default()).unwrap();
        assert_eq!(
            script.words_line(),
            "Din kode er || fire otte to | nul syv ni"
        );
        let en = Settings {
            lang: Lang::En,
            ..Settings::default()
        };
        let script = catalogue.render(&utterance, en).unwrap();
        assert_eq!(
            script.words_line(),
            "Your code is || four eight two | zero seven nine"
        );
    }
}
