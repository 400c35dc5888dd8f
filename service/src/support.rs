//! The support line's routes: self-service unlock by two consecutive codes keyed on the
//! phone (admin-authenticated: the support line's server calls it with the admin token).
//! Kept apart from [`crate::http`]'s core routes; merged into its router.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::http::{Admin, ApiError, ApiJson, AppState, StatusResponse};

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

/// The support routes, to merge into the API's router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/support/unlock-with-codes", post(unlock_with_codes))
}
