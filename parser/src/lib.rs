//! Lossless, error-recovering parser and semantic model for FreeBSD's
//! `jail.conf(5)`, following jail(8)'s own lexer, grammar and
//! configuration code.

pub mod diag;
pub mod dump;
pub mod glob;
pub mod lexer;
pub mod model;
pub mod params;
pub mod parser;
pub mod quote;
pub mod settings;
pub mod source;
pub mod syntax;
pub mod target;
pub mod threads;

pub use model::{
    Config, DiskLoader, FileLoader, IncludeDirective, Jail, MainFile, NoFiles, Param, Value,
};
pub use parser::{parse, Parse, SyntaxError};
pub use target::Target;
