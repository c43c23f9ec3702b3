//! `sieve serve`: opens the install and serves it until Ctrl+C or SIGTERM.

use std::net::SocketAddr;

use sieve_core::demo;

use super::{open, Outcome};
use crate::config::Config;
use crate::{bundle, indexer, mllp, router, watcher};

pub async fn run(config: Config) -> Outcome {
    let pool = open(&config).await?;
    std::fs::create_dir_all(config.index_dir()).map_err(|error| {
        format!(
            "cannot create the index directory {}: {error}",
            config.index_dir().display()
        )
    })?;
    let demo = match config.demo {
        true => Some(demo::ensure(&pool, &config.data_dir).await?),
        false => None,
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", config.addr))?;
    let bundle_built = bundle::hashed_name(&config.site_root)
        .is_some_and(|name| config.site_root.join(format!("pkg/{name}.wasm")).exists());
    if !bundle_built {
        tracing::warn!(site_root = %config.site_root.display(), "browser bundle missing: pages will not become interactive (build it with scripts/build.sh)");
    }
    let sessions = router::sessions(&pool, &config).await?;
    let state = router::state(pool, &config)?;
    indexer::start(state.clone());
    watcher::start(state.clone());
    if let Some(addr) = config.mllp_addr {
        mllp::listen(addr, state.clone())
            .await
            .map_err(|error| format!("cannot receive the HL7 feed on {addr}: {error}"))?;
    }
    // Follows the training jobs: their states survive restarts in the database.
    tokio::spawn(sieve_core::training::follow(
        state.pool.clone(),
        std::time::Duration::from_secs(2),
    ));
    let app = router::app(state, sessions);
    print_banner(&config, demo.as_ref());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

fn print_banner(config: &Config, demo: Option<&demo::Demo>) {
    println!(
        "Sieve {} is running at http://{}",
        env!("CARGO_PKG_VERSION"),
        config.addr
    );
    let data_dir = config
        .data_dir
        .canonicalize()
        .unwrap_or_else(|_| config.data_dir.clone());
    println!("Data directory: {}", data_dir.display());
    if let Some(demo) = demo {
        println!();
        println!(
            "Demo project \"{}\" ({} synthetic reports). Sign in as:",
            demo::PROJECT_NAME,
            demo::REPORT_COUNT
        );
        println!(
            "and \"{}\": a year of a deployed model's output against the reports, with its alarms (fellow, scientist).",
            demo::deployment::PROJECT_NAME
        );
        if demo.credentials.is_empty() {
            println!("  (the demo passwords were shown at first start; set new ones with `sieve user passwd NAME`)");
        }
        for credential in &demo.credentials {
            let role = demo::USERS
                .iter()
                .find(|(name, _, _)| *name == credential.user)
                .map(|(_, is_admin, role)| match (is_admin, role) {
                    (true, _) => "site admin".to_string(),
                    (false, Some(role)) => role.to_string(),
                    (false, None) => "member".to_string(),
                })
                .unwrap_or_default();
            println!(
                "  {:<10} password {}   ({role})",
                credential.user, credential.password
            );
        }
    }
    println!();
    println!("Press Ctrl+C to stop.");
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
