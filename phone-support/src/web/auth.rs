//! Agents' accounts: names, argon2 password hashes, rights, and the lockout after repeated
//! wrong passwords. The rules ([`Lockout`], [`Right`]) are pure; [`AccountFile`] keeps the
//! accounts as one JSON file in the console's data directory, replaced atomically.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use serde::{Deserialize, Serialize};

/// Wrong passwords in a row that lock an account.
pub const MAX_FAILURES: u32 = 5;
/// How long a lock lasts (an admin can lift it sooner with `agents unlock`).
pub const LOCK_SECS: i64 = 15 * 60;
/// The shortest password `agents add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// What an agent may do beyond reading calls and flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Right {
    /// Look a device up (by serial or person).
    Lookup,
    /// Lift a device's block.
    Unlock,
    /// Issue a new activation code (paper or SMS).
    Activation,
}

impl Right {
    pub const ALL: [Right; 3] = [Right::Lookup, Right::Unlock, Right::Activation];

    pub fn name(self) -> &'static str {
        match self {
            Right::Lookup => "lookup",
            Right::Unlock => "unlock",
            Right::Activation => "activation",
        }
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Right {
    type Err = AccountError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Right::ALL
            .into_iter()
            .find(|right| right.name() == text.trim())
            .ok_or_else(|| AccountError::UnknownRight(text.to_owned()))
    }
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("unknown right {0:?}; rights are lookup, unlock, activation")]
    UnknownRight(String),
    #[error("agent name {0:?} must be 1–64 letters, digits or .-_@")]
    BadName(String),
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    #[error("there is already an agent {0:?}")]
    Exists(String),
    #[error("there is no agent {0:?}")]
    NoSuchAgent(String),
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

/// Checks an agent's name: it becomes part of the service's audit actor (`admin:NAME`),
/// so it follows the service's rule for that header.
pub fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadName(name.to_owned()))
    }
}

/// One agent as stored. `Debug` leaves the hash out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The argon2id hash in PHC form.
    pub hash: String,
    pub rights: Vec<Right>,
    #[serde(default)]
    pub lockout: Lockout,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("rights", &self.rights)
            .field("lockout", &self.lockout)
            .finish_non_exhaustive()
    }
}

impl Account {
    pub fn has(&self, right: Right) -> bool {
        self.rights.contains(&right)
    }
}

/// Wrong passwords in a row and the lock they led to (pure rule; time in Unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    pub failures: u32,
    /// Locked until this Unix time (seconds), when set.
    pub locked_until: Option<i64>,
}

impl Lockout {
    /// Whether sign-in is refused at `now` whatever the password.
    pub fn locked_at(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// After a wrong password at `now`: the count goes up, and the account locks for
    /// [`LOCK_SECS`] at the [`MAX_FAILURES`]th. A lock that has run out starts a new count.
    pub fn after_failure(self, now: i64) -> Lockout {
        let failures = if self.locked_until.is_some_and(|until| now >= until) {
            1
        } else {
            self.failures + 1
        };
        Lockout {
            failures,
            locked_until: if failures >= MAX_FAILURES {
                Some(now + LOCK_SECS)
            } else {
                None
            },
        }
    }

    /// After the right password: everything forgotten.
    pub fn after_success(self) -> Lockout {
        Lockout::default()
    }
}

/// The answer to a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Accepted {
        rights: Vec<Right>,
    },
    /// Wrong name or password (the same answer for both).
    Refused,
    /// Locked (now or by this very attempt) until this Unix time.
    Locked {
        until: i64,
    },
}

/// Hashes a password with argon2id and a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::ShortPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// All accounts, kept in one JSON file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Accounts {
    pub agents: BTreeMap<String, Account>,
}

impl Accounts {
    /// Adds an agent; the password is hashed here and never stored.
    pub fn add(
        &mut self,
        name: &str,
        password: &str,
        rights: &[Right],
    ) -> Result<(), AccountError> {
        check_name(name)?;
        if self.agents.contains_key(name) {
            return Err(AccountError::Exists(name.to_owned()));
        }
        let mut rights = rights.to_vec();
        rights.sort();
        rights.dedup();
        self.agents.insert(
            name.to_owned(),
            Account {
                hash: hash_password(password)?,
                rights,
                lockout: Lockout::default(),
            },
        );
        Ok(())
    }

    /// Checks a sign-in at `now` and updates the account's lockout. An unknown name
    /// costs the same hashing work as a known one.
    pub fn sign_in(&mut self, name: &str, password: &str, now: i64) -> SignIn {
        let Some(account) = self.agents.get_mut(name) else {
            verify_password(DUMMY_HASH, password);
            return SignIn::Refused;
        };
        if account.lockout.locked_at(now) {
            return SignIn::Locked {
                until: account.lockout.locked_until.unwrap_or(now),
            };
        }
        if verify_password(&account.hash, password) {
            account.lockout = account.lockout.after_success();
            SignIn::Accepted {
                rights: account.rights.clone(),
            }
        } else {
            account.lockout = account.lockout.after_failure(now);
            match account.lockout.locked_until {
                Some(until) => SignIn::Locked { until },
                None => SignIn::Refused,
            }
        }
    }
}

/// A valid argon2id hash of a password nobody has, verified against for unknown names.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1bVdQ3hrr6dB3Jw1jdRvXlUq1ijgsUlPq3TZeLzz2S0";

/// The accounts file (`agents.json` in the data directory).
#[derive(Debug, Clone)]
pub struct AccountFile {
    path: PathBuf,
}

impl AccountFile {
    pub fn new(data_dir: &Path) -> AccountFile {
        AccountFile {
            path: data_dir.join("agents.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The accounts; none when the file does not exist yet.
    pub fn load(&self) -> Result<Accounts, AccountError> {
        let error = |message: String| AccountError::File {
            path: self.path.clone(),
            message,
        };
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| error(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Accounts::default()),
            Err(e) => Err(error(e.to_string())),
        }
    }

    /// Writes the accounts to a temporary file (mode 0600) and renames it over the old one.
    pub fn save(&self, accounts: &Accounts) -> Result<(), AccountError> {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let error = |message: String| AccountError::File {
            path: self.path.clone(),
            message,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| error(e.to_string()))?;
        }
        let text = serde_json::to_string_pretty(accounts).map_err(|e| error(e.to_string()))?;
        let temporary = self.path.with_extension("json.new");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(|e| error(e.to_string()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| error(e.to_string()))?;
        std::fs::rename(&temporary, &self.path).map_err(|e| error(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_wrong_password_locks_for_a_while_and_then_counting_restarts() {
        let mut lockout = Lockout::default();
        for n in 1..MAX_FAILURES {
            lockout = lockout.after_failure(1000);
            assert_eq!((lockout.failures, lockout.locked_until), (n, None));
            assert!(!lockout.locked_at(1000));
        }
        lockout = lockout.after_failure(1000);
        assert_eq!(lockout.locked_until, Some(1000 + LOCK_SECS));
        assert!(lockout.locked_at(1000 + LOCK_SECS - 1));
        assert!(!lockout.locked_at(1000 + LOCK_SECS));
        let after = lockout.after_failure(1000 + LOCK_SECS);
        assert_eq!((after.failures, after.locked_until), (1, None));
        assert_eq!(lockout.after_success(), Lockout::default());
    }

    #[test]
    fn sign_in_checks_the_hash_counts_failures_and_refuses_while_locked() {
        let mut accounts = Accounts::default();
        accounts
            .add(
                "alice",
                "correct horse battery",
                &[Right::Unlock, Right::Lookup],
            )
            .unwrap();
        assert_eq!(
            accounts.agents["alice"].rights,
            [Right::Lookup, Right::Unlock]
        );
        assert!(accounts.agents["alice"].hash.starts_with("$argon2id$"));
        assert!(!format!("{:?}", accounts.agents["alice"]).contains("argon2"));
        assert!(matches!(
            accounts.sign_in("alice", "correct horse battery", 0),
            SignIn::Accepted { .. }
        ));
        assert_eq!(accounts.sign_in("mallory", "whatever", 0), SignIn::Refused);
        for _ in 1..MAX_FAILURES {
            assert_eq!(accounts.sign_in("alice", "wrong", 10), SignIn::Refused);
        }
        assert_eq!(
            accounts.sign_in("alice", "wrong", 10),
            SignIn::Locked {
                until: 10 + LOCK_SECS
            }
        );
        // Even the right password is refused while locked.
        assert!(matches!(
            accounts.sign_in("alice", "correct horse battery", 20),
            SignIn::Locked { .. }
        ));
        assert!(matches!(
            accounts.sign_in("alice", "correct horse battery", 10 + LOCK_SECS),
            SignIn::Accepted { .. }
        ));
        assert_eq!(accounts.agents["alice"].lockout, Lockout::default());
    }

    #[test]
    fn names_rights_and_passwords_are_checked() {
        let mut accounts = Accounts::default();
        assert!(matches!(
            accounts.add("a b", "long enough password", &[]),
            Err(AccountError::BadName(_))
        ));
        assert!(matches!(
            accounts.add("bob", "short", &[]),
            Err(AccountError::ShortPassword)
        ));
        accounts.add("bob", "long enough password", &[]).unwrap();
        assert!(matches!(
            accounts.add("bob", "long enough password", &[]),
            Err(AccountError::Exists(_))
        ));
        assert_eq!("unlock".parse::<Right>().unwrap(), Right::Unlock);
        assert!("root".parse::<Right>().is_err());
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn accounts_survive_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountFile::new(dir.path());
        assert!(file.load().unwrap().agents.is_empty());
        let mut accounts = Accounts::default();
        accounts
            .add("carol", "long enough password", &[Right::Lookup])
            .unwrap();
        file.save(&accounts).unwrap();
        let loaded = file.load().unwrap();
        assert_eq!(loaded.agents, accounts.agents);
        std::fs::write(file.path(), "{").unwrap();
        let error = file.load().unwrap_err().to_string();
        assert!(error.contains("agents.json"), "{error}");
    }
}
