//! Formatter for jail.conf(5) (work in progress).
