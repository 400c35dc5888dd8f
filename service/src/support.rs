//! The support line's routes: self-service unlock by two consecutive codes keyed on the
//! phone, and the support view of a person's active device (both admin-authenticated: the
//! support line's servers call them with the admin token, naming the agent, if any, in
//! `X-Kode-Actor` for the audit log).
//! Kept apart from [`crate::http`]'s core routes; merged into its router.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::http::{Admin, ApiError, ApiJson, AppState, StatusResponse};
use crate::service::DeviceView;
use crate::ServiceError;

/// Two codes the device made one after the other, typed in that order.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockWithCodesRequest {
    pub serial: String,
    pub first: String,
    pub second: String,
}

impl std::fmt::Debug for UnlockWithCodesRequest {
    /// Codes are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnlockWithCodesRequest")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// Lifts a block when two consecutive codes are right (admin; the support line's keypad).
#[utoipa::path(post, path = "/v1/support/unlock-with-codes", security(("bearer" = [])),
    request_body = UnlockWithCodesRequest,
    responses((status = 200, body = StatusResponse),
        (status = 401, description = "Wrong codes (counted as one wrong code)", body = crate::http::ErrorBody),
        (status = 404, description = "Unknown serial", body = crate::http::ErrorBody)))]
pub async fn unlock_with_codes(
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<UnlockWithCodesRequest>,
) -> Result<Json<StatusResponse>, ApiError> {
    state
        .service
        .unlock_with_codes(
            &request.serial,
            &request.first,
            &request.second,
            "support-line",
        )
        .await?;
    Ok(Json(StatusResponse {
        status: "unlocked".into(),
    }))
}

/// The support view of a person's active device (admin): looked up by the person's id,
/// audited like a look-up by serial; 404 when the person has no active device.
#[utoipa::path(get, path = "/v1/users/{user}/device", security(("bearer" = [])),
    params(("user" = String, Path, description = "The person's opaque id")),
    responses((status = 200, body = DeviceView),
        (status = 404, description = "No active device for this person", body = crate::http::ErrorBody)))]
pub async fn device_of_user(
    admin: Admin,
    State(state): State<AppState>,
    Path(user): Path<String>,
) -> Result<Json<DeviceView>, ApiError> {
    let serial = state
        .service
        .active_serial(&user)
        .await?
        .ok_or(ServiceError::UnknownUser)?;
    Ok(Json(
        state.service.device_view(&serial, &admin.actor).await?,
    ))
}

/// The support routes, to merge into the API's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/support/unlock-with-codes", post(unlock_with_codes))
        .route("/v1/users/{user}/device", get(device_of_user))
}
