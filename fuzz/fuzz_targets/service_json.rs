//! The service's JSON request bodies, through the real router (SQLite in memory-backed
//! files): whatever the body, the answer is never a 5xx. The first byte picks the
//! endpoint.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const TOKEN: &str = "fuzz-admin-token";
const ENDPOINTS: [&str; 3] = ["/v1/validate", "/v1/activation-codes", "/v1/activate"];

struct World {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // tmpfs when there is one: the audit lines' fsyncs stay cheap.
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            std::path::PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("kode-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("kode.db").display());
        let router = runtime.block_on(async {
            let service = service::Service::open(
                &url,
                service::SecretBox::new(&[9; 32]),
                Arc::new(service::ManualClock::at_ms(1_800_000_000_000)),
            )
            .await
            .unwrap();
            service
                .import(
                    "KR-FUZZ-1 otpauth://totp/MitID:KR-FUZZ-1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n",
                    None,
                    "fuzz",
                )
                .await
                .unwrap();
            service::app(service::AppState::new(
                service,
                service::AdminToken::new(Some(TOKEN)),
            ))
        });
        World { runtime, router }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let world = world();
    let uri = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::from(body.to_vec()))
        .unwrap();
    let response = world
        .runtime
        .block_on(world.router.clone().oneshot(request))
        .unwrap();
    assert!(
        !response.status().is_server_error(),
        "{uri} answered {} to {:?}",
        response.status(),
        String::from_utf8_lossy(body)
    );
});
