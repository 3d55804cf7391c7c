//! `metadata.yaml`, the bag directory's index, in rosbag2's own layout. Read versions 4 to 9
//! (fields a version lacks default to empty), always written as version 9.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{io_error, BagError, Result};
use crate::{StorageId, TopicInfo};

pub const METADATA_FILE_NAME: &str = "metadata.yaml";
/// The version written; Jazzy and Kilted write 9.
pub const METADATA_VERSION: u32 = 9;
const OLDEST_READABLE_VERSION: u32 = 4;
/// rosbag2 writes this as starting_time while a bag has no message.
pub(crate) const EMPTY_BAG_STARTING_TIME: i64 = i64::MAX;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MetadataDocument {
    rosbag2_bagfile_information: BagMetadata,
}

/// The `rosbag2_bagfile_information` mapping. Field order is rosbag2's, so files we write
/// diff cleanly against files rosbag2 writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BagMetadata {
    pub version: u32,
    pub storage_identifier: String,
    pub duration: Duration,
    pub starting_time: StartingTime,
    pub message_count: u64,
    #[serde(default)]
    pub topics_with_message_count: Vec<TopicWithMessageCount>,
    #[serde(default)]
    pub compression_format: String,
    #[serde(default)]
    pub compression_mode: String,
    #[serde(default)]
    pub relative_file_paths: Vec<String>,
    #[serde(default)]
    pub files: Vec<FileInformation>,
    #[serde(default, deserialize_with = "null_as_empty_map")]
    pub custom_data: BTreeMap<String, String>,
    #[serde(default)]
    pub ros_distro: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Duration {
    pub nanoseconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StartingTime {
    pub nanoseconds_since_epoch: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicWithMessageCount {
    pub topic_metadata: TopicMetadata,
    pub message_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicMetadata {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub serialization_format: String,
    #[serde(default, deserialize_with = "qos_profiles_text")]
    pub offered_qos_profiles: String,
    #[serde(default)]
    pub type_description_hash: String,
}

/// rosbag2 writes `offered_qos_profiles` as a YAML document inside a string; some writers (the
/// `rosbags` package's version 9 metadata) write the list itself. Both are kept as that text.
fn qos_profiles_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<String, D::Error> {
    match serde_yaml_ng::Value::deserialize(deserializer)? {
        serde_yaml_ng::Value::String(text) => Ok(text),
        serde_yaml_ng::Value::Null => Ok(String::new()),
        list => serde_yaml_ng::to_string(&list).map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInformation {
    pub path: String,
    pub starting_time: StartingTime,
    pub duration: Duration,
    pub message_count: u64,
}

impl From<&TopicInfo> for TopicMetadata {
    fn from(topic: &TopicInfo) -> Self {
        TopicMetadata {
            name: topic.name.clone(),
            type_name: topic.type_name.clone(),
            serialization_format: topic.serialization_format.clone(),
            offered_qos_profiles: topic.offered_qos_profiles.clone(),
            type_description_hash: topic.type_description_hash.clone(),
        }
    }
}

impl FileInformation {
    /// A file holding `message_count` messages received from `start_ns` to `end_ns`.
    pub(crate) fn new(
        path: String,
        start_ns: Option<i64>,
        end_ns: Option<i64>,
        message_count: u64,
    ) -> Self {
        let (start, end) = match (start_ns, end_ns) {
            (Some(start), Some(end)) => (start, end),
            _ => (EMPTY_BAG_STARTING_TIME, EMPTY_BAG_STARTING_TIME),
        };
        FileInformation {
            path,
            starting_time: StartingTime { nanoseconds_since_epoch: start },
            duration: Duration { nanoseconds: end - start },
            message_count,
        }
    }
}

fn null_as_empty_map<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<BTreeMap<String, String>>::deserialize(deserializer)?.unwrap_or_default())
}

impl BagMetadata {
    /// An empty bag as rosbag2 describes it before the first message.
    pub fn empty(storage: StorageId) -> Self {
        BagMetadata {
            version: METADATA_VERSION,
            storage_identifier: storage.as_str().to_string(),
            duration: Duration::default(),
            starting_time: StartingTime { nanoseconds_since_epoch: EMPTY_BAG_STARTING_TIME },
            message_count: 0,
            topics_with_message_count: Vec::new(),
            compression_format: String::new(),
            compression_mode: String::new(),
            relative_file_paths: Vec::new(),
            files: Vec::new(),
            custom_data: BTreeMap::new(),
            ros_distro: "kilted".to_string(),
        }
    }

    /// Metadata describing `files`, in order, that hold `topics` with their message counts.
    pub(crate) fn describe<'a>(
        storage: StorageId,
        topics: impl IntoIterator<Item = (&'a TopicInfo, u64)>,
        relative_file_paths: Vec<String>,
        files: Vec<FileInformation>,
    ) -> Self {
        let mut metadata = BagMetadata::empty(storage);
        metadata.topics_with_message_count = topics
            .into_iter()
            .map(|(topic, message_count)| TopicWithMessageCount {
                topic_metadata: TopicMetadata::from(topic),
                message_count,
            })
            .collect();
        let ranges = files.iter().filter(|file| file.message_count > 0).map(|file| {
            let start = file.starting_time.nanoseconds_since_epoch;
            (start, start + file.duration.nanoseconds)
        });
        let range = ranges.reduce(|(s1, e1), (s2, e2)| (s1.min(s2), e1.max(e2)));
        if let Some((start, end)) = range {
            metadata.starting_time.nanoseconds_since_epoch = start;
            metadata.duration.nanoseconds = end - start;
        }
        metadata.message_count = files.iter().map(|file| file.message_count).sum();
        metadata.relative_file_paths = relative_file_paths;
        metadata.files = files;
        metadata
    }

    pub fn storage(&self) -> Option<StorageId> {
        StorageId::from_identifier(&self.storage_identifier)
    }

    /// Parses a metadata.yaml document; `path` is only used to name the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let document: MetadataDocument =
            serde_yaml_ng::from_str(text).map_err(|err| BagError::MetadataSyntax {
                path: path.to_path_buf(),
                // Errors without a position (missing field) point at the top mapping.
                line: err
                    .location()
                    .map(|l| l.line())
                    .unwrap_or_else(|| line_of_key(text, "rosbag2_bagfile_information")),
                column: err.location().map(|l| l.column()).unwrap_or(1),
                message: err.to_string(),
            })?;
        let metadata = document.rosbag2_bagfile_information;
        let invalid = |key: &str, message: String| BagError::MetadataInvalid {
            path: path.to_path_buf(),
            line: line_of_key(text, key),
            message,
        };
        if !(OLDEST_READABLE_VERSION..=METADATA_VERSION).contains(&metadata.version) {
            return Err(invalid(
                "version",
                format!(
                    "unsupported metadata version {} (readable: {OLDEST_READABLE_VERSION} to \
                     {METADATA_VERSION})",
                    metadata.version
                ),
            ));
        }
        if metadata.storage().is_none() {
            return Err(invalid(
                "storage_identifier",
                format!(
                    "unknown storage_identifier {:?} (expected \"mcap\" or \"sqlite3\")",
                    metadata.storage_identifier
                ),
            ));
        }
        // rosbag2_compression's per-file or per-message compression wraps the storage files;
        // MCAP chunk compression leaves these empty.
        if !metadata.compression_mode.is_empty() || !metadata.compression_format.is_empty() {
            return Err(invalid(
                "compression_mode",
                format!(
                    "rosbag2 compression (mode {:?}, format {:?}) is not supported; decompress \
                     the bag with `ros2 bag convert` first",
                    metadata.compression_mode, metadata.compression_format
                ),
            ));
        }
        Ok(metadata)
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path).map_err(io_error(path, "reading metadata.yaml"))?;
        Self::parse(&text, path)
    }

    pub fn to_yaml(&self) -> String {
        let document = MetadataDocument { rosbag2_bagfile_information: self.clone() };
        // Serializing plain strings, integers and maps cannot fail.
        serde_yaml_ng::to_string(&document).expect("metadata serializes to YAML")
    }

    /// Writes `dir/metadata.yaml` atomically (temporary file, fsync, rename), so a reader or a
    /// crash never sees half a file.
    pub fn write_to_dir(&self, dir: &Path) -> Result<()> {
        let final_path = dir.join(METADATA_FILE_NAME);
        let temp_path = dir.join(".metadata.yaml.tmp");
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut file = fs::File::create(&temp_path)?;
            file.write_all(self.to_yaml().as_bytes())?;
            file.sync_data()?;
            fs::rename(&temp_path, &final_path)
        };
        write().map_err(io_error(&final_path, "writing metadata.yaml"))
    }
}

/// 1-based line of the first `key:` in a YAML text, 1 when absent. Used to point errors about
/// values (not syntax) at a line, which serde does not report.
pub(crate) fn line_of_key(text: &str, key: &str) -> usize {
    let with_colon = format!("{key}:");
    text.lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            line.starts_with(&with_colon)
        })
        .map_or(1, |index| index + 1)
}

/// 1-based line on which `value` appears in a YAML text, 1 when absent.
pub(crate) fn line_of_value(text: &str, value: &str) -> usize {
    text.lines().position(|line| line.contains(value)).map_or(1, |index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_metadata_reads_back() {
        let mut metadata = BagMetadata::empty(StorageId::Mcap);
        metadata.relative_file_paths.push("bag_0.mcap".into());
        metadata.topics_with_message_count.push(TopicWithMessageCount {
            topic_metadata: TopicMetadata {
                name: "/a".into(),
                type_name: "std_msgs/msg/String".into(),
                serialization_format: "cdr".into(),
                offered_qos_profiles: "- history: 3\n  depth: 0\n".into(),
                type_description_hash: String::new(),
            },
            message_count: 3,
        });
        let text = metadata.to_yaml();
        assert!(text.starts_with("rosbag2_bagfile_information:\n  version: 9\n"));
        let parsed = BagMetadata::parse(&text, Path::new("metadata.yaml")).unwrap();
        assert_eq!(parsed, metadata);
    }

    #[test]
    fn qos_profiles_written_as_a_list_are_read_as_their_yaml_text() {
        let text = "rosbag2_bagfile_information:\n  version: 9\n  storage_identifier: sqlite3\n  \
            duration: {nanoseconds: 0}\n  starting_time: {nanoseconds_since_epoch: 0}\n  \
            message_count: 0\n  topics_with_message_count:\n    - topic_metadata:\n        \
            name: /a\n        type: std_msgs/msg/String\n        serialization_format: cdr\n        \
            offered_qos_profiles:\n          - history: keep_last\n            depth: 5\n      \
            message_count: 0\n  compression_format: ''\n  compression_mode: ''\n  \
            relative_file_paths: []\n  files: []\n";
        let parsed = BagMetadata::parse(text, Path::new("metadata.yaml")).unwrap();
        let qos = &parsed.topics_with_message_count[0].topic_metadata.offered_qos_profiles;
        assert_eq!(qos, "- history: keep_last\n  depth: 5\n");
    }

    #[test]
    fn bad_version_names_its_line() {
        let text = "rosbag2_bagfile_information:\n  version: 42\n  storage_identifier: mcap\n  \
                    duration:\n    nanoseconds: 0\n  starting_time:\n    \
                    nanoseconds_since_epoch: 0\n  message_count: 0\n";
        let err = BagMetadata::parse(text, Path::new("x/metadata.yaml")).unwrap_err();
        assert!(matches!(err, BagError::MetadataInvalid { line: 2, .. }), "{err}");
    }
}
