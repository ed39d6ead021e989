//! The SAEC as data (`saec`) and the partner kinds of the schemes and of the
//! Département's professionals: created, labelled, counted in the overview, and brought
//! by migration 27 without changing any existing partner (down and up, both databases).

use entity::{PartnerKind, Role, partner, partner_expectation, project_partner};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set,
    Statement,
};
use serde_json::json;
use territoires_tests::{TestDb, seed::seed_work, spawn_app};

const NEW_KINDS: [&str; 4] = [
    "CITY_POLICY",
    "CHILD_PROTECTION",
    "DEPARTMENT_SOCIAL_WORK",
    "YOUTH_SERVICE_DEPARTMENT",
];

#[tokio::test]
async fn saec_answers_the_documents_own_text() {
    let app = spawn_app().await;
    let saec = &app
        .data(
            "{ saec { title acronym fullName direction mission environments strategicAxes \
             coordinatorsMission coordinatorFunctions { code label } units linkedSchemes \
             exampleActions } }",
        )
        .await["saec"];
    assert_eq!(saec["acronym"], "SAEC");
    assert_eq!(
        saec["fullName"],
        "service des actions éducatives et de la citoyenneté"
    );
    assert_eq!(
        saec["direction"],
        "direction de l'éducation, de la citoyenneté et des collèges"
    );
    assert!(
        saec["mission"]
            .as_str()
            .unwrap()
            .starts_with("veille à ce que")
    );
    let labels: Vec<&str> = saec["coordinatorFunctions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "diagnostic",
            "représentation",
            "portage",
            "essaimage de l'innovation",
            "mise en lien"
        ]
    );
    let actions = saec["exampleActions"].as_array().unwrap();
    assert_eq!(actions.len(), 9);
    assert!(
        actions[3]
            .as_str()
            .unwrap()
            .starts_with("Représenter le Département")
    );
    assert!(
        saec["linkedSchemes"]
            .as_array()
            .unwrap()
            .contains(&json!("la protection de l'enfance"))
    );
}

#[tokio::test]
async fn the_new_kinds_are_created_labelled_and_counted() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    for (i, kind) in NEW_KINDS.iter().enumerate() {
        let created = app
            .graphql_as(
                &editor,
                "mutation($name: String!, $kind: PartnerKind!) { createPartner(input: \
                 {name: $name, kind: $kind, territory: 3}) { partner { kind } } }",
                json!({ "name": format!("Partenaire {i}"), "kind": kind }),
            )
            .await;
        assert_eq!(
            created["data"]["createPartner"]["partner"]["kind"], *kind,
            "{created}"
        );
    }
    let data = app
        .data(
            "{ vocabulary { partnerKinds { value label } } \
             territory(number: 3) { overview { partnerCount partnersByKind { key label count } } } }",
        )
        .await;
    let labels = data["vocabulary"]["partnerKinds"].as_array().unwrap();
    assert!(labels.contains(&json!({ "value": "CITY_POLICY", "label": "Politique de la ville" })));
    assert!(
        labels
            .contains(&json!({ "value": "CHILD_PROTECTION", "label": "Protection de l'enfance" }))
    );
    let overview = &data["territory"]["overview"];
    assert_eq!(overview["partnerCount"], 4);
    let by_kind = overview["partnersByKind"].as_array().unwrap();
    assert_eq!(by_kind.len(), 11, "every kind, zeros included");
    for kind in NEW_KINDS {
        let entry = by_kind.iter().find(|e| e["key"] == kind).unwrap();
        assert_eq!(entry["count"], 1, "{kind}");
        assert!(!entry["label"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        by_kind.iter().find(|e| e["key"] == "OTHER").unwrap()["count"],
        0
    );
}

async fn kinds(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        "SELECT kind FROM partners ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "kind").unwrap())
    .collect()
}

async fn set_kind(db: &DatabaseConnection, id: i32, kind: &str) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        format!("UPDATE partners SET kind = '{kind}' WHERE id = {id}"),
    ))
    .await
    .map(|_| ())
}

async fn children(db: &DatabaseConnection) -> (u64, u64) {
    (
        partner_expectation::Entity::find().count(db).await.unwrap(),
        project_partner::Entity::find().count(db).await.unwrap(),
    )
}

#[tokio::test]
async fn partner_kinds_migrate_down_and_up_keeping_partners_and_their_links() {
    let database = TestDb::new().await;
    // One connection, as `territoires migrate` runs alone: the SQLite rebuild's statements
    // then never meet another pooled connection's view of the old schema.
    let mut options = sea_orm::ConnectOptions::new(database.url().to_owned());
    options.max_connections(1).min_connections(1);
    let db = sea_orm::Database::connect(options).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let seeded = seed_work(&db).await;
    let before = kinds(&db).await;
    let links = children(&db).await;
    assert!(
        links.0 > 0 && links.1 > 0,
        "the seed links partners: {links:?}"
    );
    let city = partner::Entity::find_by_id(seeded.partners[0])
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut city: partner::ActiveModel = city.into();
    city.kind = Set(PartnerKind::CityPolicy);
    city.update(&db).await.unwrap();

    let migrations = Migrator::migrations();
    let at = migrations
        .iter()
        .position(|m| m.name() == "m20261203_000027_partner_kinds")
        .unwrap();
    let steps = u32::try_from(migrations.len() - at).unwrap();
    Migrator::down(&db, Some(steps)).await.unwrap();
    let mut expected = before.clone();
    expected[0] = "OTHER".to_owned();
    assert_eq!(kinds(&db).await, expected, "a new kind becomes OTHER");
    assert_eq!(children(&db).await, links, "expectations and links survive");
    for kind in NEW_KINDS {
        assert!(
            set_kind(&db, seeded.partners[1], kind).await.is_err(),
            "the old constraint is back: {kind}"
        );
    }

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        kinds(&db).await,
        expected,
        "existing partners keep their kind"
    );
    assert_eq!(children(&db).await, links, "expectations and links survive");
    for kind in NEW_KINDS {
        set_kind(&db, seeded.partners[1], kind).await.unwrap();
    }
    assert!(
        set_kind(&db, seeded.partners[1], "NOT_A_KIND")
            .await
            .is_err()
    );
    // The rebuilt table still cascades to its expectations and refuses to lose a
    // project's partner.
    let linked = project_partner::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        partner::Entity::delete_by_id(linked.partner_id)
            .exec(&db)
            .await
            .is_err(),
        "a project's partner cannot be deleted"
    );
}
