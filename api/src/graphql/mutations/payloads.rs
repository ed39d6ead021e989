//! What mutations return: the object as it is after the write, read from a fresh
//! snapshot the payload owns.

use std::sync::Arc;

use async_graphql::Object;

use crate::directory::{CollegeIx, LocalBodyIx, PartnerIx, ProjectIx, Snapshot, ThemeIx};
use crate::graphql::types::{College, LocalBody, Partner, Project, Theme};

macro_rules! payload {
    ($(#[$doc:meta])* $name:ident, $field:ident, $ty:ident, $ix:ident, $find:ident, $what:literal) => {
        $(#[$doc])*
        pub struct $name {
            pub(crate) dir: Arc<Snapshot>,
            pub(crate) index: $ix,
        }

        impl $name {
            /// The payload of the object with database id `id` in `dir`.
            pub(crate) fn of(dir: Arc<Snapshot>, id: i32) -> crate::error::Result<Self> {
                let index = dir.$find(id).ok_or_else(|| {
                    crate::error::Error::Internal(format!("{} {id} missing after a write", $what))
                })?;
                Ok(Self { dir, index })
            }
        }

        $(#[$doc])*
        #[Object]
        impl $name {
            #[doc = concat!("The ", $what, " as it is after the change.")]
            async fn $field(&self) -> crate::error::Result<$ty<'_>> {
                // `of` found it in this very snapshot.
                $ty::at(&self.dir, self.index).ok_or_else(|| {
                    crate::error::Error::Internal(format!("{} missing from its payload", $what))
                })
            }
        }
    };
}

payload!(
    /// The result of a project mutation.
    ProjectPayload, project, Project, ProjectIx, project_by_id, "project"
);
payload!(
    /// The result of a local body mutation.
    LocalBodyPayload, local_body, LocalBody, LocalBodyIx, local_body_by_id, "local body"
);
payload!(
    /// The result of a partner mutation.
    PartnerPayload, partner, Partner, PartnerIx, partner_by_id, "partner"
);
payload!(
    /// The result of a collège mutation.
    CollegePayload, college, College, CollegeIx, college_by_id, "collège"
);
payload!(
    /// The result of a theme mutation.
    ThemePayload, theme, Theme, ThemeIx, theme_by_id, "theme"
);
