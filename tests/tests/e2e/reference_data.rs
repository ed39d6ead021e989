//! The reference directory loaded into a new database is exactly the Département's.

use serde_json::json;
use territoires_tests::spawn_app;

/// (territory, coordinator e-mail, displayed phone, full name, title, commune count)
const SEED: [(i64, &str, &str, &str, &str, usize); 7] = [
    (
        1,
        "slara@hauts-de-seine.fr",
        "07 60 77 99 05",
        "Sandrine LARA",
        "Coordonnatrice de territoire 1",
        3,
    ),
    (
        2,
        "bmaillard@hauts-de-seine.fr",
        "07 60 90 20 38",
        "Bertrand MAILLARD",
        "Coordonnateur de territoire 2",
        4,
    ),
    (
        3,
        "hmerlin@hauts-de-seine.fr",
        "06 68 17 62 50",
        "Hannan MERLIN",
        "Coordonnatrice de territoire 3",
        4,
    ),
    (
        4,
        "nvan-der-heyden@hauts-de-seine.fr",
        "07 64 06 60 07",
        "Nathalie VAN DER HEYDEN",
        "Coordonnateur de territoire 4",
        3,
    ),
    (
        5,
        "acuq@hauts-de-seine.fr",
        "06 61 79 09 55",
        "Aude CUQ",
        "Coordonnatrice de territoire 5",
        10,
    ),
    (
        6,
        "iamiel@hauts-de-seine.fr",
        "07 60 78 04 83",
        "Isabelle AMIEL",
        "Coordonnatrice de territoire 6",
        7,
    ),
    (
        7,
        "proustit@hauts-de-seine.fr",
        "06 98 65 25 34",
        "Pierre ROUSTIT",
        "Coordonnateur de territoire 7",
        5,
    ),
];

#[tokio::test]
async fn each_territory_has_its_published_coordinator() {
    let app = spawn_app().await;
    let data = app
        .data("{ territories { number name communes { inseeCode } coordinator { email phone phoneE164 fullName title active } coordinators { email } } }")
        .await;
    let territories = data["territories"].as_array().unwrap();
    assert_eq!(territories.len(), 7);
    for (t, (number, email, phone, name, title, communes)) in territories.iter().zip(SEED) {
        assert_eq!(t["number"], number);
        assert_eq!(t["name"], format!("Territoire {number}"));
        assert_eq!(t["coordinator"]["email"], email);
        assert_eq!(t["coordinator"]["phone"], phone);
        assert_eq!(t["coordinator"]["fullName"], name);
        assert_eq!(t["coordinator"]["title"], title);
        assert_eq!(t["coordinator"]["active"], true);
        let e164 = format!("+33{}", phone.replace(' ', "").trim_start_matches('0'));
        assert_eq!(t["coordinator"]["phoneE164"], e164);
        assert_eq!(t["coordinators"].as_array().unwrap().len(), 1);
        assert_eq!(
            t["communes"].as_array().unwrap().len(),
            communes,
            "territory {number}"
        );
    }
}

#[tokio::test]
async fn the_36_communes_carry_their_official_insee_codes_and_postal_codes() {
    let app = spawn_app().await;
    let data = app
        .data("{ communes { inseeCode name postalCodes territory { number } } }")
        .await;
    let communes = data["communes"].as_array().unwrap();
    assert_eq!(communes.len(), 36);
    let find = |name: &str| communes.iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(find("Asnières-sur-Seine")["inseeCode"], "92004");
    assert_eq!(find("Boulogne-Billancourt")["inseeCode"], "92012");
    assert_eq!(find("Ville-d'Avray")["inseeCode"], "92077");
    assert_eq!(find("Sèvres")["territory"]["number"], 5);
    assert_eq!(find("Meudon")["postalCodes"], json!(["92190", "92360"]));
    assert_eq!(find("Antony")["postalCodes"], json!(["92160"]));
    let mut codes: Vec<&str> = communes
        .iter()
        .map(|c| c["inseeCode"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 36);
    assert!(codes.iter().all(|c| c.len() == 5 && c.starts_with("92")));
}

#[tokio::test]
async fn territory_5_has_its_ten_communes() {
    let app = spawn_app().await;
    let data = app
        .data("{ territory(number: 5) { communes { name } } }")
        .await;
    let names: Vec<&str> = data["territory"]["communes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Boulogne-Billancourt",
            "Chaville",
            "Garches",
            "Issy-les-Moulineaux",
            "Marnes-la-Coquette",
            "Saint-Cloud",
            "Sèvres",
            "Vanves",
            "Vaucresson",
            "Ville-d'Avray"
        ]
    );
    assert_eq!(
        app.data("{ territory(number: 8) { name } }").await["territory"],
        json!(null)
    );
}

#[tokio::test]
async fn the_98_public_colleges_are_loaded_in_their_communes() {
    let app = spawn_app().await;
    let data = app
        .data("{ territories { colleges { uai name commune { inseeCode } } } }")
        .await;
    let colleges: Vec<_> = data["territories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["colleges"].as_array().unwrap().clone())
        .collect();
    assert_eq!(colleges.len(), 98);
    let hubert = colleges.iter().find(|c| c["uai"] == "0920884L").unwrap();
    assert_eq!(hubert["name"], "Collège Hubert Germain");
    assert_eq!(hubert["commune"]["inseeCode"], "92073");
    assert!(!colleges.iter().any(|c| c["uai"] == "0922579D"));
}

#[tokio::test]
async fn coordinators_are_listed_by_territory() {
    let app = spawn_app().await;
    let all = app
        .data("{ coordinators { lastName territory { number } } }")
        .await;
    assert_eq!(all["coordinators"].as_array().unwrap().len(), 7);
    assert_eq!(all["coordinators"][0]["lastName"], "AMIEL");
    let t3 = app.data("{ coordinators(territory: 3) { email } }").await;
    assert_eq!(
        t3["coordinators"],
        json!([{ "email": "hmerlin@hauts-de-seine.fr" }])
    );
    let unknown = app
        .graphql("{ coordinators(territory: 9) { email } }")
        .await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}
