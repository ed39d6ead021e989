//! Workbooks whose used area is huge, uploaded to `importRoster`: each is REJECTED as
//! SHEET_TOO_LARGE and the server keeps answering (calamine used to abort the whole
//! process on a failed allocation of up to 512 GiB).

use entity::Role;
use serde_json::json;
use territoires_tests::spawn_app;

/// The hostile shapes kept in the fuzz corpus (see `fuzz/README.md`).
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/roster_file");

const IMPORT: &str = "mutation($file: Upload!) {
  importRoster(file: $file) { status problems { code message } }
}";

#[tokio::test]
async fn hostile_workbooks_are_rejected_and_the_server_keeps_answering() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    for name in [
        "hostile-xfd1048576.xlsx",
        "hostile-xfd1000.xlsx",
        "hostile-repeated.ods",
        "hostile-after-empty-rows.ods",
        "hostile-spaces.ods",
        "hostile-far-label.xls",
        "hostile-dimensions.xls",
        "hostile-shared-strings.xlsx",
        "hostile-long-string.xlsx",
    ] {
        let bytes = std::fs::read(format!("{CORPUS}/{name}")).unwrap();
        let (status, answer) = app
            .upload(Some(&admin), IMPORT, json!({}), name, bytes)
            .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let run = &answer["data"]["importRoster"];
        assert_eq!(run["status"], "REJECTED", "{name}: {answer}");
        assert_eq!(
            run["problems"][0]["code"], "SHEET_TOO_LARGE",
            "{name}: {answer}"
        );
        let (health, body) = app.get("/healthz").await;
        assert_eq!(health, 200, "{name}: /healthz answered {body}");
    }
    // Nothing changed: the seven coordinators are still there.
    let coordinators = app.data("{ coordinators { email } }").await;
    assert_eq!(
        coordinators["coordinators"].as_array().map(Vec::len),
        Some(7)
    );
}
