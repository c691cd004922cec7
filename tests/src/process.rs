//! The real `alongside` binary as a child process, for tests that kill it or run
//! two of them on one database.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `alongside` binary of the same build profile: next to a binary in
/// `target/<profile>/`, or one level up from a test in `target/<profile>/deps/`.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own binary path");
    let name = format!("alongside{}", std::env::consts::EXE_SUFFIX);
    let candidates: Vec<PathBuf> = exe.ancestors().skip(1).take(2).map(|dir| dir.join(&name)).collect();
    candidates.iter().find(|path| path.exists()).cloned().unwrap_or_else(|| {
        panic!("no `alongside` binary in {candidates:?}: build it first (cargo test --workspace builds it)")
    })
}

/// Run an `alongside` command to completion and return its standard output.
pub fn run_cli(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(server_binary())
        .args(args)
        .env("ALONGSIDE_DATABASE_URL", database_url)
        .output()
        .expect("run alongside");
    assert!(
        output.status.success(),
        "alongside {args:?} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A free port on loopback (free when asked; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A running `alongside serve`.
pub struct ServerProcess {
    child: Option<Child>,
    pub address: String,
    port: u16,
    database_url: String,
    data_dir: PathBuf,
    jwt_secret: String,
}

impl ServerProcess {
    /// Start a server on `database_url`, waiting until it answers `/readyz`.
    pub fn start(database_url: &str, data_dir: &Path, jwt_secret: &str) -> Self {
        let port = free_port();
        let mut server = Self {
            child: None,
            address: format!("http://127.0.0.1:{port}"),
            port,
            database_url: database_url.to_owned(),
            data_dir: data_dir.to_owned(),
            jwt_secret: jwt_secret.to_owned(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new(server_binary())
            .args(["serve", "--bind", &format!("127.0.0.1:{}", self.port)])
            .env("ALONGSIDE_DATABASE_URL", &self.database_url)
            .env("ALONGSIDE_DATA_DIR", &self.data_dir)
            .env("ALONGSIDE_JWT_SECRET", &self.jwt_secret)
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .expect("start alongside serve");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/readyz", self.address);
        while http_status(&url) != Some(200) {
            assert!(Instant::now() < deadline, "the server at {} did not become ready", self.address);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The operating system's id of the running server.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no shutdown, no flushing, like a crashed or OOM-killed process.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same port and database.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A minimal blocking GET returning the status code.
fn http_status(url: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}
