//! Signed-in sessions and their CSRF tokens (pure: random tokens and the time come in as
//! values). A session is found by its cookie token; each has its own CSRF token that every
//! form carries back. Sessions end at sign-out, after [`IDLE_SECS`] without a request, or
//! [`MAX_SECS`] after sign-in.

use std::collections::HashMap;
use std::fmt;

use speech::Lang;
use subtle::ConstantTimeEq;

use super::auth::Right;

/// A session unused this long ends.
pub const IDLE_SECS: i64 = 30 * 60;
/// No session lasts longer than this.
pub const MAX_SECS: i64 = 12 * 3600;
/// The session cookie's name (with `__Host-` in front when cookies are Secure).
pub const COOKIE: &str = "kode_console";
/// The cookie that carries the sign-in form's CSRF token (before there is a session).
pub const SIGNIN_COOKIE: &str = "kode_signin";

/// 32 random bytes as 64 hex digits, made by the caller.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    pub fn from_bytes(bytes: [u8; 32]) -> Token {
        Token(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares with a token sent back, in constant time.
    pub fn matches(&self, sent: &str) -> bool {
        tokens_match(&self.0, sent)
    }
}

/// Whether two tokens are equal, compared in constant time.
pub fn tokens_match(expected: &str, sent: &str) -> bool {
    expected.as_bytes().ct_eq(sent.as_bytes()).into()
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// One signed-in agent.
#[derive(Debug, Clone)]
pub struct Session {
    pub agent: String,
    pub rights: Vec<Right>,
    pub csrf: Token,
    pub lang: Lang,
    pub started: i64,
    pub seen: i64,
}

impl Session {
    pub fn has(&self, right: Right) -> bool {
        self.rights.contains(&right)
    }

    /// Whether a form's CSRF field is this session's token.
    pub fn csrf_ok(&self, sent: Option<&str>) -> bool {
        sent.is_some_and(|sent| self.csrf.matches(sent))
    }
}

/// The live sessions, by cookie token.
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: HashMap<Token, Session>,
}

impl Sessions {
    /// Starts a session for `agent`; `cookie` and `csrf` are fresh random tokens.
    pub fn start(
        &mut self,
        agent: &str,
        rights: Vec<Right>,
        lang: Lang,
        cookie: Token,
        csrf: Token,
        now: i64,
    ) {
        self.forget_expired(now);
        self.by_token.insert(
            cookie,
            Session {
                agent: agent.to_owned(),
                rights,
                csrf,
                lang,
                started: now,
                seen: now,
            },
        );
    }

    /// The session of a cookie value at `now`, marked as used; none for an unknown,
    /// ended or expired one.
    pub fn touch(&mut self, cookie: &str, now: i64) -> Option<Session> {
        let key = Token(cookie.to_owned());
        let session = self.by_token.get_mut(&key)?;
        if now - session.seen >= IDLE_SECS || now - session.started >= MAX_SECS {
            self.by_token.remove(&key);
            return None;
        }
        session.seen = now;
        Some(session.clone())
    }

    /// Whether a cookie's session is still live at `now`, without counting as use (for a
    /// long-lived event stream, which must end when the session does).
    pub fn alive(&self, cookie: &str, now: i64) -> bool {
        self.by_token
            .get(&Token(cookie.to_owned()))
            .is_some_and(|s| now - s.seen < IDLE_SECS && now - s.started < MAX_SECS)
    }

    /// Changes a session's language.
    pub fn set_lang(&mut self, cookie: &str, lang: Lang) {
        if let Some(session) = self.by_token.get_mut(&Token(cookie.to_owned())) {
            session.lang = lang;
        }
    }

    /// Ends a session (sign-out); its cookie is worthless from now on.
    pub fn end(&mut self, cookie: &str) -> Option<Session> {
        self.by_token.remove(&Token(cookie.to_owned()))
    }

    fn forget_expired(&mut self, now: i64) {
        self.by_token
            .retain(|_, s| now - s.seen < IDLE_SECS && now - s.started < MAX_SECS);
    }

    pub fn len(&self) -> usize {
        self.by_token.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_token.is_empty()
    }
}

/// The value of cookie `name` in a `Cookie:` header.
pub fn cookie_value<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path /, and Secure with the
/// `__Host-` prefix when the console is behind TLS. `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut cookie = format!(
        "{}{name}={value}; Path=/; HttpOnly; SameSite=Strict",
        if secure { "__Host-" } else { "" }
    );
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    cookie
}

/// The cookie's name as sent back by the browser.
pub fn cookie_name(name: &str, secure: bool) -> String {
    format!("{}{name}", if secure { "__Host-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(n: u8) -> Token {
        Token::from_bytes([n; 32])
    }

    #[test]
    fn a_session_is_found_by_its_cookie_until_sign_out_or_expiry() {
        let mut sessions = Sessions::default();
        sessions.start(
            "alice",
            vec![Right::Unlock],
            Lang::En,
            token(1),
            token(2),
            100,
        );
        let cookie = token(1).as_str().to_owned();
        let session = sessions.touch(&cookie, 200).unwrap();
        assert_eq!(session.agent, "alice");
        assert!(session.csrf_ok(Some(token(2).as_str())));
        assert!(!session.csrf_ok(Some(token(3).as_str())));
        assert!(!session.csrf_ok(Some("")));
        assert!(!session.csrf_ok(None));
        assert!(sessions.touch(token(9).as_str(), 200).is_none());
        // Idle for the whole idle time: gone.
        assert!(sessions.touch(&cookie, 200 + IDLE_SECS).is_none());
        assert!(sessions.is_empty());

        sessions.start("bob", vec![], Lang::Da, token(3), token(4), 0);
        let cookie = token(3).as_str().to_owned();
        let mut now = 0;
        while now + IDLE_SECS / 2 < MAX_SECS {
            now += IDLE_SECS / 2;
            assert!(sessions.touch(&cookie, now).is_some(), "at {now}");
        }
        assert!(
            sessions.touch(&cookie, MAX_SECS).is_none(),
            "past the longest"
        );

        sessions.start("carol", vec![], Lang::Da, token(5), token(6), 0);
        assert_eq!(sessions.end(token(5).as_str()).unwrap().agent, "carol");
        assert!(sessions.touch(token(5).as_str(), 1).is_none(), "signed out");
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_behind_tls() {
        assert_eq!(
            set_cookie(COOKIE, "ab", false, None),
            "kode_console=ab; Path=/; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            set_cookie(COOKIE, "", true, Some(0)),
            "__Host-kode_console=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0"
        );
        assert_eq!(
            cookie_value("a=1; kode_console=xyz; b=2", "kode_console"),
            Some("xyz")
        );
        assert_eq!(cookie_value("kode_console_x=1", "kode_console"), None);
        assert!(!format!("{:?}", token(7)).contains("07"));
    }
}
