//! In-process tests: the real server on a thread over
//! `Connection::memory()`, one module per feature, replies snapshotted.

mod support;

mod actions;
mod completion;
mod diagnostics;
mod encoding;
mod formatting;
mod hover;
mod lifecycle;
mod navigation;
mod presentation;
mod robustness;
mod symbols;
