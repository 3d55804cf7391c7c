//! Errors of the launch reader. Each names the file, the line and the element it is about, and
//! carries a reason the runner can count (`ErrorReason::as_str`).

use std::fmt;
use std::path::PathBuf;

/// Why a launch file was refused; one counter per reason in the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorReason {
    /// Not well-formed XML, or a root element other than `<launch>`.
    Xml,
    /// A file that exists but cannot be read.
    Io,
    /// An element this reader does not support (or not in this place).
    UnknownElement,
    /// An attribute this reader does not support on this element.
    UnknownAttribute,
    /// A required attribute is absent.
    MissingAttribute,
    /// `$(name ...)` with a name this reader does not support.
    UnsupportedSubstitution,
    /// `$(` without its `)`, or a substitution with the wrong number of arguments.
    BadSubstitution,
    /// `$(var NAME)` of an argument nobody set, or a declared `<arg>` without value or default.
    UndefinedArg,
    /// `$(env NAME)` of an unset variable without default.
    UndefinedEnv,
    /// A package `$(find-pkg-share)` cannot find.
    PackageNotFound,
    /// An included launch file or a parameters file that does not exist.
    MissingFile,
    /// A value of the wrong form: condition not true/false/1/0, parameter not a ROS type, ...
    BadValue,
    /// A node name, namespace or remap that breaks the ROS 2 name rules.
    InvalidName,
    /// A file that includes itself (directly or not).
    IncludeCycle,
}

impl ErrorReason {
    /// Stable snake_case name, for counters and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xml => "xml",
            Self::Io => "io",
            Self::UnknownElement => "unknown_element",
            Self::UnknownAttribute => "unknown_attribute",
            Self::MissingAttribute => "missing_attribute",
            Self::UnsupportedSubstitution => "unsupported_substitution",
            Self::BadSubstitution => "bad_substitution",
            Self::UndefinedArg => "undefined_arg",
            Self::UndefinedEnv => "undefined_env",
            Self::PackageNotFound => "package_not_found",
            Self::MissingFile => "missing_file",
            Self::BadValue => "bad_value",
            Self::InvalidName => "invalid_name",
            Self::IncludeCycle => "include_cycle",
        }
    }
}

/// A launch file the reader refuses: `FILE:LINE:COL: <element>: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole (it cannot be opened).
    pub line: u32,
    pub column: u32,
    /// The element's tag (`node`, `foo`, ...); empty for file-level errors.
    pub element: String,
    pub reason: ErrorReason,
    pub message: String,
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.element.is_empty() {
            write!(f, ": <{}>", self.element)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LaunchError {}

/// An error before its place is known (substitution, value parsing); the parser adds the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub reason: ErrorReason,
    pub message: String,
}

impl Problem {
    pub(crate) fn new(reason: ErrorReason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into() }
    }
}
