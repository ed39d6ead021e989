//! Maps: `Commune.outline`, `Territory.outline` and `territoriesGeoJson` are valid
//! RFC 7946 GeoJSON, each territory's outline is exactly the union of its communes', and
//! it follows a commune moved to another territory.

use std::collections::HashMap;

use entity::{commune, territory};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use territoires_tests::spawn_app;

type Ring = Vec<[f64; 2]>;

const MAP: &str = r#"{
  territoriesGeoJson
  territories {
    number name outline
    coordinators { fullName }
    communes { inseeCode outline }
  }
}"#;

/// The polygons of a GeoJSON geometry, each an exterior ring then its holes; checks
/// the RFC 7946 rules on the way (closed rings of 4+ positions, WGS 84 ranges,
/// exteriors counter-clockwise, holes clockwise).
fn polygons(geometry: &Value) -> Vec<Vec<Ring>> {
    let ring = |value: &Value| -> Ring {
        let ring: Ring = value
            .as_array()
            .unwrap()
            .iter()
            .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
            .collect();
        assert!(ring.len() >= 4, "a ring needs 4 positions: {ring:?}");
        assert_eq!(ring.first(), ring.last(), "ring not closed");
        for [lon, lat] in &ring {
            assert!(
                (2.0..2.6).contains(lon) && (48.7..49.0).contains(lat),
                "{lon},{lat}"
            );
        }
        ring
    };
    let polygon = |value: &Value| -> Vec<Ring> {
        let rings: Vec<Ring> = value.as_array().unwrap().iter().map(ring).collect();
        assert!(area(&rings[0]) > 0.0, "exterior ring not counter-clockwise");
        for hole in &rings[1..] {
            assert!(area(hole) < 0.0, "hole not clockwise");
        }
        rings
    };
    let coordinates = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => vec![polygon(coordinates)],
        Some("MultiPolygon") => coordinates
            .as_array()
            .unwrap()
            .iter()
            .map(polygon)
            .collect(),
        other => panic!("not a polygonal geometry: {other:?}"),
    }
}

/// Signed area (counter-clockwise positive), in square degrees.
fn area(ring: &Ring) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum::<f64>()
        / 2.0
}

fn total_area(geometry: &Value) -> f64 {
    polygons(geometry).iter().flatten().map(area).sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[tokio::test]
async fn every_outline_is_valid_geojson_and_each_territory_is_the_union_of_its_communes() {
    let app = spawn_app().await;
    let data = app.graphql(MAP).await;
    assert!(data.get("errors").is_none(), "{data}");
    let territories = data["data"]["territories"].as_array().unwrap();
    assert_eq!(territories.len(), 7);

    let mut communes = 0;
    for t in territories {
        let mut sum = 0.0;
        let mut vertices = Vec::new();
        for c in t["communes"].as_array().unwrap() {
            communes += 1;
            assert_eq!(c["outline"]["type"], "Polygon", "{}", c["inseeCode"]);
            sum += total_area(&c["outline"]);
            vertices.extend(polygons(&c["outline"]).into_iter().flatten().flatten());
        }
        // The communes do not overlap: the union's area is the sum of theirs, and its
        // outline only uses their vertices (no invented point, no lost piece).
        let outline = &t["outline"];
        assert!(
            close(total_area(outline), sum),
            "territory {}: {} vs {sum}",
            t["number"],
            total_area(outline)
        );
        for point in polygons(outline).into_iter().flatten().flatten() {
            assert!(
                vertices.contains(&point),
                "territory {}: {point:?}",
                t["number"]
            );
        }
    }
    assert_eq!(communes, 36);

    let map = &data["data"]["territoriesGeoJson"];
    assert_eq!(map["type"], "FeatureCollection");
    let features = map["features"].as_array().unwrap();
    assert_eq!(features.len(), 7);
    for (feature, t) in features.iter().zip(territories) {
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["id"], t["number"]);
        assert_eq!(feature["properties"]["number"], t["number"]);
        assert_eq!(feature["properties"]["name"], t["name"]);
        let names: Vec<Value> = t["coordinators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["fullName"].clone())
            .collect();
        assert_eq!(feature["properties"]["coordinators"], json!(names));
        assert_eq!(feature["geometry"], t["outline"]);
    }
}

#[tokio::test]
async fn a_commune_moved_to_another_territory_moves_on_the_map() {
    let app = spawn_app().await;
    let areas = |data: &Value| -> HashMap<i64, f64> {
        data["data"]["territories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["number"].as_i64().unwrap(), total_area(&t["outline"])))
            .collect()
    };
    let before = app.graphql(MAP).await;
    let boulogne = app
        .graphql(r#"{ commune(inseeCode: "92012") { outline territory { number } } }"#)
        .await;
    let from = boulogne["data"]["commune"]["territory"]["number"]
        .as_i64()
        .unwrap();
    let to = if from == 1 { 2 } else { 1 };
    let moved_area = total_area(&boulogne["data"]["commune"]["outline"]);

    let target = territory::Entity::find()
        .filter(territory::Column::Number.eq(to as i32))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let model = commune::Entity::find()
        .filter(commune::Column::InseeCode.eq("92012"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: commune::ActiveModel = model.into();
    active.territory_id = Set(target.id);
    active.update(&app.db).await.unwrap();
    entity::data_version::bump(&app.db, entity::DataChangeKind::Roster)
        .await
        .unwrap();

    let after = app.graphql(MAP).await;
    assert!(after.get("errors").is_none(), "{after}");
    let (before, after) = (areas(&before), areas(&after));
    assert!(close(after[&from], before[&from] - moved_area), "{from}");
    assert!(close(after[&to], before[&to] + moved_area), "{to}");
    for n in (1..=7).filter(|n| *n != from && *n != to) {
        assert!(close(after[&n], before[&n]), "{n} changed");
    }
}
