//! The lab's runtime benchmark API on Axum with a deadpool-postgres pool.

mod api;

use std::{env, error::Error, net::SocketAddr, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{rejection::BytesRejection, DefaultBodyLimit, RawQuery, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use api::*;

const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
const ALLOW_GET: &str = "GET, HEAD";
const ALLOW_POST: &str = "POST";

type BoxError = Box<dyn Error + Send + Sync>;

#[derive(Clone)]
struct AppState {
    pool: Option<Pool>,
}

struct Config {
    host: String,
    port: u16,
    database_url: String,
    pool_size: usize,
}

fn load_config() -> Result<Config, BoxError> {
    let host = env::var("HOST").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "0.0.0.0".into());
    let port = match env::var("PORT") {
        Ok(v) if !v.is_empty() => v
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("PORT={v:?}: want an integer in [1, 65535]"))?,
        _ => 8080,
    };
    let pool_size = match env::var("DATABASE_POOL_SIZE") {
        Ok(v) if !v.is_empty() => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("DATABASE_POOL_SIZE={v:?}: want a positive integer"))?,
        _ => 10,
    };
    Ok(Config { host, port, database_url: env::var("DATABASE_URL").unwrap_or_default(), pool_size })
}

fn log(level: &str, msg: &str, fields: serde_json::Value) {
    let mut line = serde_json::json!({ "level": level, "msg": msg });
    if let (Some(l), Some(f)) = (line.as_object_mut(), fields.as_object()) {
        l.extend(f.clone());
    }
    eprintln!("{line}");
}

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], body.into()).into_response()
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut res = json(StatusCode::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED);
    // Axum would set Allow itself; setting it keeps the contract's spelling.
    res.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

async fn health() -> Response {
    json(StatusCode::OK, HEALTH)
}

async fn document() -> Response {
    match serde_json::to_vec(&new_document()) {
        Ok(body) => json(StatusCode::OK, body),
        Err(err) => {
            log("error", "marshal /json", serde_json::json!({ "err": err.to_string() }));
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn compute(RawQuery(query): RawQuery) -> Response {
    let Some(raw) = first_param(query.as_deref(), "n") else {
        return json(StatusCode::BAD_REQUEST, MISSING_N);
    };
    let Some(n) = parse_bounded(&raw, COMPUTE_MAX_N) else {
        return json(StatusCode::BAD_REQUEST, INVALID_N);
    };
    // CPU-bound: keep it off the async workers' cooperative scheduling path.
    let prime = tokio::task::block_in_place(|| nth_prime(n));
    json(StatusCode::OK, serde_json::to_vec(&Computed { n, prime }).unwrap_or_default())
}

async fn query_item(pool: &Pool, id: i32) -> Result<Option<Item>, BoxError> {
    let client = pool.get().await?;
    let stmt = client.prepare_cached("SELECT id, name, value FROM items WHERE id = $1").await?;
    let row = client.query_opt(&stmt, &[&id]).await?;
    Ok(row.map(|r| Item { id: r.get(0), name: r.get(1), value: r.get(2) }))
}

async fn database(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(raw) = first_param(query.as_deref(), "id") else {
        return json(StatusCode::BAD_REQUEST, MISSING_ID);
    };
    let Some(id) = parse_bounded(&raw, ITEM_ID_MAX) else {
        return json(StatusCode::BAD_REQUEST, INVALID_ID);
    };
    let Some(pool) = state.pool.as_ref() else {
        return json(StatusCode::SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE);
    };
    // parse_bounded capped id at i32::MAX.
    match tokio::time::timeout(QUERY_TIMEOUT, query_item(pool, id as i32)).await {
        Ok(Ok(Some(item))) => json(StatusCode::OK, serde_json::to_vec(&item).unwrap_or_default()),
        Ok(Ok(None)) => json(StatusCode::NOT_FOUND, ITEM_NOT_FOUND),
        Ok(Err(err)) => {
            log("warn", "database query", serde_json::json!({ "id": id, "err": err.to_string() }));
            json(StatusCode::SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE)
        }
        Err(_) => {
            log("warn", "database query timed out", serde_json::json!({ "id": id }));
            json(StatusCode::SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE)
        }
    }
}

async fn echo(body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return json(StatusCode::PAYLOAD_TOO_LARGE, BODY_TOO_LARGE)
        }
        Err(_) => return json(StatusCode::BAD_REQUEST, INVALID_JSON),
    };
    if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
        return json(StatusCode::BAD_REQUEST, INVALID_JSON);
    }
    json(StatusCode::OK, body)
}

fn router(state: AppState) -> Router {
    let not_get = || async { method_not_allowed(ALLOW_GET) };
    Router::new()
        .route("/health", get(health).fallback(not_get))
        .route("/json", get(document).fallback(not_get))
        .route("/compute", get(compute).fallback(not_get))
        .route("/database", get(database).fallback(not_get))
        .route(
            "/echo",
            post(echo)
                .fallback(|| async { method_not_allowed(ALLOW_POST) })
                .layer(DefaultBodyLimit::max(ECHO_MAX_BYTES)),
        )
        .fallback(|| async { json(StatusCode::NOT_FOUND, NOT_FOUND) })
        .with_state(state)
}

fn new_pool(url: &str, size: usize) -> Result<Pool, BoxError> {
    let mut pg: tokio_postgres::Config = url.parse().map_err(|e| format!("DATABASE_URL: {e}"))?;
    pg.connect_timeout(Duration::from_secs(2));
    let mut manager_config = ManagerConfig::default();
    manager_config.recycling_method = RecyclingMethod::Fast;
    let manager = Manager::from_config(pg, NoTls, manager_config);
    // Connections open lazily, so the server starts (and answers 503 on
    // /database) while PostgreSQL is still coming up.
    Ok(Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(QUERY_TIMEOUT))
        .create_timeout(Some(Duration::from_secs(2)))
        .build()?)
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    log("info", "shutting down", serde_json::json!({}));
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let cfg = load_config()?;
    let pool = if cfg.database_url.is_empty() {
        log("warn", "DATABASE_URL is not set: GET /database answers 503", serde_json::json!({}));
        None
    } else {
        Some(new_pool(&cfg.database_url, cfg.pool_size)?)
    };
    let addr: SocketAddr = format!("{}:{}", cfg.host, cfg.port).parse().map_err(|e| format!("HOST/PORT: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("listen {addr}: {e}"))?;
    log(
        "info",
        "listening",
        serde_json::json!({ "addr": listener.local_addr()?.to_string(), "pool_size": cfg.pool_size }),
    );
    axum::serve(listener, router(AppState { pool: pool.clone() })).with_graceful_shutdown(shutdown_signal()).await?;
    if let Some(pool) = pool {
        pool.close();
    }
    Ok(())
}
