//! Tests of the flow loader: the shipped flows, and one broken file per kind of mistake.

use super::*;

const GOOD: &str = r#"
id = "tiny"
menu_key = "7"
title = { da = "Lille", en = "Tiny" }

[[step]]
id = "ask"
say = { da = "Spørg", en = "Ask" }
[[step.choice]]
key = "1"
label = { da = "ja", en = "yes" }
next = "bye"

[[step]]
id = "bye"
say = { da = "Farvel", en = "Bye" }
end = "done"
"#;

fn errors_of(source: &str) -> Vec<String> {
    match parse_flow(Path::new("flows/x.toml"), source) {
        Ok(_) => Vec::new(),
        Err(FlowErrors(errors)) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn shipped_flows_are_valid() {
    let set = FlowSet::shipped().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = set.flows.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "setup-reader",
            "no-sound",
            "code-refused",
            "get-mitid",
            "someone-else"
        ]
    );
}

#[test]
fn a_good_flow_parses() {
    let flow = parse_flow(Path::new("x.toml"), GOOD).unwrap();
    assert_eq!(flow.menu_key, '7');
    assert_eq!(flow.steps[0].choice('1').unwrap().next, 1);
    assert_eq!(flow.steps[1].end, Some(End::Done));
    assert_eq!(flow.title.get(Lang::En), "Tiny");
}

#[test]
fn dangling_target_names_file_line_and_step() {
    let broken = GOOD.replace("next = \"bye\"", "next = \"by\"");
    let errors = errors_of(&broken);
    assert!(
        errors.contains(
            &"flows/x.toml:12: step \"ask\": choice leads to \"by\", which is not a step in this flow"
                .to_owned()
        ),
        "{errors:?}"
    );
}

#[test]
fn unreachable_step() {
    let broken = format!(
        "{GOOD}\n[[step]]\nid = \"lost\"\nsay = {{ da = \"x\", en = \"x\" }}\nend = \"done\"\n"
    );
    let errors = errors_of(&broken);
    assert_eq!(
        errors,
        ["flows/x.toml:19: step \"lost\": is unreachable from the first step \"ask\""],
    );
}

#[test]
fn missing_translation() {
    let broken = GOOD.replace(
        "say = { da = \"Farvel\", en = \"Bye\" }",
        "say = { da = \"Farvel\" }",
    );
    let errors = errors_of(&broken);
    assert_eq!(
        errors,
        ["flows/x.toml:16: step \"bye\": say has no translation in en"]
    );
    let empty_label = GOOD.replace("en = \"yes\"", "en = \" \"");
    assert_eq!(
        errors_of(&empty_label),
        ["flows/x.toml:11: step \"ask\": the choice's label in en is empty"]
    );
}

#[test]
fn step_with_no_way_out() {
    let broken = GOOD.replace("end = \"done\"", "");
    let errors = errors_of(&broken);
    assert_eq!(
        errors,
        ["flows/x.toml:14: step \"bye\": has no way out: give it choices or an end (done or agent)"]
    );
}

#[test]
fn a_loop_with_no_final_step_has_no_way_out() {
    let looping = GOOD.replace("next = \"bye\"", "next = \"ask\"");
    let errors = errors_of(&looping);
    assert_eq!(
        errors,
        [
            "flows/x.toml:6: step \"ask\": has no way out: none of its choices ever leads to a final step",
            "flows/x.toml:14: step \"bye\": is unreachable from the first step \"ask\"",
        ]
    );
}

#[test]
fn reserved_and_duplicate_keys() {
    let zero = GOOD.replace("key = \"1\"", "key = \"0\"");
    assert!(errors_of(&zero)[0].contains("choice key \"0\" must be one of 12345678"));
    let twice = GOOD.replace(
        "next = \"bye\"",
        "next = \"bye\"\n[[step.choice]]\nkey = \"1\"\nlabel = { da = \"a\", en = \"b\" }\nnext = \"ask\"",
    );
    assert!(errors_of(&twice)[0].contains("choice key 1 is used twice"));
}

#[test]
fn duplicate_ids_unknown_checks_and_ends() {
    let dup = GOOD.replace("id = \"bye\"", "id = \"ask\"");
    assert!(errors_of(&dup)
        .iter()
        .any(|e| e.contains("the step id is used twice (first on line 7)")));
    let check = GOOD.replace("end = \"done\"", "end = \"done\"\ncheck = \"devcie\"");
    assert!(errors_of(&check)[0].contains("unknown check \"devcie\""));
    let end = GOOD.replace("end = \"done\"", "end = \"finish\"");
    assert!(errors_of(&end)[0].contains("unknown end \"finish\""));
}

#[test]
fn toml_syntax_and_unknown_fields_have_lines() {
    let syntax = GOOD.replace("id = \"ask\"", "id = ask");
    assert!(
        errors_of(&syntax)[0].starts_with("flows/x.toml:7: "),
        "{:?}",
        errors_of(&syntax)
    );
    let unknown = GOOD.replace("id = \"ask\"", "id = \"ask\"\nsya = 1");
    let errors = errors_of(&unknown);
    assert!(errors[0].contains("sya"), "{errors:?}");
}

#[test]
fn menu_keys_must_be_unique_across_files() {
    let other = GOOD.replace("id = \"tiny\"", "id = \"other\"");
    let err = FlowSet::parse([
        (PathBuf::from("a.toml"), GOOD),
        (PathBuf::from("b.toml"), other.as_str()),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "b.toml:1: menu_key 7 is also used by a.toml"
    );
}

#[test]
fn unreadable_files_are_reported() {
    let err = FlowSet::load(&[PathBuf::from("/nonexistent/flow.toml")]).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("/nonexistent/flow.toml:0: cannot read"));
}

proptest::proptest! {
    #[test]
    fn any_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_flow(Path::new("p.toml"), &text);
    }

    #[test]
    fn corrupting_a_shipped_flow_never_panics(cut in 0usize..4000) {
        let (_, source) = SHIPPED[0];
        let mut cut = cut.min(source.len());
        while !source.is_char_boundary(cut) { cut -= 1; }
        let _ = parse_flow(Path::new("p.toml"), &source[..cut]);
    }
}

/// A random flow: for each step, its choices' targets (at most 8) and whether it ends.
fn random_flow() -> impl Strategy<Value = Vec<(Vec<usize>, bool)>> {
    (1usize..7).prop_flat_map(|n| {
        proptest::collection::vec(
            (proptest::collection::vec(0..n, 0..4), proptest::bool::ANY),
            n,
        )
    })
}

fn render(steps: &[(Vec<usize>, bool)]) -> String {
    let mut toml = "id = \"r\"\nmenu_key = \"1\"\ntitle = { da = \"R\", en = \"R\" }\n".to_owned();
    for (i, (targets, end)) in steps.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[step]]\nid = \"s{i}\"\nsay = {{ da = \"d\", en = \"e\" }}\n"
        ));
        if *end {
            toml.push_str("end = \"done\"\n");
        }
        for (k, target) in targets.iter().enumerate() {
            toml.push_str(&format!(
                "[[step.choice]]\nkey = \"{}\"\nlabel = {{ da = \"d\", en = \"e\" }}\nnext = \"s{target}\"\n",
                k + 1
            ));
        }
    }
    toml
}

/// The rules restated with a transitive closure, independently of the loader's walks.
fn valid_by_closure(steps: &[(Vec<usize>, bool)]) -> bool {
    let n = steps.len();
    let mut reach = vec![vec![false; n]; n];
    for (i, (targets, _)) in steps.iter().enumerate() {
        reach[i][i] = true;
        for t in targets {
            reach[i][*t] = true;
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if reach[i][k] && reach[k][j] {
                    reach[i][j] = true;
                }
            }
        }
    }
    steps.iter().enumerate().all(|(i, (targets, end))| {
        let exactly_one_way = targets.is_empty() == *end;
        let reachable = reach[0][i];
        let finishes = (0..n).any(|j| reach[i][j] && steps[j].1);
        exactly_one_way && reachable && finishes
    })
}

use proptest::prelude::*;

proptest! {
    #[test]
    fn loader_accepts_exactly_the_valid_graphs(steps in random_flow()) {
        let parsed = parse_flow(Path::new("r.toml"), &render(&steps));
        prop_assert_eq!(parsed.is_ok(), valid_by_closure(&steps), "{:?}", parsed.err());
    }
}

#[test]
fn walking_keys_and_finding_the_keys_back_from_step_ids() {
    let flows = FlowSet::shipped().unwrap();
    let flow = &flows.flows[flows.by_menu_key('1').unwrap()];
    let walk = flow.walk("112");
    assert_eq!(flow.steps[walk.step].id, "no-test-phrase");
    assert_eq!(walk.taken, [(0, '1'), (1, '1'), (2, '2')]);
    // An unknown key stops the walk where it is.
    assert_eq!(flow.walk("19").step, 1);
    let ids: Vec<String> = ["unpack", "headphones", "switch-on", "no-test-phrase"]
        .map(String::from)
        .to_vec();
    assert_eq!(flow.keys_through(&ids), "112");
    assert_eq!(flow.keys_through(&ids[..1]), "");
    assert_eq!(flow.keys_through(&["unpack".into(), "volume".into()]), "");
    // As the SIP line reports them: the menu first, then FLOW/STEP.
    let reported: Vec<String> = ["menu", "setup-reader/unpack", "setup-reader/headphones"]
        .map(String::from)
        .to_vec();
    assert_eq!(flow.keys_through(&reported), "1");
}
