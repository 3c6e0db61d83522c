//! Diagnostic extras the protocol can show: tags.

/// A diagnostic tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// Code that does nothing (shown faded).
    Unnecessary,
    /// Deprecated usage (shown struck through).
    Deprecated,
}

/// The tag for a lint code, if any.
pub fn tag(code: &str) -> Option<Tag> {
    match code {
        // An unused suppression comment.
        "JC090" => Some(Tag::Unnecessary),
        // A deprecated parameter (allow.sysvipc).
        "JC055" => Some(Tag::Deprecated),
        _ => None,
    }
}
