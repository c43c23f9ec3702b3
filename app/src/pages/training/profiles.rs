//! `/admin/profiles`: the site admin's launch profiles — how and where training jobs run (a local
//! process, Slurm through sbatch, or a Kubernetes Job), with settings written as YAML.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::training::{
    launch_profiles, ArchiveLaunchProfile, ProfilesView, SaveLaunchProfile,
};
use crate::components::confirm::confirmed;
use crate::components::error_box::ErrorBox;

#[component]
pub fn LaunchProfilesPage() -> impl IntoView {
    let save = ServerAction::<SaveLaunchProfile>::new();
    let archive = ServerAction::<ArchiveLaunchProfile>::new();
    let data = Resource::new(
        move || (save.version().get(), archive.version().get()),
        |_| launch_profiles(),
    );
    let content = move || {
        Suspend::new(async move {
            match data.await {
                Ok(data) => view! { <Profiles data save archive /> }.into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Launch profiles" />
        <p class="breadcrumbs"><a href="/admin">"Administration"</a> " /"</p>
        <h1>"Launch profiles"</h1>
        <p class="muted">"A profile says how a training job runs. Sieve appends the launch's arguments, then "<code>"--manifest FILE --output DIR"</code>
            ", to the command, and sets SIEVE_MANIFEST, SIEVE_LABEL_SET_DIR, SIEVE_OUTPUT_DIR and SIEVE_JOB_ID. Jobs run in a sandbox as an unprivileged user ("<code>"run_as"</code>", nobody unless set), without network unless "<code>"network: true"</code>": they see their label set at "<code>"/run/sieve/label-set"</code>
            ", write only to "<code>"/run/sieve/job/output"</code>", find training code kept in the data directory's train/ folder at "<code>"/run/sieve/train"</code>", and see nothing else of Sieve's data."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading the profiles…"</p> }>{content}</Suspense>
    }
}

#[component]
fn Profiles(
    data: ProfilesView,
    save: ServerAction<SaveLaunchProfile>,
    archive: ServerAction<ArchiveLaunchProfile>,
) -> impl IntoView {
    let templates = data.templates.clone();
    let template = move |backend: &str| {
        templates
            .iter()
            .find(|(b, _)| b == backend)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    let name = RwSignal::new(String::new());
    // Edit fills the form below the table: it is brought into view, or the click seems to do nothing.
    let name_input = NodeRef::<leptos::html::Input>::new();
    let backend = RwSignal::new("local".to_string());
    let settings = RwSignal::new(template("local"));
    let pick = {
        let template = template.clone();
        move |event: leptos::ev::Event| {
            let chosen = event_target_value(&event);
            settings.set(template(&chosen));
            backend.set(chosen);
        }
    };
    let saved = move || {
        match save.value().get() {
        Some(Ok(name)) => view! { <p class="notice" role="status">{format!("Saved launch profile “{name}”.")}</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorBox error /> }.into_any(),
        None => ().into_any(),
    }
    };
    view! {
        {match data.profiles.is_empty() {
            true => view! { <p class="empty">"No launch profile yet: scientists cannot launch training until you add one."</p> }.into_any(),
            false => view! {
                <table data-testid="profiles">
                    <thead><tr><th>"Name"</th><th>"Backend"</th><th>"Settings"</th><th></th></tr></thead>
                    <tbody>{data.profiles.into_iter().map(|p| {
                        let (edit_name, edit_backend, edit_settings) = (p.name.clone(), p.backend.clone(), p.settings.clone());
                        let id = p.id;
                        view! {
                            <tr class:archived=p.archived>
                                <td>{p.name.clone()}{p.archived.then_some(" (archived)")}</td>
                                <td>{p.backend.clone()}</td>
                                <td><pre class="settings">{p.settings.clone()}</pre></td>
                                <td class="actions">
                                    <button type="button" class="button-quiet" on:click=move |_| {
                                        name.set(edit_name.clone());
                                        backend.set(edit_backend.clone());
                                        settings.set(edit_settings.clone());
                                        if let Some(input) = name_input.get_untracked() {
                                            input.scroll_into_view();
                                            let _ = input.focus();
                                        }
                                    }>"Edit"</button>
                                    {(!p.archived).then(|| view! {
                                        <button type="button" class="button-danger" on:click=move |_| {
                                            if confirmed("Archive this profile? No new job can be launched with it; its jobs keep it.") {
                                                archive.dispatch(ArchiveLaunchProfile { id });
                                            }
                                        }>"Archive"</button>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
        <section class="panel" aria-labelledby="profile-form">
            <h2 id="profile-form">"Add or change a profile"</h2>
            <ActionForm action=save>
                <div class="form-row">
                    <div class="field"><label for="profile-name">"Name"</label>
                        <input id="profile-name" name="name" required node_ref=name_input prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) /></div>
                    <div class="field"><label for="profile-backend">"Backend"</label>
                        <select id="profile-backend" name="backend" prop:value=move || backend.get() on:change=pick>
                            <option value="local">"local — a process on the Sieve host"</option>
                            <option value="slurm">"slurm — sbatch on this host or a login node"</option>
                            <option value="kubernetes">"kubernetes — a batch/v1 Job"</option>
                        </select></div>
                </div>
                <div class="field"><label for="profile-settings">"Settings (YAML)"</label>
                    <textarea id="profile-settings" name="settings" rows="10" class="code"
                        prop:value=move || settings.get() on:input=move |e| settings.set(event_target_value(&e))></textarea></div>
                <button type="submit" class="button-primary button-inline">"Save profile"</button>
            </ActionForm>
            {saved}
        </section>
    }
}
