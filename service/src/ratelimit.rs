//! Request limits per client address and per user, so that guessing across many users,
//! or flooding one, is slowed without locking every user out (MitID's block after the
//! 3rd wrong code stays in [`crate::policy`]).
//!
//! Each key has a generic cell rate (GCRA): a limit of `n` requests per minute lets a
//! burst of `n` through, then one every `60 000 / n` ms. The rule ([`Gcra::admit`]) is a
//! pure function of a key's state and the time passed in; [`Limiter`] keeps the states.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Keys kept before stale ones (whose bucket has drained) are swept.
const SWEEP_AT: usize = 100_000;
/// Keys kept at most (about 100 MB): past it, after a sweep, every allowance starts over
/// rather than the memory growing without bound under a flood of made-up user names.
const MAX_KEYS: usize = 1_000_000;
/// Characters of a user id kept as its key.
const MAX_USER_KEY: usize = 128;

/// One limit: `per_minute` requests a minute with a burst of as many; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
}

impl Rate {
    pub const OFF: Rate = Rate { per_minute: 0 };

    fn interval_ms(self) -> i64 {
        60_000 / i64::from(self.per_minute.max(1))
    }
}

/// The generic cell rate algorithm for one key: `tat` is the theoretical arrival time of
/// the next request, in ms since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gcra {
    pub tat_ms: i64,
}

impl Gcra {
    /// Admits a request at `now_ms` under `rate`: the new state, or how many ms to wait
    /// before one would be admitted (the state is then unchanged).
    pub fn admit(self, rate: Rate, now_ms: i64) -> Result<Gcra, i64> {
        if rate.per_minute == 0 {
            return Ok(self);
        }
        let interval = rate.interval_ms();
        let burst = interval.saturating_mul(i64::from(rate.per_minute));
        let tat = self.tat_ms.max(now_ms);
        let allowed_from = tat.saturating_add(interval).saturating_sub(burst);
        if allowed_from > now_ms {
            return Err(allowed_from - now_ms);
        }
        Ok(Gcra {
            tat_ms: tat.saturating_add(interval),
        })
    }
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Client { retry_after_ms: i64 },
    User { retry_after_ms: i64 },
}

impl Limited {
    pub fn retry_after_ms(self) -> i64 {
        match self {
            Limited::Client { retry_after_ms } | Limited::User { retry_after_ms } => retry_after_ms,
        }
    }

    /// A sentence for the answer (names which limit, never the key).
    pub fn message(self) -> String {
        let (what, ms) = match self {
            Limited::Client { retry_after_ms } => ("from this client address", retry_after_ms),
            Limited::User { retry_after_ms } => ("for this user", retry_after_ms),
        };
        format!(
            "too many requests {what}; retry after {} s",
            (ms + 999) / 1000
        )
    }
}

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_client: Rate,
    pub per_user: Rate,
}

impl Limits {
    pub const OFF: Limits = Limits {
        per_client: Rate::OFF,
        per_user: Rate::OFF,
    };
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    User(String),
}

/// The per-key states behind a lock, and the trusted proxies whose `client` parameter
/// names the real client.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    trusted_proxies: Vec<IpAddr>,
    cells: Mutex<Cells>,
}

/// The states, and the size at which stale ones are next swept (doubling, so that a sweep
/// costs O(1) a request on average).
#[derive(Debug, Default)]
struct Cells {
    map: HashMap<Key, Gcra>,
    sweep_at: usize,
}

impl Limiter {
    pub fn new(limits: Limits, trusted_proxies: Vec<IpAddr>) -> Self {
        Limiter {
            limits,
            trusted_proxies,
            cells: Mutex::default(),
        }
    }

    pub fn off() -> Self {
        Limiter::new(Limits::OFF, Vec::new())
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The address to count a request against: the peer, or — when the peer is a trusted
    /// proxy (a RADIUS server, an SSO server) that names its client — that client.
    pub fn client_address(&self, peer: Option<IpAddr>, named: Option<&str>) -> Option<IpAddr> {
        match (
            peer,
            named.and_then(|text| text.trim().parse::<IpAddr>().ok()),
        ) {
            (Some(peer), Some(named)) if self.trusted_proxies.contains(&peer) => Some(named),
            (peer, _) => peer,
        }
    }

    /// Admits one validation from `client` for `user` at `now_ms`, or says which limit
    /// refused it. A refused request takes nothing from either allowance.
    pub fn admit(&self, client: Option<IpAddr>, user: &str, now_ms: i64) -> Result<(), Limited> {
        if self.limits == Limits::OFF {
            return Ok(());
        }
        let mut guard = self
            .cells
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Cells {
            map: cells,
            sweep_at,
        } = &mut *guard;
        if cells.len() >= (*sweep_at).max(SWEEP_AT) {
            cells.retain(|_, cell| cell.tat_ms > now_ms);
            if cells.len() >= MAX_KEYS {
                tracing::warn!(
                    keys = cells.len(),
                    "request limits: too many keys, starting over"
                );
                cells.clear();
            }
            *sweep_at = cells.len().saturating_mul(2);
        }
        let client_key = client.map(Key::Client);
        let client_cell = match &client_key {
            Some(key) => Some(
                cells
                    .get(key)
                    .copied()
                    .unwrap_or_default()
                    .admit(self.limits.per_client, now_ms)
                    .map_err(|retry_after_ms| Limited::Client { retry_after_ms })?,
            ),
            None => None,
        };
        // The service refuses longer user ids anyway; a key never holds more than this.
        let user_key = Key::User(user.chars().take(MAX_USER_KEY).collect());
        let user_cell = cells
            .get(&user_key)
            .copied()
            .unwrap_or_default()
            .admit(self.limits.per_user, now_ms)
            .map_err(|retry_after_ms| Limited::User { retry_after_ms })?;
        if let (Some(key), Some(cell)) = (client_key, client_cell) {
            if self.limits.per_client.per_minute > 0 {
                cells.insert(key, cell);
            }
        }
        if self.limits.per_user.per_minute > 0 {
            cells.insert(user_key, user_cell);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_burst_of_the_limit_then_one_per_interval() {
        let rate = Rate { per_minute: 6 }; // one every 10 s
        let mut cell = Gcra::default();
        let now = 1_000_000;
        for _ in 0..6 {
            cell = cell.admit(rate, now).unwrap();
        }
        assert_eq!(cell.admit(rate, now), Err(10_000));
        assert_eq!(cell.admit(rate, now + 9_999), Err(1));
        let cell = cell.admit(rate, now + 10_000).unwrap();
        assert_eq!(cell.admit(rate, now + 10_000), Err(10_000));
    }

    #[test]
    fn off_admits_everything() {
        let cell = Gcra::default();
        for _ in 0..1000 {
            assert_eq!(cell.admit(Rate::OFF, 5), Ok(cell));
        }
    }

    #[test]
    fn per_user_limit_does_not_lock_out_other_users() {
        let limiter = Limiter::new(
            Limits {
                per_client: Rate::OFF,
                per_user: Rate { per_minute: 2 },
            },
            vec![],
        );
        let client = Some(ip("192.0.2.1"));
        assert!(limiter.admit(client, "alice", 0).is_ok());
        assert!(limiter.admit(client, "alice", 0).is_ok());
        assert_eq!(
            limiter.admit(client, "alice", 0),
            Err(Limited::User {
                retry_after_ms: 30_000
            })
        );
        assert!(limiter.admit(client, "bob", 0).is_ok());
        assert!(limiter.admit(client, "alice", 30_000).is_ok());
    }

    #[test]
    fn per_client_limit_slows_guessing_across_users() {
        let limiter = Limiter::new(
            Limits {
                per_client: Rate { per_minute: 3 },
                per_user: Rate { per_minute: 100 },
            },
            vec![],
        );
        let guesser = Some(ip("198.51.100.7"));
        for user in ["a", "b", "c"] {
            assert!(limiter.admit(guesser, user, 0).is_ok());
        }
        let refused = limiter.admit(guesser, "d", 0).unwrap_err();
        assert!(matches!(
            refused,
            Limited::Client {
                retry_after_ms: 20_000
            }
        ));
        // Someone else, and the user "d" from elsewhere, are not held up; a refused
        // request took nothing from "d"'s allowance.
        assert!(limiter.admit(Some(ip("203.0.113.9")), "d", 0).is_ok());
        assert!(
            refused.message().contains("retry after 20 s"),
            "{}",
            refused.message()
        );
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let limiter = Limiter::new(Limits::OFF, vec![ip("127.0.0.1")]);
        assert_eq!(
            limiter.client_address(Some(ip("127.0.0.1")), Some("10.1.2.3")),
            Some(ip("10.1.2.3"))
        );
        assert_eq!(
            limiter.client_address(Some(ip("192.0.2.5")), Some("10.1.2.3")),
            Some(ip("192.0.2.5"))
        );
        assert_eq!(
            limiter.client_address(Some(ip("127.0.0.1")), Some("not an address")),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(limiter.client_address(None, Some("10.1.2.3")), None);
    }

    proptest! {
        /// Over any window of a minute no more than twice the limit are admitted (burst
        /// plus steady rate), and a request refused always gets a positive wait.
        #[test]
        fn never_more_than_the_rate_allows(
            per_minute in 1u32..200,
            gaps in proptest::collection::vec(0i64..5_000, 1..400),
        ) {
            let rate = Rate { per_minute };
            let mut cell = Gcra::default();
            let mut now = 0i64;
            let mut admitted = Vec::new();
            for gap in gaps {
                now += gap;
                match cell.admit(rate, now) {
                    Ok(next) => { cell = next; admitted.push(now); }
                    Err(wait) => {
                        prop_assert!(wait > 0);
                        prop_assert!(cell.admit(rate, now + wait).is_ok());
                    }
                }
            }
            for (i, start) in admitted.iter().enumerate() {
                let in_window = admitted[i..].iter().take_while(|t| **t < start + 60_000).count();
                prop_assert!(in_window <= 2 * per_minute as usize + 1, "{in_window} in a minute");
            }
        }
    }
}
