//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes,
//! OWASP's recommended minimum).

use std::sync::{Arc, LazyLock, Mutex, PoisonError, mpsc};

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand_core::OsRng;

/// Every argon2 computation runs on one of a few dedicated threads. Each takes
/// 19 MiB and a core for tens of milliseconds: run on whatever blocking thread a
/// login lands on, a burst of logins (a shift change, or an attack) costs hundreds
/// of megabytes (the allocator keeps a buffer per thread) and starves every other
/// request. Queued logins wait their turn instead.
static HASHING: LazyLock<HashingThreads> =
    LazyLock::new(|| HashingThreads::start(std::thread::available_parallelism().map_or(2, |n| n.get())));

type Job = Box<dyn FnOnce() + Send>;

struct HashingThreads {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl HashingThreads {
    fn start(count: usize) -> Self {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..count.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
                loop {
                    let job = receiver.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = job else { return };
                    // A panicking job must not take the thread (and future logins) with it.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hashing thread");
            }
        }
        Self { jobs: Mutex::new(sender) }
    }

    /// Run `work` on a hashing thread and wait for it, blocking the calling
    /// thread; `None` if it could not run.
    fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = mpsc::sync_channel(1);
        self.submit(move || {
            let _ = done.send(work());
        })?;
        result.recv().ok()
    }

    /// Run `work` on a hashing thread; the caller awaits the answer without
    /// occupying a thread of its own (a burst of 500 logins parked 500 blocking
    /// threads, about 0.8 MiB of memory each, when it waited with `run`).
    async fn run_async<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.submit(move || {
            let _ = done.send(work());
        })?;
        result.await.ok()
    }

    fn submit(&self, job: impl FnOnce() + Send + 'static) -> Option<()> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).send(Box::new(job)).ok()
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password hashing threads are not running")]
    Unavailable,
    #[error("argon2 could not hash the password: {0}")]
    Hash(String),
}

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let password = password.to_owned();
    HASHING.run(move || hash_now(&password)).unwrap_or(Err(PasswordError::Unavailable))
}

/// [`hash`] for async callers: waits for a hashing thread without holding one
/// of its own.
pub async fn hash_async(password: String) -> Result<String, PasswordError> {
    HASHING.run_async(move || hash_now(&password)).await.unwrap_or(Err(PasswordError::Unavailable))
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hash(error.to_string()))
}

/// A hash of a random password, verified against when the email is unknown, so
/// that an unknown email costs as much time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = [0u8; 32];
    crate::auth::tokens::fill_random(&mut bytes);
    hash_now(&hex::encode(bytes)).unwrap_or_default()
});

/// Checks a password against a person's stored hash, or, for an unknown person
/// (`None`), spends the time of one verification against a dummy hash and
/// fails, so an unknown email costs as much as a wrong password. For async
/// callers: waits without holding a thread.
pub async fn check(password: String, stored: Option<String>) -> bool {
    if stored.as_deref().is_some_and(|stored| PasswordHash::new(stored).is_err()) {
        return false;
    }
    HASHING
        .run_async(move || {
            let target = stored.as_deref().unwrap_or(DUMMY_HASH.as_str());
            let matches = PasswordHash::new(target)
                .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
            matches && stored.is_some()
        })
        .await
        .unwrap_or(false)
}
