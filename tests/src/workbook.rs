//! Reading back the workbooks the service writes (the annotated copies): their notes,
//! which calamine does not read.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// The notes of a workbook: cell reference → text, from every `xl/comments*.xml`.
pub fn notes(workbook: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("xl/comments") && n.ends_with(".xml"))
        .map(|n| n.into_owned())
        .collect();
    let mut notes = BTreeMap::new();
    for name in names {
        let mut xml = String::new();
        archive
            .by_name(&name)
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        for comment in xml.split("<comment ref=\"").skip(1) {
            let reference = comment.split('"').next().unwrap().to_owned();
            let body = comment.split("</comment>").next().unwrap();
            let mut text = String::new();
            for run in body.split("<t").skip(1) {
                // `<t>` or `<t xml:space="preserve">`, not `<text>`.
                let Some(rest) = run.strip_prefix('>').or_else(|| {
                    run.starts_with(' ')
                        .then(|| run.split_once('>').map(|(_, r)| r))
                        .flatten()
                }) else {
                    continue;
                };
                text.push_str(rest.split("</t>").next().unwrap());
            }
            let text = text
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
            notes.insert(reference, text);
        }
    }
    notes
}
