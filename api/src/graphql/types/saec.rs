//! `Saec`: the service as its own document describes it, in French.

use async_graphql::{Object, SimpleObject};

use crate::directory::Saec as SaecData;

/// One of the coordinators' functions (*fonctions*), as the SAEC's document names them.
#[derive(SimpleObject)]
pub struct SaecCoordinatorFunction {
    /// Stable code: `DIAGNOSIS`, `REPRESENTATION`, `SPONSORSHIP` (*portage*),
    /// `SPREADING_INNOVATION` (*essaimage de l'innovation*) or `LINKING` (*mise en lien*).
    pub code: &'static str,
    /// French label, e.g. "mise en lien".
    pub label: &'static str,
}

/// The *service des actions éducatives et de la citoyenneté* (SAEC) of the
/// Hauts-de-Seine, which employs the territory coordinators: its text, in French, word
/// for word from its document *La coordination des territoires*.
pub struct Saec(pub(crate) SaecData);

/// The *service des actions éducatives et de la citoyenneté* (SAEC) of the
/// Hauts-de-Seine, which employs the territory coordinators: its text, in French, word
/// for word from its document *La coordination des territoires*.
#[Object]
impl Saec {
    /// The document's title: "La coordination des territoires".
    async fn title(&self) -> &'static str {
        self.0.title
    }

    /// The document's subtitle: "Relier actions et acteurs en territoire…".
    async fn tagline(&self) -> &'static str {
        self.0.tagline
    }

    /// "SAEC".
    async fn acronym(&self) -> &'static str {
        self.0.acronym
    }

    /// The full name: "service des actions éducatives et de la citoyenneté" (lower case,
    /// as in running text).
    async fn full_name(&self) -> &'static str {
        self.0.full_name
    }

    /// The direction the service belongs to: "direction de l'éducation, de la
    /// citoyenneté et des collèges".
    async fn direction(&self) -> &'static str {
        self.0.direction
    }

    /// What the service sees to ("veille à ce que…"), a sentence without its subject.
    async fn mission(&self) -> &'static str {
        self.0.mission
    }

    /// The young people's three environments: "famille-école-quartier".
    async fn environments(&self) -> &'static str {
        self.0.environments
    }

    /// The three cross-cutting strategic axes, as the document words them ("le
    /// bien-être"…); `vocabulary.strategicAxes` has their codes.
    async fn strategic_axes(&self) -> Vec<&'static str> {
        self.0.strategic_axes.to_vec()
    }

    /// What the territory coordinators do, in one sentence.
    async fn coordinators_mission(&self) -> &'static str {
        self.0.coordinators_mission
    }

    /// The coordinators' functions: diagnostic, représentation, portage, essaimage de
    /// l'innovation, mise en lien.
    async fn coordinator_functions(&self) -> Vec<SaecCoordinatorFunction> {
        self.0
            .coordinator_functions
            .iter()
            .map(|f| SaecCoordinatorFunction {
                code: f.code,
                label: f.label,
            })
            .collect()
    }

    /// The SAEC's units whose work the coordinators help articulate.
    async fn units(&self) -> Vec<&'static str> {
        self.0.units.to_vec()
    }

    /// The other schemes the coordinators are the territorial interface with ("la
    /// politique de la ville", "la protection de l'enfance"…); partners of these kinds
    /// are `CITY_POLICY`, `CHILD_PROTECTION`, `SPECIALISED_PREVENTION`.
    async fn linked_schemes(&self) -> Vec<&'static str> {
        self.0.linked_schemes.to_vec()
    }

    /// Examples of the coordinators' actions, in the document's order, without their
    /// trailing semicolons.
    async fn example_actions(&self) -> Vec<&'static str> {
        self.0.example_actions.to_vec()
    }
}
