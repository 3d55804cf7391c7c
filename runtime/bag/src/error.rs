//! One error type for the whole crate. Every variant names the file it is about and, where
//! the format has one, the place inside it (MCAP byte offset, sqlite3 row id, YAML line), so
//! a message read in a log is enough to find the damage.

use std::path::PathBuf;

use crate::{Compression, StorageId};

#[derive(Debug, thiserror::Error)]
pub enum BagError {
    #[error("{}: {action}: {source}", .path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{}: no metadata.yaml in this bag directory; open one of its storage files \
         (.mcap or .db3) directly, or run reindex on the directory to rebuild metadata.yaml",
        .dir.display()
    )]
    MissingMetadata { dir: PathBuf },

    #[error("{}:{line}:{column}: malformed metadata.yaml: {message}", .path.display())]
    MetadataSyntax { path: PathBuf, line: usize, column: usize, message: String },

    /// metadata.yaml parsed but says something this reader cannot honour (unsupported
    /// version, unknown storage identifier, per-file compression, ...).
    #[error("{}:{line}: {message}", .path.display())]
    MetadataInvalid { path: PathBuf, line: usize, message: String },

    #[error(
        "{}:{line}: lists storage file {} which does not exist",
        .metadata_path.display(),
        .file.display()
    )]
    MissingStorageFile { metadata_path: PathBuf, line: usize, file: PathBuf },

    #[error(
        "{}: unknown storage file extension (expected .mcap or .db3, or a bag directory)",
        .path.display()
    )]
    UnknownExtension { path: PathBuf },

    #[error("{}: MCAP error at byte offset {offset} ({context}): {source}", .path.display())]
    Mcap {
        path: PathBuf,
        offset: u64,
        context: &'static str,
        #[source]
        source: mcap::McapError,
    },

    /// Only returned when the reader is opened strictly; the lenient default reads up to the
    /// truncation and reports the tail in [`crate::FileSummary::unreadable_tail_bytes`].
    #[error(
        "{}: MCAP file is truncated or unfinished: the {unreadable_bytes} bytes from byte offset \
         {offset} to the end are unreadable ({reason})",
        .path.display()
    )]
    McapTruncated { path: PathBuf, offset: u64, unreadable_bytes: u64, reason: String },

    #[error("{}: sqlite3 error{}: {context}: {source}", .path.display(), row_suffix(*.row_id))]
    Sqlite {
        path: PathBuf,
        row_id: Option<i64>,
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    #[error("{}: not a readable rosbag2 sqlite3 file: {message}", .path.display())]
    SqliteSchema { path: PathBuf, message: String },

    #[error("{}: topic {topic:?} was not added to the bag before writing", .bag.display())]
    UnknownTopic { bag: PathBuf, topic: String },

    #[error(
        "{}: topic {topic:?} already added with type {existing_type:?}, cannot add it again \
         with type {new_type:?}",
        .bag.display()
    )]
    TopicConflict { bag: PathBuf, topic: String, existing_type: String, new_type: String },

    #[error(
        "{}: {compression:?} compression is not supported by {} storage (only MCAP chunks \
         are compressed)",
        .bag.display(),
        .storage.as_str()
    )]
    UnsupportedCompression { bag: PathBuf, storage: StorageId, compression: Compression },

    #[error("{}: bag directory already exists and is not empty", .path.display())]
    BagExists { path: PathBuf },

    #[error("{}: {message}", .path.display())]
    InvalidArgument { path: PathBuf, message: String },
}

fn row_suffix(row_id: Option<i64>) -> String {
    match row_id {
        Some(id) => format!(" at messages row id {id}"),
        None => String::new(),
    }
}

pub type Result<T, E = BagError> = std::result::Result<T, E>;

pub(crate) fn io_error(
    path: impl Into<PathBuf>,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> BagError {
    let path = path.into();
    move |source| BagError::Io { path, action, source }
}
