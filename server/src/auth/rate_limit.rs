//! In-memory throttling of password attempts (logins, console sign-ins,
//! password changes and reset codes), per account, per client address, and per
//! account from one address.
//!
//! An attempt is *reserved* before the password is hashed: it counts as a
//! failure from the moment it is let through, and only a success takes it back.
//! So 40 simultaneous wrong passwords are not all checked: only as many as the
//! limits leave room for, the rest are refused at once (429 with `Retry-After`).
//! Attempts still being checked are also counted *in flight*: when only they
//! fill a hard limit (21 care assistants behind one care home's address signing
//! in at shift change), the refusal says to retry in [`IN_FLIGHT_RETRY`], the
//! time a check takes, not the rest of the window that settled failures earn.
//! An attempt dropped without [`LoginLimiter::succeeded`] settles as a failure.
//!
//! The *account* is the normalised email: one email may hold accounts in several
//! organisations, and they share one count, so asking for another
//! organisation in the login body does not buy more guesses, and the limits
//! behave the same whatever the number of accounts behind an address.
//!
//! Three keys, three rules, inside a sliding `window`:
//!
//! - **account from one address** (`per_account`, default 5): a hard limit, so
//!   one address guessing at one account is stopped quickly;
//! - **address** (`per_address`, default 20) across accounts: a hard limit on
//!   one address spraying many accounts;
//! - **account** from anywhere: no hard lock (that let 5 wrong attempts from
//!   anywhere lock the real user out everywhere), but once it has
//!   `account_delay_after` (default 10) failures, each further attempt must wait a
//!   delay that doubles from one second up to `max_account_delay` (default a
//!   minute) after the previous one. Guessing from many addresses is slowed to
//!   about one try a minute while the real user, elsewhere, waits a minute at most.
//!
//! A success clears the account's failures (both the per-address and the
//! account-wide ones) and takes back its own reservation from the address, but
//! not the address's other failures, so one known password cannot be used to
//! reset guessing at other accounts. Memory is bounded by pruning idle keys as the
//! map grows and by capping each key's list. With several replicas each keeps its
//! own counts, which only loosens the limits by the number of replicas.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::config::LoginLimits;

/// Prune idle keys whenever the map grows past this many entries.
const PRUNE_AT: usize = 10_000;
/// Account-wide failures kept beyond the delay threshold (the delay has reached
/// its cap long before).
const ACCOUNT_EXTRA: usize = 32;
/// What a refusal asks for when only attempts in flight fill a limit: about
/// the time one password check takes, with room for a queue of them.
pub const IN_FLIGHT_RETRY: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct LoginLimiter {
    limits: LoginLimits,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    /// Recent attempts per key, oldest first, reserved ones included.
    failures: HashMap<Key, VecDeque<Instant>>,
    /// How many of each hard key's attempts are still being checked.
    in_flight: HashMap<Key, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    AccountFrom(String, Option<IpAddr>),
    Address(IpAddr),
}

/// One attempt let through by [`LoginLimiter::reserve`]: counted as a failure
/// until [`LoginLimiter::succeeded`] takes it back, and in flight until it is
/// reported or dropped.
#[derive(Debug)]
#[must_use = "a reserved attempt counts as a failure unless it is reported as a success"]
pub struct Attempt {
    account: String,
    address: Option<IpAddr>,
    at: Instant,
    counts: Arc<Mutex<Counts>>,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        for key in hard_keys(&self.account, self.address) {
            if let Some(n) = counts.in_flight.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.in_flight.remove(&key);
                }
            }
        }
    }
}

/// The keys with a hard limit for an attempt at `account` from `address`.
fn hard_keys(account: &str, address: Option<IpAddr>) -> impl Iterator<Item = Key> {
    let from = Key::AccountFrom(account.to_owned(), address);
    std::iter::once(from).chain(address.map(Key::Address))
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self { limits, counts: Arc::default() }
    }

    /// Lets one attempt through and counts it, or `Err(wait)`: how long until
    /// the next attempt may be made.
    pub fn reserve(&self, account: &str, address: Option<IpAddr>) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let limits = self.limits;
        let mut counts = lock(&self.counts);
        let Counts { failures, in_flight } = &mut *counts;
        if failures.len() >= PRUNE_AT {
            let keep = limits.window;
            failures.retain(|_, times| times.back().is_some_and(|last| now - *last < keep));
        }
        let limit_of = |key: &Key| match key {
            Key::Address(_) => limits.per_address,
            _ => limits.per_account,
        };
        let mut wait = Duration::ZERO;
        for key in hard_keys(account, address) {
            let limit = limit_of(&key);
            if let Some(times) = failures.get_mut(&key) {
                forget_old(times, now, limits.window);
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    let checking = in_flight.get(&key).copied().unwrap_or(0);
                    // Settled failures alone fill it: wait for the oldest to age
                    // out. Otherwise checks in flight fill it: retry shortly.
                    let settled = times.len().saturating_sub(checking);
                    wait = wait.max(if settled >= limit {
                        limits.window.saturating_sub(now - *oldest)
                    } else {
                        IN_FLIGHT_RETRY
                    });
                }
            }
        }
        let account_key = Key::Account(account.to_owned());
        if let Some(times) = failures.get_mut(&account_key) {
            forget_old(times, now, limits.window);
            if let (Some(delay), Some(last)) = (self.account_delay(times.len()), times.back()) {
                wait = wait.max(delay.saturating_sub(now - *last));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for key in hard_keys(account, address) {
            *in_flight.entry(key.clone()).or_default() += 1;
            let limit = limit_of(&key);
            push_capped(failures.entry(key).or_default(), now, limit);
        }
        push_capped(failures.entry(account_key).or_default(), now, limits.account_delay_after + ACCOUNT_EXTRA);
        Ok(Attempt { account: account.to_owned(), address, at: now, counts: self.counts.clone() })
    }

    /// The attempt was right: clears the account's failures and takes the
    /// attempt back from its address.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut counts = lock(&self.counts);
        let failures = &mut counts.failures;
        failures.remove(&Key::Account(attempt.account.clone()));
        failures.remove(&Key::AccountFrom(attempt.account.clone(), attempt.address));
        if let Some(address) = attempt.address
            && let Some(times) = failures.get_mut(&Key::Address(address))
            && let Some(position) = times.iter().position(|at| *at == attempt.at)
        {
            times.remove(position);
        }
        // Dropping `attempt` (after the lock is released) ends it in flight.
        drop(counts);
    }

    /// How long an account with `failures` recent failures waits after the last.
    fn account_delay(&self, failures: usize) -> Option<Duration> {
        let beyond = failures.checked_sub(self.limits.account_delay_after)?;
        let doubled = Duration::from_secs(1).saturating_mul(1u32 << beyond.min(20));
        Some(doubled.min(self.limits.max_account_delay))
    }
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    // A panic while holding the lock leaves only counters behind; keep going.
    counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn push_capped(times: &mut VecDeque<Instant>, at: Instant, cap: usize) {
    times.push_back(at);
    while times.len() > cap {
        times.pop_front();
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times.front().is_some_and(|first| now - *first >= window) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            per_account: 2,
            per_address: 3,
            window: Duration::from_secs(60),
            account_delay_after: 4,
            max_account_delay: Duration::from_secs(8),
        })
    }

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));

    fn from(n: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 168, 0, n]))
    }

    #[test]
    fn an_account_from_one_address_is_refused_after_its_limit_and_others_are_not() {
        let limiter = limiter();
        let _ = limiter.reserve("a@x.org", HOME).unwrap();
        let _ = limiter.reserve("a@x.org", HOME).unwrap();
        let wait = limiter.reserve("a@x.org", HOME).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(limiter.reserve("b@x.org", HOME).is_ok());
        // The same account from elsewhere is let in.
        assert!(limiter.reserve("a@x.org", from(1)).is_ok());
    }

    #[test]
    fn reservations_count_before_their_outcome_is_known() {
        let limiter = limiter();
        let first = limiter.reserve("a@x.org", HOME).unwrap();
        let _second = limiter.reserve("a@x.org", HOME).unwrap();
        assert!(limiter.reserve("a@x.org", HOME).is_err(), "two in flight use up the limit");
        limiter.succeeded(first);
        assert!(limiter.reserve("a@x.org", HOME).is_ok());
    }

    #[test]
    fn a_limit_filled_by_checks_in_flight_asks_for_a_short_wait_and_settled_failures_for_the_window() {
        let limiter = limiter();
        let checking: Vec<Attempt> =
            ["a@x.org", "b@x.org", "c@x.org"].iter().map(|a| limiter.reserve(a, HOME).unwrap()).collect();
        assert_eq!(limiter.reserve("d@x.org", HOME).unwrap_err(), IN_FLIGHT_RETRY, "three in flight fill the address");
        // They turn out wrong: now the address has earned the window's wait.
        drop(checking);
        let wait = limiter.reserve("d@x.org", HOME).unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
    }

    #[test]
    fn an_address_whose_checks_succeed_lets_the_next_in() {
        let limiter = limiter();
        let checking: Vec<Attempt> =
            ["a@x.org", "b@x.org", "c@x.org"].iter().map(|a| limiter.reserve(a, HOME).unwrap()).collect();
        assert!(limiter.reserve("d@x.org", HOME).is_err());
        for attempt in checking {
            limiter.succeeded(attempt);
        }
        assert!(limiter.reserve("d@x.org", HOME).is_ok(), "right passwords leave no mark on the address");
    }

    #[test]
    fn an_address_is_refused_after_failures_across_accounts() {
        let limiter = limiter();
        for account in ["a@x.org", "b@x.org", "c@x.org"] {
            let _ = limiter.reserve(account, HOME).unwrap();
        }
        assert!(limiter.reserve("d@x.org", HOME).is_err());
        assert!(limiter.reserve("d@x.org", from(2)).is_ok());
    }

    #[test]
    fn failures_from_many_addresses_delay_the_account_progressively_without_locking_it() {
        let limiter = limiter();
        for n in 0..4 {
            let _ = limiter.reserve("a@x.org", from(n)).unwrap();
        }
        let wait = limiter.reserve("a@x.org", from(9)).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(limiter.account_delay(5), Some(Duration::from_secs(2)));
        assert_eq!(limiter.account_delay(30), Some(Duration::from_secs(8)), "capped");
        assert_eq!(limiter.account_delay(3), None);
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let limiter = limiter();
        let _ = limiter.reserve("a@x.org", HOME).unwrap();
        let right = limiter.reserve("a@x.org", HOME).unwrap();
        limiter.succeeded(right);
        assert!(limiter.reserve("a@x.org", None).is_ok());
        let _ = limiter.reserve("b@x.org", HOME).unwrap();
        let _ = limiter.reserve("c@x.org", HOME).unwrap();
        assert!(limiter.reserve("d@x.org", HOME).is_err());
    }
}
