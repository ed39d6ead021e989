//! Any bytes, under every supported file name: reading, finding the header, extracting
//! and checking rows must end in rows or problems, never in a panic or an abort.

#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

static PANIC_HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys installs a hook that aborts on any panic, even one the reader
    // catches on purpose (it turns calamine's panics on corrupt workbooks into an
    // "unreadable file" problem). Back to the default hook: a panic the reader does not
    // catch still aborts the run, in libfuzzer-sys's own `catch_unwind`.
    PANIC_HOOK.call_once(|| drop(std::panic::take_hook()));
    for name in ["roster.xlsx", "roster.ods", "roster.xls", "roster.csv"] {
        let checked = territoires_sync::fuzzing::check_file(data, name, 2_000);
        assert!(checked.valid <= checked.rows.max(1) * 2);
    }
});
