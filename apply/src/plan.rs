//! The plan: what `apply` would do, per jail, with reasons.

use serde::{Deserialize, Serialize};

/// JSON schema name of a serialized plan.
pub const PLAN_SCHEMA: &str = "jailconf.plan/1";

/// A complete plan for one host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`PLAN_SCHEMA`].
    pub schema: String,
    /// FreeBSD release the configuration was evaluated for (`"15"`).
    pub target: String,
    /// Fingerprint of the observed state and the configuration texts;
    /// `apply PLANFILE` refuses a plan whose fingerprint no longer matches.
    pub fingerprint: String,
    /// One action per configured or running jail, in execution order.
    pub actions: Vec<Action>,
    /// Groups of indices into `actions` that may run in parallel, in order.
    pub batches: Vec<Vec<usize>>,
    /// Interfaces left on the host by failed starts of jails that are not
    /// running (destroyed first with `--cleanup-stale`).
    pub stale: Vec<StaleInterface>,
}

impl Plan {
    /// Whether applying the plan would change the host: any create,
    /// modify, restart or remove.
    pub fn has_changes(&self) -> bool {
        self.actions.iter().any(|a| a.kind.changes_host())
    }

    /// How many actions are of `kind`.
    pub fn count(&self, kind: ActionKind) -> usize {
        self.actions.iter().filter(|a| a.kind == kind).count()
    }
}

/// What happens to one jail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Jail name.
    pub jail: String,
    /// The kind of action.
    pub kind: ActionKind,
    /// Why, in one sentence (`"path changed"`, `"not running"`).
    pub reason: String,
    /// The configuration file jail(8) is given with `-f` for this jail.
    pub config_file: Option<String>,
    /// The differences this action applies, old -> new: kernel parameters
    /// (and, for a restart, pseudo-parameters too).
    pub changes: Vec<Change>,
    /// Differences that take effect on the next restart only (hooks,
    /// mounts, `vnet.interface`, …).
    pub deferred: Vec<Change>,
    /// The argv lists `apply` runs for this action, in order.
    pub commands: Vec<Vec<String>>,
}

/// Kinds of action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    /// In the configuration, not running: `jail -f CONF -c NAME`.
    Create,
    /// Running, only runtime-modifiable parameters differ: `jail -f CONF -m NAME`.
    Modify,
    /// A create-only parameter differs: `jail -f CONF -r NAME`, then `-c NAME`.
    Restart,
    /// Running, not in the configuration (only with `--prune`): `jail -R NAME`.
    Remove,
    /// Nothing to do.
    Unchanged,
    /// A single-process jail (`command` without `persist`): not kept
    /// running; start it with `jailconf run NAME`.
    Ephemeral,
    /// Running, not in the configuration, kept because `--prune` is off.
    Unmanaged,
}

impl ActionKind {
    /// Whether the action runs commands on the host.
    pub fn changes_host(self) -> bool {
        matches!(
            self,
            ActionKind::Create | ActionKind::Modify | ActionKind::Restart | ActionKind::Remove
        )
    }
}

/// One parameter difference. Values are shown as the kernel reports them
/// (booleans `true`/`false`, address lists comma-joined); pseudo-parameter
/// lists as their items quoted and comma-separated (`"a", "b"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Parameter name.
    pub param: String,
    /// Running value, `None` when unset.
    pub old: Option<String>,
    /// Configured value, `None` when unset.
    pub new: Option<String>,
}

/// An interface that a stopped jail's hooks create and that already exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleInterface {
    /// The jail whose hooks create it.
    pub jail: String,
    /// Interface name on the host (`epair60a`).
    pub interface: String,
    /// The argv that destroys it.
    pub command: Vec<String>,
}
