//! Map outlines: each commune's, embedded from the published GeoJSON, and each
//! territory's as the union of its communes'.
//!
//! The source (IGN GEOFLA, simplified by `france-geojson`) draws the border two communes
//! share with the very same points on both sides, so a territory's outline is its
//! communes' edges minus the edges two of them share, chained back into rings: no
//! general polygon clipping is needed. The outlines are simplified (about 30 points per
//! commune): right for a map, wrong for placing an address near a border, which is why
//! the API offers no point-in-polygon lookup.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};

/// A position, longitude then latitude (WGS 84), in GeoJSON's order.
pub type Position = [f64; 2];

/// A closed ring: its first position repeated last.
pub type Ring = Vec<Position>;

/// The communes' outlines as published (GeoJSON FeatureCollection, `code` = INSEE code).
const SOURCE: &str = include_str!("../../data/communes-92.geojson");

/// Each commune's ring by INSEE code, counter-clockwise, read once.
static COMMUNES: LazyLock<HashMap<String, Ring>> = LazyLock::new(|| read(SOURCE));

/// Each commune's outline as a GeoJSON geometry, converted once: snapshots (rebuilt on
/// every change of the data) share it rather than converting 36 outlines each time.
static COMMUNE_GEOJSON: LazyLock<HashMap<String, Arc<Value>>> = LazyLock::new(|| {
    COMMUNES
        .iter()
        .map(|(code, ring)| {
            let outline = Outline::Polygon(vec![ring.clone()]);
            (code.clone(), Arc::new(outline.to_geojson()))
        })
        .collect()
});

/// A polygonal area as a GeoJSON geometry: exteriors counter-clockwise, holes
/// clockwise, as RFC 7946 asks (the source's rings are clockwise).
#[derive(Debug, Clone, PartialEq)]
pub enum Outline {
    /// One piece: its exterior ring, then its holes.
    Polygon(Vec<Ring>),
    /// Several pieces, each an exterior ring then its holes.
    MultiPolygon(Vec<Vec<Ring>>),
}

impl Outline {
    /// The GeoJSON geometry object.
    pub fn to_geojson(&self) -> Value {
        match self {
            Self::Polygon(rings) => json!({"type": "Polygon", "coordinates": rings}),
            Self::MultiPolygon(polygons) => {
                json!({"type": "MultiPolygon", "coordinates": polygons})
            }
        }
    }

    /// The pieces, each an exterior ring then its holes.
    pub fn polygons(&self) -> Vec<&[Ring]> {
        match self {
            Self::Polygon(rings) => vec![rings.as_slice()],
            Self::MultiPolygon(polygons) => polygons.iter().map(Vec::as_slice).collect(),
        }
    }

    /// The area in square degrees (holes subtracted): enough to compare outlines.
    pub fn area(&self) -> f64 {
        self.polygons()
            .iter()
            .flat_map(|rings| rings.iter())
            .map(|ring| signed_area(ring))
            .sum()
    }
}

/// The outline of the commune whose INSEE code is `code`; `None` for a commune the
/// source does not draw.
pub fn commune(code: &str) -> Option<Outline> {
    COMMUNES
        .get(code)
        .map(|ring| Outline::Polygon(vec![ring.clone()]))
}

/// The GeoJSON geometry of [`commune`]`(code)`, shared: converted once per process.
pub fn commune_geojson(code: &str) -> Option<Arc<Value>> {
    COMMUNE_GEOJSON.get(code).cloned()
}

/// The outline of the communes whose INSEE codes are `codes`, taken together; `None`
/// when there are none, one is not drawn, or their edges do not close into rings.
pub fn union<'a>(codes: impl IntoIterator<Item = &'a str>) -> Option<Outline> {
    let rings: Vec<&Ring> = codes
        .into_iter()
        .map(|code| COMMUNES.get(code))
        .collect::<Option<_>>()?;
    union_of(&rings)
}

/// Reads the embedded FeatureCollection. It is part of the binary and checked by the
/// tests, so a feature it cannot read is logged and left out rather than fatal.
fn read(source: &str) -> HashMap<String, Ring> {
    let mut communes = HashMap::new();
    let features = serde_json::from_str::<Value>(source)
        .ok()
        .and_then(|doc| doc.get("features").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    for feature in &features {
        let code = feature.pointer("/properties/code").and_then(Value::as_str);
        let ring = feature
            .pointer("/geometry/coordinates/0")
            .and_then(Value::as_array)
            .map(|points| points.iter().map(position).collect::<Option<Ring>>());
        match (code, ring) {
            (Some(code), Some(Some(ring))) if ring.len() >= 4 && ring.first() == ring.last() => {
                communes.insert(code.to_owned(), counter_clockwise(ring));
            }
            _ => tracing::error!(
                ?code,
                "communes-92.geojson: a feature is not a closed polygon"
            ),
        }
    }
    communes
}

fn position(value: &Value) -> Option<Position> {
    let pair = value.as_array()?;
    match pair.as_slice() {
        [lon, lat, ..] => Some([lon.as_f64()?, lat.as_f64()?]),
        _ => None,
    }
}

/// Twice the signed area, halved: positive for a counter-clockwise ring.
fn signed_area(ring: &[Position]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum::<f64>()
        / 2.0
}

fn counter_clockwise(mut ring: Ring) -> Ring {
    if signed_area(&ring) < 0.0 {
        ring.reverse();
    }
    ring
}

fn clockwise(mut ring: Ring) -> Ring {
    if signed_area(&ring) > 0.0 {
        ring.reverse();
    }
    ring
}

/// Whether `point` lies inside `ring` (even-odd rule).
fn contains(ring: &[Position], point: Position) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (w[0], w[1]);
        if (y1 > point[1]) != (y2 > point[1])
            && point[0] < (x2 - x1) * (point[1] - y1) / (y2 - y1) + x1
        {
            inside = !inside;
        }
    }
    inside
}

/// A position's exact bits: shared borders repeat positions exactly, so equality is
/// the right test (no tolerance that could weld distinct points).
type Key = [u64; 2];

fn key(p: Position) -> Key {
    [p[0].to_bits(), p[1].to_bits()]
}

/// The union of counter-clockwise rings that meet only along shared edges.
fn union_of(rings: &[&Ring]) -> Option<Outline> {
    // Undirected edge → (how many rings draw it, the edge as the first ring drew it).
    let mut edges: HashMap<(Key, Key), (u32, Position, Position)> = HashMap::new();
    for ring in rings {
        for w in ring.windows(2) {
            let (a, b) = (key(w[0]), key(w[1]));
            if a == b {
                continue;
            }
            let undirected = if a < b { (a, b) } else { (b, a) };
            edges.entry(undirected).or_insert((0, w[0], w[1])).0 += 1;
        }
    }
    // What is left after dropping shared edges keeps the rings' direction: outer
    // boundaries run counter-clockwise, boundaries of holes clockwise.
    let mut outgoing: HashMap<Key, Vec<(Position, Position)>> = HashMap::new();
    let mut remaining = 0usize;
    for (count, from, to) in edges.into_values() {
        if count == 1 {
            outgoing.entry(key(from)).or_default().push((from, to));
            remaining += 1;
        }
    }
    let mut chained: Vec<Ring> = Vec::new();
    while remaining > 0 {
        let start = outgoing
            .iter()
            .find(|(_, out)| !out.is_empty())
            .map(|(k, _)| *k)?;
        let mut ring = Vec::new();
        let mut at = start;
        loop {
            let (from, to) = outgoing.get_mut(&at)?.pop()?;
            remaining -= 1;
            ring.push(from);
            at = key(to);
            if at == start {
                ring.push(to);
                break;
            }
        }
        chained.push(ring);
    }
    let (exteriors, holes): (Vec<Ring>, Vec<Ring>) = chained
        .into_iter()
        .filter(|ring| ring.len() >= 4)
        .partition(|ring| signed_area(ring) > 0.0);
    let mut polygons: Vec<Vec<Ring>> = exteriors
        .into_iter()
        .map(|ring| vec![counter_clockwise(ring)])
        .collect();
    for hole in holes {
        // The smallest exterior around the hole owns it.
        let owner = polygons
            .iter_mut()
            .filter(|polygon| contains(&polygon[0], hole[0]))
            .min_by(|a, b| signed_area(&a[0]).total_cmp(&signed_area(&b[0])))?;
        owner.push(clockwise(hole));
    }
    match polygons.len() {
        0 => None,
        1 => polygons.pop().map(Outline::Polygon),
        _ => Some(Outline::MultiPolygon(polygons)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn square(x: f64, y: f64, size: f64) -> Ring {
        vec![
            [x, y],
            [x + size, y],
            [x + size, y + size],
            [x, y + size],
            [x, y],
        ]
    }

    #[test]
    fn the_36_communes_are_read_as_closed_counter_clockwise_rings() {
        assert_eq!(COMMUNES.len(), 36);
        for (code, ring) in COMMUNES.iter() {
            assert!(code.starts_with("92"), "{code}");
            assert_eq!(ring.first(), ring.last(), "{code} is not closed");
            assert!(signed_area(ring) > 0.0, "{code} is clockwise");
        }
    }

    #[test]
    fn commune_geometries_are_converted_once_and_shared() {
        let first = commune_geojson("92050");
        let again = commune_geojson("92050");
        let (Some(first), Some(again)) = (first, again) else {
            panic!("Nanterre is drawn");
        };
        assert!(Arc::ptr_eq(&first, &again), "one conversion per process");
        assert_eq!(
            commune("92050").map(|o| o.to_geojson()).as_ref(),
            Some(&*first)
        );
        assert!(commune_geojson("75056").is_none());
    }

    #[test]
    fn two_squares_sharing_an_edge_make_one_rectangle() {
        let (a, b) = (square(0.0, 0.0, 1.0), square(1.0, 0.0, 1.0));
        let Some(Outline::Polygon(rings)) = union_of(&[&a, &b]) else {
            panic!("not one polygon");
        };
        assert_eq!(rings.len(), 1);
        assert_eq!(
            rings[0].len(),
            7,
            "the shared edge's two points stay as vertices"
        );
        assert!((signed_area(&rings[0]) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn apart_squares_make_a_multipolygon_and_a_ring_around_a_hole_keeps_it() {
        let (a, b) = (square(0.0, 0.0, 1.0), square(5.0, 5.0, 1.0));
        assert!(matches!(union_of(&[&a, &b]), Some(Outline::MultiPolygon(p)) if p.len() == 2));

        // Eight unit squares around a missing centre: one polygon with one hole.
        let ring: Vec<Ring> = (0..3)
            .flat_map(|x| (0..3).map(move |y| (x, y)))
            .filter(|&(x, y)| (x, y) != (1, 1))
            .map(|(x, y)| square(f64::from(x), f64::from(y), 1.0))
            .collect();
        let refs: Vec<&Ring> = ring.iter().collect();
        let Some(Outline::Polygon(rings)) = union_of(&refs) else {
            panic!("not one polygon");
        };
        assert_eq!(rings.len(), 2, "an exterior and a hole");
        assert!(signed_area(&rings[0]) > 0.0, "exterior counter-clockwise");
        assert!(signed_area(&rings[1]) < 0.0, "hole clockwise");
        assert!((Outline::Polygon(rings).area() - 8.0).abs() < 1e-12);
    }

    #[test]
    fn nothing_to_unite_or_an_unknown_commune_is_none() {
        assert_eq!(union_of(&[]), None);
        assert_eq!(union(["92002", "75056"]), None);
        assert_eq!(commune("75056"), None);
    }
}
