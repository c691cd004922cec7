//! In-memory throttling of failed logins, per account and per client address.
//!
//! Each key keeps the instants of its recent failures; once a key has `limit`
//! failures inside the window, further attempts are refused until the oldest one
//! leaves the window. Memory is bounded by pruning idle keys as the map grows.
//! With several replicas each keeps its own counts, which only loosens the limit
//! by the number of replicas.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::LoginLimits;

/// Prune idle keys whenever the map grows past this many entries.
const PRUNE_AT: usize = 10_000;

#[derive(Debug)]
pub struct LoginLimiter {
    limits: LoginLimits,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self { limits, failures: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` when either the account or the address has used up its
    /// failures; `wait` is how long until the next attempt may be made.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let mut failures = self.lock();
        let mut wait = Duration::ZERO;
        for (key, limit) in self.keys(account, address) {
            if let Some(times) = failures.get_mut(&key) {
                self.forget_old(times, now);
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.limits.window.saturating_sub(now - *oldest));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Records one failed attempt against both the account and the address.
    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= PRUNE_AT {
            let window = self.limits.window;
            failures.retain(|_, times| times.back().is_some_and(|last| now - *last < window));
        }
        for (key, limit) in self.keys(account, address) {
            let times = failures.entry(key).or_default();
            self.forget_old(times, now);
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// A successful login clears the account's failures (not the address's, so
    /// one known password cannot be used to reset guessing at other accounts).
    pub fn record_success(&self, account: &str) {
        self.lock().remove(&Key::Account(account.to_owned()));
    }

    fn keys(&self, account: &str, address: Option<IpAddr>) -> Vec<(Key, usize)> {
        let mut keys = vec![(Key::Account(account.to_owned()), self.limits.per_account)];
        if let Some(address) = address {
            keys.push((Key::Address(address), self.limits.per_address));
        }
        keys
    }

    fn forget_old(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times.front().is_some_and(|first| now - *first >= self.limits.window) {
            times.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        // A panic while holding the lock leaves only counters behind; keep going.
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(LoginLimits { per_account: 2, per_address: 3, window: Duration::from_secs(60) })
    }

    #[test]
    fn account_is_refused_after_its_limit_and_others_are_not() {
        let limiter = limiter();
        let address = Some(IpAddr::from([127, 0, 0, 1]));
        limiter.record_failure("a@x.org", address);
        assert!(limiter.check("a@x.org", address).is_ok());
        limiter.record_failure("a@x.org", address);
        let wait = limiter.check("a@x.org", address).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(limiter.check("b@x.org", address).is_ok());
    }

    #[test]
    fn address_is_refused_after_failures_across_accounts() {
        let limiter = limiter();
        let address = Some(IpAddr::from([10, 0, 0, 1]));
        for account in ["a@x.org", "b@x.org", "c@x.org"] {
            limiter.record_failure(account, address);
        }
        assert!(limiter.check("d@x.org", address).is_err());
        assert!(limiter.check("d@x.org", Some(IpAddr::from([10, 0, 0, 2]))).is_ok());
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let limiter = limiter();
        let address = Some(IpAddr::from([10, 0, 0, 3]));
        limiter.record_failure("a@x.org", address);
        limiter.record_failure("a@x.org", address);
        limiter.record_success("a@x.org");
        assert!(limiter.check("a@x.org", None).is_ok());
        limiter.record_failure("b@x.org", address);
        assert!(limiter.check("c@x.org", address).is_err());
    }
}
