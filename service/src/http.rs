//! The HTTP JSON API (axum): routes, the admin bearer check, the one place where errors
//! become status codes, and the OpenAPI document served at `/openapi.json`.

use std::future::Future;
use std::sync::atomic::Ordering;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::clock::rfc3339;
use crate::crypto::AdminToken;
use crate::policy::Channel;
use crate::service::{ActivationCodeView, DeviceView, Service, ServiceError};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub admin: AdminToken,
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

/// Proof that the request carried the admin bearer token.
pub struct Admin;

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
            Ok(Admin)
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
        (status = 429, description = "blocked (Retry-After says for how long)", body = ErrorBody),
    ))]
async fn validate(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
    state.service.validate(&request.user, &request.code).await?;
    Ok(Json(ValidateResponse {
        result: "accepted".into(),
    }))
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
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ActivationCodeRequest>,
) -> Result<(StatusCode, Json<ActivationCodeResponse>), ApiError> {
    let issued = state
        .service
        .issue_activation_code(&request.serial, &request.user, request.channel, "admin")
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
    _admin: Admin,
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> Result<Json<DeviceView>, ApiError> {
    Ok(Json(state.service.device_view(&serial, "admin").await?))
}

/// Lifts a block (admin).
#[utoipa::path(post, path = "/v1/devices/{serial}/unlock", security(("bearer" = [])),
    params(("serial" = String, Path, description = "The device's serial number")),
    responses((status = 200, body = StatusResponse), (status = 404, body = ErrorBody)))]
async fn unlock(
    _admin: Admin,
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> Result<Json<StatusResponse>, ApiError> {
    state.service.unlock(&serial, "admin").await?;
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
    paths(validate, issue_activation_code, activate, device, unlock, healthz, metrics, crate::support::unlock_with_codes),
    components(schemas(
        ValidateRequest, ValidateResponse, ActivationCodeRequest, ActivationCodeResponse,
        ActivateRequest, StatusResponse, ErrorBody, DeviceView, ActivationCodeView, Channel
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
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
