//! Any bytes, under every supported file name: reading, finding the header, extracting
//! and checking rows must end in rows or problems, never in a panic or an abort.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["roster.xlsx", "roster.ods", "roster.xls", "roster.csv"] {
        let checked = territoires_sync::fuzzing::check_file(data, name, 2_000);
        assert!(checked.valid <= checked.rows.max(1) * 2);
    }
});
