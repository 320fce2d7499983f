//! Hot reload: watch the plugins folder while serving and swap in a new
//! registry when it changes (a plugin added, replaced or removed).
//!
//! - The folder is polled (file names, sizes and modification times), so it
//!   works on any filesystem, including mounted volumes; `SIGHUP` reloads at once.
//! - A change is acted on once the folder has been still for one poll, so a
//!   half-copied component is not loaded.
//! - The new set is compiled, verified and linked in the background with the
//!   same [`Loader`] (engine, compile cache, signature policy) as at startup,
//!   then swapped in atomically ([`ServedSet::replace`]). A call in flight
//!   holds the snapshot it started with and finishes on that version.
//! - A plugin that fails to load while an earlier version of it (same manifest
//!   path) is being served keeps that version serving; the failure is logged.
//! - A name belongs to the plugin serving it: a new plugin (whatever its file
//!   name) that exports a tool or prompt already served is refused (logged,
//!   and counted in `access_mcp_plugin_reload_refusals`), and so is a new
//!   version that would take a name from another plugin.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::mcp::{HostState, Served};
use crate::plugins::loader::{LoadedPlugin, Loader};
use crate::plugins::registry::Registry;

/// What one reload did, for the log and the tests.
#[derive(Debug, Default)]
pub struct ReloadOutcome {
    pub served: Vec<String>,
    /// Plugins that failed to load and kept their previous version.
    pub kept_previous: Vec<String>,
    /// Plugins that failed to load and are not served.
    pub failed: Vec<String>,
}

/// A cheap summary of the folder's files: a change in it means "reload".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(String, u64, Option<SystemTime>)>);

impl Fingerprint {
    pub fn of(dir: &Path) -> Fingerprint {
        let mut files: Vec<(String, u64, Option<SystemTime>)> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let meta = e.metadata().ok()?;
                        meta.is_file().then(|| {
                            (
                                e.file_name().to_string_lossy().into_owned(),
                                meta.len(),
                                meta.modified().ok(),
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        Fingerprint(files)
    }
}

pub struct Reloader {
    loader: Loader,
    dir: PathBuf,
    state: Arc<HostState>,
}

impl Reloader {
    pub fn new(loader: Loader, dir: PathBuf, state: Arc<HostState>) -> Reloader {
        Reloader { loader, dir, state }
    }

    /// Load the folder again and swap the result in. A name (plugin, tool,
    /// prompt) stays with the plugin serving it: a newcomer or a new version
    /// that would take one is refused (see [`Registry::build_over`]).
    pub async fn reload(&self) -> ReloadOutcome {
        let current = self.state.served.load();
        let mut outcome = ReloadOutcome::default();
        let results = match self.loader.load_each(&self.dir).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("plugin reload skipped, the previous set keeps serving: {e}");
                outcome.failed.push(e.to_string());
                return outcome;
            }
        };
        let mut established: Vec<(usize, Arc<LoadedPlugin>, Arc<LoadedPlugin>)> = Vec::new();
        let mut newcomers: Vec<Arc<LoadedPlugin>> = Vec::new();
        for (path, result) in results {
            let previous = position_of(&current.registry, &path);
            match (result, previous) {
                (Ok(p), Some((at, old))) => established.push((at, Arc::new(p), old)),
                (Ok(p), None) => newcomers.push(Arc::new(p)),
                (Err(e), Some((at, old))) => {
                    tracing::error!(plugin = %old.manifest.name, version = %old.manifest.version,
                        "plugin reload failed, the previous version keeps serving: {e}");
                    outcome.kept_previous.push(old.manifest.name.clone());
                    established.push((at, old.clone(), old));
                }
                (Err(e), None) => {
                    tracing::error!("plugin not loaded: {e}");
                    outcome.failed.push(e.to_string());
                }
            }
        }
        established.sort_by_key(|(at, ..)| *at);
        let established = established
            .into_iter()
            .map(|(_, candidate, previous)| (candidate, previous))
            .collect();
        let (registry, refused) = Registry::build_over(&current.registry, established, newcomers);
        for (plugin, e) in refused {
            if e.is_collision() {
                tracing::error!(plugin = %plugin.manifest.name, "plugin refused on reload, the plugin serving the name keeps it: {e}");
                if let Some(m) = &self.state.metrics {
                    m.count_reload_refusal(e.collision_reason());
                }
            } else {
                tracing::error!(plugin = %plugin.manifest.name, "plugin not loaded: {e}");
            }
            outcome.failed.push(e.to_string());
        }
        outcome.served = registry
            .plugins
            .iter()
            .map(|p| format!("{}@{}", p.manifest.name, p.manifest.version))
            .collect();
        let (plugins, tools, prompts) = (
            registry.plugins.len(),
            registry.tools.len(),
            registry.prompts.len(),
        );
        let change = self
            .state
            .served
            .replace(Served::new(registry), self.state.metrics.as_deref());
        tracing::info!(plugins, tools, prompts, served = ?outcome.served,
            tools_changed = change.tools, prompts_changed = change.prompts, "plugins reloaded");
        outcome
    }

    /// Poll the folder every `every` (`None`: never) and reload on `SIGHUP`,
    /// until the process ends.
    pub fn spawn(self, every: Option<Duration>) {
        tokio::spawn(async move {
            let mut hangup = hangup_signal();
            let mut seen = Fingerprint::of(&self.dir);
            let poll = every.unwrap_or(Duration::from_secs(3600));
            let mut tick = tokio::time::interval(poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let forced = tokio::select! {
                    _ = tick.tick(), if every.is_some() => false,
                    _ = next_hangup(&mut hangup) => true,
                };
                let now = Fingerprint::of(&self.dir);
                if !forced && now == seen {
                    continue;
                }
                if !forced {
                    // Act once the folder has been still for one poll.
                    tokio::time::sleep(poll).await;
                    if Fingerprint::of(&self.dir) != now {
                        continue;
                    }
                }
                tracing::info!(folder = %self.dir.display(), forced, "plugins folder changed; reloading");
                seen = now;
                self.reload().await;
            }
        });
    }
}

/// The plugin `registry` serves from `manifest_path`, and its place there.
fn position_of(registry: &Registry, manifest_path: &Path) -> Option<(usize, Arc<LoadedPlugin>)> {
    registry
        .plugins
        .iter()
        .position(|p| p.manifest_path == manifest_path)
        .map(|i| (i, registry.plugins[i].clone()))
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup_signal() -> Hangup {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}
#[cfg(not(unix))]
fn hangup_signal() -> Hangup {}

#[cfg(unix)]
async fn next_hangup(h: &mut Hangup) {
    match h {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}
#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangup) {
    std::future::pending().await
}
