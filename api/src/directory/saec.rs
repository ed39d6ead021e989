//! The SAEC as its own document describes it (*La coordination des territoires*): its
//! full name, its direction, its mission, the coordinators' functions, the schemes they
//! link to and the example actions, in French, word for word.
//!
//! The text is data compiled into the binary: `api/data/coordination-des-territoires.txt`
//! is the source (a copy of the project's shared seed), and a test checks every string
//! here appears in it verbatim, so an edit of one without the other fails.

/// The SAEC: who it is and what its coordinators do.
#[derive(Debug, Clone, Copy)]
pub struct Saec {
    /// The document's title.
    pub title: &'static str,
    /// The document's subtitle.
    pub tagline: &'static str,
    /// The acronym.
    pub acronym: &'static str,
    /// The full name.
    pub full_name: &'static str,
    /// The direction the service belongs to.
    pub direction: &'static str,
    /// What the service sees to.
    pub mission: &'static str,
    /// The young people's three environments.
    pub environments: &'static str,
    /// The three strategic axes, as the document lists them.
    pub strategic_axes: &'static [&'static str],
    /// What the coordinators do, in one sentence.
    pub coordinators_mission: &'static str,
    /// The coordinators' functions.
    pub coordinator_functions: &'static [CoordinatorFunction],
    /// The SAEC's units the coordinators help articulate.
    pub units: &'static [&'static str],
    /// The other schemes the coordinators are the territorial interface with.
    pub linked_schemes: &'static [&'static str],
    /// Examples of the coordinators' actions.
    pub example_actions: &'static [&'static str],
}

/// One of the coordinators' functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoordinatorFunction {
    /// Stable code.
    pub code: &'static str,
    /// French label, as in the document.
    pub label: &'static str,
}

/// The SAEC of the Hauts-de-Seine.
pub const SAEC: Saec = Saec {
    title: "La coordination des territoires",
    tagline: "Relier actions et acteurs en territoire pour une utilité optimale des \
              politiques publiques",
    acronym: "SAEC",
    full_name: "service des actions éducatives et de la citoyenneté",
    direction: "direction de l'éducation, de la citoyenneté et des collèges",
    mission: "veille à ce que les actions de la collectivité dans le domaine des \
              politiques éducatives s'inscrivent dans un cadre cohérent et collectif, \
              offrant au Département une meilleure visibilité",
    environments: "famille-école-quartier",
    strategic_axes: &["le bien-être", "la persévérance scolaire", "la citoyenneté"],
    coordinators_mission: "les coordonnateurs de territoire impulsent un travail de \
                           coordination des actions menées auprès des jeunes en se \
                           positionnant en facilitateur, en interne auprès des autres \
                           services porteurs de dispositifs jeunesse, à l'externe auprès \
                           des collèges, mais plus largement auprès de tous les acteurs \
                           de la jeunesse de leur territoire",
    coordinator_functions: &[
        CoordinatorFunction {
            code: "DIAGNOSIS",
            label: "diagnostic",
        },
        CoordinatorFunction {
            code: "REPRESENTATION",
            label: "représentation",
        },
        CoordinatorFunction {
            code: "SPONSORSHIP",
            label: "portage",
        },
        CoordinatorFunction {
            code: "SPREADING_INNOVATION",
            label: "essaimage de l'innovation",
        },
        CoordinatorFunction {
            code: "LINKING",
            label: "mise en lien",
        },
    ],
    units: &[
        "unité de la médiation éducative",
        "unité des projets éducatifs territoriaux",
        "unité prévention et citoyenneté",
    ],
    linked_schemes: &[
        "la politique de la ville",
        "la prévention spécialisée",
        "la protection de l'enfance",
        "la prévention de la délinquance",
    ],
    example_actions: &[
        "Réaliser des états des lieux pour mieux connaître et faire connaître les \
         territoires (aux nouveaux principaux, médiateurs éducatifs, aux décideurs)",
        "S'impliquer dans l'animation de communautés professionnelles ayant le même \
         objectif mais n'ayant pas l'habitude de travailler ensemble",
        "Recenser les attentes des acteurs locaux (principaux, services jeunesse, \
         prévention spécialisée, porteurs de projets, associations) et favoriser les \
         mises en lien pertinentes",
        "Représenter le Département dans les instances locales (CLSPD, CESC, comités de \
         pilotage, dialogues de gestion, ...)",
        "Identifier des problématiques peu investies et favoriser ou faire connaître des \
         actions innovantes (inter-communes, inter-collèges ...)",
        "Inspirer, accompagner et soutenir les acteurs souhaitant s'investir dans la \
         création de parcours éducatifs innovants",
        "Fluidifier l'information départementale et territoriale, la simplifier ou la \
         rendre accessible plus facilement en fonction du besoin des acteurs de terrain",
        "Suivre les projets transversaux du territoire, en lien avec les cadres et les \
         professionnels du Département impliqués (travailleurs sociaux, médiateurs \
         éducatifs, chargés de prévention ...) et avec les opérateurs des communes \
         concernées, dans une logique de partage et de réponse globale",
        "Être ressources sur des thématiques prioritaires et récurrentes dans les \
         collèges comme les réseaux sociaux, le bien-être/santé mentale/addiction, les \
         élèves exclus, la participation des jeunes, la parentalité, la prévention des \
         rixes et de la prostitution, etc.",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The document with every run of whitespace made one space.
    fn document() -> String {
        include_str!("../../data/coordination-des-territoires.txt")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn every_text_is_the_documents_word_for_word() {
        let document = document();
        let mut texts = vec![
            SAEC.title,
            SAEC.tagline,
            SAEC.acronym,
            SAEC.full_name,
            SAEC.direction,
            SAEC.mission,
            SAEC.environments,
            SAEC.coordinators_mission,
        ];
        texts.extend(SAEC.strategic_axes);
        texts.extend(SAEC.units);
        texts.extend(SAEC.linked_schemes);
        texts.extend(SAEC.example_actions);
        texts.extend(SAEC.coordinator_functions.iter().map(|f| f.label));
        for text in texts {
            assert!(document.contains(text), "not in the document: {text}");
        }
    }

    #[test]
    fn the_lists_are_complete() {
        assert_eq!(SAEC.example_actions.len(), 9);
        assert_eq!(SAEC.coordinator_functions.len(), 5);
        assert_eq!(SAEC.units.len(), 3);
        assert_eq!(SAEC.strategic_axes.len(), 3);
        let mut codes: Vec<_> = SAEC.coordinator_functions.iter().map(|f| f.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 5, "codes are unique");
    }
}
