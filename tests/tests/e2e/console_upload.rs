//! The console's "Déposer une liste" flow, its history actions and the "Coordonnateurs"
//! page, over HTTP as a browser posts them (multipart form, cookies, redirects by hand),
//! on a real database — and the hostile uploads, each refused with nothing changed.

use entity::{SyncStatus, SyncTrigger, coordinator, roster_file, sync_run};
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use territoires_tests::TestApp;

use super::console::{Browser, HEADER, Page, audit_entries, import, statements_for};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

pub(super) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

/// The hidden value of field `name` on `page`.
pub(super) fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.body.find(&marker).expect(name) + marker.len();
    let end = page.body[start..].find('"').unwrap() + start;
    page.body[start..end].to_owned()
}

impl Browser {
    /// Posts `form` (multipart) to `path` from `origin`.
    async fn post_multipart_from(
        &self,
        origin: Option<&str>,
        path: &str,
        cookie: &str,
        form: Form,
    ) -> Page {
        let mut request = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header(COOKIE, cookie)
            .multipart(form);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        match request.send().await {
            Ok(response) => Self::answer(response).await,
            Err(error) => panic!("{path}: {error}"),
        }
    }

    /// Uploads `bytes` as `name` the way the console's form does: the form secret first.
    pub(super) async fn upload(&self, cookie: &str, name: &str, bytes: Vec<u8>) -> Page {
        let secret = self.csrf(cookie).await;
        let form = Form::new()
            .text("csrf", secret)
            .part("fichier", Part::bytes(bytes).file_name(name.to_owned()));
        self.post_multipart_from(Some(&self.origin.clone()), "/admin/deposer", cookie, form)
            .await
    }
}

async fn runs(app: &TestApp) -> Vec<sync_run::Model> {
    sync_run::Entity::find()
        .order_by_asc(sync_run::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn kept_files(app: &TestApp) -> u64 {
    roster_file::Entity::find().count(&app.db).await.unwrap()
}

async fn employee_ids(app: &TestApp) -> Vec<Option<String>> {
    coordinator::Entity::find()
        .order_by_asc(coordinator::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.employee_id)
        .collect()
}

/// The run id a redirect to `/admin/historique/{id}` names.
pub(super) fn run_of(page: &Page) -> i32 {
    assert_eq!(page.status, 303, "{}", page.body);
    page.location()
        .strip_prefix("/admin/historique/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a run: {}", page.location()))
}

#[tokio::test]
async fn a_dry_run_shows_the_diff_then_applying_uses_the_kept_file() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let form = browser.get("/admin/deposer", Some(&cookie)).await;
    assert_eq!(form.status, 200);
    // The form secret is the form's first field, before the file.
    let form_at = form.body.find("enctype=\"multipart/form-data\"").unwrap();
    let upload_form = &form.body[form_at..];
    let secret_at = upload_form.find("name=\"csrf\"").unwrap();
    let file_at = upload_form.find("type=\"file\"").unwrap();
    assert!(secret_at < file_at, "{upload_form}");

    let bytes = fixture("roster-92-hr-export.xlsx");
    let plan = browser
        .upload(&cookie, "export RH.xlsx", bytes.clone())
        .await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert!(plan.body.contains("Essai à blanc"), "{}", plan.body);
    // The diff: seven people gain their matricule, each shown before → after.
    assert!(plan.body.contains("Modifications (7)"), "{}", plan.body);
    assert!(plan.body.contains("104200"), "{}", plan.body);
    assert!(plan.body.contains("(vide)"));
    assert!(plan.body.contains("Appliquer ces changements"));
    assert!(plan.body.contains("Forcer l'import"));
    // Warnings keep their row and column.
    assert!(plan.body.contains("<td class=\"num\">"), "{}", plan.body);
    // Nothing changed, the file is kept under its SHA-256, the dry run is recorded and
    // audited under the token's name.
    assert!(employee_ids(&browser.app).await.iter().all(Option::is_none));
    let sha = territoires_sync::sha256_hex(&bytes);
    assert_eq!(hidden(&plan, "empreinte"), sha);
    let kept = territoires_sync::kept_file(&browser.app.db, &sha)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.bytes, bytes);
    assert_eq!(kept.file_name, "export RH.xlsx");
    let dry = runs(&browser.app).await;
    assert_eq!(dry.len(), 1);
    assert_eq!((dry[0].status, dry[0].dry_run), (SyncStatus::Planned, true));
    assert_eq!(dry[0].trigger, SyncTrigger::Upload);
    let author = dry[0].actor.clone();
    let signed_in = entity::console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap()
        .token_name;
    assert_eq!(author, signed_in, "the run's actor is the signed-in token");

    let applied = browser
        .post(
            "/admin/deposer/appliquer",
            &cookie,
            &[
                ("csrf", &hidden(&plan, "csrf")),
                ("empreinte", &sha),
                ("version", &hidden(&plan, "version")),
            ],
        )
        .await;
    let run_id = run_of(&applied);
    let run = sync_run::Entity::find_by_id(run_id)
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (run.status, run.dry_run, run.forced, run.updated),
        (SyncStatus::Applied, false, false, 7)
    );
    assert_eq!(run.file_sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(run.actor, author);
    assert!(employee_ids(&browser.app).await.iter().all(Option::is_some));
    let audited = audit_entries(&browser.app, "SyncRun").await;
    assert_eq!(audited.len(), 2, "the dry run and the apply");
    assert!(audited.iter().all(|e| e.actor == author));
    assert_eq!(audited[1].entity_id, run_id);
    assert!(
        audited[1].changes.contains("APPLIED"),
        "{}",
        audited[1].changes
    );

    // The history entry offers the file kept, byte for byte, under the run's name.
    let page = browser
        .get(&format!("/admin/historique/{run_id}"), Some(&cookie))
        .await;
    assert!(page.body.contains("télécharger le fichier déposé"));
    assert!(
        !page.body.contains("Relancer"),
        "an applied run is not forced"
    );
    let download = browser
        .client
        .get(format!(
            "{}/admin/historique/{run_id}/fichier",
            browser.app.address
        ))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    let disposition = download
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''export%20RH.xlsx"),
        "{disposition}"
    );
    assert_eq!(download.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(download.bytes().await.unwrap().to_vec(), bytes);
    // Signed out, no download.
    let anonymous = browser
        .get(&format!("/admin/historique/{run_id}/fichier"), None)
        .await;
    assert_eq!(anonymous.status, 303);

    // The same file again: the dry run says it would be skipped, and offers to force.
    let again = browser.upload(&cookie, "export RH.xlsx", bytes).await;
    assert!(again.body.contains("Ignoré") || again.body.contains("identique"));
    assert!(!again.body.contains("Appliquer ces changements"));
    assert!(again.body.contains("Forcer l'import"));
}

#[tokio::test]
async fn a_plan_shown_before_a_change_is_not_applied_but_computed_again() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let plan = browser
        .upload(&cookie, "rh.xlsx", fixture("roster-92-hr-export.xlsx"))
        .await;
    assert_eq!(plan.status, 200);
    let version = hidden(&plan, "version");
    // Meanwhile, something changes the data (here another import of the same people's
    // details with a new title would; any committed write moves the version).
    entity::data_version::bump(&browser.app.db, entity::DataChangeKind::Roster)
        .await
        .unwrap();
    let before = runs(&browser.app).await.len();
    let stale = browser
        .post(
            "/admin/deposer/appliquer",
            &cookie,
            &[
                ("csrf", &hidden(&plan, "csrf")),
                ("empreinte", &hidden(&plan, "empreinte")),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale
            .body
            .contains("Les données ont changé depuis l'affichage du plan")
    );
    assert!(employee_ids(&browser.app).await.iter().all(Option::is_none));
    let after = runs(&browser.app).await;
    assert_eq!(after.len(), before + 1, "one new dry run, no import");
    assert!(after.iter().all(|r| r.dry_run));
    // The new plan carries the new version, and applies.
    let fresh = hidden(&stale, "version");
    assert_ne!(fresh, version);
    let applied = browser
        .post(
            "/admin/deposer/appliquer",
            &cookie,
            &[
                ("csrf", &hidden(&stale, "csrf")),
                ("empreinte", &hidden(&stale, "empreinte")),
                ("version", &fresh),
            ],
        )
        .await;
    run_of(&applied);
    assert!(employee_ids(&browser.app).await.iter().all(Option::is_some));
}

#[tokio::test]
async fn applying_an_unknown_or_malformed_file_or_without_its_plan_changes_nothing() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let secret = browser.csrf(&cookie).await;
    let version = entity::data_version::current(&browser.app.db)
        .await
        .unwrap()
        .to_string();
    let unknown = territoires_sync::sha256_hex(b"never uploaded");
    for sha in [
        unknown.as_str(),
        "",
        "zz",
        &"'".repeat(64),
        &"a".repeat(5000),
    ] {
        let answer = browser
            .post(
                "/admin/deposer/appliquer",
                &cookie,
                &[("csrf", &secret), ("empreinte", sha), ("version", &version)],
            )
            .await;
        assert_eq!(answer.status, 404, "{sha}");
        assert!(
            answer
                .body
                .contains("Aucun fichier déposé ne porte cette empreinte")
        );
    }
    let no_plan = browser
        .post(
            "/admin/deposer/appliquer",
            &cookie,
            &[("csrf", &secret), ("empreinte", &unknown)],
        )
        .await;
    assert_eq!(no_plan.status, 400);
    // The form's secret and origin are checked as for every form.
    let forged = browser
        .post(
            "/admin/deposer/appliquer",
            &cookie,
            &[("empreinte", &unknown), ("version", &version)],
        )
        .await;
    assert_eq!(forged.status, 403);
    let foreign = browser
        .post_from(
            Some("https://evil.example"),
            "/admin/deposer/appliquer",
            Some(&cookie),
            &[
                ("csrf", &secret),
                ("empreinte", &unknown),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(foreign.status, 403);
    assert!(runs(&browser.app).await.is_empty());
    assert!(audit_entries(&browser.app, "SyncRun").await.is_empty());
}

#[tokio::test]
async fn hostile_uploads_are_refused_in_french_and_nothing_is_kept_or_run() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let secret = browser.csrf(&cookie).await;
    let origin = browser.origin.clone();
    let file = || Part::bytes(fixture("roster-92.xlsx")).file_name("liste.xlsx");

    // No form secret, or the file before it: refused before the file is read.
    let missing = browser
        .post_multipart_from(
            Some(&origin),
            "/admin/deposer",
            &cookie,
            Form::new().part("fichier", file()),
        )
        .await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("Requête refusée"));
    let second = browser
        .post_multipart_from(
            Some(&origin),
            "/admin/deposer",
            &cookie,
            Form::new()
                .part("fichier", file())
                .text("csrf", secret.clone()),
        )
        .await;
    assert_eq!(second.status, 403);
    let wrong = browser
        .post_multipart_from(
            Some(&origin),
            "/admin/deposer",
            &cookie,
            Form::new()
                .text("csrf", "not-the-secret")
                .part("fichier", file()),
        )
        .await;
    assert_eq!(wrong.status, 403);
    let overlong = browser
        .post_multipart_from(
            Some(&origin),
            "/admin/deposer",
            &cookie,
            Form::new()
                .text("csrf", "a".repeat(100_000))
                .part("fichier", file()),
        )
        .await;
    assert_eq!(
        overlong.status, 403,
        "a form secret is read within 256 bytes"
    );
    // Another origin, or none.
    for sent in [Some("https://evil.example"), None] {
        let foreign = browser
            .post_multipart_from(
                sent,
                "/admin/deposer",
                &cookie,
                Form::new()
                    .text("csrf", secret.clone())
                    .part("fichier", file()),
            )
            .await;
        assert_eq!(foreign.status, 403, "{sent:?}");
    }
    // Signed out: to the sign-in page.
    let anonymous = browser
        .client
        .post(format!("{}/admin/deposer", browser.app.address))
        .header(ORIGIN, &origin)
        .multipart(
            Form::new()
                .text("csrf", secret.clone())
                .part("fichier", file()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);

    // Over the API's limit (SYNC_MAX_FILE_SIZE, 10 Mio by default).
    let huge = browser
        .upload(&cookie, "huge.xlsx", vec![b'x'; 11 * 1024 * 1024])
        .await;
    assert_eq!(huge.status, 413);
    assert!(
        huge.body.contains("dépasse la taille maximale de 10"),
        "{}",
        huge.body
    );
    assert!(huge.body.contains("type=\"file\""), "the form again");
    // Not a spreadsheet, by name or by content; empty; no file at all.
    for (name, bytes, status, message) in [
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\n".to_vec(),
            415,
            "seuls les classeurs",
        ),
        (
            "liste.pdf",
            b"%PDF-1.4".to_vec(),
            415,
            "seuls les classeurs",
        ),
        (
            "liste.xlsx",
            b"Nom;Prenom\n".to_vec(),
            415,
            "n'est pas un classeur",
        ),
        (
            "liste.csv",
            b"GIF89a\x00\x00\x01".to_vec(),
            415,
            "n'est pas un classeur",
        ),
        ("liste.csv", Vec::new(), 400, "le fichier est vide"),
    ] {
        let page = browser.upload(&cookie, name, bytes).await;
        assert_eq!(page.status, status, "{name}");
        assert!(page.body.contains(message), "{name}: {}", page.body);
    }
    let no_file = browser
        .post_multipart_from(
            Some(&origin),
            "/admin/deposer",
            &cookie,
            Form::new().text("csrf", secret.clone()),
        )
        .await;
    assert_eq!(no_file.status, 400);
    // Not multipart at all.
    let urlencoded = browser
        .post("/admin/deposer", &cookie, &[("csrf", &secret)])
        .await;
    assert_eq!(urlencoded.status, 415);
    // A field the form does not have, where the file should be.
    let odd = browser
        .post_multipart_from(
            Some(&origin),
            "/admin/deposer",
            &cookie,
            Form::new().text("csrf", secret.clone()).text("autre", "x"),
        )
        .await;
    assert_eq!(odd.status, 400);

    assert!(runs(&browser.app).await.is_empty(), "nothing ran");
    assert_eq!(kept_files(&browser.app).await, 0, "nothing kept");
    assert!(audit_entries(&browser.app, "SyncRun").await.is_empty());
    // The server still answers.
    assert_eq!(
        browser.get("/admin/deposer", Some(&cookie)).await.status,
        200
    );
}

#[tokio::test]
async fn forcing_needs_its_confirmation_and_says_what_it_overrides() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    // One person left: six territories would be vacant, the guard refuses.
    let one = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    let plan = browser
        .upload(&cookie, "une-personne.csv", one.into_bytes())
        .await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert!(
        plan.body
            .contains("Territoires laissés sans coordonnateur (6)")
    );
    assert!(plan.body.contains("Désactivations (7)"), "{}", plan.body);
    assert!(!plan.body.contains("Appliquer ces changements"));
    assert!(plan.body.contains("garde-fou des désactivations"));
    assert!(plan.body.contains("vérification du même fichier"));
    assert!(
        plan.body
            .contains("type=\"checkbox\" name=\"confirmation\"")
    );
    let fields = |confirm: bool| {
        let mut fields = vec![
            ("csrf", hidden(&plan, "csrf")),
            ("empreinte", hidden(&plan, "empreinte")),
            ("version", hidden(&plan, "version")),
            ("forcer", "oui".to_owned()),
        ];
        if confirm {
            fields.push(("confirmation", "oui".to_owned()));
        }
        fields
    };
    let unconfirmed = fields(false);
    let unconfirmed: Vec<(&str, &str)> =
        unconfirmed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser
        .post("/admin/deposer/appliquer", &cookie, &unconfirmed)
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("cochez la case"));
    assert_eq!(
        coordinator::Entity::find()
            .filter(coordinator::Column::Active.eq(true))
            .count(&browser.app.db)
            .await
            .unwrap(),
        7
    );
    let confirmed = fields(true);
    let confirmed: Vec<(&str, &str)> = confirmed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let forced = browser
        .post("/admin/deposer/appliquer", &cookie, &confirmed)
        .await;
    let run = sync_run::Entity::find_by_id(run_of(&forced))
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((run.status, run.forced), (SyncStatus::Applied, true));
    assert_eq!(
        coordinator::Entity::find()
            .filter(coordinator::Column::Active.eq(true))
            .count(&browser.app.db)
            .await
            .unwrap(),
        1
    );
    let audited = audit_entries(&browser.app, "SyncRun").await;
    assert!(audited.last().unwrap().changes.contains("\"forced\""));
}

#[tokio::test]
async fn a_refused_night_is_forced_again_from_its_history_entry() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let one = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    let night = import(&browser.app, SyncTrigger::Schedule, &one, false).await;
    assert_eq!(night.status, SyncStatus::Refused);
    let id = night.run_id.unwrap();
    let page = browser
        .get(&format!("/admin/historique/{id}"), Some(&cookie))
        .await;
    assert!(page.body.contains("Relancer en forçant"), "{}", page.body);
    assert!(page.body.contains("garde-fou des désactivations"));
    assert!(page.body.contains("télécharger le fichier déposé"));
    let secret = page.csrf();
    let path = format!("/admin/historique/{id}/forcer");
    let unconfirmed = browser.post(&path, &cookie, &[("csrf", &secret)]).await;
    assert_eq!(unconfirmed.status, 400);
    let forged = browser
        .post(&path, &cookie, &[("confirmation", "oui")])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(runs(&browser.app).await.len(), 1, "nothing ran");
    let forced = browser
        .post(
            &path,
            &cookie,
            &[("csrf", &secret), ("confirmation", "oui")],
        )
        .await;
    let new_id = run_of(&forced);
    assert_ne!(new_id, id);
    let run = sync_run::Entity::find_by_id(new_id)
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((run.status, run.forced), (SyncStatus::Applied, true));
    assert_eq!(run.file_sha256, night.file_sha256);
    // Only a refused run can be forced again: not the applied one, not a missing one.
    for other in [new_id.to_string(), "999999".to_owned(), "x".to_owned()] {
        let answer = browser
            .post(
                &format!("/admin/historique/{other}/forcer"),
                &cookie,
                &[("csrf", &secret), ("confirmation", "oui")],
            )
            .await;
        assert_eq!(answer.status, 404, "{other}");
    }
    assert_eq!(runs(&browser.app).await.len(), 2);
    let audited = audit_entries(&browser.app, "SyncRun").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].entity_id, new_id);
    // A run whose file is not kept (older than the table, or purged) offers neither.
    roster_file::Entity::delete_many()
        .exec(&browser.app.db)
        .await
        .unwrap();
    let page = browser
        .get(&format!("/admin/historique/{id}"), Some(&cookie))
        .await;
    assert!(!page.body.contains("Relancer en forçant"));
    assert!(!page.body.contains("télécharger le fichier déposé"));
    let gone = browser
        .get(&format!("/admin/historique/{id}/fichier"), Some(&cookie))
        .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn the_roster_page_shows_each_territory_with_its_history_and_offers_the_spreadsheets() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let page = browser.get("/admin/coordonnateurs", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    let people = coordinator::Entity::find()
        .all(&browser.app.db)
        .await
        .unwrap();
    for person in &people {
        assert!(
            page.body.contains(&person.last_name),
            "{}",
            person.last_name
        );
    }
    for n in 1..=7 {
        assert!(page.body.contains(&format!("id=\"territoire-{n}\"")));
    }
    assert!(!page.body.contains("territoire vacant"));
    assert!(page.body.contains("Aucune affectation passée"));
    let statements = statements_for(&browser, "/admin/coordonnateurs", &cookie).await;
    // One person left: the others' periods end, six territories are vacant.
    let one = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    import(&browser.app, SyncTrigger::Cli, &one, true).await;
    assert_eq!(
        statements_for(&browser, "/admin/coordonnateurs", &cookie).await,
        statements,
        "as many statements with a history as without"
    );
    let after = browser.get("/admin/coordonnateurs", Some(&cookie)).await;
    assert_eq!(after.body.matches("territoire vacant").count(), 6);
    assert!(after.body.contains("Historique des affectations"));
    assert!(after.body.contains("(a quitté la liste)"));

    for (path, name) in [
        (
            "/admin/coordonnateurs/modele.xlsx",
            "modele-coordonnateurs.xlsx",
        ),
        ("/admin/coordonnateurs/export.xlsx", "coordonnateurs-"),
    ] {
        let response = browser
            .client
            .get(format!("{}{path}", browser.app.address))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers
                .get("content-disposition")
                .unwrap()
                .to_str()
                .unwrap()
                .contains(name)
        );
        assert_eq!(
            headers.get(CONTENT_TYPE).unwrap(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"), "{path}");
    }
    // The export is the sync crate's: importing it changes nothing.
    let export = browser
        .client
        .get(format!(
            "{}/admin/coordonnateurs/export.xlsx",
            browser.app.address
        ))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let plan = browser.upload(&cookie, "export.xlsx", export).await;
    assert!(plan.body.contains("déjà à jour"), "{}", plan.body);
    // Signed out: nothing.
    assert_eq!(
        browser
            .get("/admin/coordonnateurs/export.xlsx", None)
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn kept_files_are_purged_by_the_nightly_job_unless_submitted_again() {
    let app = territoires_tests::spawn_app().await;
    let bad = format!("{HEADER}Martin;Paul;pas-un-courriel;2\n");
    let one = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    let rejected = import(&app, SyncTrigger::Schedule, &bad, false).await;
    let refused = import(&app, SyncTrigger::Schedule, &one, false).await;
    assert_eq!(
        kept_files(&app).await,
        2,
        "rejected and refused files are kept too"
    );
    // Both last submitted 91 days ago; then the refused one is dropped again.
    roster_file::Entity::update_many()
        .col_expr(
            roster_file::Column::UploadedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::days(91)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    import(&app, SyncTrigger::Schedule, &one, false).await;
    let config = territoires_sync::SyncConfig {
        drop_dir: app.inbox.path().to_path_buf(),
        archive_days: 90,
        ..territoires_sync::SyncConfig::default()
    };
    let (outcome, failure) = territoires_sync::run_nightly(&app.db, &config).await;
    assert!(failure.is_none());
    assert_eq!(outcome.purged_kept_files, 1);
    let sha = |report: &territoires_sync::SyncReport| report.file_sha256.clone().unwrap();
    assert!(
        !territoires_sync::is_kept(&app.db, &sha(&rejected))
            .await
            .unwrap()
    );
    let kept = territoires_sync::kept_file(&app.db, &sha(&refused))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.bytes, one.as_bytes());
    assert_eq!(kept.size, i64::try_from(one.len()).unwrap());
    assert_eq!(kept.uploaded_by, "schedule");
}

#[tokio::test]
async fn two_administrators_applying_one_plan_at_once_apply_it_once() {
    let browser = Browser::new().await;
    let (one, two) = (browser.sign_in().await, browser.sign_in().await);
    let plan = browser
        .upload(&one, "rh.xlsx", fixture("roster-92-hr-export.xlsx"))
        .await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    let (sha, version) = (hidden(&plan, "empreinte"), hidden(&plan, "version"));
    let (secret_one, secret_two) = (hidden(&plan, "csrf"), browser.csrf(&two).await);
    let one_refs = [
        ("csrf", secret_one.as_str()),
        ("empreinte", sha.as_str()),
        ("version", version.as_str()),
    ];
    let two_refs = [
        ("csrf", secret_two.as_str()),
        ("empreinte", sha.as_str()),
        ("version", version.as_str()),
    ];
    // Both posted at once: both may pass the check made before the import; the one made
    // under the import lock lets one through.
    let (first, second) = tokio::join!(
        browser.post("/admin/deposer/appliquer", &one, &one_refs),
        browser.post("/admin/deposer/appliquer", &two, &two_refs),
    );
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{}\n{}", first.body, second.body);
    let refused = if first.status == 409 { &first } else { &second };
    assert!(
        refused.body.contains("rien n'a été appliqué"),
        "{}",
        refused.body
    );
    let applied: Vec<_> = runs(&browser.app)
        .await
        .into_iter()
        .filter(|r| r.status == SyncStatus::Applied)
        .collect();
    assert_eq!(applied.len(), 1, "{applied:?}");
}

#[tokio::test]
async fn an_import_applying_a_plan_checks_the_data_version_under_the_lock() {
    let browser = Browser::new().await;
    let db = &browser.app.db;
    let shown = entity::data_version::current(db).await.unwrap();
    // Another import committed between the plan and "Appliquer".
    entity::data_version::bump(db, entity::DataChangeKind::Roster)
        .await
        .unwrap();
    let csv = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    let options = |version| {
        territoires_sync::ImportOptions::new(SyncTrigger::Upload, "admin")
            .force(true)
            .expecting_data_version(Some(version))
    };
    let source = || territoires_sync::RosterSource::bytes("liste.csv", csv.clone().into_bytes());
    let error = territoires_sync::import_roster(db, source(), &options(shown))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            territoires_sync::SyncError::Stale { expected, current }
                if expected == shown && current == shown + 1
        ),
        "{error:?}"
    );
    assert!(error.in_french().contains("rien n'a été appliqué"));
    assert!(
        runs(&browser.app).await.is_empty(),
        "nothing run nor recorded"
    );
    let active = coordinator::Entity::find()
        .filter(coordinator::Column::Active.eq(true))
        .count(db)
        .await
        .unwrap();
    assert!(active > 1, "nothing deactivated");
    // At the current version, it applies.
    let report = territoires_sync::import_roster(db, source(), &options(shown + 1))
        .await
        .unwrap();
    assert_eq!(report.status, SyncStatus::Applied);
}
