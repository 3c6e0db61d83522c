//! The `jailconf` command-line interface, shared by the `jailconf` and
//! `jailfmt` binaries. Not a stable library API.

pub mod cli;
pub mod commands;
pub mod diff;
pub mod fsutil;
pub mod input;
pub mod json;
pub mod render;
pub mod report;
