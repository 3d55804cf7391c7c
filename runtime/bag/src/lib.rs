//! rosbag2 bags, read and written byte for byte as rosbag2 (Jazzy/Kilted) does: a bag
//! directory with `metadata.yaml` and one or more storage files, MCAP (`.mcap`) or sqlite3
//! (`.db3`). Payloads stay opaque CDR bytes; decoding them is `edgefusion-msgs`' job.
//!
//! * [`BagReader`] opens a bag directory or a single storage file and yields messages in
//!   rosbag2 order: by receive time, ties broken by file index then position in the file.
//! * [`BagWriter`] records a bag, splitting files by size or duration, and keeps
//!   `metadata.yaml` readable at every moment so a killed recorder leaves a usable bag.
//! * [`reindex`] rebuilds `metadata.yaml` from the storage files.

mod error;
mod mcap_storage;
mod messages;
mod metadata;
mod reader;
mod sqlite_storage;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;

pub use error::{BagError, Result};
pub use messages::MessageIter;
pub use metadata::{
    BagMetadata, Duration, FileInformation, StartingTime, TopicMetadata, TopicWithMessageCount,
    METADATA_FILE_NAME, METADATA_VERSION,
};
pub use reader::{reindex, BagReader, OpenOptions};
pub use writer::{BagWriter, WriterOptions};

/// Storage plugin of a bag, spelled as `storage_identifier` in metadata.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageId {
    Mcap,
    Sqlite3,
}

impl StorageId {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageId::Mcap => "mcap",
            StorageId::Sqlite3 => "sqlite3",
        }
    }

    pub fn from_identifier(identifier: &str) -> Option<Self> {
        match identifier {
            "mcap" => Some(StorageId::Mcap),
            "sqlite3" => Some(StorageId::Sqlite3),
            _ => None,
        }
    }

    /// File extension of the storage files, without the dot.
    pub fn file_extension(self) -> &'static str {
        match self {
            StorageId::Mcap => "mcap",
            StorageId::Sqlite3 => "db3",
        }
    }

    pub(crate) fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "mcap" => Some(StorageId::Mcap),
            "db3" => Some(StorageId::Sqlite3),
            _ => None,
        }
    }
}

/// MCAP chunk compression. sqlite3 storage supports only `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    #[default]
    None,
    Zstd,
    Lz4,
}

impl Compression {
    /// The MCAP chunk `compression` field ("" for none).
    pub fn mcap_name(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Zstd => "zstd",
            Compression::Lz4 => "lz4",
        }
    }

    pub(crate) fn from_mcap_name(name: &str) -> Option<Self> {
        match name {
            "" => Some(Compression::None),
            "zstd" => Some(Compression::Zstd),
            "lz4" => Some(Compression::Lz4),
            _ => None,
        }
    }
}

/// The message definition stored with a topic's type: MCAP schema or sqlite3
/// `message_definitions` row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MessageDefinition {
    /// "ros2msg", "ros2idl", or "" when the bag does not know the definition.
    pub encoding: String,
    pub text: String,
}

/// A topic as rosbag2 stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TopicInfo {
    pub name: String,
    /// ROS type, e.g. "std_msgs/msg/String".
    pub type_name: String,
    /// "cdr" for every ROS 2 bag in practice.
    pub serialization_format: String,
    /// QoS profiles as the YAML string rosbag2 stores; may be "".
    pub offered_qos_profiles: String,
    /// "RIHS01_..." or "" for bags older than Iron.
    pub type_description_hash: String,
    pub message_definition: MessageDefinition,
}

impl TopicInfo {
    /// A CDR topic with no QoS, hash or definition; fill the rest in with struct update syntax.
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        TopicInfo {
            name: name.into(),
            type_name: type_name.into(),
            serialization_format: "cdr".to_string(),
            ..TopicInfo::default()
        }
    }
}

/// One recorded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagMessage {
    pub topic: Arc<TopicInfo>,
    /// Receive stamp, rosbag2's "timestamp" (MCAP log time).
    pub log_time_ns: i64,
    /// Publish stamp (MCAP publish time). sqlite3 bags do not store it: there it equals
    /// `log_time_ns`.
    pub publish_time_ns: i64,
    /// Serialized message (CDR with its 4-byte encapsulation header).
    pub data: Vec<u8>,
}

/// What [`BagReader::messages`] yields.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Only these topics; `None` for all.
    pub topics: Option<Vec<String>>,
    /// First receive time to yield (inclusive), like rosbag2's `seek`.
    pub start_ns: Option<i64>,
    /// Last receive time to yield (inclusive).
    pub stop_ns: Option<i64>,
    /// Skip a corrupt MCAP chunk (with a warning and [`BagReader::corrupt_chunks_skipped`])
    /// instead of yielding an error for it.
    pub skip_corrupt: bool,
}

/// Facts about a bag computed from its storage files, never copied from metadata.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagSummary {
    pub storage: StorageId,
    pub files: Vec<FileSummary>,
    /// First and last receive time over all messages; `None` for an empty bag.
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
    /// `end_ns - start_ns`, 0 for an empty bag.
    pub duration_ns: i64,
    pub message_count: u64,
    /// (topic name, message count) for every topic of the bag, topics with no message included.
    pub topic_message_counts: Vec<(String, u64)>,
    /// Sum of the storage file sizes.
    pub size_bytes: u64,
    /// MCAP chunk compression (the first compressed chunk's); `None` for sqlite3.
    pub compression: Compression,
}

impl BagSummary {
    pub fn topic_message_count(&self, topic: &str) -> Option<u64> {
        self.topic_message_counts.iter().find(|(name, _)| name == topic).map(|(_, count)| *count)
    }
}

/// Per storage file part of a [`BagSummary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub path: PathBuf,
    pub size_bytes: u64,
    pub message_count: u64,
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
    pub compression: Compression,
    /// Bytes at the end of an unfinished MCAP file (recorder killed) that could not be read.
    pub unreadable_tail_bytes: u64,
    /// Whether the counts came from the MCAP summary section (false: from a linear scan).
    pub indexed: bool,
}
