//! Times the commune matcher (see `bench/matcher.sh`): building the France index, its
//! size, and the mean time per lookup of each input of issue 13, on the reference data
//! loaded into a throw-away SQLite database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use migration::MigratorTrait;
use territoires::directory::matcher::{france, lookup};
use territoires::directory::{HitKind, HitKinds, Snapshot, Visibility, search};

const INPUTS: &[&str] = &[
    "nantere",
    "courbevois",
    "colombs",
    "Antonny",
    "boulogne-bilancourt",
    "issy-les-moulinaux",
    "92 130",
    "92-130",
    "92.130",
    "Sevres 92310",
    "st cloud 92210",
    "Boulogne 92100",
    "Clichy-la-Garenne",
    "Meudon-la-Forêt",
    "villedavray",
    "boiscolombes",
    "Saint",
    "Paris",
    "L'Haÿ-les-Roses",
    "Vannes",
    "saint remy en bouzemont saint genest et isson xx",
];

/// What people type in the search box: exact, prefix, glued, typos of every kind.
const SEARCHES: &[&str] = &[
    "Nanterre",
    "nant",
    "nantere",
    "courbevois",
    "vanderheyden",
    "Bertrand Mailard",
    "collège jean perin",
    "sante mentalle",
    "nvan-der-heyden@hauts-de-seine.fr",
    "T3",
    "92 130",
    "collège",
];

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = sea_orm::Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let snapshot = Snapshot::load(&db).await.unwrap();

    let started = Instant::now();
    let france = france();
    let first_use = started.elapsed();
    let (keys, bytes) = france.names.footprint();
    println!(
        "france index: {keys} keys, {:.1} MiB, built in {:.1} ms ({:.1} ms on first use)",
        bytes as f64 / (1024.0 * 1024.0),
        france.build_time.as_secs_f64() * 1e3,
        first_use.as_secs_f64() * 1e3,
    );

    let rounds = 500;
    let mut worst = (0.0_f64, "");
    let started = Instant::now();
    for &input in INPUTS {
        let one = Instant::now();
        for _ in 0..rounds {
            black_box(lookup(&snapshot, black_box(input)));
        }
        let micros = one.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
        println!("{micros:9.1} µs  {input}");
        if micros > worst.0 {
            worst = (micros, input);
        }
    }
    let total = started.elapsed().as_secs_f64() * 1e6 / (f64::from(rounds) * INPUTS.len() as f64);
    println!(
        "mean {total:.1} µs per lookup; slowest {:.1} µs ({})",
        worst.0, worst.1
    );

    let kinds: HitKinds = [
        HitKind::Commune,
        HitKind::Coordinator,
        HitKind::College,
        HitKind::LocalBody,
        HitKind::Partner,
        HitKind::Project,
        HitKind::Theme,
        HitKind::Territory,
    ]
    .into_iter()
    .collect();
    let visibility = Visibility { everything: true };
    // The first search builds each kind's typo index (once per snapshot).
    let started = Instant::now();
    black_box(search(&snapshot, "x", kinds, visibility, 10));
    println!(
        "search indexes built on first use in {:.2} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let started = Instant::now();
    for &input in SEARCHES {
        let one = Instant::now();
        for _ in 0..rounds {
            black_box(search(&snapshot, black_box(input), kinds, visibility, 10));
        }
        let micros = one.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
        println!("{micros:9.1} µs  search {input}");
    }
    let total = started.elapsed().as_secs_f64() * 1e6 / (f64::from(rounds) * SEARCHES.len() as f64);
    println!("mean {total:.1} µs per search (every kind)");
}
