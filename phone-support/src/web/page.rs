//! The console's pages as HTML (pure: values in, text out). Every text comes from the
//! Fluent catalogue (`speech/catalogue/<lang>/web.ftl`) or, for a flow's texts, from the
//! flow file in the page's language; the rules' own reasons (English) are marked
//! `lang="en"`. Every `<form>` posts and carries the session's CSRF token. Nothing here
//! ever gets a code or a secret: [`DeviceView`] has none, and an issued activation code is
//! not passed in.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use speech::{Catalogue, Lang};

use crate::console::{documents_lines, hours_lines, witness_lines};
use crate::device::DeviceView;
use crate::flow::{Check, End, Flow, FlowSet};
use crate::queue::CallState;

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

    /// `lang="en"` for English text on a page in another language, else nothing.
    fn english_attr(&self) -> &'static str {
        if self.lang == Lang::En {
            ""
        } else {
            " lang=\"en\""
        }
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
        hours_list = english_list(t, &hours_lines(now)),
    )
}

/// Lines in English (the rules' and hours' own words).
fn english_list(t: &Texts<'_>, lines: &[String]) -> String {
    let mut html = format!("<ul{}>", t.english_attr());
    for line in lines {
        let _ = write!(html, "<li>{}</li>", escape(line));
    }
    html.push_str("</ul>\n");
    html
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
            html.push_str(&english_list(t, &hours_lines(now)));
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
                let mut args = words.join(",");
                if !benefit.trim().is_empty() {
                    args.push_str(&format!(",benefit:{}", benefit.trim()));
                }
                let lines = documents_lines(&args, now);
                html.push_str(&verdict(
                    t,
                    &lines,
                    |first| first.starts_with("enough"),
                    |first| first.starts_with("not enough"),
                    "web-docs-enough",
                    "web-docs-not-enough",
                ));
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
                let squeeze = |s: &str| s.split_whitespace().collect::<String>();
                let args = format!(
                    "{} {} {}",
                    squeeze(cpr),
                    squeeze(mitid_since),
                    squeeze(witnessed)
                );
                let lines = witness_lines(args.trim(), now);
                html.push_str(&verdict(
                    t,
                    &lines,
                    |first| first == "eligible",
                    |first| first == "not eligible",
                    "web-eligible",
                    "web-not-eligible",
                ));
            }
        }
    }
    html
}

/// A rules verdict: the headline in the page's language, then the rules' reasons.
fn verdict(
    t: &Texts<'_>,
    lines: &[String],
    yes: impl Fn(&str) -> bool,
    no: impl Fn(&str) -> bool,
    yes_id: &str,
    no_id: &str,
) -> String {
    let first = lines.first().map(String::as_str).unwrap_or("");
    let headline = if yes(first) {
        Some(t.t(yes_id))
    } else if no(first) {
        Some(t.t(no_id))
    } else {
        None
    };
    let mut html = String::from("<div class=\"verdict\" role=\"status\">");
    match headline {
        Some(headline) => {
            let _ = write!(html, "<p><strong>{headline}</strong></p>");
            let _ = write!(html, "<h3>{}</h3>", t.t("web-reasons"));
            html.push_str(&english_list(t, lines));
        }
        // Not a verdict: what is wrong with the input, in the rules' words.
        None => html.push_str(&english_list(t, lines)),
    }
    html.push_str("</div>\n");
    html
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
        assert!(html.contains("<ul lang=\"en\"><li>enough: a passport"));
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
        assert!(html.contains("NOT OK: age 17 (must be 18 or older)"));
        let input = CheckInput::Witness {
            cpr: "320101-1234".into(),
            mitid_since: "2020-01-01".into(),
            witnessed: String::new(),
        };
        let html = flow_page(&t, "tok", &at, &input, now());
        assert!(html.contains("not a real date"), "{html}");
    }
}
