//! Errors returned by the bus. Every variant names the topic, because in a
//! stack with dozens of topics an error without one is not actionable.

use thiserror::Error;

/// What can go wrong when creating endpoints or exchanging messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BusError {
    /// The topic already carries another Rust type (fixed by its first
    /// publisher or typed subscriber).
    #[error("topic '{topic}' carries `{existing}`, not `{requested}`")]
    TypeMismatch { topic: String, existing: &'static str, requested: &'static str },
    /// A type-erased publisher was handed a payload whose concrete type is not
    /// the one it was created for.
    #[error("topic '{topic}': payload is not a `{expected}`")]
    PayloadTypeMismatch { topic: String, expected: &'static str },
    /// The bus was shut down (or every `Bus` handle was dropped); for a
    /// subscription this comes only after everything queued was received.
    #[error("topic '{topic}': bus is closed")]
    Closed { topic: String },
    /// Topic names must be non-empty.
    #[error("invalid topic name '{topic}': must not be empty")]
    InvalidTopic { topic: String },
}

impl BusError {
    pub(crate) fn closed(topic: &str) -> Self {
        BusError::Closed { topic: topic.to_owned() }
    }
}
