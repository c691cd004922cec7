//! A TCP proxy that injects network faults between phones and the test server:
//! it drops a request part-way, cuts a response after some bytes, or delays a
//! connection. Faults follow a fixed pseudo-random schedule (one choice per
//! connection), so a failing run can be repeated; [`FaultProxy::set_faults`]
//! turns them off to let everyone converge.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Relayed as is.
    None,
    /// Only the first bytes of what the phone sends reach the server; then both
    /// sides are closed.
    DropRequest(usize),
    /// The request goes through whole; only the first bytes of the answer reach
    /// the phone; then both sides are closed.
    CutResponse(usize),
    /// Relayed after a pause.
    Delay(Duration),
}

/// How many connections met each kind of fault.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub passed: AtomicU64,
    pub dropped: AtomicU64,
    pub cut: AtomicU64,
    pub delayed: AtomicU64,
}

struct Shared {
    upstream: String,
    faults_on: AtomicBool,
    next: AtomicU64,
    seed: u64,
    counts: FaultCounts,
    /// Ends every open connection (when faults are switched on, so that the
    /// phones' pooled connections do not carry on unharmed).
    reset: tokio::sync::Notify,
}

/// The proxy; stops when dropped (its runtime with it).
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, for `Client::new`.
    pub address: String,
    shared: Arc<Shared>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://host:port`), faults off until
    /// [`FaultProxy::set_faults`].
    pub fn start(upstream: &str, seed: u64) -> Self {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_start_matches("http://").to_owned(),
            faults_on: AtomicBool::new(false),
            next: AtomicU64::new(0),
            seed,
            counts: FaultCounts::default(),
            reset: tokio::sync::Notify::new(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let address = format!("http://{}", listener.local_addr().expect("proxy address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let accepting = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("the proxy's runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("tokio listener");
                tokio::select! {
                    _ = stopped => {}
                    _ = accept(listener, accepting) => {}
                }
            });
        });
        Self { address, shared, _stop: stop }
    }

    /// Turn faults on or off for new connections.
    pub fn set_faults(&self, on: bool) {
        self.shared.faults_on.store(on, Ordering::SeqCst);
        self.shared.reset.notify_waiters();
    }

    /// What the proxy has done so far.
    pub fn counts(&self) -> &FaultCounts {
        &self.shared.counts
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((client, _)) = listener.accept().await {
        let faulty = shared.faults_on.load(Ordering::SeqCst);
        let fault = if faulty { choose(shared.seed, shared.next.fetch_add(1, Ordering::SeqCst)) } else { Fault::None };
        let shared = shared.clone();
        tokio::spawn(async move {
            let counter = match fault {
                Fault::None => &shared.counts.passed,
                Fault::DropRequest(_) => &shared.counts.dropped,
                Fault::CutResponse(_) => &shared.counts.cut,
                Fault::Delay(_) => &shared.counts.delayed,
            };
            counter.fetch_add(1, Ordering::SeqCst);
            // Under faults a connection carries one exchange: it ends once the
            // answer has paused, so every request meets a fault of its own.
            let idle = faulty.then_some(Duration::from_millis(20));
            tokio::select! {
                _ = relay(client, &shared.upstream, fault, idle) => {}
                _ = shared.reset.notified() => {}
            }
        });
    }
}

/// The fault for connection `n`: a splitmix64 step of the seed, so runs repeat.
fn choose(seed: u64, n: u64) -> Fault {
    let mut x = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    let bytes = (x >> 8) as usize % 600;
    match x % 10 {
        0..=2 => Fault::None,
        3 | 4 => Fault::DropRequest(bytes),
        5..=7 => Fault::CutResponse(bytes),
        _ => Fault::Delay(Duration::from_millis(50 + (x >> 16) % 400)),
    }
}

async fn relay(client: TcpStream, upstream: &str, fault: Fault, idle: Option<Duration>) -> std::io::Result<()> {
    if let Fault::Delay(pause) = fault {
        tokio::time::sleep(pause).await;
    }
    let server = TcpStream::connect(upstream).await?;
    let (mut from_phone, mut to_phone) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    match fault {
        Fault::DropRequest(n) => {
            // Part of the request, then nothing: the phone sees the connection close.
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                copy_at_most(&mut from_phone, &mut to_server, Some(n), None),
            )
            .await;
        }
        Fault::CutResponse(n) => {
            tokio::select! {
                _ = copy_at_most(&mut from_phone, &mut to_server, None, None) => {}
                _ = copy_at_most(&mut from_server, &mut to_phone, Some(n), idle) => {}
            }
        }
        Fault::None | Fault::Delay(_) => {
            tokio::select! {
                _ = copy_at_most(&mut from_phone, &mut to_server, None, None) => {}
                _ = copy_at_most(&mut from_server, &mut to_phone, None, idle) => {}
            }
        }
    }
    // Dropping the halves closes both sockets.
    Ok(())
}

/// Copy until the end of the stream, until `limit` bytes when given, or, with
/// `idle`, until the stream pauses that long after its first bytes.
async fn copy_at_most<R, W>(
    from: &mut R,
    to: &mut W,
    limit: Option<usize>,
    idle: Option<Duration>,
) -> std::io::Result<()>
where
    R: AsyncReadExt + Unpin,
    W: AsyncWriteExt + Unpin,
{
    let mut left = limit.unwrap_or(usize::MAX);
    let mut buf = vec![0u8; 16 * 1024];
    let mut started = false;
    while left > 0 {
        let n = match idle {
            Some(pause) if started => match tokio::time::timeout(pause, from.read(&mut buf)).await {
                Ok(read) => read?,
                Err(_) => break,
            },
            _ => from.read(&mut buf).await?,
        };
        started = true;
        if n == 0 {
            break;
        }
        let n = n.min(left);
        to.write_all(&buf[..n]).await?;
        left -= n;
    }
    to.flush().await?;
    Ok(())
}
