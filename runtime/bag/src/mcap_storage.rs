//! MCAP storage files, through the `mcap` crate: the summary section when the file has one,
//! a linear scan when it has none (a recorder was killed before writing it) or it is damaged.
//!
//! Files are read with positioned reads, not memory maps: a file that shrinks under a map
//! kills the process with SIGBUS, and bags being recorded are exactly the files we open.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mcap::records::{op, MessageHeader, Record};
use mcap::sans_io::{
    LinearReadEvent, LinearReader, LinearReaderOptions, SummaryReadEvent, SummaryReader,
    SummaryReaderOptions,
};
use mcap::{McapError, MAGIC};

use crate::error::{io_error, BagError, Result};
use crate::{Compression, FileSummary, MessageDefinition, TopicInfo};

/// Opcode and length prefix of every MCAP record.
const RECORD_PREFIX_LEN: u64 = 9;
/// MCAP profile and the library string we write.
const PROFILE: &str = "ros2";
const LIBRARY: &str = concat!("edgefusion-bag/", env!("CARGO_PKG_VERSION"), " (mcap-rust)");
/// Name of the Metadata record rosbag2_storage_mcap writes with the serialized bag metadata.
const ROSBAG2_METADATA_RECORD: &str = "rosbag2";

/// Largest uncompressed chunk we decode. The `mcap` crate allocates the size a chunk header
/// claims before decompressing, so a damaged header must not reach it unchecked.
const MAX_UNCOMPRESSED_CHUNK: u64 = 1 << 30;

/// Rejects chunk headers whose sizes cannot be true before any buffer is sized from them.
fn check_chunk_header(header: &mcap::records::ChunkHeader) -> mcap::McapResult<()> {
    let uncompressed = header.uncompressed_size;
    let plausible = if header.compression.is_empty() {
        uncompressed == header.compressed_size
    } else {
        uncompressed <= MAX_UNCOMPRESSED_CHUNK
    };
    if plausible {
        Ok(())
    } else {
        Err(McapError::ChunkTooLarge(uncompressed))
    }
}

/// Calls `visit` with each record inside a chunk, given the chunk record's body (after opcode
/// and length). Uses the crate's sans-io reader so that the CRC is checked before any record is
/// parsed, and every buffer is bounded by sizes `check_chunk_header` has vetted: a damaged
/// chunk gives an error, never a huge allocation.
fn for_each_chunk_record(body: &[u8], mut visit: impl FnMut(Record<'_>)) -> mcap::McapResult<()> {
    let Record::Chunk { header, .. } = mcap::parse_record(op::CHUNK, body)? else {
        return Err(McapError::BadIndex);
    };
    check_chunk_header(&header)?;
    // No record inside can be longer than the chunk's uncompressed content.
    let limit = usize::try_from(header.uncompressed_size).unwrap_or(usize::MAX).max(body.len());
    let mut reader = LinearReader::new_with_options(
        LinearReaderOptions::default()
            .with_skip_start_magic(true)
            .with_skip_end_magic(true)
            .with_prevalidate_chunk_crcs(true)
            .with_validate_data_section_crc(false)
            .with_record_length_limit(limit),
    );
    let mut prefix = vec![op::CHUNK];
    prefix.extend_from_slice(&(body.len() as u64).to_le_bytes());
    let mut input = std::io::Read::chain(&prefix[..], body);
    while let Some(event) = reader.next_event() {
        match event? {
            LinearReadEvent::ReadRequest(wanted) => {
                let read = input.read(reader.insert(wanted))?;
                reader.notify_read(read);
            }
            LinearReadEvent::Record { opcode, data } => visit(mcap::parse_record(opcode, data)?),
        }
    }
    Ok(())
}

/// A run of records read as a unit: one chunk, or consecutive messages outside chunks.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// File offset of the first record.
    pub offset: u64,
    /// Bytes from `offset` to the end of the last record.
    pub length: u64,
    pub is_chunk: bool,
    pub start_ns: i64,
    pub end_ns: i64,
    /// Channels with messages in the segment, when the chunk index says so.
    pub channel_ids: Option<Vec<u16>>,
}

/// A message as stored, its channel not yet resolved to a topic.
pub(crate) struct RawMessage {
    pub channel_id: u16,
    pub log_time_ns: i64,
    pub publish_time_ns: i64,
    pub data: Vec<u8>,
}

pub(crate) struct McapFile {
    pub path: PathBuf,
    file: File,
    pub channels: BTreeMap<u16, Arc<TopicInfo>>,
    pub channel_message_counts: BTreeMap<u16, u64>,
    pub segments: Vec<Segment>,
    pub summary: FileSummary,
    /// Why the tail is unreadable, when it is.
    pub tail_error: Option<String>,
}

/// Schemas and channels as found in records, resolved to topics once all are known.
#[derive(Default)]
struct ChannelTable {
    schemas: HashMap<u16, (String, MessageDefinition)>,
    channels: BTreeMap<u16, mcap::records::Channel>,
}

impl ChannelTable {
    fn add_record(&mut self, record: &Record<'_>) {
        match record {
            Record::Schema { header, data } => {
                let definition = MessageDefinition {
                    encoding: header.encoding.clone(),
                    text: String::from_utf8_lossy(data).into_owned(),
                };
                self.schemas.entry(header.id).or_insert_with(|| (header.name.clone(), definition));
            }
            Record::Channel(channel) => {
                self.channels.entry(channel.id).or_insert_with(|| channel.clone());
            }
            _ => {}
        }
    }

    fn into_topics(self) -> BTreeMap<u16, Arc<TopicInfo>> {
        self.channels
            .into_iter()
            .map(|(id, channel)| {
                let (type_name, definition) =
                    self.schemas.get(&channel.schema_id).cloned().unwrap_or_default();
                let topic = topic_info(
                    channel.topic,
                    channel.message_encoding,
                    &channel.metadata,
                    type_name,
                    definition,
                );
                (id, Arc::new(topic))
            })
            .collect()
    }
}

fn topic_info(
    name: String,
    message_encoding: String,
    metadata: &BTreeMap<String, String>,
    type_name: String,
    message_definition: MessageDefinition,
) -> TopicInfo {
    TopicInfo {
        name,
        type_name,
        serialization_format: message_encoding,
        offered_qos_profiles: metadata.get("offered_qos_profiles").cloned().unwrap_or_default(),
        type_description_hash: metadata.get("topic_type_hash").cloned().unwrap_or_default(),
        message_definition,
    }
}

/// MCAP stores unsigned nanoseconds, rosbag2 signed ones; values past i64::MAX do not occur
/// in real bags, saturate rather than wrap if they do.
fn to_ns(time: u64) -> i64 {
    i64::try_from(time).unwrap_or(i64::MAX)
}

fn read_exact_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    let mut handle = file;
    handle.seek(SeekFrom::Start(offset))?;
    handle.read_exact(buf)
}

impl McapFile {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(io_error(path, "opening MCAP file"))?;
        let size = file.metadata().map_err(io_error(path, "reading MCAP file size"))?.len();
        let mcap_error = |offset: u64, context: &'static str| {
            let path = path.to_path_buf();
            move |source: McapError| BagError::Mcap { path, offset, context, source }
        };

        let mut magic = vec![0u8; MAGIC.len().min(size as usize)];
        read_exact_at(&file, 0, &mut magic).map_err(io_error(path, "reading MCAP magic"))?;
        if magic != MAGIC[..magic.len()] {
            return Err(mcap_error(0, "checking the file magic")(McapError::BadMagic));
        }

        let summary = if magic.len() == MAGIC.len() {
            match read_summary(&file, size) {
                Ok(summary) => summary,
                Err(err) => {
                    // Expected for a file whose writer was killed: no footer yet.
                    tracing::debug!(
                        "{}: no readable MCAP summary ({err}), scanning the file",
                        path.display()
                    );
                    None
                }
            }
        } else {
            None
        };

        let indexed = summary.filter(|summary| {
            let stats_say_empty = summary.stats.as_ref().is_some_and(|s| s.message_count == 0);
            summary.stats.is_some() && (!summary.chunk_indexes.is_empty() || stats_say_empty)
        });
        let mut mcap_file = match indexed {
            Some(summary) => Self::from_summary(path, file, size, summary),
            None => Self::from_scan(path, file, size)?,
        };
        mcap_file.summary.size_bytes = size;
        Ok(mcap_file)
    }

    fn from_summary(path: &Path, file: File, size: u64, summary: mcap::Summary) -> Self {
        let channels = summary
            .channels
            .iter()
            .map(|(&id, channel)| {
                let (type_name, definition) = match &channel.schema {
                    Some(schema) => (
                        schema.name.clone(),
                        MessageDefinition {
                            encoding: schema.encoding.clone(),
                            text: String::from_utf8_lossy(&schema.data).into_owned(),
                        },
                    ),
                    None => Default::default(),
                };
                let topic = topic_info(
                    channel.topic.clone(),
                    channel.message_encoding.clone(),
                    &channel.metadata,
                    type_name,
                    definition,
                );
                (id, Arc::new(topic))
            })
            .collect();
        let stats = summary.stats.clone().unwrap_or_default();
        let mut segments: Vec<Segment> = summary
            .chunk_indexes
            .iter()
            .map(|index| Segment {
                offset: index.chunk_start_offset,
                length: index.chunk_length,
                is_chunk: true,
                start_ns: to_ns(index.message_start_time),
                end_ns: to_ns(index.message_end_time),
                channel_ids: (!index.message_index_offsets.is_empty())
                    .then(|| index.message_index_offsets.keys().copied().collect()),
            })
            .collect();
        segments.sort_by_key(|segment| segment.offset);
        let compression = summary
            .chunk_indexes
            .iter()
            .find_map(|index| {
                Compression::from_mcap_name(&index.compression).filter(|&c| c != Compression::None)
            })
            .unwrap_or_default();
        let has_messages = stats.message_count > 0;
        McapFile {
            path: path.to_path_buf(),
            file,
            channels,
            channel_message_counts: stats.channel_message_counts.clone(),
            segments,
            summary: FileSummary {
                path: path.to_path_buf(),
                size_bytes: size,
                message_count: stats.message_count,
                start_ns: has_messages.then(|| to_ns(stats.message_start_time)),
                end_ns: has_messages.then(|| to_ns(stats.message_end_time)),
                compression,
                unreadable_tail_bytes: 0,
                indexed: true,
            },
            tail_error: None,
        }
    }

    /// Walks the records from the start, decoding every chunk to learn the channels inside it,
    /// and stops cleanly at the first record that is cut off or unparseable.
    fn from_scan(path: &Path, file: File, size: u64) -> Result<Self> {
        let mut reader = LinearReader::new_with_options(
            LinearReaderOptions::default()
                .with_skip_end_magic(true)
                .with_emit_chunks(true)
                .with_validate_data_section_crc(false)
                .with_validate_summary_section_crc(false)
                .with_record_length_limit(usize::try_from(size).unwrap_or(usize::MAX)),
        );
        // The summary attempt moved the shared file cursor.
        (&file).seek(SeekFrom::Start(0)).map_err(io_error(path, "reading MCAP file"))?;
        let mut input = std::io::BufReader::with_capacity(1 << 20, &file);
        let mut table = ChannelTable::default();
        let mut segments: Vec<Segment> = Vec::new();
        let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
        let mut time_range: Option<(i64, i64)> = None;
        let mut compression = Compression::None;
        let mut position = MAGIC.len() as u64;
        let mut tail_error = None;
        let mut note_message = |counts: &mut BTreeMap<u16, u64>, channel: u16, time: i64| {
            *counts.entry(channel).or_default() += 1;
            time_range = Some(match time_range {
                Some((start, end)) => (start.min(time), end.max(time)),
                None => (time, time),
            });
        };

        if size < MAGIC.len() as u64 {
            position = size;
        } else {
            while let Some(event) = reader.next_event() {
                let (opcode, data) = match event {
                    Ok(LinearReadEvent::ReadRequest(wanted)) => {
                        let read = input
                            .read(reader.insert(wanted))
                            .map_err(io_error(path, "reading MCAP file"))?;
                        reader.notify_read(read);
                        continue;
                    }
                    Ok(LinearReadEvent::Record { opcode, data }) => (opcode, data),
                    Err(err) => {
                        tail_error = Some(err.to_string());
                        break;
                    }
                };
                let record_offset = position;
                let record_length = RECORD_PREFIX_LEN + data.len() as u64;
                position += record_length;
                if opcode == op::DATA_END || opcode == op::FOOTER {
                    break;
                }
                let data_body = data;
                let record = match mcap::parse_record(opcode, data) {
                    Ok(record) => record,
                    Err(err) => {
                        // A record whose framing was fine but whose body is not: the chunk
                        // reader below reports chunk damage at read time; others are skipped.
                        tracing::warn!(
                            "{}: unparseable MCAP record (opcode {opcode:#04x}) at byte offset \
                             {record_offset}: {err}",
                            path.display()
                        );
                        continue;
                    }
                };
                match record {
                    Record::Chunk { header, .. } => {
                        if let Some(c) = Compression::from_mcap_name(&header.compression)
                            .filter(|&c| c != Compression::None)
                        {
                            compression = c;
                        }
                        // Counted only once the whole chunk decoded (CRC checked at its end).
                        let mut chunk_messages: Vec<(u16, i64)> = Vec::new();
                        let decoded = for_each_chunk_record(data_body, |record| {
                            if let Record::Message { header, .. } = &record {
                                chunk_messages.push((header.channel_id, to_ns(header.log_time)));
                            } else {
                                table.add_record(&record);
                            }
                        });
                        let mut channel_ids = Vec::new();
                        if decoded.is_ok() {
                            for &(channel, time) in &chunk_messages {
                                note_message(&mut counts, channel, time);
                                channel_ids.push(channel);
                            }
                        }
                        if let Err(err) = &decoded {
                            // Kept as a segment: reading reports or skips it there.
                            tracing::warn!(
                                "{}: corrupt MCAP chunk at byte offset {record_offset}: {err}",
                                path.display()
                            );
                        }
                        channel_ids.sort_unstable();
                        channel_ids.dedup();
                        let channel_ids = decoded.is_ok().then_some(channel_ids);
                        segments.push(Segment {
                            offset: record_offset,
                            length: record_length,
                            is_chunk: true,
                            start_ns: to_ns(header.message_start_time),
                            end_ns: to_ns(header.message_end_time),
                            channel_ids,
                        });
                    }
                    Record::Message { header, .. } => {
                        let time = to_ns(header.log_time);
                        note_message(&mut counts, header.channel_id, time);
                        match segments.last_mut() {
                            Some(loose) if !loose.is_chunk => {
                                loose.length = position - loose.offset;
                                loose.start_ns = loose.start_ns.min(time);
                                loose.end_ns = loose.end_ns.max(time);
                            }
                            _ => segments.push(Segment {
                                offset: record_offset,
                                length: record_length,
                                is_chunk: false,
                                start_ns: time,
                                end_ns: time,
                                channel_ids: None,
                            }),
                        }
                    }
                    other => table.add_record(&other),
                }
            }
        }

        let unreadable_tail_bytes = size.saturating_sub(position);
        if tail_error.is_none() && unreadable_tail_bytes > 0 && position < MAGIC.len() as u64 {
            tail_error = Some("file ends inside the magic bytes".to_string());
        }
        let unreadable_tail_bytes = if tail_error.is_some() {
            tracing::warn!(
                "{}: MCAP file is unfinished or truncated: read up to byte offset {position}, \
                 the last {unreadable_tail_bytes} bytes are unreadable ({})",
                path.display(),
                tail_error.as_deref().unwrap_or_default()
            );
            unreadable_tail_bytes
        } else {
            0
        };
        let message_count = counts.values().sum();
        Ok(McapFile {
            path: path.to_path_buf(),
            file,
            channels: table.into_topics(),
            channel_message_counts: counts,
            segments,
            summary: FileSummary {
                path: path.to_path_buf(),
                size_bytes: size,
                message_count,
                start_ns: time_range.map(|(start, _)| start),
                end_ns: time_range.map(|(_, end)| end),
                compression,
                unreadable_tail_bytes,
                indexed: false,
            },
            tail_error,
        })
    }

    /// Byte offset where readable data ends, for unfinished files.
    pub fn readable_end(&self) -> u64 {
        self.summary.size_bytes - self.summary.unreadable_tail_bytes
    }

    /// Decodes a segment's messages, checking the chunk CRC. Errors carry the segment offset.
    pub fn load_segment(&self, segment: &Segment) -> Result<Vec<RawMessage>> {
        let error = |context: &'static str| {
            let path = self.path.clone();
            let offset = segment.offset;
            move |source: McapError| BagError::Mcap { path, offset, context, source }
        };
        // A chunk index pointing past the end of the file must not size a buffer.
        let in_file = segment
            .offset
            .checked_add(segment.length)
            .is_some_and(|end| end <= self.summary.size_bytes);
        if !in_file {
            return Err(error("reading chunk")(McapError::BadIndex));
        }
        let length = usize::try_from(segment.length)
            .map_err(|_| error("reading chunk")(McapError::ChunkTooLarge(segment.length)))?;
        let mut buffer = vec![0u8; length];
        read_exact_at(&self.file, segment.offset, &mut buffer).map_err(|err| {
            if err.kind() == std::io::ErrorKind::UnexpectedEof {
                error("reading chunk")(McapError::UnexpectedEof)
            } else {
                BagError::Io { path: self.path.clone(), action: "reading MCAP chunk", source: err }
            }
        })?;
        let mut messages = Vec::new();
        let mut take = |record: Record<'_>| {
            if let Record::Message { header, data } = record {
                messages.push(RawMessage {
                    channel_id: header.channel_id,
                    log_time_ns: to_ns(header.log_time),
                    publish_time_ns: to_ns(header.publish_time),
                    data: data.to_vec(),
                });
            }
        };
        if segment.is_chunk {
            if buffer.len() < RECORD_PREFIX_LEN as usize || buffer[0] != op::CHUNK {
                return Err(error("reading chunk")(McapError::BadIndex));
            }
            for_each_chunk_record(&buffer[RECORD_PREFIX_LEN as usize..], &mut take)
                .map_err(error("decoding chunk"))?;
        } else {
            for record in mcap::read::LinearReader::sans_magic(&buffer) {
                take(record.map_err(error("reading records outside chunks"))?);
            }
        }
        Ok(messages)
    }
}

/// `mcap::Summary::read`, but pulling bytes from a file instead of a slice.
fn read_summary(file: &File, size: u64) -> mcap::McapResult<Option<mcap::Summary>> {
    let mut handle = file;
    let mut reader =
        SummaryReader::new_with_options(SummaryReaderOptions::default().with_file_size(size));
    while let Some(event) = reader.next_event() {
        match event? {
            SummaryReadEvent::ReadRequest(wanted) => {
                let read = handle.read(reader.insert(wanted))?;
                reader.notify_read(read);
            }
            SummaryReadEvent::SeekRequest(to) => {
                let position = handle.seek(to)?;
                reader.notify_seeked(position);
            }
        }
    }
    Ok(reader.finish())
}

/// Counts the bytes that reach the file, so the bag writer can split by size without asking
/// the MCAP writer (which owns the stream).
struct CountingWriter {
    inner: BufWriter<File>,
    position: u64,
    size: Arc<AtomicU64>,
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.position += written as u64;
        self.size.fetch_max(self.position, Ordering::Relaxed);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Seek for CountingWriter {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.position = self.inner.seek(pos)?;
        Ok(self.position)
    }
}

/// One MCAP file being written, laid out as rosbag2_storage_mcap lays it out.
pub(crate) struct McapFileWriter {
    path: PathBuf,
    writer: mcap::Writer<CountingWriter>,
    size: Arc<AtomicU64>,
    schema_ids: HashMap<String, u16>,
    channels: HashMap<String, (u16, u32)>,
}

impl McapFileWriter {
    pub fn create(path: &Path, compression: Compression, chunk_size: u64) -> Result<Self> {
        let file = File::create(path).map_err(io_error(path, "creating MCAP file"))?;
        let size = Arc::new(AtomicU64::new(0));
        let counting = CountingWriter {
            inner: BufWriter::with_capacity(1 << 16, file),
            position: 0,
            size: Arc::clone(&size),
        };
        let mcap_compression = match compression {
            Compression::None => None,
            Compression::Zstd => Some(mcap::Compression::Zstd),
            Compression::Lz4 => Some(mcap::Compression::Lz4),
        };
        let writer = mcap::WriteOptions::new()
            .profile(PROFILE)
            .library(LIBRARY)
            .compression(mcap_compression)
            .chunk_size(Some(chunk_size))
            .create(counting)
            .map_err(|source| BagError::Mcap {
                path: path.to_path_buf(),
                offset: 0,
                context: "writing the header",
                source,
            })?;
        Ok(McapFileWriter {
            path: path.to_path_buf(),
            writer,
            size,
            schema_ids: HashMap::new(),
            channels: HashMap::new(),
        })
    }

    fn error(&self, context: &'static str) -> impl FnOnce(McapError) -> BagError {
        let path = self.path.clone();
        let offset = self.size();
        move |source| BagError::Mcap { path, offset, context, source }
    }

    /// One schema per type, one channel per topic, as rosbag2_storage_mcap's create_topic.
    pub fn add_topic(&mut self, topic: &TopicInfo) -> Result<()> {
        if self.channels.contains_key(&topic.name) {
            return Ok(());
        }
        let schema_id = match self.schema_ids.get(&topic.type_name) {
            Some(&id) => id,
            None => {
                let definition = &topic.message_definition;
                let id = self
                    .writer
                    .add_schema(&topic.type_name, &definition.encoding, definition.text.as_bytes())
                    .map_err(self.error("adding a schema"))?;
                self.schema_ids.insert(topic.type_name.clone(), id);
                id
            }
        };
        let metadata = BTreeMap::from([
            ("offered_qos_profiles".to_string(), topic.offered_qos_profiles.clone()),
            ("topic_type_hash".to_string(), topic.type_description_hash.clone()),
        ]);
        let channel_id = self
            .writer
            .add_channel(schema_id, &topic.name, &topic.serialization_format, &metadata)
            .map_err(self.error("adding a channel"))?;
        self.channels.insert(topic.name.clone(), (channel_id, 0));
        Ok(())
    }

    /// The caller checked the topic was added.
    pub fn write(
        &mut self,
        topic: &str,
        log_time_ns: i64,
        publish_time_ns: i64,
        data: &[u8],
    ) -> Result<()> {
        let Some((channel_id, sequence)) = self.channels.get_mut(topic) else {
            return Err(BagError::UnknownTopic {
                bag: self.path.clone(),
                topic: topic.to_string(),
            });
        };
        let header = MessageHeader {
            channel_id: *channel_id,
            sequence: *sequence,
            // rosbag2 stores negative stamps as their two's complement too.
            log_time: log_time_ns as u64,
            publish_time: publish_time_ns as u64,
        };
        *sequence = sequence.wrapping_add(1);
        self.writer.write_to_known_channel(&header, data).map_err(self.error("writing a message"))
    }

    /// Bytes written to the file so far (compressed chunks count as they are flushed).
    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }

    /// Writes the rosbag2 metadata record, the summary section and the footer, then syncs.
    pub fn finish(mut self, serialized_metadata: &str) -> Result<()> {
        let record = mcap::records::Metadata {
            name: ROSBAG2_METADATA_RECORD.to_string(),
            metadata: BTreeMap::from([(
                "serialized_metadata".to_string(),
                serialized_metadata.to_string(),
            )]),
        };
        self.writer
            .write_metadata(&record)
            .map_err(self.error("writing the rosbag2 metadata record"))?;
        self.writer.finish().map_err(self.error("writing the summary section"))?;
        let path = self.path.clone();
        let counting = self.writer.into_inner();
        let file = counting.inner.into_inner().map_err(|err| BagError::Io {
            path: path.clone(),
            action: "flushing MCAP file",
            source: err.into_error(),
        })?;
        file.sync_all().map_err(io_error(&path, "syncing MCAP file"))
    }
}
