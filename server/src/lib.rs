//! The Sieve server: wires configuration, the database, sessions and routes, and carries the command line.

pub mod api;
pub mod bundle;
pub mod caching;
pub mod cli;
pub mod commands;
pub mod config;
pub mod csrf;
pub mod guard;
pub mod health;
pub mod host;
pub mod indexer;
pub mod mllp;
pub mod router;
pub mod security;
pub mod server_fns;
pub mod session_cache;
pub mod watcher;
