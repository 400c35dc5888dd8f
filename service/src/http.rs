//! The HTTP JSON API (axum): routes, the admin bearer check, the one place where errors
//! become status codes, and the OpenAPI document served at `/openapi.json`.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Path, RawQuery, State,
};
use axum::http::HeaderMap;
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::clock::rfc3339;
use crate::crypto::AdminToken;
use crate::policy::Channel;
use crate::privacyidea::{
    self, CheckParams, Outcome, PiDetail, PiError, PiResponse, PiResult, RlmRestReply, RlmRestValue,
};
use crate::ratelimit::Limiter;
use crate::service::{ActivationCodeView, DeviceView, Service, ServiceError};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub admin: AdminToken,
    /// Request limits per client address and per user (off unless configured).
    pub limiter: Arc<Limiter>,
    /// How `/validate/check`'s `realm` is used.
    pub realm: privacyidea::RealmMode,
}

impl AppState {
    /// A state with no request limits and realms ignored.
    pub fn new(service: Service, admin: AdminToken) -> Self {
        AppState {
            service,
            admin,
            limiter: Arc::new(Limiter::off()),
            realm: privacyidea::RealmMode::default(),
        }
    }
}

/// The address of the peer that sent the request (none when served without one, as in
/// `oneshot` tests).
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// Every validation over HTTP — `/v1/validate`, `/validate/check`, `/validate/radiuscheck`,
/// `/validate/rlm_rest` — comes through here: the request limits, then the service.
pub async fn validate_code(
    state: &AppState,
    client: Option<IpAddr>,
    user: &str,
    code: &str,
    serial: Option<&str>,
) -> Outcome {
    let now = state.service.now_ms();
    if let Err(limited) = state.limiter.admit(client, user, now) {
        state
            .service
            .metrics()
            .rate_limited
            .fetch_add(1, Ordering::Relaxed);
        return Outcome::Limited(limited);
    }
    if let Some(serial) = serial {
        match state.service.active_serial(user).await {
            Ok(Some(active)) if active == serial => {}
            Ok(Some(_)) => return Outcome::OtherSerial,
            Ok(None) => return Outcome::Refused(ServiceError::UnknownUser),
            Err(error) => return Outcome::Refused(error),
        }
    }
    match state.service.check(user, code).await {
        Ok(validated) => Outcome::Accepted(validated),
        Err(error) => Outcome::Refused(error),
    }
}

/// An error as the client sees it: a status, a stable reason and a sentence.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    reason: &'static str,
    message: String,
    retry_after_s: Option<i64>,
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// "refused" for a request the service turned down, "error" for a fault on our side.
    pub result: String,
    /// Stable machine-readable reason, e.g. "wrong_code", "replayed", "blocked",
    /// "unknown_user", "malformed_code", "invalid_json".
    pub reason: String,
    /// A sentence saying what is wrong.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            result: if self.status.is_server_error() {
                "error"
            } else {
                "refused"
            }
            .into(),
            reason: self.reason.into(),
            message: self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED && self.reason == "unauthorized" {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let status = match &error {
            ServiceError::Invalid { .. }
            | ServiceError::MalformedCode(_)
            | ServiceError::Import(_) => StatusCode::BAD_REQUEST,
            ServiceError::UnknownUser
            | ServiceError::UnknownSerial(_)
            | ServiceError::NoActivationCode => StatusCode::NOT_FOUND,
            ServiceError::DuplicateSerial(_) | ServiceError::DeviceInUse(_) => StatusCode::CONFLICT,
            ServiceError::ActivationCodeExpired => StatusCode::GONE,
            ServiceError::ActivationCodeBlocked => StatusCode::LOCKED,
            ServiceError::WrongActivationCode { .. }
            | ServiceError::WrongCode
            | ServiceError::Replayed => StatusCode::UNAUTHORIZED,
            ServiceError::Blocked { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Contention => StatusCode::SERVICE_UNAVAILABLE,
            ServiceError::Store(_) | ServiceError::Crypto(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(%error, "request failed");
            "internal error; it has been logged".to_owned()
        } else {
            error.to_string()
        };
        let retry_after_s = match &error {
            ServiceError::Blocked { remaining_ms, .. } => Some((remaining_ms + 999) / 1000),
            _ => None,
        };
        let message = match &error {
            ServiceError::Blocked { until_ms, .. } => {
                format!("{message} until {}", rfc3339(*until_ms))
            }
            _ => message,
        };
        ApiError {
            status,
            reason: error.reason(),
            message,
            retry_after_s,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let reason = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
            _ => "invalid_json",
        };
        ApiError {
            status,
            reason,
            message: rejection.body_text(),
            retry_after_s: None,
        }
    }
}

/// `Json` whose rejections are answered in our error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Proof that the request carried the admin bearer token, and who acts for it: `admin`, or
/// `admin:NAME` when the caller (the agents' web console) names the agent in the
/// [`ACTOR_HEADER`]. The name goes into the audit log as the action's actor.
pub struct Admin {
    pub actor: String,
}

/// The header an admin caller names the person acting with (`X-Kode-Actor: NAME`); names
/// are 1–64 letters, digits or `.-_@`.
pub const ACTOR_HEADER: &str = "x-kode-actor";

/// The audit actor for an admin call naming `name` (or none).
pub fn admin_actor(name: Option<&str>) -> Result<String, String> {
    match name {
        None => Ok("admin".to_owned()),
        Some(name)
            if (1..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c)) =>
        {
            Ok(format!("admin:{name}"))
        }
        Some(_) => Err(format!(
            "{ACTOR_HEADER} must be 1–64 letters, digits or .-_@"
        )),
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let refuse = |message: &str| ApiError {
            status: StatusCode::UNAUTHORIZED,
            reason: "unauthorized",
            message: message.to_owned(),
            retry_after_s: None,
        };
        if !state.admin.is_set() {
            return Err(refuse(
                "admin calls are disabled: KODE_ADMIN_TOKEN was not set at start",
            ));
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| refuse("missing `Authorization: Bearer <token>`"))?;
        if state.admin.check(token.trim()) {
            let name = match parts.headers.get(ACTOR_HEADER) {
                None => None,
                Some(value) => Some(value.to_str().map_err(|_| ApiError {
                    status: StatusCode::BAD_REQUEST,
                    reason: "invalid_request",
                    message: format!("{ACTOR_HEADER} is not ASCII"),
                    retry_after_s: None,
                })?),
            };
            let actor = admin_actor(name).map_err(|message| ApiError {
                status: StatusCode::BAD_REQUEST,
                reason: "invalid_request",
                message,
                retry_after_s: None,
            })?;
            Ok(Admin { actor })
        } else {
            Err(refuse("wrong admin token"))
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// The opaque id of the person.
    pub user: String,
    /// The code as typed: 6 digits for a MitID code reader.
    pub code: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValidateResponse {
    /// "accepted".
    pub result: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationCodeRequest {
    pub serial: String,
    pub user: String,
    pub channel: Channel,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActivationCodeResponse {
    /// Shown once; only its hash is kept.
    pub activation_code: String,
    /// RFC 3339 UTC.
    pub expires_at: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    pub serial: String,
    pub user: String,
    pub activation_code: String,
    /// A current code from the device.
    pub code: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusResponse {
    pub status: String,
}

/// Checks a code for a person.
#[utoipa::path(post, path = "/v1/validate", request_body = ValidateRequest,
    responses(
        (status = 200, description = "Accepted (and durable)", body = ValidateResponse),
        (status = 400, description = "Malformed code or request", body = ErrorBody),
        (status = 401, description = "wrong_code or replayed", body = ErrorBody),
        (status = 404, description = "unknown_user", body = ErrorBody),
        (status = 429, description = "blocked, or rate_limited (Retry-After says for how long)", body = ErrorBody),
    ))]
async fn validate(
    State(state): State<AppState>,
    Peer(peer): Peer,
    ApiJson(request): ApiJson<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
    match validate_code(&state, peer, &request.user, &request.code, None).await {
        Outcome::Accepted(_) => Ok(Json(ValidateResponse {
            result: "accepted".into(),
        })),
        Outcome::Refused(error) => Err(error.into()),
        Outcome::Limited(limited) => Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            reason: "rate_limited",
            message: limited.message(),
            retry_after_s: Some((limited.retry_after_ms() + 999) / 1000),
        }),
        // Not asked for a serial, and the body was read by `ApiJson`.
        Outcome::OtherSerial | Outcome::BadRequest(_) => Err(ServiceError::WrongCode.into()),
    }
}

/// Reads a privacyIDEA-style request and runs the check.
async fn pi_outcome(
    state: &AppState,
    peer: Option<IpAddr>,
    query: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Outcome {
    let params =
        match privacyidea::parse_params(query.as_deref(), privacyidea::content_type(headers), body)
        {
            Ok(params) => params,
            Err(error) => return Outcome::BadRequest(error),
        };
    let login = match privacyidea::login(&params, state.realm) {
        Ok(login) => login,
        Err(error) => return Outcome::BadRequest(error),
    };
    let client = state.limiter.client_address(peer, params.client.as_deref());
    validate_code(
        state,
        client,
        &login.user,
        &login.pass,
        login.serial.as_deref(),
    )
    .await
}

fn with_retry_after(mut response: Response, seconds: Option<i64>) -> Response {
    if let Some(seconds) = seconds {
        if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

async fn pi_check(
    state: AppState,
    peer: Option<IpAddr>,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = pi_outcome(&state, peer, query, &headers, &body).await;
    let (status, answer, retry_after) = privacyidea::check_answer(&outcome, state.service.now_ms());
    with_retry_after((status, Json(answer)).into_response(), retry_after)
}

async fn pi_radiuscheck(
    state: AppState,
    peer: Option<IpAddr>,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = pi_outcome(&state, peer, query, &headers, &body).await;
    let (status, retry_after) = privacyidea::radiuscheck_status(&outcome);
    with_retry_after(status.into_response(), retry_after)
}

/// privacyIDEA's check: user and code as query parameters.
#[utoipa::path(get, path = "/validate/check", params(CheckParams),
    responses(
        (status = 200, description = "Handled: result.value says whether the code was accepted", body = PiResponse),
        (status = 400, description = "A parameter is missing (905) or the user has no active code reader (904)", body = PiResponse),
        (status = 429, description = "Too many requests (Retry-After)", body = PiResponse),
    ))]
async fn check_get(
    State(state): State<AppState>,
    Peer(peer): Peer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    pi_check(state, peer, query, headers, Bytes::new()).await
}

/// privacyIDEA's check: user and code in a form or JSON body.
#[utoipa::path(post, path = "/validate/check",
    request_body(content(
        (CheckParams = "application/x-www-form-urlencoded"),
        (CheckParams = "application/json"),
    )),
    responses(
        (status = 200, description = "Handled: result.value says whether the code was accepted", body = PiResponse),
        (status = 400, description = "A parameter is missing or unreadable (905) or the user has no active code reader (904)", body = PiResponse),
        (status = 429, description = "Too many requests (Retry-After)", body = PiResponse),
    ))]
async fn check_post(
    State(state): State<AppState>,
    Peer(peer): Peer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pi_check(state, peer, query, headers, body).await
}

/// privacyIDEA's RADIUS check: 204 when accepted, 400 when not.
#[utoipa::path(get, path = "/validate/radiuscheck", params(CheckParams),
    responses(
        (status = 204, description = "Accepted"),
        (status = 400, description = "Not accepted, or a parameter is missing"),
        (status = 429, description = "Too many requests (Retry-After)"),
    ))]
async fn radiuscheck_get(
    State(state): State<AppState>,
    Peer(peer): Peer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    pi_radiuscheck(state, peer, query, headers, Bytes::new()).await
}

/// privacyIDEA's RADIUS check with a form or JSON body: 204 when accepted, 400 when not.
#[utoipa::path(post, path = "/validate/radiuscheck",
    request_body(content(
        (CheckParams = "application/x-www-form-urlencoded"),
        (CheckParams = "application/json"),
    )),
    responses(
        (status = 204, description = "Accepted"),
        (status = 400, description = "Not accepted, or a parameter is missing"),
        (status = 429, description = "Too many requests (Retry-After)"),
    ))]
async fn radiuscheck_post(
    State(state): State<AppState>,
    Peer(peer): Peer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pi_radiuscheck(state, peer, query, headers, body).await
}

/// The check for FreeRADIUS's rlm_rest (see service/integrations/freeradius/): 204 for
/// Access-Accept, 401 for Access-Reject with a Reply-Message saying why.
#[utoipa::path(post, path = "/validate/rlm_rest",
    request_body(content(
        (CheckParams = "application/x-www-form-urlencoded"),
        (CheckParams = "application/json"),
    )),
    responses(
        (status = 204, description = "Accept"),
        (status = 401, description = "Reject, with the reason as a Reply-Message", body = RlmRestReply),
    ))]
async fn rlm_rest(
    State(state): State<AppState>,
    Peer(peer): Peer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = pi_outcome(&state, peer, query, &headers, &body).await;
    match privacyidea::rlm_rest_answer(&outcome) {
        (status, Some(reply)) => (status, Json(reply)).into_response(),
        (status, None) => status.into_response(),
    }
}

/// Issues an activation code (admin).
#[utoipa::path(post, path = "/v1/activation-codes", request_body = ActivationCodeRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ActivationCodeResponse),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 404, description = "unknown_serial", body = ErrorBody),
        (status = 409, description = "device_in_use", body = ErrorBody),
    ))]
async fn issue_activation_code(
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ActivationCodeRequest>,
) -> Result<(StatusCode, Json<ActivationCodeResponse>), ApiError> {
    let issued = state
        .service
        .issue_activation_code(
            &request.serial,
            &request.user,
            request.channel,
            &admin.actor,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ActivationCodeResponse {
            activation_code: issued.activation_code,
            expires_at: rfc3339(issued.expires_at_ms),
        }),
    ))
}

/// Binds a device to a person.
#[utoipa::path(post, path = "/v1/activate", request_body = ActivateRequest,
    responses(
        (status = 200, body = StatusResponse),
        (status = 401, description = "wrong_activation_code, wrong_code or replayed", body = ErrorBody),
        (status = 404, description = "no_activation_code", body = ErrorBody),
        (status = 410, description = "activation_code_expired", body = ErrorBody),
        (status = 423, description = "activation_code_blocked", body = ErrorBody),
    ))]
async fn activate(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ActivateRequest>,
) -> Result<Json<StatusResponse>, ApiError> {
    state
        .service
        .activate(
            &request.serial,
            &request.user,
            &request.activation_code,
            &request.code,
        )
        .await?;
    Ok(Json(StatusResponse {
        status: "active".into(),
    }))
}

/// The support view of a device (admin): never a secret or a code.
#[utoipa::path(get, path = "/v1/devices/{serial}", security(("bearer" = [])),
    params(("serial" = String, Path, description = "The device's serial number")),
    responses((status = 200, body = DeviceView), (status = 404, body = ErrorBody)))]
async fn device(
    admin: Admin,
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> Result<Json<DeviceView>, ApiError> {
    Ok(Json(
        state.service.device_view(&serial, &admin.actor).await?,
    ))
}

/// Lifts a block (admin).
#[utoipa::path(post, path = "/v1/devices/{serial}/unlock", security(("bearer" = [])),
    params(("serial" = String, Path, description = "The device's serial number")),
    responses((status = 200, body = StatusResponse), (status = 404, body = ErrorBody)))]
async fn unlock(
    admin: Admin,
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> Result<Json<StatusResponse>, ApiError> {
    state.service.unlock(&serial, &admin.actor).await?;
    Ok(Json(StatusResponse {
        status: "unlocked".into(),
    }))
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = StatusResponse), (status = 500, body = ErrorBody)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<StatusResponse>, ApiError> {
    state
        .service
        .store()
        .ping()
        .await
        .map_err(ServiceError::from)?;
    Ok(Json(StatusResponse {
        status: "ok".into(),
    }))
}

/// Prometheus text exposition of the service's counters.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = state.service.metrics();
    let commits = state.service.store().commit_stats();
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let mut text = String::from(
        "# HELP kode_validations_total Validations by result.\n# TYPE kode_validations_total counter\n",
    );
    for (result, counter) in [
        ("accepted", &m.accepted),
        ("wrong_code", &m.wrong_code),
        ("replayed", &m.replayed),
        ("blocked", &m.blocked),
        ("unknown_user", &m.unknown_user),
        ("malformed", &m.malformed),
        ("rate_limited", &m.rate_limited),
    ] {
        text.push_str(&format!(
            "kode_validations_total{{result=\"{result}\"}} {}\n",
            load(counter)
        ));
    }
    for (name, help, counter) in [
        (
            "kode_activations_total",
            "Devices activated.",
            &m.activations,
        ),
        (
            "kode_imported_devices_total",
            "Devices imported.",
            &m.imported_devices,
        ),
        (
            "kode_conflict_retries_total",
            "Requests re-read after a concurrent change.",
            &m.retries,
        ),
        (
            "kode_webhook_events_sent_total",
            "Events the webhook accepted.",
            &state.service.events().stats().sent,
        ),
        (
            "kode_webhook_events_dropped_total",
            "Events dropped because the queue was full.",
            &state.service.events().stats().dropped,
        ),
        (
            "kode_webhook_events_given_up_total",
            "Events given up after every retry.",
            &state.service.events().stats().given_up,
        ),
        (
            "kode_group_commits_total",
            "Transactions committed by the group commit.",
            &commits.transactions,
        ),
        (
            "kode_group_commit_writes_total",
            "Writes carried by those transactions.",
            &commits.writes,
        ),
    ] {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
            load(counter)
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

struct BearerSecurity;

impl utoipa::Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API description served at `/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Kodeoplæser service", description = "Import, activate and validate audio code readers."),
    paths(validate, issue_activation_code, activate, device, unlock, healthz, metrics,
        check_get, check_post, radiuscheck_get, radiuscheck_post, rlm_rest,
        crate::support::unlock_with_codes, crate::support::device_of_user),
    components(schemas(
        ValidateRequest, ValidateResponse, ActivationCodeRequest, ActivationCodeResponse,
        ActivateRequest, StatusResponse, ErrorBody, DeviceView, ActivationCodeView, Channel,
        CheckParams, PiResponse, PiResult, PiError, PiDetail, RlmRestReply, RlmRestValue
    )),
    modifiers(&BearerSecurity)
)]
pub struct ApiDoc;

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        reason: "no_such_route",
        message: "no such route; see /openapi.json".into(),
        retry_after_s: None,
    }
}

/// The whole API as a router, ready for `oneshot` in tests or [`run`] on a socket.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/v1/validate", post(validate))
        .route("/v1/activation-codes", post(issue_activation_code))
        .route("/v1/activate", post(activate))
        .route("/v1/devices/{serial}", get(device))
        .route("/v1/devices/{serial}/unlock", post(unlock))
        .merge(crate::support::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .route("/validate/check", get(check_get).post(check_post))
        .route(
            "/validate/radiuscheck",
            get(radiuscheck_get).post(radiuscheck_post),
        )
        .route("/validate/rlm_rest", post(rlm_rest))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then finishes open requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Answers are small and wanted at once: no Nagle delay.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
