//! Arbitrary bytes through the whole pipeline, for every target: lex (token
//! texts concatenate to the input), parse (well-formed lossless tree), load
//! the model with in-memory includes, render `jail -e`. The checks are in
//! `jailconf_fuzz` (src/lib.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jailconf_fuzz::check_input(data);
});
