//! Plan and apply engine: observes a FreeBSD host's running jails through
//! jls(8), ifconfig(8) and zfs(8), compares them with the configuration's
//! model and converges the host through jail(8), one argv at a time and
//! never through a shell.
//!
//! The pure part (observe parsers, desired state, comparison, ordering,
//! planning, rendering) has no side effects; everything that runs a
//! program goes through [`runner::Runner`].

pub mod compare;
pub mod desired;
pub mod destroy;
pub mod execute;
pub mod fingerprint;
pub mod input;
pub mod lock;
pub mod observe;
pub mod order;
pub mod pipeline;
pub mod plan;
pub mod planner;
pub mod record;
pub mod render;
pub mod runner;
pub mod scaffold;
pub mod state;
pub mod status;
