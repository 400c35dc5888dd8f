//! The web console's shell: axum routes that check the session, the CSRF token and the
//! agent's rights, call the service (naming the agent for its audit log) and the SIP line,
//! append to the console's own audit log, and render [`super::page`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDateTime;
use futures_util::StreamExt as _;
use rand::RngCore as _;
use serde::Serialize;
use speech::{Catalogue, Lang};
use tokio::sync::watch;

use crate::console_shell::OutcomeLog;
use crate::device::{DeviceDirectory as _, HttpDirectory, LookupError};
use crate::flow::FlowSet;

use super::auth::{AccountFile, Right, SignIn};
use super::line::{LineClient, LineError, LineState};
use super::page::{self, CheckInput, DeviceActions, Flash, FlowPosition, Frame, Nav, Texts};
use super::session::{
    cookie_name, cookie_value, set_cookie, tokens_match, Session, Sessions, Token, COOKIE,
    SIGNIN_COOKIE,
};

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

/// How the console is set up.
pub struct WebConfig {
    /// The service's base URL and admin token.
    pub service: String,
    pub admin_token: String,
    /// The SIP line's control API and its token, if any.
    pub line: String,
    pub line_token: Option<String>,
    /// Accounts, the audit log and the outbox live here.
    pub data_dir: PathBuf,
    /// Where new activation codes are handed over for printing or SMS (one file each).
    pub outbox: PathBuf,
    /// Behind TLS: Secure cookies with the `__Host-` prefix.
    pub secure_cookies: bool,
    pub flows: FlowSet,
    /// A fixed Copenhagen local time for the rules (tests), else the real one.
    pub at: Option<NaiveDateTime>,
}

struct Inner {
    catalogue: Catalogue,
    flows: FlowSet,
    directory: HttpDirectory,
    line: LineClient,
    line_state: watch::Receiver<LineState>,
    sessions: Mutex<Sessions>,
    accounts: AccountFile,
    accounts_lock: tokio::sync::Mutex<()>,
    audit: Mutex<OutcomeLog>,
    outbox: PathBuf,
    secure: bool,
    at: Option<NaiveDateTime>,
}

/// The console's shared state.
#[derive(Clone)]
pub struct WebState(Arc<Inner>);

impl WebState {
    /// Opens the audit log, loads the catalogue and starts following the line (on a
    /// thread of its own).
    pub fn new(config: WebConfig) -> anyhow::Result<WebState> {
        use anyhow::Context as _;
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
        let audit_path = config.data_dir.join("audit.log");
        let audit = OutcomeLog::open(&audit_path)
            .with_context(|| format!("cannot open {}", audit_path.display()))?;
        let accounts = AccountFile::new(&config.data_dir);
        accounts.load()?;
        let line = LineClient::new(&config.line, config.line_token);
        let (sender, line_state) = watch::channel(LineState::Connecting);
        let follower = line.clone();
        std::thread::Builder::new()
            .name("line-follower".into())
            .spawn(move || super::line::follow(follower, sender, Duration::from_millis(500)))
            .context("cannot start the line follower")?;
        Ok(WebState(Arc::new(Inner {
            catalogue: Catalogue::embedded()?,
            flows: config.flows,
            directory: HttpDirectory::new(&config.service, config.admin_token),
            line,
            line_state,
            sessions: Mutex::new(Sessions::default()),
            accounts,
            accounts_lock: tokio::sync::Mutex::new(()),
            audit: Mutex::new(audit),
            outbox: config.outbox,
            secure: config.secure_cookies,
            at: config.at,
        })))
    }

    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn local_now(&self) -> NaiveDateTime {
        self.0
            .at
            .unwrap_or_else(crate::rules::hours::copenhagen_now)
    }

    fn texts(&self, lang: Lang) -> Texts<'_> {
        Texts::new(&self.0.catalogue, lang)
    }

    /// Appends one line to the console's audit log: when, who, what, on what, result.
    fn audit(&self, agent: &str, action: &str, subject: &str, result: &str) {
        #[derive(Serialize)]
        struct Line<'a> {
            at: String,
            agent: &'a str,
            action: &'a str,
            subject: &'a str,
            result: &'a str,
        }
        let line = Line {
            at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            agent,
            action,
            subject,
            result,
        };
        let text = serde_json::to_string(&line).unwrap_or_default();
        let mut log = self.0.audit.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(error) = log.append(&text) {
            tracing::error!("cannot write the audit log: {error}");
        }
    }
}

fn random_token() -> Token {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Token::from_bytes(bytes)
}

/// The router.
pub fn app(state: WebState) -> Router {
    Router::new()
        .route("/static/console.css", get(css))
        .route("/static/console.js", get(js))
        .route("/signin", get(sign_in_page).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/lang", post(set_lang))
        .route("/", get(home))
        .route("/calls/events", get(call_events))
        .route("/calls/{id}", get(call_page))
        .route("/calls/{id}/take", post(take_call))
        .route("/calls/{id}/done", post(call_done))
        .route("/device", get(device_page).post(device_lookup))
        .route("/device/{serial}", get(device_by_serial))
        .route("/device/{serial}/unlock", get(unlock_page).post(unlock))
        .route(
            "/device/{serial}/activation",
            get(activation_page).post(activation),
        )
        .route("/flows", get(flows_page))
        .route("/flows/{id}", get(flow_page))
        .route("/flows/{id}/check", post(flow_check))
        .route("/flows/{id}/end", post(flow_end))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        JS,
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The fields of a posted form (`application/x-www-form-urlencoded`), repeated names kept.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &Bytes) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").trim().to_owned()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }
}

/// A signed-in request: the session and its cookie.
struct Agent {
    cookie: String,
    session: Session,
}

fn session_of(state: &WebState, headers: &HeaderMap) -> Option<Agent> {
    let name = cookie_name(COOKIE, state.0.secure);
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| cookie_value(value, &name))?
        .to_owned();
    let session = state
        .0
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .touch(&cookie, state.now())?;
    Some(Agent { cookie, session })
}

/// Why a request is refused before it does anything.
enum Refusal {
    /// No (live) session: a page goes to the sign-in form, a form post gets 401.
    NoSession { post: bool },
    /// The form's CSRF token is missing or wrong.
    Csrf(Agent),
    /// The agent lacks a right.
    NoRight(Agent, Right),
}

impl WebState {
    fn refuse(&self, refusal: Refusal) -> Response {
        match refusal {
            Refusal::NoSession { post: false } => Redirect::to("/signin").into_response(),
            Refusal::NoSession { post: true } => {
                let t = self.texts(Lang::Da);
                let mut response = self.sign_in_response(
                    t,
                    StatusCode::UNAUTHORIZED,
                    vec![Flash::Error(t.t("web-sign-in-needed"))],
                    "",
                );
                *response.status_mut() = StatusCode::UNAUTHORIZED;
                response
            }
            Refusal::Csrf(agent) => {
                self.audit(&agent.session.agent, "form", "-", "refused_csrf");
                let t = self.texts(agent.session.lang);
                self.error_page(
                    &agent,
                    StatusCode::FORBIDDEN,
                    Flash::Error(t.t("web-csrf-refused")),
                )
            }
            Refusal::NoRight(agent, right) => {
                self.audit(&agent.session.agent, right.name(), "-", "refused_no_right");
                let t = self.texts(agent.session.lang);
                let id = match right {
                    Right::Lookup => "web-no-right-lookup",
                    Right::Unlock => "web-no-right-unlock",
                    Right::Activation => "web-no-right-activation",
                };
                self.error_page(&agent, StatusCode::FORBIDDEN, Flash::Error(t.t(id)))
            }
        }
    }

    fn error_page(&self, agent: &Agent, status: StatusCode, flash: Flash) -> Response {
        let t = self.texts(agent.session.lang);
        self.page(
            agent,
            status,
            t.raw("web-error-title", &[]),
            Nav::None,
            vec![flash],
            page::error_content(&t),
        )
    }

    fn page(
        &self,
        agent: &Agent,
        status: StatusCode,
        title: String,
        nav: Nav,
        flash: Vec<Flash>,
        content: String,
    ) -> Response {
        let frame = Frame {
            texts: self.texts(agent.session.lang),
            title,
            nav,
            agent: Some((&agent.session.agent, agent.session.csrf.as_str())),
            flash,
        };
        html(status, page::page(&frame, &content))
    }

    fn sign_in_response(
        &self,
        t: Texts<'_>,
        status: StatusCode,
        flash: Vec<Flash>,
        name: &str,
    ) -> Response {
        let token = random_token();
        let frame = Frame {
            texts: t,
            title: t.raw("web-sign-in-title", &[]),
            nav: Nav::None,
            agent: None,
            flash,
        };
        let body = page::page(&frame, &page::sign_in_form(&t, token.as_str(), name));
        let cookie = set_cookie(SIGNIN_COOKIE, token.as_str(), self.0.secure, Some(3600));
        let mut response = html(status, body);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }

    /// A signed-in GET.
    fn agent(&self, headers: &HeaderMap) -> Result<Agent, Box<Response>> {
        session_of(self, headers)
            .ok_or_else(|| Box::new(self.refuse(Refusal::NoSession { post: false })))
    }

    /// A signed-in form post with the session's CSRF token, and the agent's `right`.
    fn agent_post(
        &self,
        headers: &HeaderMap,
        form: &Form,
        right: Option<Right>,
    ) -> Result<Agent, Box<Response>> {
        let agent = session_of(self, headers)
            .ok_or_else(|| Box::new(self.refuse(Refusal::NoSession { post: true })))?;
        if !agent.session.csrf_ok(form.get("csrf")) {
            return Err(Box::new(self.refuse(Refusal::Csrf(agent))));
        }
        match right {
            Some(right) if !agent.session.has(right) => {
                Err(Box::new(self.refuse(Refusal::NoRight(agent, right))))
            }
            _ => Ok(agent),
        }
    }

    /// A signed-in GET that needs `right`.
    fn agent_with(&self, headers: &HeaderMap, right: Right) -> Result<Agent, Box<Response>> {
        let agent = self.agent(headers)?;
        if agent.session.has(right) {
            Ok(agent)
        } else {
            Err(Box::new(self.refuse(Refusal::NoRight(agent, right))))
        }
    }
}

fn lang_param(query: &HashMap<String, String>) -> Option<Lang> {
    query.get("lang").and_then(|l| l.parse().ok())
}

async fn sign_in_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if session_of(&state, &headers).is_some() {
        return Redirect::to("/").into_response();
    }
    let t = state.texts(lang_param(&query).unwrap_or_default());
    let flash = if query.contains_key("out") {
        vec![Flash::Info(t.t("web-signed-out"))]
    } else {
        Vec::new()
    };
    state.sign_in_response(t, StatusCode::OK, flash, "")
}

async fn sign_in(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let lang = form
        .get("lang")
        .and_then(|l| l.parse().ok())
        .unwrap_or_default();
    let t = state.texts(lang);
    let expected = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| cookie_value(value, &cookie_name(SIGNIN_COOKIE, state.0.secure)))
        .map(str::to_owned);
    let name = form.text("name");
    let csrf_ok = match (expected, form.get("csrf")) {
        (Some(expected), Some(sent)) => expected.len() == 64 && tokens_match(&expected, sent),
        _ => false,
    };
    if !csrf_ok {
        state.audit(&clean_name(&name), "sign_in", "-", "refused_csrf");
        return state.sign_in_response(
            t,
            StatusCode::FORBIDDEN,
            vec![Flash::Error(t.t("web-csrf-refused"))],
            &name,
        );
    }
    let password = form.get("password").unwrap_or("").to_owned();
    let now = state.now();
    let answer = {
        let _guard = state.0.accounts_lock.lock().await;
        let file = state.0.accounts.clone();
        let who = name.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<SignIn> {
            let mut accounts = file.load()?;
            let answer = accounts.sign_in(&who, &password, now);
            if accounts.agents.contains_key(&who) {
                file.save(&accounts)?;
            }
            Ok(answer)
        })
        .await
    };
    let answer = match answer {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => {
            tracing::error!("sign-in: {error:#}");
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                String::from("internal error"),
            );
        }
        Err(error) => {
            tracing::error!("sign-in task: {error}");
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                String::from("internal error"),
            );
        }
    };
    match answer {
        SignIn::Accepted { rights } => {
            state.audit(&name, "sign_in", "-", "ok");
            let cookie = random_token();
            state
                .0
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .start(&name, rights, lang, cookie.clone(), random_token(), now);
            let mut response = Redirect::to("/").into_response();
            for value in [
                set_cookie(COOKIE, cookie.as_str(), state.0.secure, None),
                set_cookie(SIGNIN_COOKIE, "", state.0.secure, Some(0)),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            response
        }
        SignIn::Refused => {
            state.audit(&clean_name(&name), "sign_in", "-", "wrong_password");
            state.sign_in_response(
                t,
                StatusCode::UNAUTHORIZED,
                vec![Flash::Error(t.t("web-sign-in-wrong"))],
                &name,
            )
        }
        SignIn::Locked { until } => {
            state.audit(&clean_name(&name), "sign_in", "-", "locked");
            let until = chrono::DateTime::from_timestamp(until, 0)
                .map(|utc| {
                    crate::rules::hours::copenhagen_local(utc)
                        .format("%H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            state.sign_in_response(
                t,
                StatusCode::FORBIDDEN,
                vec![Flash::Error(
                    t.ta("web-sign-in-locked", &[("until", &until)]),
                )],
                &name,
            )
        }
    }
}

/// A typed name as it may go into the audit log (the first 64 safe characters).
fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || ".-_@".contains(*c))
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "-".to_owned()
    } else {
        cleaned
    }
}

async fn sign_out(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let agent = match state.agent_post(&headers, &form, None) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    state
        .0
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .end(&agent.cookie);
    state.audit(&agent.session.agent, "sign_out", "-", "ok");
    let mut response =
        Redirect::to(&format!("/signin?out=1&lang={}", agent.session.lang.code())).into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie(COOKIE, "", state.0.secure, Some(0))) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn set_lang(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let agent = match state.agent_post(&headers, &form, None) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    if let Some(lang) = form.get("lang").and_then(|l| l.parse().ok()) {
        state
            .0
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_lang(&agent.cookie, lang);
    }
    Redirect::to("/").into_response()
}

fn line_url(state: &WebState) -> String {
    state.0.line.base().to_owned()
}

async fn home(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let agent = match state.agent(&headers) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let line = state.0.line_state.borrow().clone();
    let region = page::calls_region(
        &t,
        &state.0.flows,
        &line,
        &line_url(&state),
        &agent.session.agent,
        agent.session.csrf.as_str(),
    );
    let mut flash = Vec::new();
    if query.contains_key("recorded") {
        flash.push(Flash::Info(t.t("web-recorded")));
    }
    if let Some(problem) = query.get("line") {
        flash.push(Flash::Error(match problem.as_str() {
            "gone" => t.t("web-call-gone"),
            "taken" => t.t("web-call-not-waiting"),
            _ => t.ta("web-line-error", &[("message", problem)]),
        }));
    }
    let content = page::calls_page(&t, &region, agent.session.csrf.as_str(), state.local_now());
    state.page(
        &agent,
        StatusCode::OK,
        t.raw("web-calls-title", &[]),
        Nav::Calls,
        flash,
        content,
    )
}

/// The calls region again on every change of the line, while the session lives.
async fn call_events(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let agent = match session_of(&state, &headers) {
        Some(agent) => agent,
        None => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let stream_state = state.clone();
    let stream = tokio_stream::wrappers::WatchStream::new(state.0.line_state.clone())
        .take_while(move |_| {
            let alive = stream_state
                .0
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .alive(&agent.cookie, stream_state.now());
            std::future::ready(alive)
        })
        .map(move |line| {
            let t = state.texts(agent.session.lang);
            let region = page::calls_region(
                &t,
                &state.0.flows,
                &line,
                &line_url(&state),
                &agent.session.agent,
                agent.session.csrf.as_str(),
            );
            Ok::<_, std::convert::Infallible>(Event::default().event("calls").data(region))
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

async fn take_call(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let agent = match state.agent_post(&headers, &form, None) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let line = state.0.line.clone();
    let name = agent.session.agent.clone();
    let call = id.clone();
    let taken = tokio::task::spawn_blocking(move || line.take(&call, &name))
        .await
        .unwrap_or_else(|e| Err(LineError::Unreachable(e.to_string())));
    match taken {
        Ok(_) => {
            state.audit(&agent.session.agent, "take_call", &id, "ok");
            Redirect::to(&format!("/calls/{}", crate::device::path_segment(&id))).into_response()
        }
        Err(error) => {
            state.audit(
                &agent.session.agent,
                "take_call",
                &id,
                &error_reason(&error),
            );
            let problem = match error {
                LineError::UnknownCall(_) => "gone".to_owned(),
                LineError::NotWaiting(_) => "taken".to_owned(),
                other => other.to_string(),
            };
            Redirect::to(&format!("/?line={}", crate::device::path_segment(&problem)))
                .into_response()
        }
    }
}

fn error_reason(error: &LineError) -> String {
    match error {
        LineError::UnknownCall(_) => "unknown_call".into(),
        LineError::NotWaiting(_) => "not_waiting".into(),
        LineError::Unreachable(_) => "line_unreachable".into(),
        LineError::Status(status) => format!("http_{status}"),
    }
}

async fn call_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let agent = match state.agent(&headers) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let call = state.0.line_state.borrow().call(&id).cloned();
    match call {
        Some(call) => {
            let content = page::call_page(&t, agent.session.csrf.as_str(), &state.0.flows, &call);
            state.page(
                &agent,
                StatusCode::OK,
                t.raw("web-call-title", &[]),
                Nav::Calls,
                Vec::new(),
                content,
            )
        }
        None => state.error_page(
            &agent,
            StatusCode::NOT_FOUND,
            Flash::Error(t.t("web-call-gone")),
        ),
    }
}

/// Records a call's outcome in the audit log (no code: the note is the agent's words,
/// trimmed) and tells the line the call is done.
async fn record_outcome(state: &WebState, agent: &Agent, form: &Form) -> Response {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect()
    };
    let outcome = match form.get("outcome") {
        Some(o @ ("resolved" | "follow-up" | "passed-on")) => o.to_owned(),
        _ => "resolved".to_owned(),
    };
    let call = form.text("call");
    let flow = form.text("flow");
    let keys: String = form
        .text("keys")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let subject = if call.is_empty() {
        "-".to_owned()
    } else {
        clean(&call)
    };
    let result = format!(
        "{outcome}; flow={}; keys={}; note={}",
        if flow.is_empty() { "-" } else { &flow },
        if keys.is_empty() { "-" } else { &keys },
        clean(&form.text("note"))
    );
    state.audit(&agent.session.agent, "call_outcome", &subject, &result);
    if !call.is_empty() {
        let line = state.0.line.clone();
        let name = agent.session.agent.clone();
        let done = tokio::task::spawn_blocking(move || line.done(&call, &name)).await;
        if let Ok(Err(error)) = done {
            tracing::warn!("telling the line a call is done: {error}");
        }
    }
    Redirect::to("/?recorded=1").into_response()
}

async fn call_done(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    record_outcome_for(&state, &headers, &body, "call", id).await
}

/// The outcome form posted to a call's or a flow's own address: the address names the
/// call or flow (`field`), whatever the form says.
async fn record_outcome_for(
    state: &WebState,
    headers: &HeaderMap,
    body: &Bytes,
    field: &str,
    id: String,
) -> Response {
    let mut form = Form::parse(body);
    let agent = match state.agent_post(headers, &form, None) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    form.0.retain(|(key, _)| key != field);
    form.0.push((field.to_owned(), id));
    record_outcome(state, &agent, &form).await
}

async fn device_page(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let agent = match state.agent(&headers) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let content = page::lookup_form(&t, agent.session.csrf.as_str(), "", "");
    state.page(
        &agent,
        StatusCode::OK,
        t.raw("web-device-title", &[]),
        Nav::Device,
        Vec::new(),
        content,
    )
}

/// Which device to show.
enum Wanted {
    Serial(String),
    User(String),
}

/// Looks a device up for the agent and renders its page.
async fn show_device(
    state: &WebState,
    agent: &Agent,
    wanted: Wanted,
    mut flash: Vec<Flash>,
) -> Response {
    let t = state.texts(agent.session.lang);
    let directory = state.0.directory.acting_for(&agent.session.agent);
    let (serial_field, user_field) = match &wanted {
        Wanted::Serial(serial) => (serial.clone(), String::new()),
        Wanted::User(user) => (String::new(), user.clone()),
    };
    let result = tokio::task::spawn_blocking(move || match wanted {
        Wanted::Serial(serial) => directory.device(&serial),
        Wanted::User(user) => directory.device_of_user(&user),
    })
    .await
    .unwrap_or_else(|e| Err(LookupError::BadAnswer(e.to_string())));
    let csrf = agent.session.csrf.as_str();
    let mut content = page::lookup_form(&t, csrf, &serial_field, &user_field);
    let status = match result {
        Ok(view) => {
            let actions = DeviceActions {
                unlock: agent.session.has(Right::Unlock),
                activation: agent.session.has(Right::Activation),
            };
            content.push_str(&format!(
                "<section aria-labelledby=\"device-heading\"><h2 id=\"device-heading\">{}</h2>\n{}</section>",
                page::escape(&view.serial),
                page::device_view(&t, csrf, &view, actions)
            ));
            StatusCode::OK
        }
        Err(error) => {
            let status = match error {
                LookupError::NotFound(_) | LookupError::NoDeviceFor(_) => StatusCode::NOT_FOUND,
                LookupError::BadSerial(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            flash.push(Flash::Error(page::escape(&error.to_string())));
            status
        }
    };
    state.page(
        agent,
        status,
        t.raw("web-device-title", &[]),
        Nav::Device,
        flash,
        content,
    )
}

async fn device_lookup(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let agent = match state.agent_post(&headers, &form, Some(Right::Lookup)) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let (serial, user) = (form.text("serial"), form.text("user"));
    let wanted = match (serial.is_empty(), user.is_empty()) {
        (false, _) => Wanted::Serial(serial),
        (true, false) => Wanted::User(user),
        (true, true) => {
            let t = state.texts(agent.session.lang);
            let content = page::lookup_form(&t, agent.session.csrf.as_str(), "", "");
            return state.page(
                &agent,
                StatusCode::BAD_REQUEST,
                t.raw("web-device-title", &[]),
                Nav::Device,
                vec![Flash::Error(t.t("web-lookup-either"))],
                content,
            );
        }
    };
    show_device(&state, &agent, wanted, Vec::new()).await
}

async fn device_by_serial(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let agent = match state.agent_with(&headers, Right::Lookup) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let mut flash = Vec::new();
    if query.contains_key("unlocked") {
        flash.push(Flash::Info(t.ta("web-unlocked", &[("serial", &serial)])));
    }
    show_device(&state, &agent, Wanted::Serial(serial), flash).await
}

async fn unlock_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Response {
    let agent = match state.agent_with(&headers, Right::Unlock) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let content = page::confirm_unlock(&t, agent.session.csrf.as_str(), &serial);
    state.page(
        &agent,
        StatusCode::OK,
        t.raw("web-unlock", &[]),
        Nav::Device,
        Vec::new(),
        content,
    )
}

async fn unlock(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let agent = match state.agent_post(&headers, &form, Some(Right::Unlock)) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    if form.get("confirm") != Some("yes") {
        return Redirect::to(&format!(
            "/device/{}/unlock",
            crate::device::path_segment(&serial)
        ))
        .into_response();
    }
    let directory = state.0.directory.acting_for(&agent.session.agent);
    let target = serial.clone();
    let result = tokio::task::spawn_blocking(move || directory.unlock(&target))
        .await
        .unwrap_or_else(|e| Err(LookupError::BadAnswer(e.to_string())));
    match result {
        Ok(()) => {
            state.audit(&agent.session.agent, "unlock", &serial, "ok");
            Redirect::to(&format!(
                "/device/{}?unlocked=1",
                crate::device::path_segment(&serial)
            ))
            .into_response()
        }
        Err(error) => {
            state.audit(&agent.session.agent, "unlock", &serial, "failed");
            let t = state.texts(agent.session.lang);
            let message = error.to_string();
            show_device(
                &state,
                &agent,
                Wanted::Serial(serial),
                vec![Flash::Error(
                    t.ta("web-service-error", &[("message", &message)]),
                )],
            )
            .await
        }
    }
}

async fn activation_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Response {
    let agent = match state.agent_with(&headers, Right::Activation) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let content = page::activation_form(&t, agent.session.csrf.as_str(), &serial, "");
    state.page(
        &agent,
        StatusCode::OK,
        t.raw("web-activation", &[]),
        Nav::Device,
        Vec::new(),
        content,
    )
}

async fn activation(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let agent = match state.agent_post(&headers, &form, Some(Right::Activation)) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let csrf = agent.session.csrf.as_str();
    let user = form.text("user");
    let channel = match form.get("channel") {
        Some(c @ ("paper" | "sms")) => c.to_owned(),
        _ => "paper".to_owned(),
    };
    if user.is_empty() {
        let content = page::activation_form(&t, csrf, &serial, "");
        return state.page(
            &agent,
            StatusCode::BAD_REQUEST,
            t.raw("web-activation", &[]),
            Nav::Device,
            vec![Flash::Error(t.t("web-activation-user"))],
            content,
        );
    }
    if form.get("confirm") != Some("yes") {
        let content = page::confirm_activation(&t, csrf, &serial, &user, &channel);
        return state.page(
            &agent,
            StatusCode::OK,
            t.raw("web-activation", &[]),
            Nav::Device,
            Vec::new(),
            content,
        );
    }
    let directory = state.0.directory.acting_for(&agent.session.agent);
    let outbox = state.0.outbox.clone();
    let (target, person, by) = (serial.clone(), user.clone(), channel.clone());
    let result = tokio::task::spawn_blocking(move || -> Result<String, String> {
        let issued = directory
            .issue_activation_code(&target, &person, &by)
            .map_err(|e| e.to_string())?;
        deliver(&outbox, &target, &person, &by, &issued).map_err(|e| e.to_string())?;
        Ok(issued.expires_at.clone())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match result {
        Ok(expires) => {
            state.audit(
                &agent.session.agent,
                "issue_activation_code",
                &serial,
                &channel,
            );
            let flash = Flash::Info(t.ta(
                "web-activation-issued",
                &[
                    ("channel", &page::channel_name(&t, &channel)),
                    ("expires", &expires),
                ],
            ));
            show_device(&state, &agent, Wanted::Serial(serial), vec![flash]).await
        }
        Err(message) => {
            state.audit(
                &agent.session.agent,
                "issue_activation_code",
                &serial,
                "failed",
            );
            let content = page::activation_form(&t, csrf, &serial, &user);
            state.page(
                &agent,
                StatusCode::BAD_GATEWAY,
                t.raw("web-activation", &[]),
                Nav::Device,
                vec![Flash::Error(
                    t.ta("web-service-error", &[("message", &message)]),
                )],
                content,
            )
        }
    }
}

/// Hands a new activation code to the letter printer or SMS gateway: one file (mode 0600)
/// in the outbox, which they collect. The code goes nowhere else.
fn deliver(
    outbox: &std::path::Path,
    serial: &str,
    user: &str,
    channel: &str,
    issued: &crate::device::IssuedCode,
) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::create_dir_all(outbox)?;
    let name = format!(
        "{}-{}-{channel}.txt",
        crate::device::path_segment(serial),
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f")
    );
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(outbox.join(name))?;
    writeln!(
        file,
        "serial={serial}\nuser={user}\nchannel={channel}\nactivation_code={}\nexpires_at={}",
        issued.value, issued.expires_at
    )?;
    file.sync_all()
}

async fn flows_page(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let agent = match state.agent(&headers) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let t = state.texts(agent.session.lang);
    let content = page::flows_page(&t, &state.0.flows);
    state.page(
        &agent,
        StatusCode::OK,
        t.raw("web-flows-title", &[]),
        Nav::Flows,
        Vec::new(),
        content,
    )
}

fn render_flow(
    state: &WebState,
    agent: &Agent,
    id: &str,
    keys: &str,
    call: Option<&str>,
    say_lang: Option<Lang>,
    input: &CheckInput,
) -> Response {
    let t = state.texts(agent.session.lang);
    let Some(flow) = state.0.flows.flows.iter().find(|f| f.id == id) else {
        return state.error_page(
            agent,
            StatusCode::NOT_FOUND,
            Flash::Error(t.t("web-not-found")),
        );
    };
    let at = FlowPosition {
        flow,
        keys,
        call: call.filter(|c| !c.is_empty()),
        say_lang: say_lang.unwrap_or(agent.session.lang),
    };
    let content = page::flow_page(
        &t,
        agent.session.csrf.as_str(),
        &at,
        input,
        state.local_now(),
    );
    let title = flow.title.get(agent.session.lang).to_owned();
    state.page(
        agent,
        StatusCode::OK,
        title,
        Nav::Flows,
        Vec::new(),
        content,
    )
}

async fn flow_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let agent = match state.agent(&headers) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let keys = query.get("keys").map(String::as_str).unwrap_or("");
    render_flow(
        &state,
        &agent,
        &id,
        keys,
        query.get("call").map(String::as_str),
        lang_param(&query),
        &CheckInput::None,
    )
}

async fn flow_check(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let agent = match state.agent_post(&headers, &form, None) {
        Ok(agent) => agent,
        Err(response) => return *response,
    };
    let input = if form.get("cpr").is_some() {
        CheckInput::Witness {
            cpr: form.text("cpr"),
            mitid_since: form.text("mitid_since"),
            witnessed: form.text("witnessed"),
        }
    } else {
        CheckInput::Documents {
            words: form.all("doc"),
            benefit: form.text("benefit"),
        }
    };
    let call = form.text("call");
    render_flow(
        &state,
        &agent,
        &id,
        &form.text("keys"),
        Some(call.as_str()),
        form.get("lang").and_then(|l| l.parse().ok()),
        &input,
    )
}

async fn flow_end(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    record_outcome_for(&state, &headers, &body, "flow", id).await
}

async fn not_found(State(state): State<WebState>, headers: HeaderMap) -> Response {
    match session_of(&state, &headers) {
        Some(agent) => {
            let t = state.texts(agent.session.lang);
            state.error_page(
                &agent,
                StatusCode::NOT_FOUND,
                Flash::Error(t.t("web-not-found")),
            )
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
