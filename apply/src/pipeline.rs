//! The pipeline of `plan`, `apply` and `status`: the configuration's
//! desired state, the record of what apply applied, the observed host, and
//! the plan between them — returned together, so that a command that needs
//! the observed state as well as the plan reads the host once.

use std::fmt;
use std::path::Path;

use crate::desired::{Desired, DuplicateJail};
use crate::input::ConfigInput;
use crate::observe::{self, ObserveError};
use crate::plan::Plan;
use crate::planner::{self, PlanError, PlanOptions};
use crate::record::{self, RecordError};
use crate::runner::Runner;
use crate::state::Observed;

/// A plan and what it was made from.
#[derive(Debug)]
pub struct Planned {
    /// The configuration's desired state.
    pub desired: Desired,
    /// The host as observed.
    pub observed: Observed,
    /// The plan from `observed` to `desired`.
    pub plan: Plan,
}

/// Why no plan could be made: the failing step's error.
#[derive(Debug)]
pub enum PipelineError {
    /// A jail is defined in two root files.
    Duplicate(DuplicateJail),
    /// The state file cannot be read.
    Record(RecordError),
    /// The host cannot be read.
    Observe(ObserveError),
    /// The planner refused (a dependency cycle, an unknown `--jail`).
    Plan(PlanError),
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Duplicate(error) => error.fmt(f),
            PipelineError::Record(error) => error.fmt(f),
            PipelineError::Observe(error) => error.fmt(f),
            PipelineError::Plan(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for PipelineError {}

/// Plans `input` against the host read through `runner`, with the record
/// in `state_file` (missing = empty). `options.target` is replaced by the
/// release `input` was evaluated for.
pub fn plan_host(
    input: &ConfigInput,
    state_file: &Path,
    runner: &dyn Runner,
    options: PlanOptions,
) -> Result<Planned, PipelineError> {
    let desired = Desired::from_input(input).map_err(PipelineError::Duplicate)?;
    let applied = record::load(state_file).map_err(PipelineError::Record)?;
    let observed =
        observe::observe(runner, input.wants_datasets()).map_err(PipelineError::Observe)?;
    let options = PlanOptions {
        target: input.target,
        ..options
    };
    let plan =
        planner::plan(&desired, &observed, &applied, &options).map_err(PipelineError::Plan)?;
    Ok(Planned {
        desired,
        observed,
        plan,
    })
}
