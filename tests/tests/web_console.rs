//! The agents' web console against the real service, without a browser: the security
//! checks (no session, an old cookie after sign-out, a form without or with a wrong CSRF
//! token, an agent without the unlock right — each refused with nothing changed in the
//! service), the lockout after wrong passwords, the audit logs under the agent's name,
//! the calls from the line, and no code on any page.

use tests::fake_line::queued_call;
use tests::web_console::{Client, World, PASSWORD, SECRET_B32, SERIAL};

const UNLOCK: &str = "/device/KO000901/unlock";

#[test]
fn refusals_change_nothing_and_the_agent_with_the_right_unlocks() {
    let world = World::start();
    world.block_device();

    // No session: a page sends to sign-in, a form post is refused.
    let mut anonymous = Client::new(&world.console_url);
    let answer = anonymous.get("/");
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some("/signin"))
    );
    let answer = anonymous.post(UNLOCK, &[("csrf", "x"), ("confirm", "yes")]);
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(anonymous.get("/calls/events").status, 401);

    // Alice signs in: HttpOnly, SameSite=Strict session cookie.
    let mut alice = Client::new(&world.console_url);
    let answer = alice.sign_in("alice", PASSWORD);
    assert_eq!(answer.status, 303, "{}", answer.body);
    let session_cookie = answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with("kode_console="))
        .expect("a session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Strict"));
    let home = alice.get("/");
    assert_eq!(home.status, 200);
    let csrf = home.csrf();

    // A form without the CSRF token, and one with a wrong token: refused.
    let answer = alice.post(UNLOCK, &[("confirm", "yes")]);
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("did not come from this console"));
    let answer = alice.post(UNLOCK, &[("csrf", &"0".repeat(64)), ("confirm", "yes")]);
    assert_eq!(answer.status, 403);

    // Bob may look up but not unlock: refused, on the page and on the form.
    let mut bob = Client::new(&world.console_url);
    assert_eq!(bob.sign_in("bob", PASSWORD).status, 303);
    let bob_csrf = bob.get("/").csrf();
    let answer = bob.get(UNLOCK);
    assert_eq!(answer.status, 403);
    let answer = bob.post(UNLOCK, &[("csrf", &bob_csrf), ("confirm", "yes")]);
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("right to lift blocks"));
    let page = bob.post("/device", &[("csrf", &bob_csrf), ("serial", SERIAL)]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Blocked until"));
    assert!(!page.body.contains("/unlock\""), "no unlock action for bob");

    // An old cookie after sign-out: refused, though the agent had the right.
    let mut earlier = Client::new(&world.console_url);
    assert_eq!(earlier.sign_in("alice", PASSWORD).status, 303);
    let earlier_csrf = earlier.get("/").csrf();
    let old_cookies = earlier.cookies.clone();
    assert_eq!(
        earlier.post("/signout", &[("csrf", &earlier_csrf)]).status,
        303
    );
    let mut replay = Client::new(&world.console_url);
    replay.cookies = old_cookies;
    assert_eq!(replay.get("/").status, 303);
    let answer = replay.post(UNLOCK, &[("csrf", &earlier_csrf), ("confirm", "yes")]);
    assert_eq!(answer.status, 401);

    // Nothing changed: still blocked, and no unlock in the service's audit log.
    assert!(world.blocked(), "a refused request lifted the block");
    assert!(
        !world.service_audit().contains("\tunlock\t"),
        "{}",
        world.service_audit()
    );

    // Alice, with her token, after confirming: lifted, audited under her name.
    let answer = alice.get(UNLOCK);
    assert!(answer.body.contains("Lift the block on KO000901?"));
    let answer = alice.post(UNLOCK, &[("csrf", &csrf)]);
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some(UNLOCK)),
        "without confirming, back to the question"
    );
    assert!(world.blocked());
    let answer = alice.post(UNLOCK, &[("csrf", &csrf), ("confirm", "yes")]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = alice.get(answer.location.as_deref().unwrap());
    assert!(
        page.body.contains("The block on KO000901 is lifted."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Not blocked"));
    assert!(!world.blocked());
    let audit = world.service_audit();
    assert!(
        audit.contains("\tadmin:alice\tunlock\tKO000901\tok"),
        "{audit}"
    );
    assert!(
        audit.contains("\tadmin:bob\tview_device\tKO000901\tok"),
        "{audit}"
    );
    let console_audit = world.console_audit();
    for line in [
        "\"agent\":\"alice\",\"action\":\"sign_in\"",
        "\"agent\":\"bob\",\"action\":\"unlock\",\"subject\":\"-\",\"result\":\"refused_no_right\"",
        "\"agent\":\"alice\",\"action\":\"form\",\"subject\":\"-\",\"result\":\"refused_csrf\"",
        "\"agent\":\"alice\",\"action\":\"unlock\",\"subject\":\"KO000901\",\"result\":\"ok\"",
        "\"agent\":\"alice\",\"action\":\"sign_out\"",
    ] {
        assert!(
            console_audit.contains(line),
            "{line} not in\n{console_audit}"
        );
    }

    // The person logs in with the device's next code (the current one was used to activate).
    assert_eq!(world.validate(&tests::code_now(SECRET_B32, 1)), 200);
}

#[test]
fn wrong_passwords_lock_the_account_until_an_admin_lifts_it() {
    let world = World::start();
    let mut carol = Client::new(&world.console_url);
    for _ in 0..4 {
        let answer = carol.sign_in("carol", "not the password");
        assert_eq!(answer.status, 401);
        assert!(answer.body.contains("Wrong name or password."));
    }
    let answer = carol.sign_in("carol", "not the password");
    assert_eq!(answer.status, 403);
    assert!(
        answer.body.contains("this account is locked until"),
        "{}",
        answer.body
    );
    // Now even the right password is refused.
    assert_eq!(carol.sign_in("carol", PASSWORD).status, 403);
    // An unknown name gets the same answer as a wrong password.
    assert_eq!(carol.sign_in("mallory", PASSWORD).status, 401);
    let output = tests::run(
        std::process::Command::new(tests::binary("phone-support", "phone-support"))
            .args(["agents", "unlock", "carol", "--data"])
            .arg(&world.data),
    );
    assert!(output.status.success(), "{}", tests::stderr(&output));
    assert_eq!(carol.sign_in("carol", PASSWORD).status, 303);
    // Carol has no rights: a look-up is refused.
    let csrf = carol.get("/").csrf();
    let answer = carol.post("/device", &[("csrf", &csrf), ("serial", SERIAL)]);
    assert_eq!(answer.status, 403);
    assert!(world.console_audit().contains("\"result\":\"locked\""));
}

#[test]
fn calls_from_the_line_are_taken_and_ended_and_no_code_is_ever_shown() {
    let world = World::start();
    world.line.set_calls(vec![
        queued_call("c-1", Some(SERIAL)),
        queued_call("c-2", None),
    ]);
    let mut alice = Client::new(&world.console_url);
    assert_eq!(alice.sign_in("alice", PASSWORD).status, 303);
    // The console follows the line's stream; the calls show once it has them.
    let mut home = alice.get("/");
    for _ in 0..50 {
        if home.body.contains("/calls/c-1/take") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        home = alice.get("/");
    }
    assert!(home.body.contains("/calls/c-1/take"), "{}", home.body);
    let csrf = home.csrf();
    let answer = alice.post("/calls/c-1/take", &[("csrf", &csrf)]);
    assert_eq!(answer.location.as_deref(), Some("/calls/c-1"));
    assert!(world.line.requests()[0].contains("/v1/calls/c-1/take {\"agent\":\"alice\"}"));
    // Taken twice: the line says 409, the page says someone else has it.
    let answer = alice.post("/calls/c-1/take", &[("csrf", &csrf)]);
    assert_eq!(answer.location.as_deref(), Some("/?line=taken"));
    let mut call = alice.get("/calls/c-1");
    for _ in 0..50 {
        if call.status == 200 && call.body.contains("With an agent") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        call = alice.get("/calls/c-1");
    }
    assert!(call.body.contains("/device/KO000901"), "{}", call.body);
    assert!(call.body.contains("/flows/code-refused?keys=&amp;call=c-1"));

    // A new activation code: confirmed, issued, in the outbox, never on the page.
    let form = alice.get("/device/KO000901/activation");
    assert_eq!(form.status, 200);
    let question = alice.post(
        "/device/KO000901/activation",
        &[("csrf", &csrf), ("user", "person-901"), ("channel", "sms")],
    );
    assert!(question
        .body
        .contains("Issue a new activation code for KO000901 to person person-901 by SMS?"));
    assert!(
        world.outbox().is_empty(),
        "nothing issued before confirming"
    );
    let issued = alice.post(
        "/device/KO000901/activation",
        &[
            ("csrf", &csrf),
            ("user", "person-901"),
            ("channel", "sms"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert!(issued
        .body
        .contains("A new activation code is on its way by SMS"));
    let outbox = world.outbox();
    assert_eq!(outbox.len(), 1);
    let code = outbox[0]
        .lines()
        .find_map(|l| l.strip_prefix("activation_code="))
        .expect("the code for the SMS gateway");
    assert!(code.len() >= 6);
    assert!(
        !issued.body.contains(code),
        "the activation code is on the page"
    );
    assert!(!world.console_audit().contains(code));
    assert!(world
        .service_audit()
        .contains("\tadmin:alice\tissue_activation_code\tKO000901 for person-901 by sms\tok"));

    // The outcome ends the call on the line and goes into the console's audit log.
    let answer = alice.post(
        "/calls/c-1/done",
        &[
            ("csrf", &csrf),
            ("outcome", "resolved"),
            ("note", "new code by sms"),
        ],
    );
    assert_eq!(answer.location.as_deref(), Some("/?recorded=1"));
    assert!(world
        .line
        .requests()
        .iter()
        .any(|r| r.contains("/v1/calls/c-1/done {\"agent\":\"alice\"}")));
    assert!(world.console_audit().contains(
        "\"agent\":\"alice\",\"action\":\"call_outcome\",\"subject\":\"c-1\",\"result\":\"resolved; flow=-; keys=-; note=new code by sms\""
    ));

    // Without the line, the page says so and the rest works.
    let (_console, url) = world.second_console("http://127.0.0.1:9");
    let mut elsewhere = Client::new(&url);
    assert_eq!(elsewhere.sign_in("alice", PASSWORD).status, 303);
    let mut home = elsewhere.get("/");
    for _ in 0..50 {
        if home.body.contains("cannot be reached") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        home = elsewhere.get("/");
    }
    assert!(
        home.body
            .contains("cannot be reached at http://127.0.0.1:9"),
        "{}",
        home.body
    );
    let csrf = home.csrf();
    let page = elsewhere.post("/device", &[("csrf", &csrf), ("user", "person-901")]);
    assert!(
        page.body.contains("KO000901") && page.body.contains("Active"),
        "{}",
        page.body
    );
}
