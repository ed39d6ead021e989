//! Domain enums, stored as text with a CHECK constraint (portable across SQLite and
//! PostgreSQL) and exposed to GraphQL under the same names.
//!
//! Every value carries its French label, so frontends never hard-code one.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Implemented by every domain enum: the code stored and shown to clients, and the French
/// label shown to people.
pub trait Labelled: Sized + Copy + 'static {
    /// All values, in their display order.
    const ALL: &'static [Self];
    /// The stable code (`CLSPD`, `IN_PROGRESS`…), as stored in the database.
    fn code(self) -> &'static str;
    /// The French label shown to people.
    fn label(self) -> &'static str;
}

macro_rules! domain_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(40))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[sea_orm(string_value = $code)]
                $variant,
            )+
        }

        impl Labelled for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }
        }

        impl $name {
            /// The codes accepted by the database CHECK constraint.
            pub const CODES: &'static [&'static str] = &[$($code),+];
        }
    };
}

domain_enum! {
    /// The kind of a local body (*instance locale*) where the Département is represented.
    LocalBodyKind {
        /// Conseil local de sécurité et de prévention de la délinquance.
        Clspd = "CLSPD", "CLSPD (conseil local de sécurité et de prévention de la délinquance)";
        /// Conseil intercommunal de sécurité et de prévention de la délinquance.
        Cispd = "CISPD", "CISPD (conseil intercommunal de sécurité et de prévention de la délinquance)";
        /// Comité d'éducation à la santé et à la citoyenneté (in a collège).
        Cesc = "CESC", "CESC (comité d'éducation à la santé et à la citoyenneté)";
        /// Comité de pilotage of a project or scheme.
        SteeringCommittee = "STEERING_COMMITTEE", "Comité de pilotage";
        /// Dialogue de gestion with a collège or an operator.
        ManagementDialogue = "MANAGEMENT_DIALOGUE", "Dialogue de gestion";
        /// Any other local body.
        Other = "OTHER", "Autre instance";
    }
}

domain_enum! {
    /// The kind of a local partner (*acteur local*).
    PartnerKind {
        /// A collège (its principal, CPE, staff).
        College = "COLLEGE", "Collège";
        /// A municipal youth service.
        YouthService = "YOUTH_SERVICE", "Service jeunesse";
        /// A specialised prevention team.
        SpecialisedPrevention = "SPECIALISED_PREVENTION", "Prévention spécialisée";
        /// A project leader (*porteur de projet*).
        ProjectLeader = "PROJECT_LEADER", "Porteur de projet";
        /// An association.
        Association = "ASSOCIATION", "Association";
        /// A municipality (*commune*) as an institution.
        Municipality = "MUNICIPALITY", "Commune";
        /// A scheme of the city policy (*politique de la ville*).
        CityPolicy = "CITY_POLICY", "Politique de la ville";
        /// Child protection (*protection de l'enfance*).
        ChildProtection = "CHILD_PROTECTION", "Protection de l'enfance";
        /// The Département's own professionals: social workers, educational mediators,
        /// prevention officers (*travailleurs sociaux, médiateurs éducatifs, chargés de
        /// prévention*).
        DepartmentSocialWork = "DEPARTMENT_SOCIAL_WORK", "Travailleurs sociaux, médiateurs éducatifs et chargés de prévention du Département";
        /// A youth service of the Département (not a municipal one).
        YouthServiceDepartment = "YOUTH_SERVICE_DEPARTMENT", "Service jeunesse du Département";
        /// Any other partner.
        Other = "OTHER", "Autre acteur";
    }
}

domain_enum! {
    /// Where a project stands.
    ProjectStatus {
        /// An idea, not yet planned.
        Idea = "IDEA", "Idée";
        /// Planned, not started.
        Planned = "PLANNED", "Programmé";
        /// Under way.
        InProgress = "IN_PROGRESS", "En cours";
        /// Finished.
        Done = "DONE", "Terminé";
        /// Abandoned.
        Cancelled = "CANCELLED", "Annulé";
    }
}

domain_enum! {
    /// The three cross-cutting strategic axes of the SAEC.
    StrategicAxis {
        /// Well-being (*bien-être*).
        Wellbeing = "WELLBEING", "Bien-être";
        /// School perseverance (*persévérance scolaire*).
        SchoolPerseverance = "SCHOOL_PERSEVERANCE", "Persévérance scolaire";
        /// Citizenship (*citoyenneté*).
        Citizenship = "CITIZENSHIP", "Citoyenneté";
    }
}

domain_enum! {
    /// The three environments of a young person.
    YouthEnvironment {
        /// Family (*famille*).
        Family = "FAMILY", "Famille";
        /// School (*école*).
        School = "SCHOOL", "École";
        /// Neighbourhood (*quartier*).
        Neighbourhood = "NEIGHBOURHOOD", "Quartier";
    }
}

domain_enum! {
    /// The units of the SAEC (*service des actions éducatives et de la citoyenneté*).
    SaecUnit {
        /// Unité de la médiation éducative.
        EducationalMediation = "EDUCATIONAL_MEDIATION", "Unité de la médiation éducative";
        /// Unité des projets éducatifs territoriaux.
        TerritorialEducationProjects = "TERRITORIAL_EDUCATION_PROJECTS", "Unité des projets éducatifs territoriaux";
        /// Unité prévention et citoyenneté.
        PreventionCitizenship = "PREVENTION_CITIZENSHIP", "Unité prévention et citoyenneté";
    }
}

domain_enum! {
    /// What started a roster import.
    SyncTrigger {
        /// The nightly schedule inside `serve`.
        Schedule = "SCHEDULE", "Import planifié";
        /// The command line (`territoires sync`).
        Cli = "CLI", "Ligne de commande";
        /// An administrator asked to process the drop folder now.
        Manual = "MANUAL", "Lancement manuel";
        /// A file uploaded through the API.
        Upload = "UPLOAD", "Fichier téléversé";
    }
}

domain_enum! {
    /// How a roster import ended (or `RUNNING` while it runs).
    SyncStatus {
        /// The file was valid and its changes were applied.
        Applied = "APPLIED", "Appliqué";
        /// A dry run of a valid file with changes: they were planned (see the run's plan),
        /// nothing was written.
        Planned = "PLANNED", "Simulé (essai à blanc)";
        /// The file was valid and matched the current roster: nothing to change.
        Unchanged = "UNCHANGED", "Aucun changement";
        /// The same file as the last applied import: not read again.
        Skipped = "SKIPPED", "Ignoré (fichier déjà importé)";
        /// The file had errors: nothing was changed.
        Rejected = "REJECTED", "Rejeté";
        /// The file was valid but would deactivate too many people: refused unless forced.
        Refused = "REFUSED", "Refusé (trop de désactivations)";
        /// Another import was running: this one did not run.
        Busy = "BUSY", "Non lancé (import déjà en cours)";
        /// The import failed for a technical reason: nothing was changed.
        Failed = "FAILED", "Échec technique";
        /// Still running: recorded when the import starts, with its progress (see the
        /// run's `phase`, `progressDone` and `progressTotal`), and given its outcome when
        /// it ends. A run whose process is gone becomes `FAILED`.
        Running = "RUNNING", "En cours";
    }
}

domain_enum! {
    /// Which part of a roster import is running, for progress bars.
    SyncPhase {
        /// Reading the file (one step: the spreadsheet library reads it whole).
        Reading = "READING", "Lecture du fichier";
        /// Checking the rows.
        Validating = "VALIDATING", "Vérification des lignes";
        /// Writing the changes.
        Applying = "APPLYING", "Enregistrement des changements";
    }
}

domain_enum! {
    /// How serious a problem found in a roster file is.
    ProblemSeverity {
        /// Blocks the import.
        Error = "ERROR", "Erreur";
        /// Reported, does not block.
        Warning = "WARNING", "Avertissement";
    }
}

domain_enum! {
    /// What an API token may do (see "Who may see and do what").
    Role {
        /// Reads everything but sync runs, the audit log and employee ids; writes local
        /// bodies, partners and projects.
        Editor = "EDITOR", "Éditeur";
        /// Everything: also sync runs, the audit log, employee ids, tokens, collèges,
        /// themes and roster imports.
        Admin = "ADMIN", "Administrateur";
    }
}

domain_enum! {
    /// What a write did, in the audit log.
    AuditAction {
        /// Created.
        Create = "CREATE", "Création";
        /// Fields changed.
        Update = "UPDATE", "Modification";
        /// Archived (left public lists, kept for history).
        Archive = "ARCHIVE", "Archivage";
        /// Brought back from the archive.
        Restore = "RESTORE", "Restauration";
        /// A coordinator changed territory.
        Move = "MOVE", "Changement de territoire";
        /// A coordinator left the roster.
        Deactivate = "DEACTIVATE", "Désactivation";
        /// A coordinator came back to the roster.
        Reactivate = "REACTIVATE", "Réactivation";
        /// Personal data erased after the retention period.
        Erase = "ERASE", "Effacement";
    }
}

domain_enum! {
    /// What part of the served data a write changed: told by the `dataChanged`
    /// subscription, so a client refetches only what it shows. Recorded with each data
    /// version, by every process that writes.
    DataChangeKind {
        /// The roster: coordinators, their territories and contacts, the communes'
        /// territories, and the record of roster imports (imports, erasures after the
        /// retention period).
        Roster = "ROSTER", "Annuaire des coordonnateurs";
        /// Local bodies and their representatives.
        LocalBodies = "LOCAL_BODIES", "Instances locales";
        /// Local partners and their expectations.
        Partners = "PARTNERS", "Acteurs locaux";
        /// Projects.
        Projects = "PROJECTS", "Projets";
        /// Collèges.
        Colleges = "COLLEGES", "Collèges";
        /// Themes.
        Themes = "THEMES", "Thèmes";
        /// API tokens (created, revoked): who may read what.
        Access = "ACCESS", "Accès";
    }
}

impl DataChangeKind {
    /// The kind of change a write to `entity` makes (every audited write bumps the data
    /// version).
    pub fn of(entity: crate::AuditEntity) -> Self {
        use crate::AuditEntity;
        match entity {
            AuditEntity::Project => Self::Projects,
            AuditEntity::LocalBody => Self::LocalBodies,
            AuditEntity::Partner => Self::Partners,
            AuditEntity::College => Self::Colleges,
            AuditEntity::Theme => Self::Themes,
            AuditEntity::Coordinator | AuditEntity::Commune | AuditEntity::SyncRun => Self::Roster,
            AuditEntity::ApiToken | AuditEntity::ConsoleSession => Self::Access,
        }
    }
}
