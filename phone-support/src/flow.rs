//! Guided support flows as data: TOML files of steps (what to say in Danish and English,
//! keypad choices, checks to run, where each choice leads), validated when loaded so that
//! every mistake is reported with its file, line and step.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use speech::Lang;
use toml::Spanned;

/// The flows shipped with the product, embedded at build time: (file name, text).
pub const SHIPPED: [(&str, &str); 5] = [
    (
        "setup-reader.toml",
        include_str!("../flows/setup-reader.toml"),
    ),
    ("no-sound.toml", include_str!("../flows/no-sound.toml")),
    (
        "code-refused.toml",
        include_str!("../flows/code-refused.toml"),
    ),
    ("get-mitid.toml", include_str!("../flows/get-mitid.toml")),
    (
        "someone-else.toml",
        include_str!("../flows/someone-else.toml"),
    ),
];

/// The keys a flow may use for its choices; 0, * and # belong to the menu (agent, repeat,
/// back) and 9 chooses the language in the main menu.
pub const CHOICE_KEYS: &str = "12345678";

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub da: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Da => &self.da,
            Lang::En => &self.en,
        }
    }
}

/// A check the agent console runs at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Look the caller's device up in the service by serial number.
    Device,
    /// Check the caller's identity documents.
    Documents,
    /// Check a would-be witness.
    Witness,
    /// Tell the opening hours.
    Hours,
}

impl Check {
    const NAMES: [(&'static str, Check); 4] = [
        ("device", Check::Device),
        ("documents", Check::Documents),
        ("witness", Check::Witness),
        ("hours", Check::Hours),
    ];
}

/// How a final step ends the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The caller is helped; say goodbye.
    Done,
    /// The caller needs an agent (queue when open, otherwise tell the hours).
    Agent,
    /// Self-service: the caller keys the serial and two consecutive codes, and the
    /// service lifts the device's block.
    Unlock,
}

/// One keypad choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub key: char,
    pub label: Text,
    /// Index of the step it leads to.
    pub next: usize,
}

/// One step of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub say: Text,
    pub check: Option<Check>,
    pub choices: Vec<Choice>,
    pub end: Option<End>,
}

impl Step {
    pub fn choice(&self, key: char) -> Option<&Choice> {
        self.choices.iter().find(|choice| choice.key == key)
    }
}

/// A validated flow: every target exists, every step is reachable and has a way out, every
/// text exists in both languages. The first step is the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub id: String,
    /// The main-menu key that starts this flow.
    pub menu_key: char,
    pub title: Text,
    pub steps: Vec<Step>,
    pub file: PathBuf,
}

/// Where a walk through a flow's keys arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// The step reached.
    pub step: usize,
    /// Each step passed and the key chosen there, in order.
    pub taken: Vec<(usize, char)>,
}

impl Flow {
    /// Follows `keys` from the first step; a key that is not a choice of the step reached
    /// ends the walk there (the rest is ignored).
    pub fn walk(&self, keys: &str) -> Walk {
        let mut walk = Walk {
            step: 0,
            taken: Vec::new(),
        };
        for key in keys.chars() {
            match self.steps[walk.step].choice(key) {
                Some(choice) => {
                    walk.taken.push((walk.step, key));
                    walk.step = choice.next;
                }
                None => break,
            }
        }
        walk
    }

    /// The keys that lead through `steps` (the places the voice menu visited, in order:
    /// this flow's as `FLOW/STEP` or `STEP`, others such as `menu` skipped); stops where
    /// two steps are not joined by a choice.
    pub fn keys_through(&self, steps: &[String]) -> String {
        let prefix = format!("{}/", self.id);
        let mine: Vec<&str> = steps
            .iter()
            .map(|s| s.strip_prefix(&prefix).unwrap_or(s))
            .filter(|s| self.steps.iter().any(|step| step.id == *s))
            .collect();
        let index = |id: &str| self.steps.iter().position(|step| step.id == id);
        let mut keys = String::new();
        for pair in mine.windows(2) {
            let (Some(from), Some(to)) = (index(pair[0]), index(pair[1])) else {
                break;
            };
            match self.steps[from].choices.iter().find(|c| c.next == to) {
                Some(choice) => keys.push(choice.key),
                None => break,
            }
        }
        keys
    }
}

/// A problem in a flow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError {
    pub file: PathBuf,
    pub line: usize,
    pub step: Option<String>,
    pub problem: String,
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if let Some(step) = &self.step {
            write!(f, "step {step:?}: ")?;
        }
        f.write_str(&self.problem)
    }
}

/// Every problem found while loading flows, one a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FlowErrors(pub Vec<FlowError>);

impl fmt::Display for FlowErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    da: Option<Spanned<String>>,
    en: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    key: Spanned<String>,
    label: Option<RawText>,
    next: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    say: Option<RawText>,
    check: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    #[serde(default, rename = "choice")]
    choices: Vec<Spanned<RawChoice>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    id: Spanned<String>,
    menu_key: Spanned<String>,
    title: Option<RawText>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<RawStep>>,
}

/// Turns byte offsets into 1-based line numbers and collects errors for one file.
struct Reporter<'a> {
    file: &'a Path,
    source: &'a str,
    errors: Vec<FlowError>,
}

impl Reporter<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.source.len());
        self.source[..end].bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn report(&mut self, span: &Range<usize>, step: Option<&str>, problem: String) {
        self.errors.push(FlowError {
            file: self.file.to_owned(),
            line: self.line(span),
            step: step.map(str::to_owned),
            problem,
        });
    }

    /// Both languages of a text, reporting what is missing or empty (at the other
    /// language's line when one is given, else at the owner's).
    fn text(
        &mut self,
        raw: Option<RawText>,
        owner_span: &Range<usize>,
        step: Option<&str>,
        what: &str,
    ) -> Text {
        let Some(raw) = raw else {
            self.report(
                owner_span,
                step,
                format!("{what} is missing (needs da and en)"),
            );
            return Text {
                da: String::new(),
                en: String::new(),
            };
        };
        let span = raw
            .da
            .as_ref()
            .or(raw.en.as_ref())
            .map_or_else(|| owner_span.clone(), Spanned::span);
        let mut one = |value: Option<Spanned<String>>, lang: &str| match value {
            Some(value) if !value.get_ref().trim().is_empty() => {
                value.into_inner().trim().to_owned()
            }
            Some(value) => {
                self.report(&value.span(), step, format!("{what} in {lang} is empty"));
                String::new()
            }
            None => {
                self.report(&span, step, format!("{what} has no translation in {lang}"));
                String::new()
            }
        };
        Text {
            da: one(raw.da, "da"),
            en: one(raw.en, "en"),
        }
    }
}

/// Parses and validates one flow file.
pub fn parse_flow(file: &Path, source: &str) -> Result<Flow, FlowErrors> {
    let mut reporter = Reporter {
        file,
        source,
        errors: Vec::new(),
    };
    let raw: RawFlow = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            reporter.report(&span, None, error.message().to_owned());
            return Err(FlowErrors(reporter.errors));
        }
    };

    let title = reporter.text(raw.title, &raw.id.span(), None, "the flow's title");
    let menu_key = single_key(raw.menu_key.get_ref(), CHOICE_KEYS);
    if menu_key.is_none() {
        reporter.report(
            &raw.menu_key.span(),
            None,
            format!(
                "menu_key {:?} must be one of the keys {CHOICE_KEYS}",
                raw.menu_key.get_ref()
            ),
        );
    }
    if raw.steps.is_empty() {
        reporter.report(&raw.id.span(), None, "the flow has no [[step]]".to_owned());
    }

    // Step ids first, so choices can point forward.
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, step) in raw.steps.iter().enumerate() {
        let id = step.get_ref().id.get_ref().clone();
        if let Some(first) = index.get(&id) {
            let first_line = reporter.line(&raw.steps[*first].get_ref().id.span());
            reporter.report(
                &step.get_ref().id.span(),
                Some(&id),
                format!("the step id is used twice (first on line {first_line})"),
            );
        } else {
            index.insert(id, i);
        }
    }

    let mut steps = Vec::with_capacity(raw.steps.len());
    let mut step_spans = Vec::with_capacity(raw.steps.len());
    for spanned in raw.steps {
        let span = spanned.span();
        let raw_step = spanned.into_inner();
        let id = raw_step.id.get_ref().clone();
        let step_name = Some(id.as_str());
        let say = reporter.text(raw_step.say, &span, step_name, "say");
        let check = raw_step.check.and_then(|check| {
            let found = Check::NAMES
                .iter()
                .find(|(name, _)| name == check.get_ref())
                .map(|(_, c)| *c);
            if found.is_none() {
                let names: Vec<&str> = Check::NAMES.iter().map(|(n, _)| *n).collect();
                reporter.report(
                    &check.span(),
                    step_name,
                    format!(
                        "unknown check {:?} (known: {})",
                        check.get_ref(),
                        names.join(", ")
                    ),
                );
            }
            found
        });
        let end = raw_step
            .end
            .as_ref()
            .and_then(|end| match end.get_ref().as_str() {
                "done" => Some(End::Done),
                "agent" => Some(End::Agent),
                "unlock" => Some(End::Unlock),
                other => {
                    reporter.report(
                        &end.span(),
                        step_name,
                        format!("unknown end {other:?} (known: done, agent, unlock)"),
                    );
                    None
                }
            });
        let mut choices = Vec::new();
        let mut keys_seen = HashSet::new();
        for choice in raw_step.choices {
            let choice_span = choice.span();
            let choice = choice.into_inner();
            let key = single_key(choice.key.get_ref(), CHOICE_KEYS);
            match key {
                None => reporter.report(
                    &choice.key.span(),
                    step_name,
                    format!(
                        "choice key {:?} must be one of {CHOICE_KEYS} (0 is the agent, * repeats, # goes back, 9 is the language)",
                        choice.key.get_ref()
                    ),
                ),
                Some(k) if !keys_seen.insert(k) => reporter.report(
                    &choice.key.span(),
                    step_name,
                    format!("choice key {k} is used twice"),
                ),
                Some(_) => {}
            }
            let label = reporter.text(choice.label, &choice_span, step_name, "the choice's label");
            let next = index.get(choice.next.get_ref()).copied();
            if next.is_none() {
                reporter.report(
                    &choice.next.span(),
                    step_name,
                    format!(
                        "choice leads to {:?}, which is not a step in this flow",
                        choice.next.get_ref()
                    ),
                );
            }
            if let (Some(key), Some(next)) = (key, next) {
                choices.push(Choice { key, label, next });
            }
        }
        match (&raw_step.end, keys_seen.is_empty()) {
            (None, true) => reporter.report(
                &span,
                step_name,
                "has no way out: give it choices or an end (done or agent)".to_owned(),
            ),
            (Some(end), false) => reporter.report(
                &end.span(),
                step_name,
                "has both choices and an end; a final step has no choices".to_owned(),
            ),
            _ => {}
        }
        step_spans.push(span);
        steps.push(Step {
            id,
            say,
            check,
            choices,
            end,
        });
    }

    // Reachability from the first step.
    if !steps.is_empty() {
        let mut reached = vec![false; steps.len()];
        let mut queue = VecDeque::from([0usize]);
        reached[0] = true;
        while let Some(i) = queue.pop_front() {
            for choice in &steps[i].choices {
                if !reached[choice.next] {
                    reached[choice.next] = true;
                    queue.push_back(choice.next);
                }
            }
        }
        // Every step must lead to a final one: walk backwards from the ends (dead ends are
        // reported above and count as ends here, so one mistake gives one error).
        let mut finishes: Vec<bool> = steps
            .iter()
            .map(|step| step.end.is_some() || step.choices.is_empty())
            .collect();
        let mut changed = true;
        while changed {
            changed = false;
            for (i, step) in steps.iter().enumerate() {
                if !finishes[i] && step.choices.iter().any(|c| finishes[c.next]) {
                    finishes[i] = true;
                    changed = true;
                }
            }
        }
        for (i, step) in steps.iter().enumerate() {
            if !reached[i] {
                reporter.report(
                    &step_spans[i],
                    Some(&step.id),
                    format!("is unreachable from the first step {:?}", steps[0].id),
                );
            } else if !finishes[i] && !step.choices.is_empty() {
                reporter.report(
                    &step_spans[i],
                    Some(&step.id),
                    "has no way out: none of its choices ever leads to a final step".to_owned(),
                );
            }
        }
    }

    if !reporter.errors.is_empty() {
        return Err(FlowErrors(reporter.errors));
    }
    Ok(Flow {
        id: raw.id.into_inner(),
        menu_key: menu_key.expect("reported above when missing"),
        title,
        steps,
        file: file.to_owned(),
    })
}

fn single_key(text: &str, allowed: &str) -> Option<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if allowed.contains(c) => Some(c),
        _ => None,
    }
}

/// The flows of one menu, ordered by their menu keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSet {
    pub flows: Vec<Flow>,
}

impl FlowSet {
    /// Validates flows from (file, text) pairs, then checks that menu keys and ids are unique
    /// across them.
    pub fn parse<'a>(
        sources: impl IntoIterator<Item = (PathBuf, &'a str)>,
    ) -> Result<FlowSet, FlowErrors> {
        let mut errors = Vec::new();
        let mut flows: Vec<Flow> = Vec::new();
        for (file, source) in sources {
            match parse_flow(&file, source) {
                Ok(flow) => {
                    for other in &flows {
                        let clash = if other.menu_key == flow.menu_key {
                            Some(format!("menu_key {} is also used by", flow.menu_key))
                        } else if other.id == flow.id {
                            Some(format!("flow id {:?} is also used by", flow.id))
                        } else {
                            None
                        };
                        if let Some(clash) = clash {
                            errors.push(FlowError {
                                file: file.clone(),
                                line: 1,
                                step: None,
                                problem: format!("{clash} {}", other.file.display()),
                            });
                        }
                    }
                    flows.push(flow);
                }
                Err(FlowErrors(found)) => errors.extend(found),
            }
        }
        if !errors.is_empty() {
            return Err(FlowErrors(errors));
        }
        flows.sort_by_key(|flow| flow.menu_key);
        Ok(FlowSet { flows })
    }

    /// The shipped flows (embedded, so always present).
    pub fn shipped() -> Result<FlowSet, FlowErrors> {
        Self::parse(
            SHIPPED
                .iter()
                .map(|(name, text)| (Path::new("phone-support/flows").join(name), *text)),
        )
    }

    /// Reads and validates flow files; a file that cannot be read is reported as an error
    /// on line 0.
    pub fn load(files: &[PathBuf]) -> Result<FlowSet, FlowErrors> {
        let mut texts = Vec::new();
        let mut errors = Vec::new();
        for file in files {
            match std::fs::read_to_string(file) {
                Ok(text) => texts.push((file.clone(), text)),
                Err(error) => errors.push(FlowError {
                    file: file.clone(),
                    line: 0,
                    step: None,
                    problem: format!("cannot read: {error}"),
                }),
            }
        }
        let parsed = Self::parse(texts.iter().map(|(f, t)| (f.clone(), t.as_str())));
        match parsed {
            Ok(set) if errors.is_empty() => Ok(set),
            Ok(_) => Err(FlowErrors(errors)),
            Err(FlowErrors(more)) => {
                errors.extend(more);
                Err(FlowErrors(errors))
            }
        }
    }

    pub fn by_menu_key(&self, key: char) -> Option<usize> {
        self.flows.iter().position(|flow| flow.menu_key == key)
    }
}

#[cfg(test)]
mod tests;
