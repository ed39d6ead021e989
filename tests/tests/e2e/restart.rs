//! Restarts never duplicate the reference data nor undo later changes.

use entity::{coordinator, territory};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use territoires_tests::{TestDb, spawn_app_on};

#[tokio::test]
async fn migrating_again_duplicates_nothing_and_keeps_later_changes() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let lara = coordinator::Entity::find()
        .filter(coordinator::Column::Email.eq("slara@hauts-de-seine.fr"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut changed: coordinator::ActiveModel = lara.into();
    changed.title = Set(Some(
        "Coordonnatrice de territoire 1 (intérim T2)".to_owned(),
    ));
    changed.update(&db).await.unwrap();

    // Two restarts: serve migrates on every start.
    territoires::db::migrate(&db).await.unwrap();
    territoires::db::migrate(&db).await.unwrap();

    assert_eq!(territory::Entity::find().count(&db).await.unwrap(), 7);
    assert_eq!(coordinator::Entity::find().count(&db).await.unwrap(), 7);
    assert_eq!(
        entity::commune::Entity::find().count(&db).await.unwrap(),
        36
    );
    assert_eq!(
        entity::college::Entity::find().count(&db).await.unwrap(),
        98
    );
    assert_eq!(entity::theme::Entity::find().count(&db).await.unwrap(), 9);
    db.close().await.unwrap();

    let app = spawn_app_on(database).await;
    let data = app
        .data("{ territory(number: 1) { coordinator { title } } }")
        .await;
    assert_eq!(
        data["territory"]["coordinator"]["title"],
        "Coordonnatrice de territoire 1 (intérim T2)"
    );
}

#[tokio::test]
async fn concurrent_first_starts_migrate_once() {
    let database = TestDb::new().await;
    let (a, b) = (database.connect().await, database.connect().await);
    let (ra, rb) = tokio::join!(territoires::db::migrate(&a), territoires::db::migrate(&b));
    ra.unwrap();
    rb.unwrap();
    assert_eq!(territory::Entity::find().count(&a).await.unwrap(), 7);
}
