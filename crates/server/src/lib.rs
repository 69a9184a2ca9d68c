//! The control plane: `iterate-actions serve`. SQLite storage ([`store`]), the JSON API
//! under `/api/v1` ([`api`], bearer token), and what browsers read without a token
//! ([`public`]): the settings analytics.js loads, the destination bundle, the demo, and
//! the delivery log pages report to ([`delivery`]).

pub mod api;
pub mod delivery;
mod error;
mod ops;
pub mod public;
pub mod store;
pub mod ui;
pub mod util;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::ApiError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The largest request body the API reads.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Options {
    pub addr: SocketAddr,
    pub db: PathBuf,
    /// The built browser bundle (`cargo xtask web` writes `dist/web/iterate`).
    pub bundle_dir: Option<PathBuf>,
    /// analytics-next's UMD build directory (`dist/umd`), served to the demo page.
    pub vendor_dir: Option<PathBuf>,
    /// The URL browsers use to reach this server, when not the request's Host.
    pub public_url: Option<String>,
    /// Create a demo source and destination when the database has none.
    pub demo: bool,
}

/// The browser bundle, read once at start; its path carries a hash of its contents.
#[derive(Debug)]
pub struct Bundle {
    pub hash: String,
    pub files: Vec<(&'static str, Vec<u8>, &'static str)>,
}

#[derive(Debug)]
pub struct AppState {
    pub store: Mutex<store::Store>,
    pub token: String,
    pub bundle: Option<Bundle>,
    pub vendor: Option<PathBuf>,
    pub public_url: Option<String>,
    pub demo_write_key: Option<String>,
    /// The store's write counter ([`store::Store::writes`]).
    pub store_writes: Arc<std::sync::atomic::AtomicU64>,
    /// Rendered settings documents by (write key, base URL), each with the write count
    /// it was rendered at: stale after any write.
    pub settings_cache:
        std::sync::Mutex<std::collections::HashMap<(String, String), (u64, public::Rendered)>>,
    /// The web UI's signed-in sessions.
    pub ui: ui::Sessions,
    /// The last events analytics.js delivered per source, for the UI's event tester.
    pub recent: public::Recent,
    /// The delivery log's rate limit per destination ([`delivery::Limit::DEFAULT`]).
    pub delivery_limit: delivery::Limiter,
}

fn read_bundle(dir: &std::path::Path) -> Option<Bundle> {
    let files: Vec<(&'static str, Vec<u8>, &'static str)> = [
        ("iterate.js", "text/javascript"),
        ("iterate.wasm", "application/wasm"),
        ("iterate-page.wasm", "application/wasm"),
        ("index.mjs", "text/javascript"),
    ]
    .into_iter()
    .filter_map(|(name, kind)| std::fs::read(dir.join(name)).ok().map(|b| (name, b, kind)))
    .collect();
    if files.len() < 2 {
        return None;
    }
    let all: Vec<u8> = files
        .iter()
        .flat_map(|(_, b, _)| b.iter().copied())
        .collect();
    Some(Bundle {
        hash: public::content_hash(&all),
        files,
    })
}

/// The whole application, for `serve` and for tests.
pub fn app(state: Arc<AppState>) -> Router {
    let api = api::routes().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        authorize,
    ));
    Router::new()
        .nest("/api/v1", api)
        .merge(public::routes())
        .merge(ui::routes())
        .fallback(public::fallback)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn authorize(State(app): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), app.token.as_bytes()) => next.run(request).await,
        Some(_) => ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the bearer token is wrong",
        )
        .into_response(),
        None => ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send `Authorization: Bearer <admin token>`; the server printed it at first start",
        )
        .into_response(),
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Opens the database, settles the admin token, and (with `demo`) creates the demo
/// source and destination. Returns the state and whether the token is new.
pub fn prepare(o: &Options) -> Result<(Arc<AppState>, bool), String> {
    let store =
        store::Store::open(&o.db).map_err(|e| format!("cannot open {}: {e}", o.db.display()))?;
    let env_token = std::env::var("ITERATE_ACTIONS_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let (token, fresh) = match (
        env_token,
        store.meta("admin_token").map_err(|e| e.to_string())?,
    ) {
        (Some(t), _) => (t, false),
        (None, Some(t)) => (t, false),
        (None, None) => {
            let t = util::random_hex(24);
            store
                .set_meta("admin_token", &t)
                .map_err(|e| e.to_string())?;
            (t, true)
        }
    };
    let mut store = store;
    let demo_write_key = if o.demo {
        Some(demo_setup(&mut store)?)
    } else {
        None
    };
    let bundle = o.bundle_dir.as_deref().and_then(read_bundle);
    if o.bundle_dir.is_some() && bundle.is_none() {
        tracing::warn!("no browser bundle found; run `cargo xtask web`");
    }
    let vendor = o
        .vendor_dir
        .clone()
        .filter(|d| d.join("index.js").is_file());
    let store_writes = store.writes();
    let state = AppState {
        store: Mutex::new(store),
        token,
        bundle,
        vendor,
        public_url: o.public_url.clone(),
        demo_write_key,
        store_writes,
        settings_cache: Default::default(),
        ui: Default::default(),
        recent: Default::default(),
        delivery_limit: Default::default(),
    };
    Ok((Arc::new(state), fresh))
}

/// The demo source ("Demo site") with an Iterate destination and its presets.
fn demo_setup(store: &mut store::Store) -> Result<String, String> {
    let e = |e: rusqlite::Error| e.to_string();
    if let Some(s) = store
        .sources()
        .map_err(e)?
        .into_iter()
        .find(|s| s.name == "Demo site")
    {
        return Ok(s.write_key);
    }
    let source = store::Source {
        id: util::random_hex(8),
        name: "Demo site".into(),
        write_key: util::random_hex(16),
        enabled: true,
        revision: 1,
    };
    let now = util::now();
    store.insert_source(&source, &now).map_err(e)?;
    let iterate = engine::destination::iterate();
    let d = store::Destination {
        id: util::random_hex(8),
        source_id: source.id.clone(),
        slug: iterate.definition.slug.into(),
        enabled: true,
        config: serde_json::json!({"apiKey": "demo-embed-key", "subscriptions": iterate.definition.preset_subscriptions()}),
        version: 1,
    };
    store
        .save_destination(&d, "demo", "demo created with its presets", &now, true)
        .map_err(e)?;
    Ok(source.write_key)
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
pub async fn serve(o: Options) -> Result<(), String> {
    let (state, fresh) = prepare(&o)?;
    let listener = tokio::net::TcpListener::bind(o.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", o.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("iterate-actions serving on http://{addr}/");
    if o.demo {
        println!("demo: http://{addr}/demo");
    }
    if fresh {
        println!(
            "admin token (shown once; set ITERATE_ACTIONS_ADMIN_TOKEN to choose your own): {}",
            state.token
        );
    }
    tracing::info!(%addr, db = %o.db.display(), "listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}
