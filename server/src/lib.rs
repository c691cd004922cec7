//! The Alongside server: authentication, organisations, people, pairings and
//! devices over HTTP, stored in SQLite or PostgreSQL through diesel.
//!
//! [`Application::build`] connects to the database, applies migrations, binds the
//! configured address (port 0 picks a free one) and returns a server ready to
//! run:
//!
//! ```no_run
//! # async fn start() -> Result<(), alongside_server::StartError> {
//! use alongside_server::{Application, config::Settings};
//!
//! let settings = Settings {
//!     bind: "127.0.0.1:0".into(),
//!     database_url: "sqlite://data/example.sqlite3".into(),
//!     ..Settings::default()
//! };
//! let app = Application::build(settings).await?;
//! println!("listening on port {}", app.port());
//! app.run_until_stopped().await?;
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod body_deadline;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod digest_mail;
pub mod domain;
pub mod error;
mod governance_cli;
pub mod metrics;
pub mod model;
mod retention_task;
pub mod routes;
pub mod schema;
pub mod state;
pub mod sync;
pub mod telemetry;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::tokens::{JwtKeys, SecretError};
use crate::config::Settings;
use crate::db::{Backend, Db, DbError};
use crate::error::{ApiError, ErrorBody};
use crate::metrics::{Metrics, MetricsError};
use crate::state::AppState;
use crate::sync::SyncHub;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error("cannot listen on {address}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server failed to start")]
    Io(#[from] std::io::Error),
    #[error("start-up was interrupted")]
    Join(#[from] tokio::task::JoinError),
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    /// `ALONGSIDE_METRICS=listen:ADDR`: the metrics listener and its port.
    metrics_server: Option<(Server, u16)>,
    state: AppState,
}

impl Application {
    /// Connects to the database, runs pending migrations, loads (or creates) the
    /// JWT secret and binds the listening socket.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let url = settings.database_url.clone();
        let pool_size = settings.db_pool_size;
        let db = tokio::task::spawn_blocking(move || -> Result<Db, DbError> {
            let db = Db::connect(&url, pool_size)?;
            let applied = db.migrate()?;
            if !applied.is_empty() {
                tracing::info!(?applied, "applied database migrations");
            }
            let reprojected = sync::projection::reproject_stale(&mut *db.get()?)?;
            if reprojected > 0 {
                tracing::info!(reprojected, "sessions projected again for the console");
            }
            Ok(db)
        })
        .await??;
        let keys = JwtKeys::load(settings.jwt_secret.as_ref(), &settings.data_dir, settings.access_token_ttl)?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|source| StartError::Bind { address: settings.bind.clone(), source })?;
        let port = listener.local_addr()?.port();

        let sync = Arc::new(SyncHub::new(settings.doc_cache_mb.saturating_mul(1 << 20)));
        if db.backend() == Backend::Postgres {
            sync.notifier.listen_to_postgres(settings.database_url.clone());
        }
        let state = AppState {
            sync,
            db,
            keys: Arc::new(keys),
            limiter: Arc::new(LoginLimiter::new(settings.login_limits)),
            metrics: Arc::new(Metrics::new()?),
            settings: Arc::new(settings),
        };
        let data = web::Data::new(state.clone());
        let json_limit = state.settings.json_limit;
        let body_deadline = state.settings.body_deadline;
        let mut server = HttpServer::new(move || {
            let metrics = data.metrics.clone();
            App::new()
                .app_data(data.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(json_limit)
                        .error_handler(|error, _req| error::json_error(error).into()),
                )
                .app_data(
                    web::PathConfig::default().error_handler(|_error, _req| ApiError::not_found("resource").into()),
                )
                .app_data(web::QueryConfig::default().error_handler(|error, _req| {
                    ApiError::bad_request("invalid_query", format!("the query string is not valid: {error}")).into()
                }))
                .wrap(ErrorHandlers::new().default_handler(ensure_json_error))
                .wrap(actix_web::middleware::from_fn(move |req, next| body_deadline::enforce(body_deadline, req, next)))
                .wrap_fn(move |req, srv| {
                    // Metrics and the request id header, for every answer. Handlers' errors
                    // arrive here as responses; only a middleware's own `Err` (none of
                    // ours) would pass by without the header.
                    let metrics = metrics.clone();
                    let method = req.method().clone();
                    let started = Instant::now();
                    let call = srv.call(req);
                    async move {
                        let result = call.await;
                        let (route, status) = match &result {
                            Ok(response) => (response.request().match_pattern(), response.status()),
                            Err(error) => (None, error.as_response_error().status_code()),
                        };
                        metrics.record_request(&method, route.as_deref(), status, started.elapsed());
                        tracing::debug!(status = status.as_u16(), "request");
                        result.map(|mut response| {
                            telemetry::add_request_id_header(&mut response);
                            response
                        })
                    }
                })
                // Outermost: the span (and request id) covers everything inside.
                .wrap(TracingLogger::<telemetry::RequestSpan>::new())
                .configure(routes::config)
                .default_service(web::to(not_found))
        })
        // Phones keep a connection between a sync and the next edit's sync; a longer
        // keep-alive than actix's 5 s default saves them reconnecting.
        .keep_alive(std::time::Duration::from_secs(75))
        .listen(listener)?;
        if let Some(workers) = state.settings.workers {
            server = server.workers(workers);
        }
        retention_task::spawn(state.db.clone());
        if let Some(smtp) = &state.settings.smtp {
            digest_mail::spawn(state.db.clone(), smtp, state.settings.digest);
        }
        let metrics_server = match &state.settings.metrics {
            config::MetricsAccess::Listen(address) => Some(Self::metrics_server(&state, address)?),
            _ => None,
        };
        Ok(Self { port, server: server.run(), metrics_server, state })
    }

    /// The separate listener of `ALONGSIDE_METRICS=listen:ADDR`: `/metrics` and
    /// nothing else, one worker.
    fn metrics_server(state: &AppState, address: &str) -> Result<(Server, u16), StartError> {
        let listener =
            TcpListener::bind(address).map_err(|source| StartError::Bind { address: address.to_owned(), source })?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/metrics", web::get().to(routes::health::metrics_on_own_address))
                .default_service(web::to(|| async { Err::<HttpResponse, _>(ApiError::not_found("resource")) }))
        })
        .workers(1)
        .listen(listener)?
        .run();
        Ok((server, port))
    }

    /// The port of the separate metrics listener, if one is configured.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The shared state, e.g. for seeding a database the server is using.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process is asked to stop (SIGINT/SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((metrics, _)) = self.metrics_server else { return self.server.await };
        let metrics_handle = metrics.handle();
        let (served, _) = tokio::join!(
            async {
                let served = self.server.await;
                // The metrics listener goes when the server does.
                metrics_handle.stop(true).await;
                served
            },
            metrics
        );
        served
    }
}

/// Nothing matched: 405 with `Allow` when the path is one of the API's and only
/// the method is wrong, 404 otherwise.
async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    match routes::openapi::allowed_methods(req.path()) {
        Some(methods) => {
            let allow = methods.join(", ");
            Ok(HttpResponse::MethodNotAllowed().insert_header((actix_web::http::header::ALLOW, allow.clone())).json(
                ErrorBody {
                    error: "method_not_allowed".to_owned(),
                    message: format!("{} is not served here; this path takes {allow}.", req.method()),
                },
            ))
        }
        None => Err(ApiError::not_found("resource")),
    }
}

/// Error responses produced by actix itself (e.g. 405) get the JSON shape too.
fn ensure_json_error<B: MessageBody>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // JSON errors, and the console's HTML error pages, are already shaped for
    // whoever reads them.
    let is_shaped = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json") || value.starts_with("text/html"));
    if is_shaped {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        status if status.is_server_error() => "internal_error",
        _ => "bad_request",
    };
    let message = format!("{}.", status.canonical_reason().unwrap_or("The request failed"));
    let (req, _) = res.into_parts();
    let response = HttpResponse::build(status).json(ErrorBody { error: code.to_owned(), message });
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}
