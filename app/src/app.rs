//! The document shell and the routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::layout::Layout;
use crate::pages::{
    adjudicate::AdjudicatePage, admin::AdminPage, admin_project::AdminProjectPage,
    audit::AuditPage, import::ImportPage, label::LabelPage, label_sets::LabelSetsPage,
    models::model::ModelPage, models::ModelsPage, not_found::NotFound, project::ProjectPage,
    projects::ProjectsPage, questions::QuestionsPage, report::ReportPage, review::ReviewPage,
    rules::RulesPage, search::SearchPage, sign_in::SignInPage, tokens::TokensPage,
    training::profiles::LaunchProfilesPage, training::JobsPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // The icon inline: without one, every page's request for /favicon.ico failed (a
                // console error on every page).
                <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%231f5fa8'/%3E%3Cpath d='M4 6h8M4 10h8M6 4v8M10 4v8' stroke='white'/%3E%3C/svg%3E" />
                // The bundle's names carry its hash (`output_name` is `sieve.<hash>`, see
                // server/src/bundle.rs), so browsers may keep the files for a year.
                <HydrationScripts options=options.clone() />
                <HashedStylesheet options id="sieve" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The document title for a page's own title ("Sieve" alone for none). Titles carry data (an
/// accession, a question or project name): on the server, where leptos_meta writes the text into
/// the `<title>` element unescaped, `&` and `<` are escaped so that no title can end the element
/// and add markup; in the browser the text is set as it is.
pub fn page_title(page: String) -> String {
    let title = match page.is_empty() {
        true => "Sieve".to_string(),
        false => format!("{page} · Sieve"),
    };
    match cfg!(feature = "ssr") {
        true => title.replace('&', "&amp;").replace('<', "&lt;"),
        false => title,
    }
}

/// The application: the sign-in page, and the signed-in pages inside the common layout.
///
/// Signed-in pages render asynchronously on the server, so that a page whose data is refused
/// answers with the right status (403, 404) rather than a 200 with an error inside.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=page_title />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=SignInPage />
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id") view=ProjectPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/import") view=ImportPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/reports/:report") view=ReportPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/questions") view=QuestionsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/questions/:question") view=RulesPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/questions/:question/review") view=ReviewPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/label/:question") view=LabelPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/questions/:question/adjudicate") view=AdjudicatePage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/labelsets") view=LabelSetsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/jobs") view=JobsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/models") view=ModelsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/models/:model") view=ModelPage ssr=SsrMode::Async />
                    <Route path=path!("admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("admin/profiles") view=LaunchProfilesPage ssr=SsrMode::Async />
                    <Route path=path!("admin/audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("admin/projects/:id") view=AdminProjectPage ssr=SsrMode::Async />
                    <Route path=path!("tokens") view=TokensPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
