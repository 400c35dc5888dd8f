//! The console's pages as HTML (pure: values in, text out). Every text comes from the
//! Fluent catalogue (`speech/catalogue/<lang>/web.ftl`) or, for a flow's texts, from the
//! flow file in the page's language, and the rules' typed verdicts and reasons are put
//! into words here, by the catalogue, in the page's language. Every `<form>` posts and carries the session's CSRF token. Nothing here
//! ever gets a code or a secret: [`DeviceView`] has none, and an issued activation code is
//! not passed in.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime, Weekday};
use speech::{Catalogue, Lang};

use crate::console::{parse_documents, parse_witness, WitnessInputError};
use crate::device::DeviceView;
use crate::flow::{Check, End, Flow, FlowSet};
use crate::queue::CallState;
use crate::rules::cpr::CprError;
use crate::rules::documents::{
    check_documents, Document, DocumentVerdict, Shortfall, UnknownDocument, BENEFIT_MAX_MONTHS,
};
use crate::rules::hours::{status_at, DayKind, OpeningHours, PHONE_NUMBER};
use crate::rules::witness::{
    check_witness, Reason, WitnessVerdict, MAX_WITNESSED, MIN_AGE, MITID_MIN_DAYS, WINDOW_DAYS,
};

use super::line::{CallView, LineState};

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's texts in one language.
#[derive(Clone, Copy)]
pub struct Texts<'c> {
    catalogue: &'c Catalogue,
    pub lang: Lang,
}

impl<'c> Texts<'c> {
    pub fn new(catalogue: &'c Catalogue, lang: Lang) -> Self {
        Texts { catalogue, lang }
    }

    /// A message, escaped for HTML. An unknown id shows as itself (a test checks that
    /// every id used here exists).
    pub fn t(&self, id: &str) -> String {
        self.ta(id, &[])
    }

    /// A message with arguments (raw text), escaped for HTML as a whole.
    pub fn ta(&self, id: &str, args: &[(&str, &str)]) -> String {
        escape(&self.raw(id, args))
    }

    /// A message as plain text (not escaped), e.g. for a page title.
    pub fn raw(&self, id: &str, args: &[(&str, &str)]) -> String {
        let args: Vec<(String, String)> = args
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.catalogue
            .format(self.lang, id, &args)
            .unwrap_or_else(|_| id.to_owned())
    }
}

/// Which menu item the page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Calls,
    Device,
    Flows,
    None,
}

/// A message at the top of the page: information (a status) or a refusal (an alert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flash {
    Info(String),
    Error(String),
}

/// What every signed-in page shows around its content.
pub struct Frame<'a> {
    pub texts: Texts<'a>,
    pub title: String,
    pub nav: Nav,
    /// The signed-in agent and the session's CSRF token; none on the sign-in page.
    pub agent: Option<(&'a str, &'a str)>,
    pub flash: Vec<Flash>,
}

fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(csrf)
    )
}

/// A whole page: skip link, header with the menu and sign-out, the content in `<main>`.
pub fn page(frame: &Frame<'_>, content: &str) -> String {
    let t = &frame.texts;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – {product}</title>\n<link rel=\"stylesheet\" href=\"/static/console.css\">\n\
         <script src=\"/static/console.js\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">{skip}</a>\n<header>\n<p class=\"product\">{product}</p>\n",
        lang = t.lang.code(),
        title = escape(&frame.title),
        product = t.t("web-product"),
        skip = t.t("web-skip"),
    );
    if let Some((agent, csrf)) = frame.agent {
        let item = |nav: Nav, href: &str, id: &str| {
            let current = if frame.nav == nav {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<li><a href=\"{href}\"{current}>{}</a></li>", t.t(id))
        };
        let _ = write!(
            html,
            "<nav aria-label=\"{nav}\"><ul>{calls}{device}{flows}</ul></nav>\n\
             <div class=\"who\"><p>{signed_in}</p>\n\
             <form method=\"post\" action=\"/lang\">{csrf}<input type=\"hidden\" name=\"lang\" value=\"{other_code}\">\
             <button type=\"submit\" lang=\"{other_code}\">{other}</button></form>\n\
             <form method=\"post\" action=\"/signout\">{csrf}<button type=\"submit\">{sign_out}</button></form></div>\n",
            nav = t.t("web-nav"),
            calls = item(Nav::Calls, "/", "web-nav-calls"),
            device = item(Nav::Device, "/device", "web-nav-device"),
            flows = item(Nav::Flows, "/flows", "web-nav-flows"),
            signed_in = t.ta("web-signed-in-as", &[("agent", agent)]),
            csrf = csrf_field(csrf),
            other_code = t.t("web-other-lang-code"),
            other = t.t("web-other-language"),
            sign_out = t.t("web-sign-out"),
        );
    } else {
        let other_code = t.t("web-other-lang-code");
        let _ = writeln!(
            html,
            "<p class=\"who\"><a href=\"/signin?lang={other_code}\" lang=\"{other_code}\">{}</a></p>",
            t.t("web-other-language")
        );
    }
    html.push_str("</header>\n<main id=\"main\" tabindex=\"-1\">\n");
    let _ = writeln!(html, "<h1>{}</h1>", escape(&frame.title));
    for flash in &frame.flash {
        match flash {
            Flash::Info(text) => {
                let _ = writeln!(html, "<p class=\"flash info\" role=\"status\">{text}</p>");
            }
            Flash::Error(text) => {
                let _ = writeln!(html, "<p class=\"flash error\" role=\"alert\">{text}</p>");
            }
        }
    }
    html.push_str(content);
    html.push_str(
        "\n</main>\n<div id=\"announce\" class=\"visually-hidden\" role=\"status\" aria-live=\"polite\"></div>\n</body>\n</html>\n",
    );
    html
}

/// The sign-in form (its CSRF token is the sign-in cookie's).
pub fn sign_in_form(t: &Texts<'_>, csrf: &str, name: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/signin\" class=\"stack\">{csrf}\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\n\
         <p><label for=\"name\">{name_label}</label>\
         <input id=\"name\" name=\"name\" autocomplete=\"username\" required value=\"{name}\"></p>\n\
         <p><label for=\"password\">{password_label}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
         <p><button type=\"submit\">{sign_in}</button></p>\n</form>",
        csrf = csrf_field(csrf),
        lang = t.lang.code(),
        name_label = t.t("web-agent-name"),
        name = escape(name),
        password_label = t.t("web-password"),
        sign_in = t.t("web-sign-in"),
    )
}

fn duration(t: &Texts<'_>, secs: u64) -> String {
    t.ta(
        "web-duration",
        &[
            ("min", &(secs / 60).to_string()),
            ("sec", &(secs % 60).to_string()),
        ],
    )
}

fn flow_title(t: &Texts<'_>, flows: &FlowSet, id: &str) -> String {
    flows
        .flows
        .iter()
        .find(|f| f.id == id)
        .map(|f| escape(f.title.get(t.lang)))
        .unwrap_or_else(|| escape(id))
}

fn state_text(t: &Texts<'_>, state: CallState) -> String {
    t.t(match state {
        CallState::Menu => "web-state-menu",
        CallState::Queued => "web-state-queued",
        CallState::Callback => "web-state-callback",
        CallState::WithAgent => "web-state-with-agent",
    })
}

fn lang_text(t: &Texts<'_>, lang: &str) -> String {
    match lang {
        "da" => t.t("web-lang-da"),
        "en" => t.t("web-lang-en"),
        other => escape(other),
    }
}

/// How many calls wait for an agent (for the live region).
pub fn waiting_count(line: &LineState) -> usize {
    match line {
        LineState::Up(calls) => calls.calls.iter().filter(|c| c.waiting()).count(),
        _ => 0,
    }
}

/// The live part of the calls page: the line's state and the table of calls. Sent again
/// over the event stream on every change; `data-announce` is what the live region says.
pub fn calls_region(
    t: &Texts<'_>,
    flows: &FlowSet,
    line: &LineState,
    line_url: &str,
    agent: &str,
    csrf: &str,
) -> String {
    let announce = t.ta(
        "web-announce-waiting",
        &[("count", &waiting_count(line).to_string())],
    );
    let mut html = format!("<div id=\"calls-region\" data-announce=\"{announce}\">\n");
    let calls = match line {
        LineState::Connecting => {
            let _ = writeln!(
                html,
                "<p class=\"notice\">{}</p>",
                t.t("web-line-connecting")
            );
            None
        }
        LineState::Down(_) => {
            let _ = writeln!(
                html,
                "<p class=\"notice\">{}</p>",
                t.ta("web-line-down", &[("url", line_url)])
            );
            None
        }
        LineState::Up(calls) => {
            let _ = writeln!(
                html,
                "<p>{}</p>",
                t.t(if calls.open {
                    "web-line-open"
                } else {
                    "web-line-closed"
                })
            );
            Some(&calls.calls)
        }
    };
    match calls {
        Some(calls) if !calls.is_empty() => {
            let _ = write!(
                html,
                "<table>\n<caption>{caption}</caption>\n<thead><tr><th scope=\"col\">{state}</th><th scope=\"col\">{lang}</th>\
                 <th scope=\"col\">{flow}</th><th scope=\"col\">{steps}</th><th scope=\"col\">{serial}</th>\
                 <th scope=\"col\">{waited}</th><th scope=\"col\">{agent}</th><th scope=\"col\">{action}</th></tr></thead>\n<tbody>\n",
                caption = t.t("web-calls-caption"),
                state = t.t("web-col-state"),
                lang = t.t("web-col-lang"),
                flow = t.t("web-col-flow"),
                steps = t.t("web-col-steps"),
                serial = t.t("web-col-serial"),
                waited = t.t("web-col-waited"),
                agent = t.t("web-col-agent"),
                action = t.t("web-col-action"),
            );
            for call in calls {
                let none = t.t("web-none");
                let action = if call.waiting() {
                    format!(
                        "<form method=\"post\" action=\"/calls/{id}/take\">{csrf}<button type=\"submit\" id=\"take-{id}\">{take}</button></form>",
                        id = escape(&call.id),
                        csrf = csrf_field(csrf),
                        take = t.t("web-take"),
                    )
                } else if call.agent.as_deref() == Some(agent) {
                    format!(
                        "<a href=\"/calls/{id}\" id=\"open-{id}\">{open}</a>",
                        id = escape(&call.id),
                        open = t.t("web-open-call")
                    )
                } else {
                    String::new()
                };
                let _ = writeln!(
                    html,
                    "<tr><td>{state}</td><td>{lang}</td><td>{flow}</td><td>{steps}</td><td>{serial}</td><td>{waited}</td><td>{agent}</td><td>{action}</td></tr>",
                    state = state_text(t, call.state),
                    lang = lang_text(t, &call.lang),
                    flow = call
                        .flow
                        .as_deref()
                        .map(|f| flow_title(t, flows, f))
                        .unwrap_or_else(|| none.clone()),
                    steps = call.steps.len(),
                    serial = call.serial.as_deref().map(escape).unwrap_or_else(|| none.clone()),
                    waited = call
                        .waited_secs
                        .map(|s| duration(t, s))
                        .unwrap_or_else(|| none.clone()),
                    agent = call.agent.as_deref().map(escape).unwrap_or_else(|| none.clone()),
                );
            }
            html.push_str("</tbody>\n</table>\n");
        }
        Some(_) => {
            let _ = writeln!(html, "<p>{}</p>", t.t("web-no-calls"));
        }
        None => {}
    }
    html.push_str("</div>\n");
    html
}

/// The home page: calls, a device look-up and the opening hours.
pub fn calls_page(t: &Texts<'_>, region: &str, csrf: &str, now: NaiveDateTime) -> String {
    format!(
        "<section aria-labelledby=\"calls-heading\"><h2 id=\"calls-heading\">{calls}</h2>\n{region}</section>\n\
         <section aria-labelledby=\"lookup-heading\"><h2 id=\"lookup-heading\">{lookup}</h2>\n{form}</section>\n\
         <section aria-labelledby=\"hours-heading\"><h2 id=\"hours-heading\">{hours}</h2>\n{hours_list}</section>",
        calls = t.t("web-calls-title"),
        lookup = t.t("web-lookup-legend"),
        form = lookup_form(t, csrf, "", ""),
        hours = t.t("web-check-hours"),
        hours_list = list(&hours_lines(t, now)),
    )
}

/// Lines of plain text as a list.
fn list(lines: &[String]) -> String {
    let mut html = String::from("<ul>");
    for line in lines {
        let _ = write!(html, "<li>{}</li>", escape(line));
    }
    html.push_str("</ul>\n");
    html
}

/// A date as the pages show it: YYYY-MM-DD in either language.
fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn weekday(t: &Texts<'_>, date: NaiveDate) -> String {
    use chrono::Datelike;
    t.raw(
        match date.weekday() {
            Weekday::Mon => "web-weekday-mon",
            Weekday::Tue => "web-weekday-tue",
            Weekday::Wed => "web-weekday-wed",
            Weekday::Thu => "web-weekday-thu",
            Weekday::Fri => "web-weekday-fri",
            Weekday::Sat => "web-weekday-sat",
            Weekday::Sun => "web-weekday-sun",
        },
        &[],
    )
}

/// The line's status at `now` (Copenhagen time) in the page's language: open or closed
/// and today's hours, the next change, and the published hours with the phone number.
pub fn hours_lines(t: &Texts<'_>, now: NaiveDateTime) -> Vec<String> {
    let status = status_at(now);
    let today = status.today;
    let kind = match today.kind {
        DayKind::Weekday => t.raw("web-day-weekday", &[]),
        DayKind::Saturday => t.raw("web-day-saturday", &[]),
        DayKind::Sunday => t.raw("web-day-sunday", &[]),
        DayKind::Holiday(holiday) => {
            let name = match t.lang {
                Lang::Da => holiday.name_da(),
                Lang::En => holiday.name_en(),
            };
            t.raw("web-day-holiday", &[("name", name)])
        }
    };
    let moment = |at: NaiveDateTime| at.format("%Y-%m-%d %H:%M").to_string();
    let now_line = t.raw(
        if status.open {
            "web-hours-open-now"
        } else {
            "web-hours-closed-now"
        },
        &[
            ("day", &weekday(t, now.date())),
            ("moment", &moment(now)),
            ("kind", &kind),
            ("opens", &today.opens.format("%H:%M").to_string()),
            ("closes", &today.closes.format("%H:%M").to_string()),
        ],
    );
    let next = status.next_change;
    let next_line = t.raw(
        if status.open {
            "web-hours-closes"
        } else {
            "web-hours-opens"
        },
        &[("day", &weekday(t, next.date())), ("moment", &moment(next))],
    );
    let span = |(open, close): (u32, u32)| format!("{open:02}–{close:02}");
    let published = OpeningHours::default();
    let summary = t.raw(
        "web-hours-summary",
        &[
            ("phone", PHONE_NUMBER),
            ("weekdays", &span(published.weekdays)),
            ("weekends", &span(published.weekends)),
        ],
    );
    vec![now_line, next_line, summary]
}

/// One of the witness rules and how the facts fare, in the page's language.
pub fn witness_reason(t: &Texts<'_>, reason: &Reason) -> String {
    let n = |v: &dyn ToString| v.to_string();
    let text = match reason {
        Reason::Age { age, turns_18, .. } => {
            let mut text = t.raw(
                "web-witness-age",
                &[("age", &n(age)), ("min", &n(&MIN_AGE))],
            );
            if let Some(day) = turns_18 {
                text.push_str("; ");
                text.push_str(&t.raw(
                    "web-witness-turns-adult",
                    &[("min", &n(&MIN_AGE)), ("date", &iso(*day))],
                ));
            }
            text
        }
        Reason::MitidAge { days, ok, ok_from } => {
            let mut text = t.raw(
                "web-witness-mitid",
                &[("days", &n(days)), ("min", &n(&MITID_MIN_DAYS))],
            );
            if !ok {
                text.push_str("; ");
                text.push_str(&t.raw("web-witness-mitid-from", &[("date", &iso(*ok_from))]));
            }
            text
        }
        Reason::Witnessed {
            within_window,
            ok_from,
            ..
        } => {
            let mut text = t.raw(
                "web-witness-count",
                &[
                    ("count", &n(within_window)),
                    ("window", &n(&WINDOW_DAYS)),
                    ("max", &n(&MAX_WITNESSED)),
                ],
            );
            if let Some(day) = ok_from {
                text.push_str("; ");
                text.push_str(&t.raw("web-witness-again-from", &[("date", &iso(*day))]));
            }
            text
        }
        Reason::FutureDates(days) => {
            let days: Vec<String> = days.iter().map(|d| iso(*d)).collect();
            t.raw("web-witness-future-dates", &[("dates", &days.join(", "))])
        }
        // A reminder, neither met nor not.
        Reason::BringPhotoIdAndMitid => return t.raw("web-witness-bring", &[]),
    };
    let mark = t.raw(
        if reason.ok() {
            "web-reason-met"
        } else {
            "web-reason-not-met"
        },
        &[],
    );
    format!("{mark}: {text}")
}

/// Why documents are not enough, in the page's language.
pub fn shortfall(t: &Texts<'_>, shortfall: &Shortfall) -> String {
    let months = BENEFIT_MAX_MONTHS.to_string();
    match shortfall {
        Shortfall::NoPhotoId => t.raw("web-docs-no-photo-id", &[]),
        Shortfall::NoCprDocument => t.raw("web-docs-no-cpr-document", &[]),
        Shortfall::NoSecondDocument => t.raw("web-docs-no-second-document", &[("months", &months)]),
        Shortfall::OldTaxStatement => t.raw("web-docs-old-tax-statement", &[]),
        Shortfall::BenefitTooOld { dated, from } => t.raw(
            "web-docs-benefit-too-old",
            &[
                ("dated", &iso(*dated)),
                ("months", &months),
                ("from", &iso(*from)),
            ],
        ),
        Shortfall::BenefitInFuture { dated } => {
            t.raw("web-docs-benefit-in-future", &[("dated", &iso(*dated))])
        }
    }
}

/// What is wrong with a witness check's input, in the page's language.
fn witness_input_error(t: &Texts<'_>, error: &WitnessInputError) -> String {
    match error {
        WitnessInputError::Usage => t.raw("web-witness-fill-in", &[]),
        WitnessInputError::Cpr(CprError::Format(text)) => {
            t.raw("web-cpr-format", &[("text", text)])
        }
        WitnessInputError::Cpr(CprError::NoSuchDate {
            text,
            day,
            month,
            year,
        }) => t.raw(
            "web-cpr-no-such-date",
            &[
                ("text", text),
                ("date", &format!("{day:02}-{month:02}-{year}")),
            ],
        ),
        WitnessInputError::MitidSince(text) => t.raw("web-bad-mitid-since", &[("text", text)]),
        WitnessInputError::Witnessed(text) => t.raw("web-bad-witnessed-date", &[("text", text)]),
    }
}

/// The documents verdict: the headline and the reasons, in the page's language.
fn documents_verdict(t: &Texts<'_>, checked: &DocumentVerdict) -> String {
    let (headline, reasons) = match checked {
        DocumentVerdict::PhotoIdEnough => {
            ("web-docs-enough", vec![t.raw("web-docs-photo-id", &[])])
        }
        DocumentVerdict::TwoDocumentsThenQuestionsOrWitness => (
            "web-docs-enough",
            vec![t.raw("web-docs-two-then-questions", &[])],
        ),
        DocumentVerdict::NotEnough(missing) => (
            "web-docs-not-enough",
            missing.iter().map(|m| shortfall(t, m)).collect(),
        ),
    };
    verdict(t, headline, &reasons)
}

/// The witness verdict: the headline and every reason, in the page's language.
fn witness_verdict(t: &Texts<'_>, checked: &WitnessVerdict) -> String {
    let headline = if checked.eligible() {
        "web-eligible"
    } else {
        "web-not-eligible"
    };
    let reasons: Vec<String> = checked
        .reasons
        .iter()
        .map(|r| witness_reason(t, r))
        .collect();
    verdict(t, headline, &reasons)
}

/// The device look-up form: by serial or by person.
pub fn lookup_form(t: &Texts<'_>, csrf: &str, serial: &str, user: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/device\" class=\"stack\">{csrf}\n\
         <p><label for=\"serial\">{serial_label}</label><input id=\"serial\" name=\"serial\" value=\"{serial}\" autocomplete=\"off\"></p>\n\
         <p><label for=\"user\">{user_label}</label><input id=\"user\" name=\"user\" value=\"{user}\" autocomplete=\"off\"></p>\n\
         <p><button type=\"submit\">{look_up}</button></p>\n</form>\n",
        csrf = csrf_field(csrf),
        serial_label = t.t("web-lookup-serial"),
        serial = escape(serial),
        user_label = t.t("web-lookup-user"),
        user = escape(user),
        look_up = t.t("web-look-up"),
    )
}

/// What the agent may do with a device on its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceActions {
    pub unlock: bool,
    pub activation: bool,
}

/// A device's support view as a description list, with the actions the agent has.
pub fn device_view(t: &Texts<'_>, csrf: &str, view: &DeviceView, actions: DeviceActions) -> String {
    let never = t.t("web-never");
    let or_never = |v: &Option<String>| v.as_deref().map(escape).unwrap_or_else(|| never.clone());
    let state = match view.state.as_str() {
        "inactive" => t.t("web-dev-state-inactive"),
        "active" => t.t("web-dev-state-active"),
        "deactivated" => t.t("web-dev-state-deactivated"),
        other => escape(other),
    };
    let block = match &view.blocked_until {
        Some(until) => format!(
            "<strong>{}</strong>",
            t.ta(
                "web-dev-blocked-until",
                &[("until", until), ("blocks", &view.blocks.to_string())]
            )
        ),
        None => t.t("web-dev-not-blocked"),
    };
    let activation = match &view.activation_code {
        Some(code) => t.ta(
            "web-dev-activation-outstanding",
            &[
                ("channel", &channel_name(t, &code.channel)),
                ("expires", &code.expires_at),
                ("tries", &code.attempts_left.to_string()),
            ],
        ),
        None => t.t("web-dev-no-activation"),
    };
    let mut rows = vec![
        ("web-dev-serial", escape(&view.serial)),
        ("web-dev-state", state),
        ("web-dev-activated", or_never(&view.activated_at)),
        ("web-dev-last-use", or_never(&view.last_used_at)),
        ("web-dev-failures", view.failures.to_string()),
        ("web-dev-block", block),
        (
            "web-dev-drift",
            t.ta(
                "web-dev-drift-steps",
                &[("steps", &view.drift_steps.to_string())],
            ),
        ),
        ("web-dev-activation-code", activation),
    ];
    if let Some(kind) = &view.kind {
        rows.insert(1, ("web-dev-kind", escape(kind)));
    }
    let mut html = String::from("<dl class=\"device\">\n");
    for (id, value) in rows {
        let _ = writeln!(html, "<dt>{}</dt><dd>{value}</dd>", t.t(id));
    }
    html.push_str("</dl>\n");
    let serial = escape(&view.serial);
    if actions.unlock && view.blocked_until.is_some() {
        let _ = writeln!(
            html,
            "<p><a class=\"button\" href=\"/device/{serial}/unlock\">{}</a></p>",
            t.t("web-unlock")
        );
    }
    if actions.activation {
        let _ = writeln!(
            html,
            "<p><a class=\"button\" href=\"/device/{serial}/activation\">{}</a></p>",
            t.t("web-activation")
        );
    }
    let _ = csrf;
    html
}

/// "letter" or "SMS" in the page's language, as plain text.
pub fn channel_name(t: &Texts<'_>, channel: &str) -> String {
    match channel {
        "paper" => t.raw("web-channel-paper", &[]),
        "sms" => t.raw("web-channel-sms", &[]),
        other => other.to_owned(),
    }
}

/// Asks before lifting a block.
pub fn confirm_unlock(t: &Texts<'_>, csrf: &str, serial: &str) -> String {
    let question = t.ta("web-unlock-confirm", &[("serial", serial)]);
    let serial = escape(serial);
    format!(
        "<p>{question}</p>\n<form method=\"post\" action=\"/device/{serial}/unlock\">{csrf}\
         <button type=\"submit\" name=\"confirm\" value=\"yes\">{yes}</button> \
         <a href=\"/device/{serial}\">{cancel}</a></form>\n",
        csrf = csrf_field(csrf),
        yes = t.t("web-unlock-yes"),
        cancel = t.t("web-cancel"),
    )
}

/// The form for a new activation code: the person and the channel.
pub fn activation_form(t: &Texts<'_>, csrf: &str, serial: &str, user: &str) -> String {
    let serial = escape(serial);
    format!(
        "<form method=\"post\" action=\"/device/{serial}/activation\" class=\"stack\">{csrf}\n\
         <p><label for=\"user\">{user_label}</label><input id=\"user\" name=\"user\" required value=\"{user}\" autocomplete=\"off\"></p>\n\
         <fieldset><legend>{channel}</legend>\n\
         <p><input type=\"radio\" id=\"channel-paper\" name=\"channel\" value=\"paper\" checked><label for=\"channel-paper\">{paper}</label></p>\n\
         <p><input type=\"radio\" id=\"channel-sms\" name=\"channel\" value=\"sms\"><label for=\"channel-sms\">{sms}</label></p>\n\
         </fieldset>\n<p><button type=\"submit\">{issue}</button> <a href=\"/device/{serial}\">{cancel}</a></p>\n</form>\n",
        csrf = csrf_field(csrf),
        user_label = t.t("web-activation-user"),
        user = escape(user),
        channel = t.t("web-activation-channel"),
        paper = t.t("web-channel-paper-long"),
        sms = t.t("web-channel-sms-long"),
        issue = t.t("web-activation"),
        cancel = t.t("web-cancel"),
    )
}

/// Asks before issuing a new activation code.
pub fn confirm_activation(
    t: &Texts<'_>,
    csrf: &str,
    serial: &str,
    user: &str,
    channel: &str,
) -> String {
    let serial_html = escape(serial);
    format!(
        "<p>{question}</p>\n<form method=\"post\" action=\"/device/{serial_html}/activation\">{csrf}\
         <input type=\"hidden\" name=\"user\" value=\"{user}\"><input type=\"hidden\" name=\"channel\" value=\"{channel_value}\">\
         <button type=\"submit\" name=\"confirm\" value=\"yes\">{yes}</button> \
         <a href=\"/device/{serial_html}\">{cancel}</a></form>\n",
        question = t.ta(
            "web-activation-confirm",
            &[
                ("serial", serial),
                ("user", user),
                ("channel", &channel_name(t, channel))
            ]
        ),
        csrf = csrf_field(csrf),
        user = escape(user),
        channel_value = escape(channel),
        yes = t.t("web-activation-yes"),
        cancel = t.t("web-cancel"),
    )
}

/// One call's context: what the voice menu learnt, and what the agent can do next.
pub fn call_page(t: &Texts<'_>, csrf: &str, flows: &FlowSet, call: &CallView) -> String {
    let none = t.t("web-none");
    let flow = call
        .flow
        .as_deref()
        .and_then(|id| flows.flows.iter().find(|f| f.id == id));
    let steps = call
        .steps
        .iter()
        .map(|id| escape(id))
        .collect::<Vec<_>>()
        .join(", ");
    let mut html = String::from("<dl class=\"device\">\n");
    for (id, value) in [
        ("web-col-state", state_text(t, call.state)),
        ("web-col-lang", lang_text(t, &call.lang)),
        (
            "web-col-flow",
            call.flow
                .as_deref()
                .map(|f| flow_title(t, flows, f))
                .unwrap_or_else(|| none.clone()),
        ),
        (
            "web-col-steps",
            if steps.is_empty() {
                none.clone()
            } else {
                steps
            },
        ),
        (
            "web-col-serial",
            call.serial
                .as_deref()
                .map(escape)
                .unwrap_or_else(|| none.clone()),
        ),
        (
            "web-caller",
            call.caller
                .as_deref()
                .map(escape)
                .unwrap_or_else(|| none.clone()),
        ),
        (
            "web-callback-number",
            call.callback
                .as_deref()
                .map(escape)
                .unwrap_or_else(|| none.clone()),
        ),
        (
            "web-col-waited",
            call.waited_secs
                .map(|s| duration(t, s))
                .unwrap_or_else(|| none.clone()),
        ),
        ("web-in-call", duration(t, call.in_call_secs)),
    ] {
        let _ = writeln!(html, "<dt>{}</dt><dd>{value}</dd>", t.t(id));
    }
    html.push_str("</dl>\n<ul class=\"actions\">\n");
    let id = escape(&call.id);
    if let Some(flow) = flow {
        let keys = flow.keys_through(&call.steps);
        let _ = writeln!(
            html,
            "<li><a href=\"/flows/{flow_id}?keys={keys}&amp;call={id}&amp;lang={lang}\">{text}</a></li>",
            flow_id = escape(&flow.id),
            lang = escape(&call.lang),
            text = t.t("web-continue-flow"),
        );
    }
    if let Some(serial) = &call.serial {
        let _ = writeln!(
            html,
            "<li><a href=\"/device/{serial}\">{text}</a></li>",
            serial = escape(serial),
            text = t.t("web-look-up-device"),
        );
    }
    html.push_str("</ul>\n");
    html.push_str(&end_call_form(
        t,
        csrf,
        &format!("/calls/{id}/done"),
        "",
        "",
        "",
    ));
    html
}

/// The form that records a call's outcome and ends it.
fn end_call_form(
    t: &Texts<'_>,
    csrf: &str,
    action: &str,
    flow: &str,
    keys: &str,
    call: &str,
) -> String {
    let hidden = |name: &str, value: &str| {
        if value.is_empty() {
            String::new()
        } else {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        }
    };
    format!(
        "<section aria-labelledby=\"end-heading\"><h2 id=\"end-heading\">{end}</h2>\n\
         <form method=\"post\" action=\"{action}\" class=\"stack\">{csrf}{flow}{keys}{call}\n\
         <p><label for=\"outcome\">{outcome}</label><select id=\"outcome\" name=\"outcome\">\
         <option value=\"resolved\">{resolved}</option><option value=\"follow-up\">{follow_up}</option>\
         <option value=\"passed-on\">{passed_on}</option></select></p>\n\
         <p><label for=\"note\">{note}</label><input id=\"note\" name=\"note\" maxlength=\"200\" autocomplete=\"off\"></p>\n\
         <p><button type=\"submit\">{record}</button></p>\n</form></section>\n",
        end = t.t("web-end-call"),
        action = escape(action),
        csrf = csrf_field(csrf),
        flow = hidden("flow", flow),
        keys = hidden("keys", keys),
        call = hidden("call", call),
        outcome = t.t("web-outcome"),
        resolved = t.t("web-outcome-resolved"),
        follow_up = t.t("web-outcome-follow-up"),
        passed_on = t.t("web-outcome-passed-on"),
        note = t.t("web-note"),
        record = t.t("web-record"),
    )
}

/// The list of guides.
pub fn flows_page(t: &Texts<'_>, flows: &FlowSet) -> String {
    let mut html = format!("<p>{}</p>\n<ol class=\"flows\">\n", t.t("web-flows-intro"));
    for flow in &flows.flows {
        let _ = writeln!(
            html,
            "<li><a href=\"/flows/{id}\">{title}</a></li>",
            id = escape(&flow.id),
            title = escape(flow.title.get(t.lang)),
        );
    }
    html.push_str("</ol>\n");
    html
}

/// The result of a check the agent ran at a step, from the form's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInput {
    None,
    /// Document words (the rules' names) and a benefit date, if any.
    Documents {
        words: Vec<String>,
        benefit: String,
    },
    Witness {
        cpr: String,
        mitid_since: String,
        witnessed: String,
    },
}

/// The document checkboxes: the rules' word and the catalogue's name for it.
pub const DOCUMENTS: [(&str, &str); 7] = [
    ("passport", "web-doc-passport"),
    ("driving-licence", "web-doc-driving-licence"),
    ("health-card", "web-doc-health-card"),
    ("other-with-cpr", "web-doc-other-with-cpr"),
    ("baptism-certificate", "web-doc-baptism-certificate"),
    ("tax-statement", "web-doc-tax-statement"),
    ("old-tax-statement", "web-doc-old-tax-statement"),
];

/// Where the agent is in a guide.
pub struct FlowPosition<'a> {
    pub flow: &'a Flow,
    pub keys: &'a str,
    /// The call this guide belongs to, if it was opened from one.
    pub call: Option<&'a str>,
    /// The language the caller hears (the flow's texts); the page stays in the agent's.
    pub say_lang: Lang,
}

/// One step of a guide: what to say, the caller's choices as links, the answers so far,
/// the step's check inline, and the form to end the call.
pub fn flow_page(
    t: &Texts<'_>,
    csrf: &str,
    at: &FlowPosition<'_>,
    input: &CheckInput,
    now: NaiveDateTime,
) -> String {
    let flow = at.flow;
    let walk = flow.walk(at.keys);
    let keys: String = walk.taken.iter().map(|(_, key)| *key).collect();
    let step = &flow.steps[walk.step];
    let say_lang = at.say_lang;
    let call_query = at
        .call
        .map(|c| format!("&amp;call={}", escape(c)))
        .unwrap_or_default();
    let link = |keys: &str| {
        format!(
            "/flows/{}?keys={}&amp;lang={}{call_query}",
            escape(&flow.id),
            escape(keys),
            say_lang.code()
        )
    };
    let mut html = format!(
        "<section aria-labelledby=\"say-heading\"><h2 id=\"say-heading\">{say}</h2>\n<p class=\"say\" lang=\"{code}\">{text}</p>\n",
        say = t.t("web-say"),
        code = say_lang.code(),
        text = escape(step.say.get(say_lang)),
    );
    if !step.choices.is_empty() {
        let _ = writeln!(
            html,
            "<h3>{}</h3>\n<ul class=\"choices\">",
            t.t("web-choices")
        );
        for choice in &step.choices {
            let _ = writeln!(
                html,
                "<li><a href=\"{href}\" id=\"choice-{key}\"><span class=\"key\">{key}</span> <span lang=\"{code}\">{label}</span></a></li>",
                href = link(&format!("{keys}{}", choice.key)),
                key = choice.key,
                code = say_lang.code(),
                label = escape(choice.label.get(say_lang)),
            );
        }
        html.push_str("</ul>\n");
    }
    let end = match step.end {
        Some(End::Done) => Some("web-final-done"),
        Some(End::Agent) => Some("web-final-agent"),
        Some(End::Unlock) => Some("web-final-unlock"),
        None => None,
    };
    if let Some(end) = end {
        let _ = writeln!(html, "<p class=\"notice\">{}</p>", t.t(end));
    }
    html.push_str("<p class=\"nav-steps\">");
    if !keys.is_empty() {
        let _ = write!(
            html,
            "<a href=\"{}\" id=\"back\">{}</a> ",
            link(&keys[..keys.len() - 1]),
            t.t("web-back")
        );
        let _ = write!(html, "<a href=\"{}\">{}</a>", link(""), t.t("web-restart"));
    }
    html.push_str("</p>\n</section>\n");

    if let Some(check) = step.check {
        let _ = writeln!(
            html,
            "<section aria-labelledby=\"check-heading\"><h2 id=\"check-heading\">{}</h2>",
            t.t("web-check")
        );
        html.push_str(&check_section(t, csrf, at, &keys, check, input, now));
        html.push_str("</section>\n");
    }

    let _ = writeln!(
        html,
        "<section aria-labelledby=\"answers-heading\"><h2 id=\"answers-heading\">{}</h2>",
        t.t("web-answers")
    );
    if walk.taken.is_empty() {
        let _ = writeln!(html, "<p>{}</p>", t.t("web-none"));
    } else {
        html.push_str("<ol>\n");
        for (index, key) in &walk.taken {
            let from = &flow.steps[*index];
            let label = from
                .choice(*key)
                .map(|c| c.label.get(say_lang))
                .unwrap_or_default();
            let _ = writeln!(
                html,
                "<li>{id}: {key} <span lang=\"{code}\">{label}</span></li>",
                id = escape(&from.id),
                code = say_lang.code(),
                label = escape(label),
            );
        }
        html.push_str("</ol>\n");
    }
    html.push_str("</section>\n");
    html.push_str(&end_call_form(
        t,
        csrf,
        &format!("/flows/{}/end", flow.id),
        &flow.id,
        &keys,
        at.call.unwrap_or(""),
    ));
    html
}

fn check_section(
    t: &Texts<'_>,
    csrf: &str,
    at: &FlowPosition<'_>,
    keys: &str,
    check: Check,
    input: &CheckInput,
    now: NaiveDateTime,
) -> String {
    let mut html = String::new();
    let form_start = |legend: &str| {
        format!(
            "<form method=\"post\" action=\"/flows/{flow}/check\" class=\"stack\">{csrf}\
             <input type=\"hidden\" name=\"keys\" value=\"{keys}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">{call}\n\
             <fieldset><legend>{legend}</legend>\n",
            flow = escape(&at.flow.id),
            csrf = csrf_field(csrf),
            keys = escape(keys),
            lang = at.say_lang.code(),
            call = at
                .call
                .map(|c| format!("<input type=\"hidden\" name=\"call\" value=\"{}\">", escape(c)))
                .unwrap_or_default(),
        )
    };
    match check {
        Check::Hours => {
            let _ = writeln!(html, "<h3>{}</h3>", t.t("web-check-hours"));
            html.push_str(&list(&hours_lines(t, now)));
        }
        Check::Device => {
            let _ = writeln!(html, "<p>{}</p>", t.t("web-check-device"));
            html.push_str(&lookup_form(t, csrf, "", ""));
        }
        Check::Documents => {
            let (checked, benefit) = match input {
                CheckInput::Documents { words, benefit } => (words.clone(), benefit.clone()),
                _ => (Vec::new(), String::new()),
            };
            html.push_str(&form_start(&t.t("web-docs-legend")));
            for (word, id) in DOCUMENTS {
                let _ = writeln!(
                    html,
                    "<p><input type=\"checkbox\" id=\"doc-{word}\" name=\"doc\" value=\"{word}\"{checked}><label for=\"doc-{word}\">{label}</label></p>",
                    checked = if checked.iter().any(|w| w == word) { " checked" } else { "" },
                    label = t.t(id),
                );
            }
            let _ = writeln!(
                html,
                "<p><label for=\"benefit\">{}</label><input id=\"benefit\" name=\"benefit\" value=\"{}\" autocomplete=\"off\"></p>",
                t.t("web-doc-benefit"),
                escape(&benefit)
            );
            let _ = writeln!(
                html,
                "</fieldset>\n<p><button type=\"submit\">{}</button></p>\n</form>",
                t.t("web-check-button")
            );
            if let CheckInput::Documents { words, benefit } = input {
                html.push_str(&documents_result(t, words, benefit, now));
            }
        }
        Check::Witness => {
            let (cpr, since, witnessed) = match input {
                CheckInput::Witness {
                    cpr,
                    mitid_since,
                    witnessed,
                } => (cpr.as_str(), mitid_since.as_str(), witnessed.as_str()),
                _ => ("", "", ""),
            };
            html.push_str(&form_start(&t.t("web-witness-legend")));
            for (name, id, value) in [
                ("cpr", "web-witness-cpr", cpr),
                ("mitid_since", "web-witness-mitid-since", since),
                ("witnessed", "web-witness-witnessed", witnessed),
            ] {
                let _ = writeln!(
                    html,
                    "<p><label for=\"{name}\">{label}</label><input id=\"{name}\" name=\"{name}\" value=\"{value}\" autocomplete=\"off\"></p>",
                    label = t.t(id),
                    value = escape(value),
                );
            }
            let _ = writeln!(
                html,
                "</fieldset>\n<p><button type=\"submit\">{}</button></p>\n</form>",
                t.t("web-check-button")
            );
            if let CheckInput::Witness {
                cpr,
                mitid_since,
                witnessed,
            } = input
            {
                html.push_str(&witness_result(t, cpr, mitid_since, witnessed, now));
            }
        }
    }
    html
}

/// The documents check's result for the ticked document words and a benefit date (may be
/// empty): the verdict, or what is wrong with the input.
pub fn documents_result(
    t: &Texts<'_>,
    words: &[String],
    benefit: &str,
    now: NaiveDateTime,
) -> String {
    let benefit = benefit.trim();
    let documents = parse_documents(&words.join(","))
        .map_err(|UnknownDocument(word)| t.raw("web-unknown-document", &[("text", &word)]))
        .and_then(|mut documents| {
            if !benefit.is_empty() {
                let dated = benefit
                    .parse()
                    .map_err(|_| t.raw("web-bad-benefit-date", &[("text", benefit)]))?;
                documents.push(Document::BenefitPayment { dated });
            }
            Ok(documents)
        });
    match documents {
        Ok(documents) => documents_verdict(t, &check_documents(&documents, now.date())),
        Err(problem) => input_problem(&problem),
    }
}

/// The witness check's result for the form's fields: the verdict, or what is wrong with
/// the input.
pub fn witness_result(
    t: &Texts<'_>,
    cpr: &str,
    mitid_since: &str,
    witnessed: &str,
    now: NaiveDateTime,
) -> String {
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let args = format!(
        "{} {} {}",
        squeeze(cpr),
        squeeze(mitid_since),
        squeeze(witnessed)
    );
    match parse_witness(&args) {
        Ok(facts) => witness_verdict(t, &check_witness(&facts, now.date())),
        Err(error) => input_problem(&witness_input_error(t, &error)),
    }
}

/// A rules verdict: the headline (from the typed verdict) and the reasons, all in the
/// page's language.
fn verdict(t: &Texts<'_>, headline_id: &str, reasons: &[String]) -> String {
    format!(
        "<div class=\"verdict\" role=\"status\"><p><strong>{headline}</strong></p><h3>{title}</h3>{list}</div>\n",
        headline = t.t(headline_id),
        title = t.t("web-reasons"),
        list = list(reasons),
    )
}

/// Not a verdict: what is wrong with the input, in the page's language.
fn input_problem(problem: &str) -> String {
    format!(
        "<div class=\"verdict\" role=\"status\">{}</div>\n",
        list(&[problem.to_owned()])
    )
}

/// A page for something that went wrong, with the way back.
pub fn error_content(t: &Texts<'_>) -> String {
    format!("<p><a href=\"/\">{}</a></p>", t.t("web-back-home"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::line::Calls;

    fn catalogue() -> Catalogue {
        Catalogue::embedded().unwrap()
    }

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-11-25 12:00", "%Y-%m-%d %H:%M").unwrap()
    }

    fn call(id: &str, state: &str, agent: Option<&str>) -> CallView {
        CallView {
            id: id.into(),
            state: serde_json::from_value(serde_json::json!(state)).unwrap(),
            lang: "en".into(),
            flow: Some("code-refused".into()),
            steps: vec!["what-happened".into()],
            serial: Some("KO<1>".into()),
            caller: None,
            callback: None,
            in_call_secs: 75,
            waited_secs: Some(65),
            position: Some(1),
            agent: agent.map(str::to_owned),
        }
    }

    /// Every `"web-…"` message id used by the pages and the server exists.
    #[test]
    fn every_message_id_used_exists() {
        let catalogue = catalogue();
        let mut ids = Vec::new();
        for source in [include_str!("page.rs"), include_str!("server.rs")] {
            for piece in source.split("\"web-").skip(1) {
                let id: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect();
                if piece[id.len()..].starts_with('"') && !id.is_empty() {
                    ids.push(format!("web-{id}"));
                }
            }
        }
        assert!(ids.len() > 80, "{}", ids.len());
        for id in ids {
            assert!(catalogue.contains(&id), "{id} is not in the catalogue");
        }
    }

    #[test]
    fn the_frame_has_the_language_landmarks_menu_and_csrf_on_every_form() {
        let catalogue = catalogue();
        let frame = Frame {
            texts: Texts::new(&catalogue, Lang::Da),
            title: "Opkald <x>".into(),
            nav: Nav::Calls,
            agent: Some(("alice", "tok\"en")),
            flash: vec![Flash::Error("nej".into())],
        };
        let html = page(&frame, "<p>indhold</p>");
        assert!(html.starts_with("<!doctype html>\n<html lang=\"da\">"));
        assert!(html.contains("<title>Opkald &lt;x&gt; – Kodeoplæser-support</title>"));
        assert!(html.contains("<a href=\"/\" aria-current=\"page\">Opkald</a>"));
        assert!(html.contains("Logget ind som alice"));
        assert!(html.contains("<p class=\"flash error\" role=\"alert\">nej</p>"));
        assert!(html.contains("<main id=\"main\""));
        assert_eq!(html.matches("<form").count(), 2);
        assert_eq!(
            html.matches("name=\"csrf\" value=\"tok&quot;en\"").count(),
            2
        );
        assert!(html.contains("lang=\"en\">English</button>"));
    }

    #[test]
    fn calls_show_the_line_s_state_and_who_may_take_what() {
        let catalogue = catalogue();
        let t = Texts::new(&catalogue, Lang::En);
        let flows = FlowSet::shipped().unwrap();
        let down = calls_region(
            &t,
            &flows,
            &LineState::Down("x".into()),
            "http://l:1",
            "a",
            "c",
        );
        assert!(down.contains("cannot be reached at http://l:1"), "{down}");
        assert!(!down.contains("<table"));
        let up = LineState::Up(Calls {
            open: true,
            calls: vec![
                call("c1", "queued", None),
                call("c2", "with_agent", Some("alice")),
                call("c3", "with_agent", Some("bob")),
            ],
        });
        let html = calls_region(&t, &flows, &up, "u", "alice", "c");
        assert!(html.contains("data-announce=\"Calls waiting for an agent: 1.\""));
        assert!(html.contains("action=\"/calls/c1/take\""));
        assert!(html.contains("href=\"/calls/c2\""));
        assert!(
            !html.contains("/calls/c3"),
            "bob's call is not alice's to open"
        );
        assert!(html.contains("KO&lt;1&gt;"), "escaped");
        assert!(html.contains("1 min 5 s"));
        assert!(
            html.contains("The code is refused, or the code reader is blocked"),
            "{html}"
        );
        assert_eq!(
            html.matches("<form").count(),
            html.matches("name=\"csrf\"").count()
        );
        let empty = LineState::Up(Calls {
            open: false,
            calls: vec![],
        });
        let html = calls_region(&t, &flows, &empty, "u", "alice", "c");
        assert!(html.contains("The line is closed now.") && html.contains("No calls right now."));
    }

    #[test]
    fn a_device_page_never_has_a_code_and_offers_only_the_agent_s_actions() {
        let catalogue = catalogue();
        let t = Texts::new(&catalogue, Lang::En);
        let view: DeviceView = serde_json::from_str(
            r#"{"serial":"KO1","state":"active","failures":3,"blocked_until":"2026-11-25T08:15:00Z",
            "blocks":1,"drift_steps":-2,"secret":"JBSWY3DPEHPK3PXP",
            "activation_code":{"channel":"sms","expires_at":"2026-11-25T08:30:00Z","attempts_left":2,"code":"123456"}}"#,
        )
        .unwrap();
        let all = DeviceActions {
            unlock: true,
            activation: true,
        };
        let html = device_view(&t, "c", &view, all);
        assert!(html.contains("Blocked until 2026-11-25T08:15:00Z"));
        assert!(html.contains("Sent by SMS, expires 2026-11-25T08:30:00Z, 2 tries left"));
        assert!(html.contains("-2 time steps"));
        assert!(html.contains("href=\"/device/KO1/unlock\""));
        assert!(!html.contains("JBSWY3DPEHPK3PXP") && !html.contains("123456"));
        let none = DeviceActions {
            unlock: false,
            activation: false,
        };
        let html = device_view(&t, "c", &view, none);
        assert!(!html.contains("/unlock") && !html.contains("/activation"));
        let confirm = confirm_unlock(&t, "tok", "KO1");
        assert!(confirm.contains("Lift the block on KO1?"));
        assert!(confirm.contains("name=\"csrf\" value=\"tok\""));
    }

    #[test]
    fn a_guide_step_shows_what_to_say_the_choices_and_runs_its_check() {
        let catalogue = catalogue();
        let t = Texts::new(&catalogue, Lang::Da);
        let flows = FlowSet::shipped().unwrap();
        let flow = flows.flows.iter().find(|f| f.id == "get-mitid").unwrap();
        // Walk to the documents step, whatever its keys are.
        let keys = (0..4)
            .flat_map(|_| ['1', '2', '3'])
            .fold(String::new(), |keys, key| {
                let walk = flow.walk(&keys);
                if flow.steps[walk.step].check == Some(Check::Documents) {
                    keys
                } else if flow.steps[walk.step].choice(key).is_some() {
                    format!("{keys}{key}")
                } else {
                    keys
                }
            });
        let step = flow.walk(&keys).step;
        assert_eq!(
            flow.steps[step].check,
            Some(Check::Documents),
            "keys {keys}"
        );
        let at = FlowPosition {
            flow,
            keys: &keys,
            call: Some("c9"),
            say_lang: Lang::En,
        };
        let input = CheckInput::Documents {
            words: vec!["passport".into()],
            benefit: String::new(),
        };
        let html = flow_page(&t, "tok", &at, &input, now());
        assert!(html.contains("<p class=\"say\" lang=\"en\">"));
        assert!(html.contains("Dokumenterne er nok."), "{html}");
        assert!(html.contains("id=\"doc-passport\" name=\"doc\" value=\"passport\" checked"));
        assert!(
            html.contains("<ul><li>Et pas eller et kørekort er nok i sig selv.</li></ul>"),
            "{html}"
        );
        assert!(
            !html.contains("lang=\"en\"><li>"),
            "no English reasons: {html}"
        );
        assert!(html.contains("name=\"call\" value=\"c9\""));
        assert_eq!(
            html.matches("<form").count(),
            html.matches("name=\"csrf\"").count()
        );
    }

    #[test]
    fn a_witness_is_checked_by_the_rules_with_every_reason_shown() {
        let catalogue = catalogue();
        let t = Texts::new(&catalogue, Lang::En);
        let flows = FlowSet::shipped().unwrap();
        let (flow, keys) = flows
            .flows
            .iter()
            .find_map(|flow| {
                // Breadth-first over key strings up to 4 keys long.
                let mut frontier = vec![String::new()];
                for _ in 0..5 {
                    let mut next = Vec::new();
                    for keys in frontier {
                        let step = &flow.steps[flow.walk(&keys).step];
                        if step.check == Some(Check::Witness) {
                            return Some((flow, keys));
                        }
                        next.extend(step.choices.iter().map(|c| format!("{keys}{}", c.key)));
                    }
                    frontier = next;
                }
                None
            })
            .expect("a shipped flow with a witness check");
        let at = FlowPosition {
            flow,
            keys: &keys,
            call: None,
            say_lang: Lang::En,
        };
        let input = CheckInput::Witness {
            cpr: "150609-4123".into(),
            mitid_since: "2020-01-01".into(),
            witnessed: String::new(),
        };
        let html = flow_page(&t, "tok", &at, &input, now());
        assert!(html.contains("The witness cannot vouch."), "{html}");
        assert!(
            html.contains("Not met: age 17 (must be 18 or older)"),
            "{html}"
        );
        let input = CheckInput::Witness {
            cpr: "320101-1234".into(),
            mitid_since: "2020-01-01".into(),
            witnessed: String::new(),
        };
        let html = flow_page(&t, "tok", &at, &input, now());
        assert!(html.contains("not a real date"), "{html}");
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    /// The verdict's HTML on a Danish and on an English page.
    fn both<F: Fn(&Texts<'_>) -> String>(render: F) -> (String, String) {
        let catalogue = catalogue();
        (
            render(&Texts::new(&catalogue, Lang::Da)),
            render(&Texts::new(&catalogue, Lang::En)),
        )
    }

    fn plain(html: &str) -> String {
        html.replace("&quot;", "\"")
    }

    #[test]
    fn a_17_year_old_witness_in_the_page_s_language() {
        let (da, en) = both(|t| witness_result(t, "150609-4123", "2020-01-01", "", now()));
        assert!(
            da.contains("<strong>Vidnet kan ikke stå inde.</strong>"),
            "{da}"
        );
        assert!(
            da.contains(
                "<li>Ikke opfyldt: alder 17 (skal være mindst 18); fylder 18 den 2027-06-15</li>"
            ),
            "{da}"
        );
        assert!(
            da.contains("<li>Opfyldt: har haft MitID i 2520 dage (skal være mere end 30)</li>"),
            "{da}"
        );
        assert!(da.contains("<li>Opfyldt: har været vidne for 0 personer inden for de seneste 120 dage (højst 3)</li>"), "{da}");
        assert!(
            da.contains(
                "<li>Husk: vidnet skal medbringe gyldig billedlegitimation og sit MitID.</li>"
            ),
            "{da}"
        );
        assert!(
            !da.contains("lang=\"en\"") && !da.contains("NOT OK") && !da.contains("web-"),
            "{da}"
        );
        assert!(
            en.contains("<strong>The witness cannot vouch.</strong>"),
            "{en}"
        );
        assert!(
            en.contains("<li>Not met: age 17 (must be 18 or older); turns 18 on 2027-06-15</li>"),
            "{en}"
        );
        assert!(
            en.contains(
                "<li>Reminder: the witness must bring valid photo ID and their MitID.</li>"
            ),
            "{en}"
        );
    }

    #[test]
    fn a_witness_at_the_limit_of_3_in_120_days() {
        let dates = "2026-08-01, 2026-09-01, 2026-10-01";
        let (da, en) = both(|t| witness_result(t, "010180-1234", "2026-10-26", dates, now()));
        assert!(da.contains("Vidnet kan ikke stå inde."), "{da}");
        assert!(
            da.contains("<li>Ikke opfyldt: har været vidne for 3 personer inden for de seneste 120 dage (højst 3); må være vidne igen fra 2026-11-29</li>"),
            "{da}"
        );
        // 30 days of MitID is not more than 30; one day is "dag", not "dage".
        assert!(
            da.contains("<li>Ikke opfyldt: har haft MitID i 30 dage (skal være mere end 30); længe nok fra 2026-11-26</li>"),
            "{da}"
        );
        assert!(
            en.contains("<li>Not met: has witnessed for 3 people within the last 120 days (at most 3); may witness again from 2026-11-29</li>"),
            "{en}"
        );
        let (da, en) =
            both(|t| witness_result(t, "010180-1234", "2026-11-24", "2026-11-01", now()));
        assert!(
            da.contains("har haft MitID i 1 dag (") && da.contains("for 1 person inden"),
            "{da}"
        );
        assert!(
            en.contains("for 1 day (") && en.contains("for 1 person within"),
            "{en}"
        );
        let (da, en) =
            both(|t| witness_result(t, "010180-1234", "2020-01-01", "2026-12-01", now()));
        assert!(
            da.contains("<li>Ikke opfyldt: datoer efter dagen for tjekket: 2026-12-01</li>"),
            "{da}"
        );
        assert!(
            en.contains("<li>Not met: dates after the day of the check: 2026-12-01</li>"),
            "{en}"
        );
        let (da, en) = both(|t| witness_result(t, "010180-1234", "2020-01-01", "", now()));
        assert!(da.contains("<strong>Vidnet kan stå inde.</strong>"), "{da}");
        assert!(
            en.contains("<strong>The witness can vouch.</strong>"),
            "{en}"
        );
    }

    #[test]
    fn documents_in_the_page_s_language() {
        let words = |w: &[&str]| w.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        let (da, en) = both(|t| documents_result(t, &words(&["health-card"]), "", now()));
        assert!(
            da.contains("<strong>Dokumenterne er ikke nok.</strong>"),
            "{da}"
        );
        assert!(
            da.contains(
                "<li>Intet pas eller kørekort, så der skal bruges to andre dokumenter.</li>"
            ),
            "{da}"
        );
        assert!(
            da.contains("<li>Mangler: en dåbs- eller navneattest, den seneste årsopgørelse eller dokumentation for udbetaling af en offentlig ydelse, højst 3 måneder gammel.</li>"),
            "{da}"
        );
        assert!(
            !da.contains("lang=\"en\"") && !da.contains("not enough"),
            "{da}"
        );
        assert!(
            en.contains("<strong>The documents are not enough.</strong>"),
            "{en}"
        );
        assert!(en.contains("<li>Missing: a baptism or name certificate, the latest annual tax statement, or proof of a public benefit payment at most 3 months old.</li>"), "{en}");
        let (da, en) = both(|t| {
            documents_result(
                t,
                &words(&["health-card", "old-tax-statement"]),
                "2026-08-24",
                now(),
            )
        });
        assert!(
            da.contains("<li>Årsopgørelsen skal være den seneste.</li>"),
            "{da}"
        );
        assert!(
            da.contains("<li>Dokumentationen for udbetalingen af ydelsen den 2026-08-24 er mere end 3 måneder gammel (den skal være fra 2026-08-25 eller senere).</li>"),
            "{da}"
        );
        assert!(
            en.contains(
                "of 2026-08-24 is more than 3 months old (it must be from 2026-08-25 or later)."
            ),
            "{en}"
        );
        let (da, _) =
            both(|t| documents_result(t, &words(&["other-with-cpr"]), "2026-12-01", now()));
        assert!(da.contains("er dateret i fremtiden (2026-12-01)"), "{da}");
        let (da, en) =
            both(|t| documents_result(t, &words(&["health-card", "tax-statement"]), "", now()));
        assert!(da.contains("<strong>Dokumenterne er nok.</strong>"), "{da}");
        assert!(da.contains("<li>To dokumenter er nok; derefter skal opkalderen svare på spørgsmål fra CPR-registret eller have et vidne med.</li>"), "{da}");
        assert!(en.contains("<li>Two documents are enough; then the caller must answer questions from the CPR register or bring a witness.</li>"), "{en}");
        let (da, en) = both(|t| documents_result(t, &words(&["driving-licence"]), "", now()));
        assert!(
            da.contains("<li>Et pas eller et kørekort er nok i sig selv.</li>"),
            "{da}"
        );
        assert!(
            en.contains("<li>A passport or driving licence is enough on its own.</li>"),
            "{en}"
        );
    }

    #[test]
    fn input_errors_in_the_page_s_language() {
        let (da, en) = both(|t| witness_result(t, "15069-4123", "2020-01-01", "", now()));
        assert!(
            plain(&da).contains(
                "<li>CPR-nummeret \"15069-4123\" skal være ti cifre som DDMMÅÅ-SSSS.</li>"
            ),
            "{da}"
        );
        assert!(
            plain(&en).contains(
                "<li>The CPR number \"15069-4123\" must be ten digits as DDMMYY-SSSS.</li>"
            ),
            "{en}"
        );
        assert!(!da.contains("<strong>"), "no verdict for bad input: {da}");
        let (da, en) = both(|t| witness_result(t, "320101-1234", "2020-01-01", "", now()));
        assert!(
            plain(&da).contains("CPR-nummeret \"320101-1234\": 32-01-1901 er ikke en rigtig dato."),
            "{da}"
        );
        assert!(en.contains("32-01-1901 is not a real date."), "{en}");
        let (da, _) = both(|t| witness_result(t, "010180-1234", "1.1.2020", "", now()));
        assert!(
            plain(&da).contains("MitID-datoen \"1.1.2020\" skal skrives ÅÅÅÅ-MM-DD."),
            "{da}"
        );
        let (da, _) = both(|t| witness_result(t, "010180-1234", "2020-01-01", "2026-1-x", now()));
        assert!(
            plain(&da).contains("Vidnedatoen \"2026-1-x\" skal skrives ÅÅÅÅ-MM-DD."),
            "{da}"
        );
        let (da, en) = both(|t| witness_result(t, "", "", "", now()));
        assert!(da.contains("Udfyld vidnets CPR-nummer"), "{da}");
        assert!(en.contains("Fill in the witness&#39;s CPR number"), "{en}");
        let (da, _) = both(|t| documents_result(t, &["health-card".into()], "i går", now()));
        assert!(
            plain(&da).contains(
                "Datoen på dokumentationen for ydelsen \"i går\" skal skrives ÅÅÅÅ-MM-DD."
            ),
            "{da}"
        );
        let (da, _) = both(|t| documents_result(t, &["pasport".into()], "", now()));
        assert!(plain(&da).contains("Ukendt dokument \"pasport\"."), "{da}");
    }

    #[test]
    fn opening_hours_in_the_page_s_language() {
        let (da, en) = both(|t| hours_lines(t, now()).join("\n"));
        assert_eq!(
            da,
            "Åbent nu — onsdag 2026-11-25 12:00 er en hverdag: åbent 08:00–20:00\n\
             Lukker onsdag 2026-11-25 20:00\n\
             Support 33 98 00 10: mandag–fredag 08–20; lørdage, søndage og helligdage 10–16 (dansk tid)"
        );
        assert_eq!(
            en,
            "Open now — Wednesday 2026-11-25 12:00 is a weekday: open 08:00–20:00\n\
             Closes Wednesday 2026-11-25 20:00\n\
             Support 33 98 00 10: Monday–Friday 08–20; Saturdays, Sundays and public holidays 10–16 (Copenhagen time)"
        );
        let (da, en) = both(|t| hours_lines(t, at("2026-12-25 09:00")).join("\n"));
        assert!(da.starts_with("Lukket nu — fredag 2026-12-25 09:00 er en helligdag (Juledag): åbent 10:00–16:00\nÅbner fredag 2026-12-25 10:00"), "{da}");
        assert!(en.starts_with("Closed now — Friday 2026-12-25 09:00 is a public holiday (Christmas Day): open 10:00–16:00"), "{en}");
        let (da, _) = both(|t| hours_lines(t, at("2026-11-28 17:00")).join("\n"));
        assert!(
            da.contains("er en lørdag: åbent 10:00–16:00\nÅbner søndag 2026-11-29 10:00"),
            "{da}"
        );
        let catalogue = catalogue();
        let home = calls_page(&Texts::new(&catalogue, Lang::Da), "", "c", now());
        assert!(home.contains("<ul><li>Åbent nu — onsdag"), "{home}");
        assert!(!home.contains("lang=\"en\""), "{home}");
    }

    /// Every reason and shortfall the rules can give has words in both languages, and the
    /// Danish words are not the English ones.
    #[test]
    fn every_reason_has_danish_and_english_words() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let reasons = [
            Reason::Age {
                age: 17,
                ok: false,
                turns_18: Some(day),
            },
            Reason::MitidAge {
                days: 3,
                ok: false,
                ok_from: day,
            },
            Reason::Witnessed {
                within_window: 3,
                ok: false,
                ok_from: Some(day),
            },
            Reason::FutureDates(vec![day]),
            Reason::BringPhotoIdAndMitid,
        ];
        let shortfalls = [
            Shortfall::NoPhotoId,
            Shortfall::NoCprDocument,
            Shortfall::NoSecondDocument,
            Shortfall::OldTaxStatement,
            Shortfall::BenefitTooOld {
                dated: day,
                from: day,
            },
            Shortfall::BenefitInFuture { dated: day },
        ];
        let texts: Vec<(String, String)> = reasons
            .iter()
            .map(|r| both(|t| witness_reason(t, r)))
            .chain(shortfalls.iter().map(|s| both(|t| shortfall(t, s))))
            .collect();
        for (da, en) in texts {
            assert!(!da.contains("web-") && !en.contains("web-"), "{da} / {en}");
            assert_ne!(da, en);
        }
    }
}
