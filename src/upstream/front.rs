//! The mock's listening side: accepts TCP, terminates TLS with the current certificate, reads each
//! request with hyper, logs it, and either resets the connection or forwards it to wiremock.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use hyper::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::backend::SEQ_HEADER;
use super::behaviour::Behaviour;
use super::log::{Event, LogEntry, Outcome};
use super::Shared;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REQUEST_BODY: usize = 1 << 20;

/// Accepts connections until `shutdown` turns true (or its sender is dropped).
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    eprintln!("firedrill mock: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => return,
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection(tcp, peer, shared) => {}
                _ = stopped(&mut shutdown) => {}
            }
        });
    }
}

pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// What every request on one connection shares.
struct Conn {
    shared: Arc<Shared>,
    peer: SocketAddr,
    tls: Option<String>,
    reset: Arc<AtomicBool>,
}

async fn connection(tcp: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let reset = Arc::new(AtomicBool::new(false));
    let Some(tls) = shared.tls.current() else {
        let stream = ResettableStream { tcp, reset: reset.clone() };
        return serve_http(stream, Conn { shared, peer, tls: None, reset }).await;
    };
    let accepted_ms = shared.clock.now_ms();
    // A client that connects and closes without sending a byte (a port probe) made no handshake.
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tcp.peek(&mut first)).await {
        Ok(Ok(0)) | Ok(Err(_)) => return,
        Ok(Ok(_)) | Err(_) => {}
    }
    let stream = ResettableStream { tcp, reset: reset.clone() };
    let failure = match tokio::time::timeout(HANDSHAKE_TIMEOUT, TlsAcceptor::from(tls.config.clone()).accept(stream)).await {
        Ok(Ok(stream)) => return serve_http(stream, Conn { shared, peer, tls: Some(tls.label.clone()), reset }).await,
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no TLS handshake within {} s", HANDSHAKE_TIMEOUT.as_secs()),
    };
    let mut entry = LogEntry::new(Event::TlsHandshakeFailed, accepted_ms, peer, Some(tls.label.clone()));
    entry.outcome = Outcome::HandshakeFailed;
    entry.answered_ms = Some(shared.clock.now_ms());
    entry.error = Some(failure);
    shared.log.push(entry);
}

async fn serve_http<S>(stream: S, conn: Conn)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = Arc::new(conn);
    let service = service_fn(move |request| answer(request, conn.clone()));
    // Errors here are the client's (closed mid-request, bad HTTP) or our own reset: nothing to add.
    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
}

/// Returned by the service to make hyper drop the connection without writing an answer.
#[derive(Debug)]
struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset as programmed")
    }
}

impl std::error::Error for ResetConnection {}

async fn answer(request: Request<Incoming>, conn: Arc<Conn>) -> Result<Response<LoggedBody>, ResetConnection> {
    let shared = &conn.shared;
    let at_ms = shared.clock.now_ms();
    let path = request.uri().path().to_string();
    let (rule, behaviour) = shared.program.lock().unwrap().decide(&path, at_ms);
    let mut entry = LogEntry::new(Event::Request, at_ms, conn.peer, conn.tls.clone());
    entry.method = Some(request.method().to_string());
    entry.path = Some(path);
    entry.rule = Some(rule);
    entry.behaviour = Some(behaviour.kind().to_string());
    let seq = shared.log.push(entry);
    let guard = EntryGuard { shared: shared.clone(), seq, finished: false };

    if let Behaviour::Reset { delay } = behaviour {
        tokio::time::sleep(delay).await;
        let answered_ms = shared.clock.now_ms();
        shared.log.update(seq, |e| e.answered_ms = Some(answered_ms));
        guard.finish(Outcome::Reset, false);
        conn.reset.store(true, Ordering::SeqCst);
        return Err(ResetConnection);
    }

    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let status = if e.is::<http_body_util::LengthLimitError>() { 413 } else { 400 };
            return Ok(local_answer(guard, status, &format!("reading the request body: {e}")));
        }
    };
    shared.decisions.put(seq, behaviour);
    match forward(shared, seq, &parts, body).await {
        Ok((status, headers, body)) => {
            let answered_ms = shared.clock.now_ms();
            let retry_after = headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_string);
            let until = retry_after.as_deref().and_then(|v| retry_after_until(v, answered_ms, SystemTime::now()));
            shared.log.update(seq, |e| {
                e.status = Some(status.as_u16());
                e.retry_after = retry_after;
                e.retry_after_until_ms = until;
                e.answered_ms = Some(answered_ms);
            });
            let mut response = Response::new(LoggedBody::new(body, guard, Outcome::Completed));
            *response.status_mut() = status;
            for (name, value) in &headers {
                if !is_hop_header(name) && name != header::CONTENT_LENGTH && name != header::DATE {
                    response.headers_mut().append(name.clone(), value.clone());
                }
            }
            Ok(response)
        }
        Err(e) => {
            shared.decisions.take(seq);
            Ok(local_answer(guard, 502, &format!("the mock's wiremock backend failed: {e}")))
        }
    }
}

async fn forward(
    shared: &Shared,
    seq: u64,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Result<(StatusCode, HeaderMap, Bytes), reqwest::Error> {
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        if !is_hop_header(name) && name != header::HOST && name != header::CONTENT_LENGTH {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(HeaderName::from_static(SEQ_HEADER), HeaderValue::from(seq));
    let response = shared
        .forwarder
        .request(parts.method.clone(), format!("{}{target}", shared.backend_uri))
        .headers(headers)
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let headers = response.headers().clone();
    Ok((status, headers, response.bytes().await?))
}

/// An answer the front makes itself (bad request body, backend failure).
fn local_answer(guard: EntryGuard, status: u16, error: &str) -> Response<LoggedBody> {
    let (shared, seq) = (guard.shared.clone(), guard.seq);
    let answered_ms = shared.clock.now_ms();
    shared.log.update(seq, |e| {
        e.status = Some(status);
        e.answered_ms = Some(answered_ms);
        e.error = Some(error.to_string());
    });
    let body = serde_json::to_vec(&serde_json::json!({ "error": error })).unwrap_or_default();
    let mut response = Response::new(LoggedBody::new(Bytes::from(body), guard, Outcome::BackendError));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn is_hop_header(name: &HeaderName) -> bool {
    [header::CONNECTION, header::TRANSFER_ENCODING, header::TE, header::TRAILER, header::UPGRADE, header::PROXY_AUTHORIZATION]
        .contains(name)
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// The moment (ms on the mock's clock) a `Retry-After` value sent at `answered_ms` allows.
pub(crate) fn retry_after_until(value: &str, answered_ms: u64, now: SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(answered_ms + seconds.saturating_mul(1000));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let wait = date.duration_since(now).unwrap_or(Duration::ZERO);
    Some(answered_ms + wait.as_millis() as u64)
}

/// Finishes a log entry exactly once; dropped unfinished means the client went away.
struct EntryGuard {
    shared: Arc<Shared>,
    seq: u64,
    finished: bool,
}

impl EntryGuard {
    fn finish(mut self, outcome: Outcome, completed: bool) {
        self.record(outcome, completed);
    }

    fn record(&mut self, outcome: Outcome, completed: bool) {
        self.finished = true;
        self.shared.log.update(self.seq, |e| {
            e.outcome = outcome;
            e.completed = completed;
        });
    }
}

impl Drop for EntryGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.record(Outcome::ClientGone, false);
        }
    }
}

/// A response body that records, when hyper is done with it, whether it was handed over whole.
struct LoggedBody {
    data: Option<Bytes>,
    len: u64,
    handed_over: bool,
    guard: Option<EntryGuard>,
    outcome_when_sent: Outcome,
}

impl LoggedBody {
    fn new(data: Bytes, guard: EntryGuard, outcome_when_sent: Outcome) -> Self {
        let len = data.len() as u64;
        let empty = data.is_empty();
        LoggedBody { data: (!empty).then_some(data), len, handed_over: empty, guard: Some(guard), outcome_when_sent }
    }
}

impl Body for LoggedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        this.handed_over = true;
        Poll::Ready(this.data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            let outcome = if self.handed_over { self.outcome_when_sent } else { Outcome::ClientGone };
            guard.finish(outcome, self.handed_over && self.outcome_when_sent == Outcome::Completed);
        }
    }
}

/// A TCP stream that, once flagged, refuses further writes and closes with RST instead of FIN.
struct ResettableStream {
    tcp: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ResettableStream {
    fn is_reset(&self) -> bool {
        self.reset.load(Ordering::SeqCst)
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.is_reset() {
            return Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut this.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.is_reset() {
            return Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.is_reset() {
            // No FIN: the drop below sends the RST.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.tcp).poll_shutdown(cx)
    }
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.is_reset() {
            // SO_LINGER 0 makes close() send RST at once; with a zero timeout it never blocks,
            // which is what tokio's deprecation warns about.
            #[allow(deprecated)]
            let _ = self.tcp.set_linger(Some(Duration::ZERO));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_400);
        assert_eq!(retry_after_until("5", 1000, now), Some(6000));
        // 1_700_000_005 s is 4.6 s after `now`.
        let date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_005));
        assert_eq!(retry_after_until(&date, 1000, now), Some(5600));
        // A date in the past allows an immediate call.
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000));
        assert_eq!(retry_after_until(&past, 1000, now), Some(1000));
        assert_eq!(retry_after_until("soon", 1000, now), None);
    }
}
