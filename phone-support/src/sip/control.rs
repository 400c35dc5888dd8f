//! The line's control API for the agents' console (HTTP on loopback by default):
//!
//! - `GET /v1/calls`: `{"open": bool, "calls": [CallView]}`
//! - `GET /v1/calls/events`: server-sent events, `event: calls` with the same JSON, once
//!   on connect and on every change
//! - `POST /v1/calls/{id}/take` `{"agent": name}`: 200 with the call, 404, or 409 when it
//!   is not waiting
//! - `POST /v1/calls/{id}/done` `{"agent": name}`: the agent is done; a call still on the
//!   line is ended
//!
//! With a token configured, every request needs `Authorization: Bearer TOKEN`. The views
//! carry no code: the board never holds one.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDateTime;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::queue::BoardError;
use crate::rules::hours::OpeningHours;

use super::board::LineBoard;

#[derive(Clone)]
struct Control {
    board: Arc<LineBoard>,
    token: Option<Arc<str>>,
    hours: OpeningHours,
    clock: Arc<dyn Fn() -> NaiveDateTime + Send + Sync>,
}

#[derive(Deserialize)]
struct AgentBody {
    agent: String,
}

/// Serves the control API on `listen` until `shutdown`; prints `control on ADDR`.
pub async fn serve(
    listen: SocketAddr,
    board: Arc<LineBoard>,
    token: Option<String>,
    hours: OpeningHours,
    clock: Arc<dyn Fn() -> NaiveDateTime + Send + Sync>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the control API on {listen}"))?;
    println!("control on {}", listener.local_addr()?);
    let state = Control {
        board,
        token: token.map(Arc::from),
        hours,
        clock,
    };
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .context("serving the control API")
}

fn router(state: Control) -> Router {
    Router::new()
        .route("/v1/calls", get(calls))
        .route("/v1/calls/events", get(events))
        .route("/v1/calls/{id}/take", post(take))
        .route("/v1/calls/{id}/done", post(done))
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .with_state(state)
}

async fn authorize(State(state): State<Control>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.token {
        let given = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_ref()) {
            return (StatusCode::UNAUTHORIZED, "a bearer token is needed\n").into_response();
        }
    }
    next.run(request).await
}

fn snapshot(state: &Control) -> serde_json::Value {
    serde_json::json!({
        "open": state.hours.status_at((state.clock)()).open,
        "calls": state.board.views(),
    })
}

async fn calls(State(state): State<Control>) -> Json<serde_json::Value> {
    Json(snapshot(&state))
}

async fn events(
    State(state): State<Control>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = state.board.subscribe();
    // The first event at once, then one per change (several changes may make one).
    let stream = stream::unfold(
        (state, changes, true),
        |(state, mut changes, first)| async move {
            if !first && changes.changed().await.is_err() {
                return None;
            }
            changes.borrow_and_update();
            let event = Event::default()
                .event("calls")
                .data(snapshot(&state).to_string());
            Some((Ok(event), (state, changes, false)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn board_error(error: BoardError) -> Response {
    let status = match error {
        BoardError::Unknown(_) => StatusCode::NOT_FOUND,
        BoardError::NotWaiting(_) => StatusCode::CONFLICT,
    };
    (
        status,
        Json(serde_json::json!({"error": error.to_string()})),
    )
        .into_response()
}

async fn take(
    State(state): State<Control>,
    Path(id): Path<u64>,
    Json(body): Json<AgentBody>,
) -> Response {
    match state
        .board
        .with(|board, now| board.take(id, &body.agent, now))
    {
        Ok(view) => {
            tracing::info!(call = id, agent = %body.agent, "an agent took the call");
            Json(view).into_response()
        }
        Err(error) => board_error(error),
    }
}

async fn done(
    State(state): State<Control>,
    Path(id): Path<u64>,
    Json(body): Json<AgentBody>,
) -> Response {
    match state.board.with(|board, _| board.done(id)) {
        Ok(()) => {
            tracing::info!(call = id, agent = %body.agent, "the agent is done with the call");
            Json(serde_json::json!({"status": "done"})).into_response()
        }
        Err(error) => board_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Context;
    use axum::body::Body;
    use tower::ServiceExt as _;

    fn control(token: Option<&str>) -> Control {
        let noon = NaiveDateTime::parse_from_str("2026-11-25 12:00", "%Y-%m-%d %H:%M").unwrap();
        Control {
            board: Arc::new(LineBoard::new(
                Duration::from_secs(120),
                Duration::from_secs(60),
            )),
            token: token.map(Arc::from),
            hours: OpeningHours::default(),
            clock: Arc::new(move || noon),
        }
    }

    async fn send(
        state: &Control,
        method: &str,
        uri: &str,
        body: &str,
        token: Option<&str>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = router(state.clone())
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn agents_list_take_and_finish_calls() {
        let state = control(None);
        let id = state.board.with(|b, now| {
            let id = b.arrive(Context::default(), now);
            b.enqueue(id, now);
            id
        });
        let (status, body) = send(&state, "GET", "/v1/calls", "", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["open"], true);
        assert_eq!(body["calls"][0]["state"], "queued");
        assert_eq!(body["calls"][0]["position"], 1);
        let take = format!("/v1/calls/{id}/take");
        let (status, body) = send(&state, "POST", &take, r#"{"agent":"anna"}"#, None).await;
        assert_eq!(
            (status, body["agent"].as_str()),
            (StatusCode::OK, Some("anna"))
        );
        let (status, _) = send(&state, "POST", &take, r#"{"agent":"bo"}"#, None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = send(
            &state,
            "POST",
            "/v1/calls/x/take",
            r#"{"agent":"bo"}"#,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = send(
            &state,
            "POST",
            "/v1/calls/999/take",
            r#"{"agent":"bo"}"#,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let done = format!("/v1/calls/{id}/done");
        assert_eq!(
            send(&state, "POST", &done, r#"{"agent":"anna"}"#, None)
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            send(&state, "POST", &done, r#"{"agent":"anna"}"#, None)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn a_configured_token_is_required() {
        let state = control(Some("s3cret"));
        assert_eq!(
            send(&state, "GET", "/v1/calls", "", None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(&state, "GET", "/v1/calls", "", Some("wrong")).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(&state, "GET", "/v1/calls", "", Some("s3cret")).await.0,
            StatusCode::OK
        );
    }
}
