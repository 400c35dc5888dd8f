//! Stage 2, pure: an [`Utterance`](crate::Utterance) in the listener's [`Settings`] → a [`Script`] of
//! [`Token`]s (digit words, prompt texts, free text and typed pauses).

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::{Grouping, Lang, Rate};

/// The listener's speech settings, given when an utterance is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Settings {
    pub lang: Lang,
    pub grouping: Grouping,
    pub rate: Rate,
}

/// Where a pause sits; its length comes from the voice's timing and the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pause {
    /// Between two digits of one group of a code.
    Digit,
    /// Between two groups of a code.
    Group,
    /// Between two digits of one group of a serial number (slower).
    SerialDigit,
    /// Between two groups of a serial number (slower).
    SerialGroup,
    /// Between two parts of an utterance (e.g. after "Din kode er").
    Part,
}

/// One thing to say, or a pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A digit of a code or serial number, with its word in the listener's language.
    Digit {
        digit: u8,
        word: &'static str,
    },
    /// A letter of a serial number, with its name in the listener's language.
    Letter {
        letter: char,
        word: &'static str,
    },
    /// A catalogue prompt rendered to text. `fixed` is true when it has no arguments, so a
    /// voice pack may hold a recording of it (clip id = prompt id).
    Prompt {
        id: String,
        text: String,
        fixed: bool,
    },
    /// Free text, only a synthesizer can say it.
    Text(String),
    Pause(Pause),
}

impl Token {
    /// The voice-pack clip that says this token, if a pack can hold one.
    pub fn clip_id(&self) -> Option<Cow<'_, str>> {
        match self {
            Token::Digit { digit, .. } => Some(Cow::Owned(digit_clip_id(*digit))),
            Token::Letter { letter, .. } => Some(Cow::Owned(letter_clip_id(*letter))),
            Token::Prompt {
                id, fixed: true, ..
            } => Some(Cow::Borrowed(id)),
            Token::Prompt { .. } | Token::Text(_) | Token::Pause(_) => None,
        }
    }

    /// What espeak-ng is given to say this token (a digit as its numeral, so the voice's
    /// own number rules pronounce it), or `None` for a pause.
    pub fn espeak_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Token::Digit { digit, .. } => Some(Cow::Owned(digit.to_string())),
            Token::Letter { word, .. } => Some(Cow::Borrowed(word)),
            Token::Prompt { text, .. } | Token::Text(text) => Some(Cow::Borrowed(text)),
            Token::Pause(_) => None,
        }
    }
}

/// The clip id of a digit in a voice pack: `digit-0` … `digit-9`.
pub fn digit_clip_id(digit: u8) -> String {
    format!("digit-{digit}")
}

/// The clip id of a whole group of a code (two or three digits) in a voice pack:
/// `group-997`. A pack may hold any of them; a group it has no clip for is said digit by
/// digit.
pub fn group_clip_id(digits: &[u8]) -> String {
    let digits: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    format!("{GROUP_CLIP_PREFIX}{digits}")
}

const GROUP_CLIP_PREFIX: &str = "group-";

/// The digits of a group clip id (`group-997` → `[9, 9, 7]`), `None` for any other id.
pub fn group_clip_digits(id: &str) -> Option<Vec<u8>> {
    let digits = id.strip_prefix(GROUP_CLIP_PREFIX)?;
    let digits: Option<Vec<u8>> = digits
        .chars()
        .map(|c| c.to_digit(10).map(|d| d as u8))
        .collect();
    digits.filter(|digits| (2..=3).contains(&digits.len()))
}

/// Whether `id` is a group clip's id.
pub fn is_group_clip_id(id: &str) -> bool {
    group_clip_digits(id).is_some()
}

/// The clip id of a letter in a voice pack: `letter-a` … `letter-z`.
pub fn letter_clip_id(letter: char) -> String {
    format!("letter-{}", letter.to_ascii_lowercase())
}

/// A rendered utterance: the tokens and the settings they were rendered for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub settings: Settings,
    pub tokens: Vec<Token>,
}

impl Script {
    /// The words on one line: digits separated by spaces, groups by `" | "`, parts of the
    /// utterance by `" || "` (e.g. `Din kode er || fire otte to | nul syv ni`).
    pub fn words_line(&self) -> String {
        let mut line = String::new();
        for token in &self.tokens {
            match token {
                Token::Digit { word, .. } | Token::Letter { word, .. } => line.push_str(word),
                Token::Prompt { text, .. } | Token::Text(text) => line.push_str(text),
                Token::Pause(Pause::Digit | Pause::SerialDigit) => line.push(' '),
                Token::Pause(Pause::Group | Pause::SerialGroup) => line.push_str(" | "),
                Token::Pause(Pause::Part) => line.push_str(" || "),
            }
        }
        line
    }

    /// A stable, one-token-per-line listing for golden files.
    pub fn debug_listing(&self) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Digit { digit, word } => writeln!(out, "digit {digit} {word}"),
                Token::Letter { letter, word } => writeln!(out, "letter {letter} {word}"),
                Token::Prompt { id, text, fixed } => {
                    let kind = if *fixed { "prompt" } else { "prompt(args)" };
                    writeln!(out, "{kind} {id}: {text}")
                }
                Token::Text(text) => writeln!(out, "text {text}"),
                Token::Pause(pause) => writeln!(out, "pause {pause:?}"),
            }
            .expect("writing to a String cannot fail");
        }
        out
    }
}

/// Why an utterance could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Prompt(#[from] crate::PromptError),
}

/// How many digits each group of an `len`-digit code has. Threes avoids a lone last digit
/// (7 → 3+2+2); Pairs puts an odd digit in the last group (7 → 2+2+3).
pub fn group_sizes(len: usize, grouping: Grouping) -> Vec<usize> {
    match grouping {
        Grouping::Single => vec![1; len],
        Grouping::Threes => groups_of(len, 3),
        Grouping::Pairs => {
            if len <= 3 {
                return vec![len];
            }
            let mut sizes = vec![2; len / 2];
            if len % 2 == 1 {
                *sizes.last_mut().expect("len > 3") = 3;
            }
            sizes
        }
    }
}

/// Groups of `size` (3 or 4), with a short tail split evenly so no group has one digit.
fn groups_of(len: usize, size: usize) -> Vec<usize> {
    if len <= size {
        return vec![len];
    }
    let mut sizes = vec![size; len / size];
    match len % size {
        0 => {}
        1 => {
            // 7 → 3+2+2, 9 (fours) → 4+3+2.
            let last = sizes.pop().expect("len > size");
            sizes.push(last - last.div_ceil(2) + 1);
            sizes.push(last.div_ceil(2));
        }
        rest => sizes.push(rest),
    }
    sizes
}

/// The code split the way it is read aloud (and shown): `"482079"` → `["482", "079"]`.
pub fn group_code(code: &str, grouping: Grouping) -> Vec<&str> {
    split(code, &group_sizes(code.len(), grouping))
}

/// Serial numbers are read in fours when they divide evenly, otherwise in threes.
pub fn serial_group_sizes(len: usize) -> Vec<usize> {
    if len % 4 == 0 {
        groups_of(len, 4)
    } else {
        groups_of(len, 3)
    }
}

fn split<'a>(text: &'a str, sizes: &[usize]) -> Vec<&'a str> {
    let mut rest = text;
    sizes
        .iter()
        .map(|&size| {
            let (head, tail) = rest.split_at(size);
            rest = tail;
            head
        })
        .collect()
}

/// Tokens for a code, digit by digit in the listener's grouping.
pub fn code_tokens(code: &otp::Code, settings: Settings) -> Vec<Token> {
    let digits = code.digit_values();
    let sizes = group_sizes(digits.len(), settings.grouping);
    let symbols: Vec<Symbol> = digits.into_iter().map(Symbol::Digit).collect();
    symbol_tokens(&symbols, &sizes, settings.lang, Pause::Digit, Pause::Group)
}

/// A serial number split the way it is shown and read aloud: `KP2026000001` →
/// `["KP20", "2600", "0001"]`. The one grouping of serials, used by screens and speech.
pub fn group_serial(serial: &otp::Serial) -> Vec<&str> {
    let text = serial.as_str();
    split(text, &serial_group_sizes(text.len()))
}

/// Tokens for a serial number: digits and letters by name, slowly, in the groups of
/// [`group_serial`].
pub fn serial_tokens(serial: &otp::Serial, settings: Settings) -> Vec<Token> {
    let symbols: Vec<Symbol> = serial
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(digit) => Symbol::Digit(digit as u8),
            None => Symbol::Letter(c),
        })
        .collect();
    symbol_tokens(
        &symbols,
        &serial_group_sizes(symbols.len()),
        settings.lang,
        Pause::SerialDigit,
        Pause::SerialGroup,
    )
}

/// One character of a code or serial.
#[derive(Clone, Copy)]
enum Symbol {
    Digit(u8),
    Letter(char),
}

fn symbol_tokens(
    symbols: &[Symbol],
    sizes: &[usize],
    lang: Lang,
    within: Pause,
    between: Pause,
) -> Vec<Token> {
    let words = lang.digit_words();
    let mut tokens = Vec::with_capacity(symbols.len() * 2);
    let mut rest = symbols;
    for (g, &size) in sizes.iter().enumerate() {
        let (group, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        if g > 0 {
            tokens.push(Token::Pause(between));
        }
        for (i, symbol) in group.iter().enumerate() {
            if i > 0 {
                tokens.push(Token::Pause(within));
            }
            tokens.push(match *symbol {
                Symbol::Digit(digit) => Token::Digit {
                    digit,
                    word: words[usize::from(digit)],
                },
                Symbol::Letter(letter) => Token::Letter {
                    letter,
                    word: letter_word(letter, lang),
                },
            });
        }
    }
    tokens
}

/// The name of an ASCII letter A–Z in the listener's language, as a speller says it.
pub fn letter_word(letter: char, lang: Lang) -> &'static str {
    const DA: [&str; 26] = [
        "a",
        "be",
        "se",
        "de",
        "e",
        "æf",
        "ge",
        "hå",
        "i",
        "jod",
        "kå",
        "æl",
        "æm",
        "æn",
        "o",
        "pe",
        "ku",
        "ær",
        "æs",
        "te",
        "u",
        "ve",
        "dobbelt-ve",
        "æks",
        "y",
        "sæt",
    ];
    const EN: [&str; 26] = [
        "ay",
        "bee",
        "see",
        "dee",
        "ee",
        "ef",
        "gee",
        "aitch",
        "eye",
        "jay",
        "kay",
        "el",
        "em",
        "en",
        "oh",
        "pee",
        "cue",
        "ar",
        "ess",
        "tee",
        "you",
        "vee",
        "double-you",
        "ex",
        "why",
        "zed",
    ];
    let index = (letter.to_ascii_uppercase() as usize)
        .checked_sub('A' as usize)
        .filter(|index| *index < 26);
    match (index, lang) {
        (Some(index), Lang::Da) => DA[index],
        (Some(index), Lang::En) => EN[index],
        (None, _) => "?",
    }
}

/// Reads digit words (and letters) back into text (the inverse of [`code_tokens`] and
/// [`serial_tokens`]), for checks.
pub fn digits_of(tokens: &[Token], lang: Lang) -> String {
    let words = lang.digit_words();
    tokens
        .iter()
        .filter_map(|token| match token {
            Token::Digit { word, .. } => words
                .iter()
                .position(|w| w == word)
                .map(|d| char::from(b'0' + d as u8)),
            Token::Letter { letter, .. } => Some(*letter),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn settings(lang: Lang, grouping: Grouping) -> Settings {
        Settings {
            lang,
            grouping,
            rate: Rate::Normal,
        }
    }

    fn code(text: &str) -> otp::Code {
        otp::Code::from_digits(text).unwrap()
    }

    fn serial(text: &str) -> otp::Serial {
        otp::Serial::parse(text).unwrap()
    }

    fn line(text: &str, lang: Lang, grouping: Grouping) -> String {
        let tokens = code_tokens(&code(text), settings(lang, grouping));
        Script {
            settings: settings(lang, grouping),
            tokens,
        }
        .words_line()
    }

    #[test]
    fn danish_code_in_threes() {
        assert_eq!(
            line("482079", Lang::Da, Grouping::Threes),
            "fire otte to | nul syv ni"
        );
    }

    #[test]
    fn every_digit_has_its_word() {
        assert_eq!(
            line("0123456789", Lang::Da, Grouping::Single),
            "nul | en | to | tre | fire | fem | seks | syv | otte | ni"
        );
        assert_eq!(
            line("0123456789", Lang::En, Grouping::Single),
            "zero | one | two | three | four | five | six | seven | eight | nine"
        );
    }

    #[test]
    fn english_pairs() {
        assert_eq!(
            line("482079", Lang::En, Grouping::Pairs),
            "four eight | two zero | seven nine"
        );
    }

    #[test]
    fn group_sizes_never_leave_a_lone_digit() {
        assert_eq!(group_sizes(6, Grouping::Threes), [3, 3]);
        assert_eq!(group_sizes(7, Grouping::Threes), [3, 2, 2]);
        assert_eq!(group_sizes(8, Grouping::Threes), [3, 3, 2]);
        assert_eq!(group_sizes(10, Grouping::Threes), [3, 3, 2, 2]);
        assert_eq!(group_sizes(7, Grouping::Pairs), [2, 2, 3]);
        assert_eq!(group_sizes(3, Grouping::Pairs), [3]);
        assert_eq!(group_sizes(4, Grouping::Single), [1, 1, 1, 1]);
        assert_eq!(serial_group_sizes(12), [4, 4, 4]);
        assert_eq!(serial_group_sizes(10), [3, 3, 2, 2]);
        assert_eq!(serial_group_sizes(9), [3, 3, 3]);
    }

    #[test]
    fn group_code_splits_for_the_screen() {
        assert_eq!(group_code("482079", Grouping::Threes), ["482", "079"]);
        assert_eq!(group_code("2057776", Grouping::Threes), ["205", "77", "76"]);
    }

    #[test]
    fn serials_with_letters_are_spelled_in_their_groups() {
        let kp = serial("KP2026000001");
        assert_eq!(group_serial(&kp), ["KP20", "2600", "0001"]);
        let script = |lang| Script {
            settings: settings(lang, Grouping::Threes),
            tokens: serial_tokens(&kp, settings(lang, Grouping::Threes)),
        };
        assert_eq!(
            script(Lang::Da).words_line(),
            "kå pe to nul | to seks nul nul | nul nul nul en"
        );
        assert_eq!(
            script(Lang::En).words_line(),
            "kay pee two zero | two six zero zero | zero zero zero one"
        );
        assert_eq!(
            digits_of(&script(Lang::Da).tokens, Lang::Da),
            "KP2026000001"
        );
    }

    #[test]
    fn every_letter_has_a_name_in_both_languages() {
        for letter in 'A'..='Z' {
            for lang in Lang::ALL {
                assert_ne!(letter_word(letter, lang), "?", "{letter} in {lang}");
            }
        }
        assert_eq!(letter_word('w', Lang::Da), "dobbelt-ve");
        assert_eq!(letter_clip_id('K'), "letter-k");
    }

    #[test]
    fn serials_ignore_separators_and_pause_longer() {
        let tokens = serial_tokens(&serial("1234-5678"), Settings::default());
        assert_eq!(digits_of(&tokens, Lang::Da), "12345678");
        assert!(tokens.contains(&Token::Pause(Pause::SerialGroup)));
        assert!(!tokens.contains(&Token::Pause(Pause::Group)));
    }

    proptest! {
        #[test]
        fn digit_words_read_back_give_the_code(
            text in "[0-9]{6,10}",
            lang in prop_oneof![Just(Lang::Da), Just(Lang::En)],
            grouping in prop_oneof![Just(Grouping::Threes), Just(Grouping::Pairs), Just(Grouping::Single)],
        ) {
            let tokens = code_tokens(&code(&text), settings(lang, grouping));
            prop_assert_eq!(digits_of(&tokens, lang), text.clone());
            // Groups have 1–3 digits (2–3 unless Single) and pauses alternate with words.
            let groups = group_sizes(text.len(), grouping);
            prop_assert_eq!(groups.iter().sum::<usize>(), text.len());
            if grouping != Grouping::Single {
                prop_assert!(groups.iter().all(|&g| (2..=3).contains(&g)));
            }
            for pair in tokens.windows(2) {
                let pauses = pair.iter().filter(|t| matches!(t, Token::Pause(_))).count();
                prop_assert_eq!(pauses, 1);
            }
        }

        /// Spoken groups are the shown groups: the words between group pauses spell exactly
        /// the groups of `group_code` (the screen's grouping).
        #[test]
        fn spoken_groups_equal_shown_groups(
            text in "[0-9]{6,10}",
            grouping in prop_oneof![Just(Grouping::Threes), Just(Grouping::Pairs), Just(Grouping::Single)],
        ) {
            let tokens = code_tokens(&code(&text), settings(Lang::Da, grouping));
            let spoken: Vec<String> = tokens
                .split(|t| *t == Token::Pause(Pause::Group))
                .map(|group| digits_of(group, Lang::Da))
                .collect();
            prop_assert_eq!(spoken, group_code(&text, grouping));
        }

        #[test]
        fn serials_read_back(text in "[0-9A-Z]{1,32}") {
            let parsed = serial(&text);
            let tokens = serial_tokens(&parsed, Settings::default());
            prop_assert_eq!(digits_of(&tokens, Lang::Da), text.clone());
            let spoken: Vec<String> = tokens
                .split(|t| *t == Token::Pause(Pause::SerialGroup))
                .map(|group| digits_of(group, Lang::Da))
                .collect();
            prop_assert_eq!(spoken, group_serial(&parsed));
            prop_assert!(serial_group_sizes(text.len()).iter().all(|&g| g <= 4));
        }
    }
}
