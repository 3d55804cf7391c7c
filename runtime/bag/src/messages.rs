//! The message iterator: a k-way merge in rosbag2 order over MCAP chunks and sqlite3 row
//! batches, loading a chunk only once the merge could need it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::{BagError, Result};
use crate::mcap_storage::{McapFile, Segment};
use crate::reader::{BagReader, StorageFile};
use crate::{BagMessage, ReadOptions};

/// A storage file part not yet read: an MCAP segment or a whole sqlite3 file.
struct PendingPart {
    start_ns: i64,
    file_index: usize,
    /// Index into the MCAP file's segments; unused for sqlite3.
    segment_index: usize,
}

struct QueuedMessage {
    position: u64,
    message: BagMessage,
}

/// Messages of one active part, in order, plus how to fetch more (sqlite3 only).
struct ActivePart {
    file_index: usize,
    segment_offset: u64,
    queue: VecDeque<QueuedMessage>,
    /// (timestamp, row id) of the last sqlite3 row fetched; `None` when all are queued.
    sqlite_after: Option<(i64, i64)>,
}

/// Order key: (log time, file index, segment offset, position in segment, slot).
type HeapKey = (i64, usize, u64, u64, usize);

/// Iterator returned by [`BagReader::messages`]: a k-way merge over chunks (MCAP) and
/// row batches (sqlite3), loading a chunk only once the merge could need it.
pub struct MessageIter<'a> {
    reader: &'a BagReader,
    options: ReadOptions,
    /// Per file, storage ids of wanted topics (`None`: all).
    wanted: Vec<Option<HashSet<i64>>>,
    /// Parts not yet loaded, last one first to load.
    pending: Vec<PendingPart>,
    active: Vec<Option<ActivePart>>,
    heap: BinaryHeap<Reverse<HeapKey>>,
    errors: VecDeque<BagError>,
}

impl<'a> MessageIter<'a> {
    pub(crate) fn new(reader: &'a BagReader, options: ReadOptions) -> Self {
        let wanted_names: Option<HashSet<&str>> =
            options.topics.as_ref().map(|topics| topics.iter().map(String::as_str).collect());
        let wanted: Vec<Option<HashSet<i64>>> = reader
            .file_topics
            .iter()
            .map(|map| {
                wanted_names.as_ref().map(|names| {
                    map.iter()
                        .filter(|(_, topic)| names.contains(topic.name.as_str()))
                        .map(|(&id, _)| id)
                        .collect()
                })
            })
            .collect();
        let start = options.start_ns.unwrap_or(i64::MIN);
        let stop = options.stop_ns.unwrap_or(i64::MAX);
        let mut pending = Vec::new();
        for (file_index, file) in reader.files.iter().enumerate() {
            let wanted_ids = wanted[file_index].as_ref();
            if wanted_ids.is_some_and(HashSet::is_empty) {
                continue;
            }
            match file {
                StorageFile::Mcap(mcap) => {
                    for (segment_index, segment) in mcap.segments.iter().enumerate() {
                        if segment_is_wanted(segment, start, stop, wanted_ids) {
                            pending.push(PendingPart {
                                start_ns: segment.start_ns,
                                file_index,
                                segment_index,
                            });
                        }
                    }
                }
                StorageFile::Sqlite(sqlite) => {
                    if let (Some(first), Some(last)) =
                        (sqlite.summary.start_ns, sqlite.summary.end_ns)
                    {
                        if last >= start && first <= stop {
                            pending.push(PendingPart {
                                start_ns: first.max(start),
                                file_index,
                                segment_index: 0,
                            });
                        }
                    }
                }
            }
        }
        let segment_offset = |part: &PendingPart| match &reader.files[part.file_index] {
            StorageFile::Mcap(mcap) => mcap.segments[part.segment_index].offset,
            StorageFile::Sqlite(_) => 0,
        };
        pending.sort_by_key(|part| Reverse((part.start_ns, part.file_index, segment_offset(part))));
        MessageIter {
            reader,
            options,
            wanted,
            pending,
            active: Vec::new(),
            heap: BinaryHeap::new(),
            errors: VecDeque::new(),
        }
    }

    fn start_ns(&self) -> i64 {
        self.options.start_ns.unwrap_or(i64::MIN)
    }

    fn stop_ns(&self) -> i64 {
        self.options.stop_ns.unwrap_or(i64::MAX)
    }

    fn wanted_ids(&self, file_index: usize) -> Option<&HashSet<i64>> {
        self.wanted[file_index].as_ref()
    }

    /// Loads a pending part and puts its first message on the heap.
    fn activate(&mut self, part: PendingPart) {
        let reader = self.reader;
        let active = match &reader.files[part.file_index] {
            StorageFile::Mcap(mcap) => {
                let segment = &mcap.segments[part.segment_index];
                self.load_mcap_segment(mcap, part.file_index, segment)
            }
            StorageFile::Sqlite(_) => {
                let mut active = ActivePart {
                    file_index: part.file_index,
                    segment_offset: 0,
                    queue: VecDeque::new(),
                    sqlite_after: Some((self.start_ns(), i64::MIN)),
                };
                self.refill_sqlite(&mut active);
                Some(active)
            }
        };
        if let Some(active) = active {
            self.push_active(active);
        }
    }

    fn load_mcap_segment(
        &mut self,
        mcap: &McapFile,
        file_index: usize,
        segment: &Segment,
    ) -> Option<ActivePart> {
        let raw = match mcap.load_segment(segment) {
            Ok(raw) => raw,
            Err(err) => {
                if self.options.skip_corrupt {
                    let skipped =
                        self.reader.corrupt_chunks_skipped.fetch_add(1, Ordering::Relaxed) + 1;
                    tracing::warn!(
                        "{}: skipping corrupt chunk at byte offset {} ({skipped} skipped so \
                         far): {err}",
                        mcap.path.display(),
                        segment.offset
                    );
                } else {
                    self.errors.push_back(err);
                }
                return None;
            }
        };
        let (start, stop) = (self.start_ns(), self.stop_ns());
        let reader = self.reader;
        let topics = &reader.file_topics[file_index];
        let wanted = self.wanted_ids(file_index);
        let mut unknown_channel = None;
        let mut messages: Vec<BagMessage> = Vec::with_capacity(raw.len());
        for message in raw {
            let id = i64::from(message.channel_id);
            if message.log_time_ns < start
                || message.log_time_ns > stop
                || wanted.is_some_and(|ids| !ids.contains(&id))
            {
                continue;
            }
            let Some(topic) = topics.get(&id) else {
                unknown_channel.get_or_insert(message.channel_id);
                continue;
            };
            messages.push(BagMessage {
                topic: Arc::clone(topic),
                log_time_ns: message.log_time_ns,
                publish_time_ns: message.publish_time_ns,
                data: message.data,
            });
        }
        if let Some(channel_id) = unknown_channel {
            self.errors.push_back(BagError::Mcap {
                path: mcap.path.clone(),
                offset: segment.offset,
                context: "resolving message channels",
                source: mcap::McapError::UnknownChannel(0, channel_id),
            });
        }
        // Stable: equal times keep their order in the file.
        messages.sort_by_key(|message| message.log_time_ns);
        let queue = messages
            .into_iter()
            .enumerate()
            .map(|(position, message)| QueuedMessage { position: position as u64, message })
            .collect();
        Some(ActivePart { file_index, segment_offset: segment.offset, queue, sqlite_after: None })
    }

    fn refill_sqlite(&mut self, active: &mut ActivePart) {
        let Some(after) = active.sqlite_after else {
            return;
        };
        let reader = self.reader;
        let StorageFile::Sqlite(sqlite) = &reader.files[active.file_index] else {
            return;
        };
        let wanted: Option<Vec<i64>> =
            self.wanted_ids(active.file_index).map(|ids| ids.iter().copied().collect());
        match sqlite.fetch_after(after, self.stop_ns(), wanted.as_deref()) {
            Ok(rows) => {
                active.sqlite_after = rows.back().map(|row| (row.timestamp, row.id));
                let topics = &reader.file_topics[active.file_index];
                for row in rows {
                    let Some(topic) = topics.get(&row.topic_id) else {
                        self.errors.push_back(BagError::SqliteSchema {
                            path: sqlite.path.clone(),
                            message: format!(
                                "messages row id {} has topic_id {} which is not in the topics \
                                 table",
                                row.id, row.topic_id
                            ),
                        });
                        continue;
                    };
                    active.queue.push_back(QueuedMessage {
                        position: row.id as u64,
                        message: BagMessage {
                            topic: Arc::clone(topic),
                            log_time_ns: row.timestamp,
                            publish_time_ns: row.timestamp,
                            data: row.data,
                        },
                    });
                }
            }
            Err(err) => {
                active.sqlite_after = None;
                self.errors.push_back(err);
            }
        }
    }

    fn push_active(&mut self, active: ActivePart) {
        if active.queue.is_empty() {
            return;
        }
        let slot = match self.active.iter().position(Option::is_none) {
            Some(slot) => slot,
            None => {
                self.active.push(None);
                self.active.len() - 1
            }
        };
        self.heap.push(Reverse(heap_key(&active, slot)));
        self.active[slot] = Some(active);
    }
}

fn heap_key(active: &ActivePart, slot: usize) -> HeapKey {
    let front = &active.queue[0];
    (front.message.log_time_ns, active.file_index, active.segment_offset, front.position, slot)
}

fn segment_is_wanted(
    segment: &Segment,
    start: i64,
    stop: i64,
    wanted: Option<&HashSet<i64>>,
) -> bool {
    let in_time = segment.end_ns >= start && segment.start_ns <= stop;
    let has_topic = match (&segment.channel_ids, wanted) {
        (Some(channels), Some(wanted)) => {
            channels.iter().any(|&id| wanted.contains(&i64::from(id)))
        }
        _ => true,
    };
    in_time && has_topic
}

impl Iterator for MessageIter<'_> {
    type Item = Result<BagMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(err) = self.errors.pop_front() {
                return Some(Err(err));
            }
            // Load every part that starts no later than the current head: only then is the
            // head the smallest message left.
            let head_time = self.heap.peek().map(|Reverse(key)| key.0);
            let due = self
                .pending
                .last()
                .is_some_and(|part| head_time.is_none_or(|head| part.start_ns <= head));
            if due {
                let part = self.pending.pop().expect("checked non-empty");
                self.activate(part);
                continue;
            }
            let Reverse(key) = self.heap.pop()?;
            let slot = key.4;
            let mut active = self.active[slot].take().expect("heap slots are active");
            let next = active.queue.pop_front().expect("active parts are non-empty");
            if active.queue.is_empty() {
                self.refill_sqlite(&mut active);
            }
            if !active.queue.is_empty() {
                self.heap.push(Reverse(heap_key(&active, slot)));
                self.active[slot] = Some(active);
            }
            return Some(Ok(next.message));
        }
    }
}
