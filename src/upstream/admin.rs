//! The admin API (plain HTTP on its own port, JSON in and out): program behaviours, swap the TLS
//! certificate, read the request log, reset. `GET /` lists the endpoints.

use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::behaviour::SetBehaviour;
use super::front::stopped;
use super::log::{rfc3339, RequestLog};
use super::tls::TlsMaterial;
use super::Shared;

const MAX_BODY: usize = 4 << 20;

pub(crate) const ENDPOINTS: &[(&str, &str)] = &[
    ("GET /health", "200 when the mock runs"),
    ("GET /log[?since=SEQ]", "the request log (entries with seq above SEQ)"),
    ("GET /behaviour", "the rules in force, with absolute times"),
    ("PUT /behaviour", r#"{"route"?, "behaviour", "for_ms"?} or {"route"?, "steps": [{"behaviour", "for_ms"?}]}"#),
    ("DELETE /behaviour", "clear every rule (back to 200 {\"ok\": true})"),
    ("GET /tls", "whether TLS is on, and the certificate's label"),
    ("PUT /tls", r#"{"cert_chain_pem", "key_pem", "label"?}: new handshakes use it"#),
    ("DELETE /tls", "serve plain HTTP from the next connection on"),
    ("POST /reset", "clear the rules and the log (TLS stays)"),
];

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    eprintln!("firedrill mock: admin accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => return,
        };
        let shared = shared.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(request, &shared).await) }
            });
            tokio::select! {
                _ = http1::Builder::new().serve_connection(TokioIo::new(tcp), service) => {}
                _ = stopped(&mut shutdown) => {}
            }
        });
    }
}

async fn handle(request: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().trim_end_matches('/').to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return error(StatusCode::PAYLOAD_TOO_LARGE, &format!("request body: {e}; the limit is {MAX_BODY} bytes")),
    };
    let now_ms = shared.clock.now_ms();
    match (&method, path.as_str()) {
        (&Method::GET, "") => reply(&json!({
            "firedrill_mock": env!("CARGO_PKG_VERSION"),
            "now_ms": now_ms,
            "endpoints": ENDPOINTS.iter().map(|(e, what)| json!({"endpoint": e, "does": what})).collect::<Vec<_>>(),
        })),
        (&Method::GET, "/health") => reply(&json!({"ok": true, "now_ms": now_ms, "tls": shared.tls.view()})),
        (&Method::GET, "/log") => {
            let since = match query_u64(&query, "since") {
                Ok(since) => since.unwrap_or(0),
                Err(e) => return error(StatusCode::BAD_REQUEST, &e),
            };
            let log = RequestLog { started_at: rfc3339(shared.clock.started_at()), now_ms, entries: shared.log.snapshot(since) };
            reply(&log)
        }
        (&Method::GET, "/behaviour") => reply(&json!({"now_ms": now_ms, "rules": shared.program.lock().unwrap().view(now_ms)})),
        (&Method::PUT | &Method::POST, "/behaviour") => {
            let request: SetBehaviour = match parse(&body) {
                Ok(r) => r,
                Err(e) => return error(StatusCode::BAD_REQUEST, &e),
            };
            match request.steps() {
                Ok((route, steps)) => {
                    // Read the clock after parsing, so a window starts when it is installed.
                    let now_ms = shared.clock.now_ms();
                    reply(&shared.program.lock().unwrap().set(route, steps, now_ms))
                }
                Err(e) => error(StatusCode::BAD_REQUEST, &format!("body: {e}")),
            }
        }
        (&Method::DELETE, "/behaviour") => {
            shared.program.lock().unwrap().clear();
            reply(&json!({"cleared": true, "now_ms": now_ms}))
        }
        (&Method::GET, "/tls") => reply(&shared.tls.view()),
        (&Method::PUT | &Method::POST, "/tls") => {
            let material: TlsMaterial = match parse(&body) {
                Ok(m) => m,
                Err(e) => return error(StatusCode::BAD_REQUEST, &e),
            };
            match shared.tls.install(&material) {
                Ok(view) => reply(&view),
                Err(e) => error(StatusCode::BAD_REQUEST, &format!("body: {e}")),
            }
        }
        (&Method::DELETE, "/tls") => reply(&shared.tls.disable()),
        (&Method::POST, "/reset") => {
            shared.program.lock().unwrap().clear();
            shared.log.clear();
            reply(&json!({"reset": true, "now_ms": now_ms}))
        }
        _ => {
            let known: Vec<&str> = ENDPOINTS.iter().map(|(e, _)| *e).collect();
            error(StatusCode::NOT_FOUND, &format!("no endpoint {method} {path}; the admin API has: {}", known.join(", ")))
        }
    }
}

/// JSON from the request body; the error gives line and column in the body.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        let what = e.to_string();
        let what = what.split(" at line ").next().unwrap_or(&what).to_string();
        format!("body:{}:{}: {what}", e.line(), e.column())
    })
}

fn query_u64(query: &str, name: &str) -> Result<Option<u64>, String> {
    for pair in query.split('&') {
        if let Some(value) = pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')) {
            return value.parse().map(Some).map_err(|_| format!("?{name}={value}: give a whole number (a log seq)"));
        }
    }
    Ok(None)
}

fn reply(value: &impl Serialize) -> Response<Full<Bytes>> {
    respond(StatusCode::OK, value)
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    respond(status, &json!({ "error": message }))
}

fn respond(status: StatusCode, value: &impl Serialize) -> Response<Full<Bytes>> {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
