//! Test data for the life of the territories: partners, local bodies and projects
//! written straight into the database (as the editing API would), on top of the
//! reference data.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use entity::{
    DataChangeKind, LocalBodyKind, PartnerKind, ProjectStatus, SaecUnit, StrategicAxis,
    YouthEnvironment, college, commune, coordinator, data_version, local_body,
    local_body_representative, partner, partner_expectation, project, project_axis,
    project_college, project_commune, project_environment, project_partner, project_territory,
    project_theme, territory, theme,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// Database ids of what [`seed_work`] created.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Partners: youth service (Nanterre), prevention (territory 6), association
    /// (Clamart), archived association.
    pub partners: Vec<i32>,
    /// Local bodies: CLSPD Nanterre, CESC (a Clamart collège), steering committee
    /// (territory 2), archived CLSPD.
    pub local_bodies: Vec<i32>,
    /// Projects: rixes (T6 collèges), parentalité (Nanterre+Suresnes), conseil des jeunes
    /// (T2 direct), archived (T4), santé mentale (Sèvres).
    pub projects: Vec<i32>,
}

async fn territory_id(db: &DatabaseConnection, number: i32) -> i32 {
    territory::Entity::find()
        .filter(territory::Column::Number.eq(number))
        .one(db)
        .await
        .expect("territory")
        .expect("territory exists")
        .id
}

async fn commune_id(db: &DatabaseConnection, insee: &str) -> i32 {
    commune::Entity::find()
        .filter(commune::Column::InseeCode.eq(insee))
        .one(db)
        .await
        .expect("commune")
        .expect("commune exists")
        .id
}

/// The database id of the coordinator with this e-mail.
pub async fn coordinator_id(db: &DatabaseConnection, email: &str) -> i32 {
    coordinator::Entity::find()
        .filter(coordinator::Column::Email.eq(email))
        .one(db)
        .await
        .expect("coordinator")
        .expect("coordinator exists")
        .id
}

async fn colleges_of(db: &DatabaseConnection, insee: &str) -> Vec<college::Model> {
    let commune = commune_id(db, insee).await;
    college::Entity::find()
        .filter(college::Column::CommuneId.eq(commune))
        .all(db)
        .await
        .expect("colleges")
}

async fn theme_id(db: &DatabaseConnection, code: &str) -> i32 {
    theme::Entity::find()
        .filter(theme::Column::Code.eq(code))
        .one(db)
        .await
        .expect("theme")
        .expect("theme exists")
        .id
}

/// Makes the running application see what was written directly, recorded as a roster
/// change (what a write from outside the API, the command line's import, records).
pub async fn bump(db: &DatabaseConnection) {
    bump_as(db, DataChangeKind::Roster).await;
}

/// Makes the running application see what was written directly, recorded as `kind`.
pub async fn bump_as(db: &DatabaseConnection, kind: DataChangeKind) {
    data_version::bump(db, kind)
        .await
        .expect("bump the data version");
}

/// Creates the partners, local bodies and projects described by [`Seeded`].
pub async fn seed_work(db: &DatabaseConnection) -> Seeded {
    let base = Utc
        .with_ymd_and_hms(2026, 10, 1, 8, 0, 0)
        .single()
        .expect("date");
    let (t2, t4, t6) = (
        territory_id(db, 2).await,
        territory_id(db, 4).await,
        territory_id(db, 6).await,
    );
    let (nanterre, suresnes, clamart, sevres) = (
        commune_id(db, "92050").await,
        commune_id(db, "92073").await,
        commune_id(db, "92023").await,
        commune_id(db, "92072").await,
    );
    let mut seeded = Seeded::default();

    let partners = [
        (
            "Service jeunesse de Nanterre",
            PartnerKind::YouthService,
            None,
            Some(nanterre),
            None,
        ),
        (
            "Rues et Cités",
            PartnerKind::SpecialisedPrevention,
            Some(t6),
            None,
            None,
        ),
        (
            "Maison des adolescents de Clamart",
            PartnerKind::Association,
            None,
            Some(clamart),
            None,
        ),
        (
            "Ancienne association",
            PartnerKind::Association,
            Some(t4),
            None,
            Some(base),
        ),
    ];
    for (i, (name, kind, territory, commune, archived)) in partners.into_iter().enumerate() {
        let model = partner::ActiveModel {
            name: Set(name.to_owned()),
            kind: Set(kind),
            territory_id: Set(territory),
            commune_id: Set(commune),
            contact_name: Set(Some(format!("Contact {i}"))),
            contact_email: Set(Some(format!("contact{i}@example.org"))),
            contact_phone: Set(Some("+33141371111".to_owned())),
            archived_at: Set(archived),
            created_at: Set(base),
            updated_at: Set(base),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("partner");
        seeded.partners.push(model.id);
    }
    partner_expectation::ActiveModel {
        partner_id: Set(seeded.partners[0]),
        text: Set("Être associé aux CLSPD".to_owned()),
        recorded_on: Set(NaiveDate::from_ymd_opt(2026, 9, 15).expect("date")),
        created_at: Set(base),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("expectation");

    let van_der_heyden = coordinator_id(db, "nvan-der-heyden@hauts-de-seine.fr").await;
    let amiel = coordinator_id(db, "iamiel@hauts-de-seine.fr").await;
    let cuq = coordinator_id(db, "acuq@hauts-de-seine.fr").await;
    let clamart_colleges = colleges_of(db, "92023").await;
    let bodies = [
        (
            "CLSPD de Nanterre",
            LocalBodyKind::Clspd,
            t4,
            Some(nanterre),
            None,
            vec![van_der_heyden],
            None,
        ),
        (
            "CESC du collège de Clamart",
            LocalBodyKind::Cesc,
            t6,
            Some(clamart),
            Some(clamart_colleges[0].id),
            vec![amiel],
            None,
        ),
        (
            "Comité de pilotage PEDT Colombes",
            LocalBodyKind::SteeringCommittee,
            t2,
            None,
            None,
            vec![],
            None,
        ),
        (
            "Ancien CLSPD",
            LocalBodyKind::Clspd,
            t4,
            None,
            None,
            vec![],
            Some(base),
        ),
    ];
    for (name, kind, territory, commune, college, representatives, archived) in bodies {
        let model = local_body::ActiveModel {
            kind: Set(kind),
            name: Set(name.to_owned()),
            description: Set(None),
            territory_id: Set(territory),
            commune_id: Set(commune),
            college_id: Set(college),
            archived_at: Set(archived),
            created_at: Set(base),
            updated_at: Set(base),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("local body");
        for coordinator_id in representatives {
            local_body_representative::ActiveModel {
                local_body_id: Set(model.id),
                coordinator_id: Set(coordinator_id),
            }
            .insert(db)
            .await
            .expect("representative");
        }
        seeded.local_bodies.push(model.id);
    }

    struct P {
        title: &'static str,
        status: ProjectStatus,
        axes: Vec<StrategicAxis>,
        themes: Vec<&'static str>,
        environments: Vec<YouthEnvironment>,
        unit: Option<SaecUnit>,
        lead: Option<i32>,
        territories: Vec<i32>,
        communes: Vec<i32>,
        colleges: Vec<i32>,
        partners: Vec<i32>,
        dates: (Option<NaiveDate>, Option<NaiveDate>),
        archived: bool,
    }
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let projects = vec![
        P {
            title: "Prévention des rixes inter-collèges",
            status: ProjectStatus::InProgress,
            axes: vec![StrategicAxis::Citizenship, StrategicAxis::Wellbeing],
            themes: vec!["FIGHT_PREVENTION"],
            environments: vec![YouthEnvironment::School, YouthEnvironment::Neighbourhood],
            unit: Some(SaecUnit::PreventionCitizenship),
            lead: Some(amiel),
            territories: vec![],
            communes: vec![],
            colleges: clamart_colleges.iter().take(2).map(|c| c.id).collect(),
            partners: vec![seeded.partners[1]],
            dates: (day(2026, 1, 5), day(2026, 12, 18)),
            archived: false,
        },
        P {
            title: "Parentalité et réseaux sociaux",
            status: ProjectStatus::Planned,
            axes: vec![StrategicAxis::Wellbeing],
            themes: vec!["PARENTING", "SOCIAL_NETWORKS"],
            environments: vec![YouthEnvironment::Family],
            unit: Some(SaecUnit::EducationalMediation),
            lead: Some(van_der_heyden),
            territories: vec![],
            communes: vec![nanterre, suresnes],
            colleges: vec![],
            partners: vec![seeded.partners[0]],
            dates: (day(2027, 1, 15), None),
            archived: false,
        },
        P {
            title: "Conseil des jeunes de Colombes",
            status: ProjectStatus::Done,
            axes: vec![StrategicAxis::Citizenship],
            themes: vec!["YOUTH_PARTICIPATION"],
            environments: vec![],
            unit: None,
            lead: None,
            territories: vec![t2],
            communes: vec![],
            colleges: vec![],
            partners: vec![],
            dates: (day(2025, 9, 1), day(2026, 6, 30)),
            archived: false,
        },
        P {
            title: "Projet archivé de Nanterre",
            status: ProjectStatus::Cancelled,
            axes: vec![StrategicAxis::SchoolPerseverance],
            themes: vec!["EXCLUDED_PUPILS"],
            environments: vec![],
            unit: None,
            lead: Some(van_der_heyden),
            territories: vec![t4],
            communes: vec![],
            colleges: vec![],
            partners: vec![],
            dates: (None, None),
            archived: true,
        },
        P {
            title: "Idée santé mentale",
            status: ProjectStatus::Idea,
            axes: vec![StrategicAxis::Wellbeing],
            themes: vec!["MENTAL_HEALTH"],
            environments: vec![YouthEnvironment::School],
            unit: None,
            lead: Some(cuq),
            territories: vec![],
            communes: vec![sevres],
            colleges: vec![],
            partners: vec![],
            dates: (None, None),
            archived: false,
        },
    ];
    for (i, p) in projects.into_iter().enumerate() {
        let updated = base + Duration::hours(i as i64);
        let model = project::ActiveModel {
            title: Set(p.title.to_owned()),
            summary: Set(Some(format!("Résumé du projet {}", p.title))),
            status: Set(p.status),
            unit: Set(p.unit),
            lead_coordinator_id: Set(p.lead),
            start_date: Set(p.dates.0),
            end_date: Set(p.dates.1),
            archived_at: Set(p.archived.then_some(updated)),
            created_at: Set(base),
            updated_at: Set(updated),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("project");
        let id = model.id;
        for axis in p.axes {
            project_axis::ActiveModel {
                project_id: Set(id),
                axis: Set(axis),
            }
            .insert(db)
            .await
            .expect("axis");
        }
        for environment in p.environments {
            project_environment::ActiveModel {
                project_id: Set(id),
                environment: Set(environment),
            }
            .insert(db)
            .await
            .expect("environment");
        }
        for code in p.themes {
            let theme_id = theme_id(db, code).await;
            project_theme::ActiveModel {
                project_id: Set(id),
                theme_id: Set(theme_id),
            }
            .insert(db)
            .await
            .expect("theme");
        }
        for territory_id in p.territories {
            project_territory::ActiveModel {
                project_id: Set(id),
                territory_id: Set(territory_id),
            }
            .insert(db)
            .await
            .expect("territory link");
        }
        for commune_id in p.communes {
            project_commune::ActiveModel {
                project_id: Set(id),
                commune_id: Set(commune_id),
            }
            .insert(db)
            .await
            .expect("commune link");
        }
        for college_id in p.colleges {
            project_college::ActiveModel {
                project_id: Set(id),
                college_id: Set(college_id),
            }
            .insert(db)
            .await
            .expect("college link");
        }
        for partner_id in p.partners {
            project_partner::ActiveModel {
                project_id: Set(id),
                partner_id: Set(partner_id),
            }
            .insert(db)
            .await
            .expect("partner link");
        }
        seeded.projects.push(id);
    }
    bump(db).await;
    seeded
}

/// Adds `count` more projects, each linked to a territory, a commune and a new partner,
/// to show that query costs do not grow with rows.
pub async fn seed_bulk(db: &DatabaseConnection, count: usize) {
    let now = Utc::now();
    let communes = commune::Entity::find().all(db).await.expect("communes");
    for i in 0..count {
        let commune = &communes[i % communes.len()];
        let partner = partner::ActiveModel {
            name: Set(format!("Partenaire {i}")),
            kind: Set(PartnerKind::Association),
            territory_id: Set(None),
            commune_id: Set(Some(commune.id)),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("partner");
        let project = project::ActiveModel {
            title: Set(format!("Projet {i}")),
            status: Set(ProjectStatus::InProgress),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("project");
        project_commune::ActiveModel {
            project_id: Set(project.id),
            commune_id: Set(commune.id),
        }
        .insert(db)
        .await
        .expect("commune link");
        project_partner::ActiveModel {
            project_id: Set(project.id),
            partner_id: Set(partner.id),
        }
        .insert(db)
        .await
        .expect("partner link");
        project_territory::ActiveModel {
            project_id: Set(project.id),
            territory_id: Set(commune.territory_id),
        }
        .insert(db)
        .await
        .expect("territory link");
    }
    bump(db).await;
}
