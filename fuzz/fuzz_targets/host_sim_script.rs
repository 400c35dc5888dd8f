//! The simulator's script language: no panic; a bad line's number is a line of the input,
//! and the lines parsed are numbered in order within it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match host_sim::script::parse(text) {
        Ok(lines) => {
            let total = kode_fuzz::lines(text);
            assert!(lines.windows(2).all(|pair| pair[0].number < pair[1].number));
            assert!(lines.iter().all(|line| (1..=total).contains(&line.number)));
        }
        Err(error) => kode_fuzz::assert_line_in(error.line, text, &error),
    }
});
