//! Opening a bag (directory or single storage file) and reading its messages in rosbag2
//! order: receive time, then file index in `relative_file_paths`, then position in the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{io_error, BagError, Result};
use crate::mcap_storage::McapFile;
use crate::messages::MessageIter;
use crate::metadata::{line_of_value, BagMetadata, FileInformation, METADATA_FILE_NAME};
use crate::sqlite_storage::SqliteFile;
use crate::{BagSummary, Compression, FileSummary, ReadOptions, StorageId, TopicInfo};

/// How strictly [`BagReader::open_with`] treats damage it can read around.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Fail with [`BagError::McapTruncated`] on an unfinished or truncated MCAP file instead of
    /// reading up to the last complete chunk.
    pub strict: bool,
}

pub(crate) enum StorageFile {
    Mcap(McapFile),
    Sqlite(SqliteFile),
}

impl StorageFile {
    fn open(path: &Path, storage: StorageId) -> Result<Self> {
        Ok(match storage {
            StorageId::Mcap => StorageFile::Mcap(McapFile::open(path)?),
            StorageId::Sqlite3 => StorageFile::Sqlite(SqliteFile::open(path)?),
        })
    }

    fn summary(&self) -> &FileSummary {
        match self {
            StorageFile::Mcap(file) => &file.summary,
            StorageFile::Sqlite(file) => &file.summary,
        }
    }

    /// (storage id of the topic in this file, topic, message count)
    fn topics(&self) -> Vec<(i64, Arc<TopicInfo>, u64)> {
        match self {
            StorageFile::Mcap(file) => file
                .channels
                .iter()
                .map(|(&id, topic)| {
                    let count = file.channel_message_counts.get(&id).copied().unwrap_or(0);
                    (i64::from(id), Arc::clone(topic), count)
                })
                .collect(),
            StorageFile::Sqlite(file) => file
                .topics
                .iter()
                .map(|(&id, topic)| {
                    let count = file.topic_message_counts.get(&id).copied().unwrap_or(0);
                    (id, Arc::clone(topic), count)
                })
                .collect(),
        }
    }
}

/// A rosbag2 bag opened for reading. See the crate docs.
pub struct BagReader {
    path: PathBuf,
    metadata: BagMetadata,
    topics: Vec<Arc<TopicInfo>>,
    pub(crate) files: Vec<StorageFile>,
    /// Per file: storage topic/channel id to the bag-wide topic.
    pub(crate) file_topics: Vec<HashMap<i64, Arc<TopicInfo>>>,
    summary: BagSummary,
    pub(crate) corrupt_chunks_skipped: AtomicU64,
}

impl BagReader {
    /// Opens a bag directory (with metadata.yaml) or a single `.mcap` / `.db3` file, reading
    /// around an unfinished MCAP tail (see [`OpenOptions::strict`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, OpenOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        let path = path.as_ref();
        let file_type = std::fs::metadata(path).map_err(io_error(path, "opening bag"))?.file_type();
        let is_metadata_file = path.file_name().is_some_and(|n| n == METADATA_FILE_NAME);
        if file_type.is_dir() || is_metadata_file {
            let dir =
                if file_type.is_dir() { path } else { path.parent().unwrap_or(Path::new(".")) };
            Self::open_directory(dir, &options)
        } else {
            let storage = StorageId::from_path(path)
                .ok_or_else(|| BagError::UnknownExtension { path: path.to_path_buf() })?;
            let file = open_storage_file(path, storage, &options)?;
            let relative = vec![file_name_of(path)];
            Ok(Self::assemble(path, storage, vec![file], relative, None))
        }
    }

    fn open_directory(dir: &Path, options: &OpenOptions) -> Result<Self> {
        let metadata_path = dir.join(METADATA_FILE_NAME);
        if !metadata_path.is_file() {
            return Err(BagError::MissingMetadata { dir: dir.to_path_buf() });
        }
        let text = std::fs::read_to_string(&metadata_path)
            .map_err(io_error(&metadata_path, "reading metadata.yaml"))?;
        let metadata = BagMetadata::parse(&text, &metadata_path)?;
        let storage = metadata.storage().expect("parse checked storage_identifier");
        if metadata.relative_file_paths.is_empty() {
            return Err(BagError::MetadataInvalid {
                path: metadata_path,
                line: crate::metadata::line_of_key(&text, "relative_file_paths"),
                message: "relative_file_paths lists no storage file".to_string(),
            });
        }
        let mut files = Vec::new();
        for relative in &metadata.relative_file_paths {
            let file_path = resolve_storage_path(dir, relative).ok_or_else(|| {
                BagError::MissingStorageFile {
                    metadata_path: metadata_path.clone(),
                    line: line_of_value(&text, relative),
                    file: dir.join(relative),
                }
            })?;
            files.push(open_storage_file(&file_path, storage, options)?);
        }
        let relative = metadata.relative_file_paths.clone();
        let reader = Self::assemble(dir, storage, files, relative, Some(metadata));
        reader.warn_on_stale_metadata();
        Ok(reader)
    }

    /// Builds the bag-wide topic list and summary from opened storage files; metadata.yaml,
    /// when given, contributes only topics the storage does not know (declared, never written).
    fn assemble(
        path: &Path,
        storage: StorageId,
        files: Vec<StorageFile>,
        relative_file_paths: Vec<String>,
        metadata: Option<BagMetadata>,
    ) -> Self {
        let mut topics: Vec<Arc<TopicInfo>> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut file_topics = Vec::new();
        for file in &files {
            let mut map = HashMap::new();
            for (id, topic, count) in file.topics() {
                let index = *by_name.entry(topic.name.clone()).or_insert_with(|| {
                    topics.push(Arc::clone(&topic));
                    counts.push(0);
                    topics.len() - 1
                });
                if topics[index].type_name != topic.type_name {
                    tracing::warn!(
                        "{}: topic {} has type {} here but {} in an earlier file",
                        file.summary().path.display(),
                        topic.name,
                        topic.type_name,
                        topics[index].type_name
                    );
                }
                counts[index] += count;
                map.insert(id, Arc::clone(&topics[index]));
            }
            file_topics.push(map);
        }
        if let Some(metadata) = &metadata {
            for entry in &metadata.topics_with_message_count {
                let declared = &entry.topic_metadata;
                if !by_name.contains_key(&declared.name) {
                    by_name.insert(declared.name.clone(), topics.len());
                    topics.push(Arc::new(TopicInfo {
                        name: declared.name.clone(),
                        type_name: declared.type_name.clone(),
                        serialization_format: declared.serialization_format.clone(),
                        offered_qos_profiles: declared.offered_qos_profiles.clone(),
                        type_description_hash: declared.type_description_hash.clone(),
                        message_definition: Default::default(),
                    }));
                    counts.push(0);
                }
            }
        }

        let file_summaries: Vec<FileSummary> =
            files.iter().map(|file| file.summary().clone()).collect();
        let start_ns = file_summaries.iter().filter_map(|f| f.start_ns).min();
        let end_ns = file_summaries.iter().filter_map(|f| f.end_ns).max();
        let summary = BagSummary {
            storage,
            start_ns,
            end_ns,
            duration_ns: match (start_ns, end_ns) {
                (Some(start), Some(end)) => end - start,
                _ => 0,
            },
            message_count: file_summaries.iter().map(|f| f.message_count).sum(),
            topic_message_counts: topics
                .iter()
                .zip(&counts)
                .map(|(topic, &count)| (topic.name.clone(), count))
                .collect(),
            size_bytes: file_summaries.iter().map(|f| f.size_bytes).sum(),
            compression: file_summaries
                .iter()
                .map(|f| f.compression)
                .find(|&c| c != Compression::None)
                .unwrap_or_default(),
            files: file_summaries,
        };
        let metadata = metadata.unwrap_or_else(|| {
            let file_information = relative_file_paths
                .iter()
                .zip(&summary.files)
                .map(|(relative, file)| {
                    FileInformation::new(
                        relative.clone(),
                        file.start_ns,
                        file.end_ns,
                        file.message_count,
                    )
                })
                .collect();
            BagMetadata::describe(
                storage,
                topics.iter().map(|t| t.as_ref()).zip(counts.iter().copied()),
                relative_file_paths,
                file_information,
            )
        });
        BagReader {
            path: path.to_path_buf(),
            metadata,
            topics,
            files,
            file_topics,
            summary,
            corrupt_chunks_skipped: AtomicU64::new(0),
        }
    }

    /// metadata.yaml of a killed recorder lags behind its storage; the storage wins.
    fn warn_on_stale_metadata(&self) {
        let metadata_path = self.path.join(METADATA_FILE_NAME);
        if self.metadata.message_count != self.summary.message_count {
            tracing::warn!(
                "{}: says {} messages, storage files hold {}; using the storage",
                metadata_path.display(),
                self.metadata.message_count,
                self.summary.message_count
            );
        }
        for entry in &self.metadata.topics_with_message_count {
            let name = &entry.topic_metadata.name;
            let stored = self.summary.topic_message_count(name).unwrap_or(0);
            if entry.message_count != stored {
                tracing::warn!(
                    "{}: says topic {name} has {} messages, storage files hold {stored}",
                    metadata_path.display(),
                    entry.message_count
                );
            }
        }
    }

    /// The path given to `open`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// metadata.yaml as parsed, or synthesized from the storage for a single file.
    pub fn metadata(&self) -> &BagMetadata {
        &self.metadata
    }

    pub fn storage(&self) -> StorageId {
        self.summary.storage
    }

    /// Every topic of the bag, in order of first appearance in the storage files.
    pub fn topics(&self) -> &[Arc<TopicInfo>] {
        &self.topics
    }

    pub fn topic(&self, name: &str) -> Option<&Arc<TopicInfo>> {
        self.topics.iter().find(|topic| topic.name == name)
    }

    /// Counts and times computed from the storage files.
    pub fn summary(&self) -> &BagSummary {
        &self.summary
    }

    /// Corrupt MCAP chunks skipped so far by iterators with `skip_corrupt`.
    pub fn corrupt_chunks_skipped(&self) -> u64 {
        self.corrupt_chunks_skipped.load(Ordering::Relaxed)
    }

    /// Messages in rosbag2 order. After an `Err` the iterator may be continued: it resumes
    /// with the next chunk (the failed one's messages are lost).
    pub fn messages(&self, options: ReadOptions) -> MessageIter<'_> {
        MessageIter::new(self, options)
    }
}

fn open_storage_file(
    path: &Path,
    storage: StorageId,
    options: &OpenOptions,
) -> Result<StorageFile> {
    let file = StorageFile::open(path, storage)?;
    if let StorageFile::Mcap(mcap) = &file {
        if options.strict && mcap.summary.unreadable_tail_bytes > 0 {
            return Err(BagError::McapTruncated {
                path: path.to_path_buf(),
                offset: mcap.readable_end(),
                unreadable_bytes: mcap.summary.unreadable_tail_bytes,
                reason: mcap.tail_error.clone().unwrap_or_default(),
            });
        }
    }
    Ok(file)
}

fn file_name_of(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Storage paths are relative to the bag directory; some old rosbag2 versions prefixed them
/// with the directory name, so fall back to the bare file name.
fn resolve_storage_path(dir: &Path, relative: &str) -> Option<PathBuf> {
    let direct = dir.join(relative);
    if direct.is_file() {
        return Some(direct);
    }
    let by_name = dir.join(Path::new(relative).file_name()?);
    by_name.is_file().then_some(by_name)
}

/// Rebuilds `dir/metadata.yaml` from the storage files found in `dir` (all `.mcap` or all
/// `.db3`, ordered by their `_N` index), and returns what it wrote.
pub fn reindex(dir: impl AsRef<Path>) -> Result<BagMetadata> {
    let dir = dir.as_ref();
    let entries = std::fs::read_dir(dir).map_err(io_error(dir, "listing bag directory"))?;
    let mut found: Vec<(StorageId, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry.map_err(io_error(dir, "listing bag directory"))?.path();
        if let Some(storage) = StorageId::from_path(&path).filter(|_| path.is_file()) {
            found.push((storage, path));
        }
    }
    let storage = match found.first() {
        Some((storage, _)) => *storage,
        None => {
            return Err(BagError::InvalidArgument {
                path: dir.to_path_buf(),
                message: "no .mcap or .db3 storage file to reindex".to_string(),
            })
        }
    };
    if found.iter().any(|(s, _)| *s != storage) {
        return Err(BagError::InvalidArgument {
            path: dir.to_path_buf(),
            message: "holds both .mcap and .db3 files; a bag has one storage".to_string(),
        });
    }
    let mut paths: Vec<PathBuf> = found.into_iter().map(|(_, path)| path).collect();
    paths.sort_by_key(|path| (split_index(path), path.clone()));
    let files =
        paths.iter().map(|path| StorageFile::open(path, storage)).collect::<Result<Vec<_>>>()?;
    let relative = paths.iter().map(|path| file_name_of(path)).collect();
    let reader = BagReader::assemble(dir, storage, files, relative, None);
    reader.metadata.write_to_dir(dir)?;
    Ok(reader.metadata)
}

/// The N of `<name>_N.<ext>`, rosbag2's split file naming.
fn split_index(path: &Path) -> u64 {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.rsplit_once('_'))
        .and_then(|(_, index)| index.parse().ok())
        .unwrap_or(u64::MAX)
}
