//! The service's operations — import, issue activation codes, activate, validate, show a
//! device, unlock — joining the pure rules ([`crate::policy`]) to the store, the at-rest
//! key and the clock. The HTTP layer and the CLI both call these; so can a simulator that
//! embeds the service in-process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use otp::{Digits, Hotp, OtpKind, Totp};
use rand::RngCore;
use subtle::ConstantTimeEq;

mod two_codes;
pub use two_codes::{check_two_codes, TWO_CODES_TOTP_WINDOW};

use crate::clock::Clock;
use crate::crypto::{self, CryptoError, SecretBox};
use crate::events::{Event, Events};
use crate::import::{self, ImportError};
use crate::policy::{self, ActivationRefusal, Channel, Generator, Refusal};
use crate::store::{ActivationCode, AuditEntry, Device, DeviceState, NewDevice, Store, StoreError};

/// How often a request re-reads a device that another request changed under it.
const MAX_RETRIES: usize = 200;
/// Longest accepted user id.
const MAX_USER_LEN: usize = 128;

/// Why an operation did not happen. Each has a stable `reason` code for clients.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("code: {0}")]
    MalformedCode(#[from] otp::CodeError),
    #[error("no active code reader for this user")]
    UnknownUser,
    #[error("no device with serial {0}")]
    UnknownSerial(String),
    #[error("import refused, nothing was imported: {0}")]
    Import(#[from] ImportError),
    #[error("import refused, nothing was imported: serial {0} already exists")]
    DuplicateSerial(String),
    #[error("device {0} is active for another person")]
    DeviceInUse(String),
    #[error("no activation code was issued for this serial and user")]
    NoActivationCode,
    #[error("the activation code has expired; ask for a new one")]
    ActivationCodeExpired,
    #[error(
        "the activation code is blocked after {} wrong entries; ask for a new one",
        policy::MAX_ACTIVATION_ATTEMPTS
    )]
    ActivationCodeBlocked,
    #[error("wrong activation code ({attempts_left} attempts left)")]
    WrongActivationCode { attempts_left: u32 },
    #[error("the code from the device is not right")]
    WrongCode,
    #[error("that code has already been used")]
    Replayed,
    #[error("the device is temporarily blocked after repeated wrong codes")]
    Blocked { until_ms: i64, remaining_ms: i64 },
    #[error("the device is busy; try again")]
    Contention,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl ServiceError {
    /// The machine-readable reason sent to clients.
    pub fn reason(&self) -> &'static str {
        match self {
            ServiceError::Invalid { .. } => "invalid_request",
            ServiceError::MalformedCode(_) => "malformed_code",
            ServiceError::UnknownUser => "unknown_user",
            ServiceError::UnknownSerial(_) => "unknown_serial",
            ServiceError::Import(_) => "bad_import",
            ServiceError::DuplicateSerial(_) => "duplicate_serial",
            ServiceError::DeviceInUse(_) => "device_in_use",
            ServiceError::NoActivationCode => "no_activation_code",
            ServiceError::ActivationCodeExpired => "activation_code_expired",
            ServiceError::ActivationCodeBlocked => "activation_code_blocked",
            ServiceError::WrongActivationCode { .. } => "wrong_activation_code",
            ServiceError::WrongCode => "wrong_code",
            ServiceError::Replayed => "replayed",
            ServiceError::Blocked { .. } => "blocked",
            ServiceError::Contention => "busy",
            ServiceError::Store(_) | ServiceError::Crypto(_) => "internal",
        }
    }
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::WrongCode => ServiceError::WrongCode,
            Refusal::Replayed => ServiceError::Replayed,
            Refusal::Blocked {
                until_ms,
                remaining_ms,
            } => ServiceError::Blocked {
                until_ms,
                remaining_ms,
            },
        }
    }
}

/// What an accepted code was checked against (for answers that name the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub serial: String,
    /// "totp" or "hotp".
    pub kind: &'static str,
}

/// A freshly issued activation code: shown once, stored only as a hash.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub activation_code: String,
    pub expires_at_ms: i64,
}

/// What support sees of a device: state and counters, never a secret or a code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub serial: String,
    /// "totp" or "hotp".
    pub kind: String,
    /// "inactive", "active" or "deactivated".
    pub state: String,
    /// The opaque id of the person it is (or was) bound to.
    pub user: Option<String>,
    pub imported_at: String,
    pub activated_at: Option<String>,
    pub last_used_at: Option<String>,
    /// Consecutive wrong codes since the last success or block.
    pub failures: u32,
    /// Set while the device is blocked.
    pub blocked_until: Option<String>,
    /// Blocks since the last success (each doubles the next block).
    pub blocks: u32,
    /// TOTP: the device clock's offset from ours, in time steps.
    pub drift_steps: i64,
    pub activation_code: Option<ActivationCodeView>,
}

/// The outstanding activation code of a device (its existence, not its value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ActivationCodeView {
    pub user: String,
    pub channel: String,
    pub expires_at: String,
    pub attempts_left: u32,
}

/// Counts for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub accepted: AtomicU64,
    pub wrong_code: AtomicU64,
    pub replayed: AtomicU64,
    pub blocked: AtomicU64,
    pub unknown_user: AtomicU64,
    pub malformed: AtomicU64,
    /// Refused by a request limit before reaching a device.
    pub rate_limited: AtomicU64,
    pub activations: AtomicU64,
    pub imported_devices: AtomicU64,
    pub retries: AtomicU64,
}

impl Metrics {
    fn count<T>(&self, result: &Result<T, ServiceError>) {
        let counter = match result {
            Ok(_) => &self.accepted,
            Err(ServiceError::WrongCode) => &self.wrong_code,
            Err(ServiceError::Replayed) => &self.replayed,
            Err(ServiceError::Blocked { .. }) => &self.blocked,
            Err(ServiceError::UnknownUser) => &self.unknown_user,
            Err(ServiceError::MalformedCode(_)) | Err(ServiceError::Invalid { .. }) => {
                &self.malformed
            }
            Err(_) => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The last known state of each person's active device, kept by this process to skip a
/// read on the hot path. Only a hint: every decision taken from it is either a
/// conditional write (which fails if the device changed anywhere, and then the device is
/// re-read) or is confirmed against the database before it is answered.
#[derive(Default)]
struct DeviceCache {
    by_user: std::sync::Mutex<HashMap<String, Arc<CachedDevice>>>,
}

struct CachedDevice {
    serial: String,
    version: i64,
    counters: policy::Counters,
    generator: Generator,
}

/// Entries kept before the cache starts over.
const CACHE_LIMIT: usize = 200_000;

impl DeviceCache {
    fn get(&self, user: &str) -> Option<Arc<CachedDevice>> {
        self.lock().get(user).cloned()
    }

    fn put(&self, user: &str, device: CachedDevice) {
        self.put_shared(user, Arc::new(device));
    }

    fn put_shared(&self, user: &str, device: Arc<CachedDevice>) {
        let mut map = self.lock();
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(user.to_owned(), device);
    }

    fn forget(&self, user: &str) {
        self.lock().remove(user);
    }

    fn clear(&self) {
        self.lock().clear();
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<CachedDevice>>> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.by_user
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The service: a store, the at-rest key and a clock. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    store: Store,
    sealer: Arc<SecretBox>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    cache: Arc<DeviceCache>,
    events: Events,
}

fn audit_entry(now_ms: i64, actor: &str, action: &str, subject: &str, result: &str) -> AuditEntry {
    AuditEntry {
        at_ms: now_ms,
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        result: result.to_owned(),
    }
}

/// The event a stored wrong code makes: a new block, or the last wrong code before one.
fn failure_event(user: &str, device: &CachedDevice, after: &policy::Counters) -> Option<Event> {
    let before = &device.counters;
    if after.blocked_until_ms > before.blocked_until_ms && after.blocks > before.blocks {
        return Some(Event::Blocked {
            serial: device.serial.clone(),
            user: user.to_owned(),
            blocked_until: crate::clock::rfc3339(after.blocked_until_ms),
            blocks: after.blocks,
        });
    }
    (after.failures > before.failures && after.failures + 1 == policy::MAX_FAILURES).then(|| {
        Event::RepeatedFailures {
            serial: device.serial.clone(),
            user: user.to_owned(),
            failures: after.failures,
        }
    })
}

fn result_name<T>(result: &Result<T, ServiceError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.reason(),
    }
}

fn check_user(user: &str) -> Result<(), ServiceError> {
    if user.is_empty() || user.len() > MAX_USER_LEN || user.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field: "user",
            message: format!("must be 1 to {MAX_USER_LEN} characters without control characters"),
        });
    }
    Ok(())
}

/// The serial in canonical form, or why it is not one.
fn check_serial(serial: &str) -> Result<String, ServiceError> {
    import::check_serial(serial).map_err(|message| ServiceError::Invalid {
        field: "serial",
        message,
    })
}

/// Checks a typed code's shape before any lookup: 6 to 10 ASCII digits.
pub(crate) fn check_code_shape(code: &str) -> Result<(), ServiceError> {
    if let Some(index) = code.chars().position(|c| !c.is_ascii_digit()) {
        return Err(otp::CodeError::NotDigit {
            position: index + 1,
        }
        .into());
    }
    if !(6..=10).contains(&code.len()) {
        return Err(otp::CodeError::WrongLength {
            found: code.len(),
            expected: 6,
        }
        .into());
    }
    Ok(())
}

impl Service {
    /// Opens the store at `url` (see [`Store::open`]).
    pub async fn open(
        url: &str,
        sealer: SecretBox,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ServiceError> {
        let service = Service {
            store: Store::open(url).await?,
            sealer: Arc::new(sealer),
            clock,
            metrics: Arc::default(),
            cache: Arc::default(),
            events: Events::none(),
        };
        service.canonicalize_serials().await?;
        Ok(service)
    }

    /// Devices imported before serials were kept in canonical form ("KR-0001") get their
    /// canonical serial ("KR0001"), with the secret re-sealed under it (the serial is the
    /// seal's associated data), so every lookup finds them through [`otp::Serial`]. A
    /// serial that cannot be made canonical, or whose canonical form is taken, is left as
    /// it is and named in the log.
    async fn canonicalize_serials(&self) -> Result<(), ServiceError> {
        for (serial, sealed) in self.store.non_canonical_serials().await? {
            let canonical = match import::check_serial(&serial) {
                Ok(canonical) if canonical != serial => canonical,
                Ok(_) => continue,
                Err(problem) => {
                    tracing::warn!("device {serial:?} keeps its serial: {problem}");
                    continue;
                }
            };
            let secret = self.sealer.open(&serial, &sealed)?;
            let resealed = self.sealer.seal(&canonical, &secret);
            match self
                .store
                .rename_device(&serial, &canonical, &resealed)
                .await
            {
                Ok(()) => tracing::info!("device {serial:?} is now {canonical}"),
                Err(error) => {
                    tracing::warn!("device {serial:?} keeps its serial ({canonical}: {error})")
                }
            }
        }
        Ok(())
    }

    /// Sends events (activated, blocked, …) to `events` as well as to the audit log.
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    /// Records `event` in the audit log (unless its action already was) and hands it to
    /// the webhook, which never makes the caller wait.
    async fn event(&self, event: Event, now: i64) -> Result<(), ServiceError> {
        if let Some((subject, result)) = event.audit_line() {
            let action = format!("event:{}", event.name());
            self.store
                .audit(&audit_entry(now, "service", &action, &subject, &result))
                .await?;
        }
        self.events.emit(event, now);
        Ok(())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// How many people's active devices this process holds in its cache.
    pub fn cached_devices(&self) -> usize {
        self.cache.len()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    fn generator(&self, device: &Device) -> Result<Generator, ServiceError> {
        let secret = self.sealer.open(&device.serial, &device.sealed_secret)?;
        let corrupt = |problem: String| {
            ServiceError::Store(StoreError::Corrupt {
                serial: device.serial.clone(),
                problem,
            })
        };
        let digits = Digits::new(device.digits).map_err(|e| corrupt(e.to_string()))?;
        match device.kind.as_str() {
            "hotp" => Ok(Generator::Hotp(Hotp::new(
                &secret,
                device.algorithm,
                digits,
            ))),
            "totp" => Totp::new(&secret, device.algorithm, digits, device.period, 0)
                .map(Generator::Totp)
                .map_err(|e| corrupt(e.to_string())),
            other => Err(corrupt(format!("unknown kind {other:?}"))),
        }
    }

    /// Imports a PSKC container or `SERIAL otpauth://…` lines, all or nothing. Returns the
    /// number of devices imported. An existing serial refuses the whole file.
    pub async fn import(
        &self,
        text: &str,
        pre_shared_key: Option<&[u8]>,
        actor: &str,
    ) -> Result<usize, ServiceError> {
        let now = self.now_ms();
        let result = self.import_inner(text, pre_shared_key, actor, now).await;
        if let Err(error) = &result {
            self.store
                .audit(&audit_entry(now, actor, "import", "-", error.reason()))
                .await?;
        }
        result
    }

    async fn import_inner(
        &self,
        text: &str,
        pre_shared_key: Option<&[u8]>,
        actor: &str,
        now: i64,
    ) -> Result<usize, ServiceError> {
        let devices = import::parse(text, pre_shared_key)?;
        let serials: Vec<String> = devices.iter().map(|d| d.serial.clone()).collect();
        if let Some(existing) = self
            .store
            .existing_serials(&serials)
            .await?
            .into_iter()
            .next()
        {
            return Err(ServiceError::DuplicateSerial(existing));
        }
        let rows: Vec<NewDevice> = devices
            .iter()
            .map(|device| {
                let (kind, period, counter) = match device.kind {
                    OtpKind::Hotp { counter } => ("hotp", 0, counter),
                    OtpKind::Totp { period } => ("totp", period, 0),
                };
                NewDevice {
                    serial: device.serial.clone(),
                    kind,
                    algorithm: device.algorithm,
                    digits: device.digits.get(),
                    period,
                    sealed_secret: self.sealer.seal(&device.serial, &device.secret),
                    counter,
                }
            })
            .collect();
        let subject = format!("{} devices: {}", rows.len(), serials.join(" "));
        let subject: String = subject.chars().take(1000).collect();
        let audit = audit_entry(now, actor, "import", &subject, "ok");
        if !self.store.insert_devices(&rows, &audit).await? {
            // Another import took a serial between the check and the insert.
            let existing = self.store.existing_serials(&serials).await?;
            return Err(ServiceError::DuplicateSerial(
                existing.into_iter().next().unwrap_or_default(),
            ));
        }
        self.metrics
            .imported_devices
            .fetch_add(rows.len() as u64, Ordering::Relaxed);
        self.event(
            Event::ImportDone {
                devices: rows.len(),
                actor: actor.to_owned(),
            },
            now,
        )
        .await?;
        Ok(rows.len())
    }

    /// Issues an activation code binding `serial` to `user`, valid 48 h (paper) or
    /// 30 min (SMS). A new code replaces any earlier one for the serial.
    pub async fn issue_activation_code(
        &self,
        serial: &str,
        user: &str,
        channel: Channel,
        actor: &str,
    ) -> Result<IssuedCode, ServiceError> {
        let now = self.now_ms();
        let result = self.issue_inner(serial, user, channel, actor, now).await;
        if let Err(error) = &result {
            let subject = format!("{serial} for {user}");
            self.store
                .audit(&audit_entry(
                    now,
                    actor,
                    "issue_activation_code",
                    &subject,
                    error.reason(),
                ))
                .await?;
        }
        result
    }

    async fn issue_inner(
        &self,
        serial: &str,
        user: &str,
        channel: Channel,
        actor: &str,
        now: i64,
    ) -> Result<IssuedCode, ServiceError> {
        let serial = &check_serial(serial)?;
        check_user(user)?;
        let device = self
            .store
            .device(serial)
            .await?
            .ok_or_else(|| ServiceError::UnknownSerial(serial.to_owned()))?;
        if device.state == DeviceState::Active && device.user.as_deref() != Some(user) {
            return Err(ServiceError::DeviceInUse(serial.to_owned()));
        }
        let mut random = [0u8; 10];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let code = policy::activation_code(random);
        let expires_at_ms = now + channel.validity_ms();
        let stored = ActivationCode {
            serial: serial.to_owned(),
            user: user.to_owned(),
            code_hash: crypto::hash(&policy::normalize_activation_code(&code)).to_vec(),
            channel,
            expires_at_ms,
            attempts: 0,
        };
        let subject = format!("{serial} for {user} by {}", channel.name());
        let audit = audit_entry(now, actor, "issue_activation_code", &subject, "ok");
        self.store.put_activation_code(&stored, &audit).await?;
        Ok(IssuedCode {
            activation_code: code,
            expires_at_ms,
        })
    }

    /// Activates `serial` for `user` with the issued activation code and a current code
    /// from the device. The person's earlier device, if any, is deactivated.
    pub async fn activate(
        &self,
        serial: &str,
        user: &str,
        activation_code: &str,
        code: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now_ms();
        let result = self
            .activate_inner(serial, user, activation_code, code, now)
            .await;
        if result.is_ok() {
            // Which device is whose has changed. (A refused activation changes no
            // binding, so the cache of every other person stays.)
            self.cache.clear();
        }
        if let Err(error) = &result {
            self.store
                .audit(&audit_entry(now, user, "activate", serial, error.reason()))
                .await?;
        } else {
            self.metrics.activations.fetch_add(1, Ordering::Relaxed);
            self.event(
                Event::Activated {
                    serial: serial.to_owned(),
                    user: user.to_owned(),
                },
                now,
            )
            .await?;
        }
        result
    }

    async fn activate_inner(
        &self,
        serial: &str,
        user: &str,
        typed_activation_code: &str,
        code: &str,
        now: i64,
    ) -> Result<(), ServiceError> {
        let serial = &check_serial(serial)?;
        check_user(user)?;
        check_code_shape(code)?;
        for _ in 0..MAX_RETRIES {
            let stored = match self.store.activation_code(serial).await? {
                Some(stored) if stored.user == user => stored,
                _ => return Err(ServiceError::NoActivationCode),
            };
            let typed = crypto::hash(&policy::normalize_activation_code(typed_activation_code));
            let matches = bool::from(typed.as_slice().ct_eq(&stored.code_hash));
            match policy::check_activation(stored.expires_at_ms, stored.attempts, matches, now) {
                Ok(()) => {}
                Err(ActivationRefusal::Expired) => return Err(ServiceError::ActivationCodeExpired),
                Err(ActivationRefusal::Blocked) => return Err(ServiceError::ActivationCodeBlocked),
                Err(ActivationRefusal::Wrong { attempts }) => {
                    let audit = audit_entry(now, user, "activate", serial, "wrong_activation_code");
                    if self
                        .store
                        .count_activation_attempt(serial, stored.attempts, &audit)
                        .await?
                    {
                        return Err(if attempts >= policy::MAX_ACTIVATION_ATTEMPTS {
                            ServiceError::ActivationCodeBlocked
                        } else {
                            ServiceError::WrongActivationCode {
                                attempts_left: policy::MAX_ACTIVATION_ATTEMPTS - attempts,
                            }
                        });
                    }
                    self.metrics.retries.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            let device = self
                .store
                .device(serial)
                .await?
                .ok_or_else(|| ServiceError::UnknownSerial(serial.to_owned()))?;
            if device.state == DeviceState::Active && device.user.as_deref() != Some(user) {
                return Err(ServiceError::DeviceInUse(serial.to_owned()));
            }
            let checked = policy::check(&self.generator(&device)?, &device.counters, code, now)?;
            let stored_ok = match checked.verdict {
                Ok(()) => {
                    let audit = audit_entry(now, user, "activate", serial, "ok");
                    self.store
                        .activate(serial, user, device.version, &checked.counters, &audit)
                        .await?
                }
                Err(refusal) => {
                    if checked.counters == device.counters {
                        return Err(refusal.into());
                    }
                    let audit = audit_entry(
                        now,
                        user,
                        "activate",
                        serial,
                        ServiceError::from(refusal).reason(),
                    );
                    if self
                        .store
                        .update_counters(serial, device.version, &checked.counters, &audit)
                        .await?
                    {
                        return Err(refusal.into());
                    }
                    false
                }
            };
            if stored_ok {
                return Ok(());
            }
            self.metrics.retries.fetch_add(1, Ordering::Relaxed);
        }
        Err(ServiceError::Contention)
    }

    /// Checks a code typed by `user`. `Ok(())` means accepted — and already durable: the
    /// same code will not be accepted again, by this process or any other replica.
    pub async fn validate(&self, user: &str, code: &str) -> Result<(), ServiceError> {
        self.check(user, code).await.map(|_| ())
    }

    /// [`Service::validate`], saying which device the code was accepted for. Every
    /// validation — `/v1/validate`, `/validate/check`, RADIUS — comes through here.
    pub async fn check(&self, user: &str, code: &str) -> Result<Validated, ServiceError> {
        let now = self.now_ms();
        let result = self.validate_inner(user, code, now).await;
        self.metrics.count(&result);
        result
    }

    /// The serial of `user`'s active device, if there is one (no audit, no change).
    pub async fn active_serial(&self, user: &str) -> Result<Option<String>, ServiceError> {
        if let Some(cached) = self.cache.get(user) {
            return Ok(Some(cached.serial.clone()));
        }
        Ok(self.store.active_device(user).await?.map(|d| d.serial))
    }

    async fn validate_inner(
        &self,
        user: &str,
        code: &str,
        now: i64,
    ) -> Result<Validated, ServiceError> {
        let shape = check_user(user).and_then(|()| check_code_shape(code));
        if let Err(error) = shape {
            let subject: String = user.chars().take(MAX_USER_LEN).collect();
            self.store
                .audit(&audit_entry(now, &subject, "validate", "-", error.reason()))
                .await?;
            return Err(error);
        }
        for attempt in 0..MAX_RETRIES {
            let cached = if attempt == 0 {
                self.cache.get(user)
            } else {
                None
            };
            let from_cache = cached.is_some();
            let device = match cached {
                Some(device) => device,
                None => {
                    let Some(device) = self.store.active_device(user).await? else {
                        self.cache.forget(user);
                        self.store
                            .audit(&audit_entry(now, user, "validate", "-", "unknown_user"))
                            .await?;
                        return Err(ServiceError::UnknownUser);
                    };
                    Arc::new(CachedDevice {
                        generator: self.generator(&device)?,
                        serial: device.serial,
                        version: device.version,
                        counters: device.counters,
                    })
                }
            };
            let checked = match policy::check(&device.generator, &device.counters, code, now) {
                Ok(checked) => checked,
                Err(error) => {
                    let error = ServiceError::from(error);
                    self.store
                        .audit(&audit_entry(
                            now,
                            user,
                            "validate",
                            &device.serial,
                            error.reason(),
                        ))
                        .await?;
                    return Err(error);
                }
            };
            let result = checked.verdict.map_err(ServiceError::from);
            let audit = audit_entry(now, user, "validate", &device.serial, result_name(&result));
            let validated = Validated {
                serial: device.serial.clone(),
                kind: device.generator.kind(),
            };
            let result = result.map(|()| validated);
            if checked.counters == device.counters {
                if from_cache {
                    // A replay or a block seen in the cache: confirm it in the database.
                    continue;
                }
                self.cache.put_shared(user, device);
                self.store.audit(&audit).await?;
                return result;
            }
            if self
                .store
                .update_counters(&device.serial, device.version, &checked.counters, &audit)
                .await?
            {
                if let Some(event) = failure_event(user, &device, &checked.counters) {
                    self.event(event, now).await?;
                }
                self.cache.put(
                    user,
                    CachedDevice {
                        serial: device.serial.clone(),
                        version: device.version + 1,
                        counters: checked.counters,
                        generator: device.generator.clone(),
                    },
                );
                return result;
            }
            self.cache.forget(user);
            self.metrics.retries.fetch_add(1, Ordering::Relaxed);
        }
        Err(ServiceError::Contention)
    }

    /// The support view of a device, by its serial or by the serial as keyed on a
    /// telephone keypad (the support line's hand-over carries what the caller keyed).
    pub async fn device_view(&self, serial: &str, actor: &str) -> Result<DeviceView, ServiceError> {
        let now = self.now_ms();
        let (serial, device) = match self.find_entry(check_serial(serial)?).await? {
            two_codes::Entry::Device(serial, device) => (serial, *device),
            two_codes::Entry::Unknown(serial, reason) => {
                self.store
                    .audit(&audit_entry(now, actor, "view_device", &serial, reason))
                    .await?;
                return Err(ServiceError::UnknownSerial(serial));
            }
        };
        let serial = &serial;
        self.store
            .audit(&audit_entry(now, actor, "view_device", serial, "ok"))
            .await?;
        let activation_code =
            self.store
                .activation_code(serial)
                .await?
                .map(|code| ActivationCodeView {
                    user: code.user,
                    channel: code.channel.name().to_owned(),
                    expires_at: crate::clock::rfc3339(code.expires_at_ms),
                    attempts_left: policy::MAX_ACTIVATION_ATTEMPTS.saturating_sub(code.attempts),
                });
        let counters = &device.counters;
        Ok(DeviceView {
            serial: device.serial,
            kind: device.kind,
            state: device.state.name().to_owned(),
            user: device.user,
            imported_at: crate::clock::rfc3339(device.imported_at_ms),
            activated_at: device.activated_at_ms.map(crate::clock::rfc3339),
            last_used_at: counters.last_used_ms.map(crate::clock::rfc3339),
            failures: counters.failures,
            blocked_until: (counters.blocked_until_ms > now)
                .then(|| crate::clock::rfc3339(counters.blocked_until_ms)),
            blocks: counters.blocks,
            drift_steps: counters.drift,
            activation_code,
        })
    }

    /// Lifts a block and clears the failure count (support's action).
    pub async fn unlock(&self, serial: &str, actor: &str) -> Result<(), ServiceError> {
        let now = self.now_ms();
        let serial = &check_serial(serial)?;
        self.cache.clear();
        let found = self
            .store
            .unlock(serial, &audit_entry(now, actor, "unlock", serial, "ok"))
            .await?;
        if found {
            self.event(
                Event::Unblocked {
                    serial: serial.to_owned(),
                    actor: actor.to_owned(),
                },
                now,
            )
            .await?;
            Ok(())
        } else {
            self.store
                .audit(&audit_entry(now, actor, "unlock", serial, "unknown_serial"))
                .await?;
            Err(ServiceError::UnknownSerial(serial.to_owned()))
        }
    }
}
