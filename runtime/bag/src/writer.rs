//! Recording a bag: storage files named and split as rosbag2 does, and a metadata.yaml that
//! is valid from the moment the bag exists (provisional, then rewritten on every split and on
//! finish), so a recorder killed at any point leaves a bag [`crate::BagReader`] opens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{io_error, BagError, Result};
use crate::mcap_storage::McapFileWriter;
use crate::metadata::{BagMetadata, FileInformation, METADATA_VERSION};
use crate::sqlite_storage::SqliteFileWriter;
use crate::{Compression, StorageId, TopicInfo};

#[derive(Debug, Clone)]
pub struct WriterOptions {
    pub storage: StorageId,
    /// MCAP chunk compression; sqlite3 takes only `None`.
    pub compression: Compression,
    /// Uncompressed MCAP chunk size in bytes: also the most a killed recorder loses.
    pub chunk_size: u64,
    /// Start a new storage file before one would grow past this many bytes.
    pub max_bagfile_size: Option<u64>,
    /// Start a new storage file before one would span more than this much receive time.
    pub max_bagfile_duration_ns: Option<i64>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            storage: StorageId::Mcap,
            compression: Compression::None,
            // libmcap's default, which rosbag2 uses.
            chunk_size: 768 * 1024,
            max_bagfile_size: None,
            max_bagfile_duration_ns: None,
        }
    }
}

// One instance per bag writer: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum FileWriter {
    Mcap(McapFileWriter),
    Sqlite(SqliteFileWriter),
}

impl FileWriter {
    fn add_topic(&mut self, topic: &TopicInfo) -> Result<()> {
        match self {
            FileWriter::Mcap(writer) => writer.add_topic(topic),
            FileWriter::Sqlite(writer) => writer.add_topic(topic),
        }
    }

    fn size(&self) -> u64 {
        match self {
            FileWriter::Mcap(writer) => writer.size(),
            FileWriter::Sqlite(writer) => writer.size(),
        }
    }

    fn finish(self, serialized_metadata: &str) -> Result<()> {
        match self {
            FileWriter::Mcap(writer) => writer.finish(serialized_metadata),
            FileWriter::Sqlite(writer) => writer.finish(METADATA_VERSION, serialized_metadata),
        }
    }
}

/// Messages of the file being written.
struct OpenFile {
    relative_path: String,
    writer: FileWriter,
    message_count: u64,
    time_range: Option<(i64, i64)>,
}

impl OpenFile {
    fn information(&self) -> FileInformation {
        FileInformation::new(
            self.relative_path.clone(),
            self.time_range.map(|(start, _)| start),
            self.time_range.map(|(_, end)| end),
            self.message_count,
        )
    }
}

/// Records a rosbag2 bag directory. Call [`BagWriter::finish`] to get errors of the final
/// flush; dropping an unfinished writer finishes it and only logs errors.
pub struct BagWriter {
    dir: PathBuf,
    base_name: String,
    options: WriterOptions,
    topics: Vec<Arc<TopicInfo>>,
    topic_counts: Vec<u64>,
    topic_index: HashMap<String, usize>,
    closed_files: Vec<FileInformation>,
    current: Option<OpenFile>,
}

impl BagWriter {
    /// Creates the bag directory (which must not exist or be empty), its first storage file
    /// `<dirname>_0.<ext>` and a provisional metadata.yaml.
    pub fn create(dir: impl AsRef<Path>, options: WriterOptions) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        if options.storage == StorageId::Sqlite3 && options.compression != Compression::None {
            return Err(BagError::UnsupportedCompression {
                bag: dir,
                storage: options.storage,
                compression: options.compression,
            });
        }
        if options.chunk_size == 0 {
            return Err(BagError::InvalidArgument {
                path: dir,
                message: "chunk_size must be positive".to_string(),
            });
        }
        let base_name = match dir.file_name() {
            Some(name) => name.to_string_lossy().into_owned(),
            None => {
                return Err(BagError::InvalidArgument {
                    path: dir,
                    message: "bag path has no directory name to name its files after".to_string(),
                })
            }
        };
        if dir.exists() {
            let mut entries =
                std::fs::read_dir(&dir).map_err(io_error(&dir, "opening bag directory"))?;
            if entries.next().is_some() {
                return Err(BagError::BagExists { path: dir });
            }
        } else {
            std::fs::create_dir_all(&dir).map_err(io_error(&dir, "creating bag directory"))?;
        }
        let mut writer = BagWriter {
            dir,
            base_name,
            options,
            topics: Vec::new(),
            topic_counts: Vec::new(),
            topic_index: HashMap::new(),
            closed_files: Vec::new(),
            current: None,
        };
        writer.open_next_file()?;
        Ok(writer)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn topics(&self) -> &[Arc<TopicInfo>] {
        &self.topics
    }

    /// Adds a topic to the bag (and to every storage file from now on). Adding the same
    /// topic again is a no-op; the same name with another type is an error.
    pub fn add_topic(&mut self, topic: TopicInfo) -> Result<Arc<TopicInfo>> {
        if let Some(&index) = self.topic_index.get(&topic.name) {
            let existing = &self.topics[index];
            if existing.type_name != topic.type_name {
                return Err(BagError::TopicConflict {
                    bag: self.dir.clone(),
                    topic: topic.name,
                    existing_type: existing.type_name.clone(),
                    new_type: topic.type_name,
                });
            }
            return Ok(Arc::clone(existing));
        }
        if let Some(current) = &mut self.current {
            current.writer.add_topic(&topic)?;
        }
        let topic = Arc::new(topic);
        self.topic_index.insert(topic.name.clone(), self.topics.len());
        self.topics.push(Arc::clone(&topic));
        self.topic_counts.push(0);
        // Keeps metadata.yaml listing every topic even if the recorder dies before the next
        // split or finish.
        self.metadata().write_to_dir(&self.dir)?;
        Ok(topic)
    }

    /// Writes one message on an added topic.
    pub fn write(
        &mut self,
        topic: &str,
        log_time_ns: i64,
        publish_time_ns: i64,
        data: &[u8],
    ) -> Result<()> {
        let Some(&topic_index) = self.topic_index.get(topic) else {
            return Err(BagError::UnknownTopic { bag: self.dir.clone(), topic: topic.to_string() });
        };
        if self.should_split(log_time_ns, data.len() as u64) {
            self.split()?;
        }
        let current = self.current.as_mut().expect("a file is open until finish");
        match &mut current.writer {
            FileWriter::Mcap(writer) => writer.write(topic, log_time_ns, publish_time_ns, data)?,
            FileWriter::Sqlite(writer) => writer.write(topic, log_time_ns, data)?,
        }
        current.message_count += 1;
        current.time_range = Some(match current.time_range {
            Some((start, end)) => (start.min(log_time_ns), end.max(log_time_ns)),
            None => (log_time_ns, log_time_ns),
        });
        self.topic_counts[topic_index] += 1;
        Ok(())
    }

    /// Never splits an empty file, so one message bigger than the limit still gets written.
    fn should_split(&self, log_time_ns: i64, message_bytes: u64) -> bool {
        let Some(current) = &self.current else {
            return false;
        };
        let Some((start, _)) = current.time_range else {
            return false;
        };
        let too_big = self
            .options
            .max_bagfile_size
            .is_some_and(|max| current.writer.size() + message_bytes > max);
        let too_long = self
            .options
            .max_bagfile_duration_ns
            .is_some_and(|max| log_time_ns.saturating_sub(start) > max);
        too_big || too_long
    }

    fn split(&mut self) -> Result<()> {
        self.close_current_file()?;
        self.open_next_file()
    }

    fn open_next_file(&mut self) -> Result<()> {
        let index = self.closed_files.len();
        let relative_path =
            format!("{}_{index}.{}", self.base_name, self.options.storage.file_extension());
        let path = self.dir.join(&relative_path);
        let mut writer = match self.options.storage {
            StorageId::Mcap => FileWriter::Mcap(McapFileWriter::create(
                &path,
                self.options.compression,
                self.options.chunk_size,
            )?),
            StorageId::Sqlite3 => FileWriter::Sqlite(SqliteFileWriter::create(&path)?),
        };
        for topic in &self.topics {
            writer.add_topic(topic)?;
        }
        self.current = Some(OpenFile { relative_path, writer, message_count: 0, time_range: None });
        self.metadata().write_to_dir(&self.dir)
    }

    fn close_current_file(&mut self) -> Result<()> {
        let Some(current) = self.current.take() else {
            return Ok(());
        };
        let information = current.information();
        // The metadata stored inside the file describes the bag up to and including it.
        self.closed_files.push(information);
        let serialized = self.metadata().to_yaml();
        current.writer.finish(&serialized)?;
        self.metadata().write_to_dir(&self.dir)
    }

    /// The bag as written so far.
    pub fn metadata(&self) -> BagMetadata {
        let mut files = self.closed_files.clone();
        files.extend(self.current.as_ref().map(OpenFile::information));
        let relative_paths = files.iter().map(|file| file.path.clone()).collect();
        BagMetadata::describe(
            self.options.storage,
            self.topics.iter().map(|topic| topic.as_ref()).zip(self.topic_counts.iter().copied()),
            relative_paths,
            files,
        )
    }

    /// Closes the last storage file and writes the final metadata.yaml.
    pub fn finish(mut self) -> Result<BagMetadata> {
        self.close_current_file()?;
        Ok(self.metadata())
    }
}

impl Drop for BagWriter {
    fn drop(&mut self) {
        if self.current.is_some() {
            if let Err(err) = self.close_current_file() {
                tracing::error!("{}: finishing bag on drop failed: {err}", self.dir.display());
            }
        }
    }
}
