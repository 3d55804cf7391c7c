//! rosbag2 sqlite3 storage files (`.db3`), schema version 4 on write, anything from Foxy on
//! for reading (missing tables and columns read as empty).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{io_error, BagError, Result};
use crate::{Compression, FileSummary, MessageDefinition, TopicInfo};

/// rosbag2_storage_default_plugins' current schema version.
const SCHEMA_VERSION: i64 = 4;
const ROS_DISTRO: &str = "kilted";
const SCHEMA_SQL: &str = "
CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL);
CREATE TABLE metadata(id INTEGER PRIMARY KEY, metadata_version INTEGER NOT NULL,
    metadata TEXT NOT NULL);
CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,
    serialization_format TEXT NOT NULL, offered_qos_profiles TEXT NOT NULL,
    type_description_hash TEXT NOT NULL);
CREATE TABLE message_definitions(id INTEGER PRIMARY KEY, topic_type TEXT NOT NULL,
    encoding TEXT NOT NULL, encoded_message_definition TEXT NOT NULL,
    type_description_hash TEXT NOT NULL);
CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX timestamp_idx ON messages (timestamp ASC);
";
/// Rows fetched per query while reading.
const READ_BATCH_ROWS: i64 = 2048;
/// A write transaction is committed after this many messages, bytes or time, whichever comes
/// first: the bound on what a killed recorder loses.
const COMMIT_MESSAGES: usize = 1000;
const COMMIT_BYTES: u64 = 8 << 20;
const COMMIT_INTERVAL: Duration = Duration::from_millis(200);

pub(crate) struct SqliteRow {
    pub id: i64,
    pub topic_id: i64,
    pub timestamp: i64,
    pub data: Vec<u8>,
}

pub(crate) struct SqliteFile {
    pub path: PathBuf,
    connection: Connection,
    pub topics: BTreeMap<i64, Arc<TopicInfo>>,
    pub topic_message_counts: BTreeMap<i64, u64>,
    pub summary: FileSummary,
}

fn sqlite_error(
    path: &Path,
    row_id: Option<i64>,
    context: &'static str,
) -> impl FnOnce(rusqlite::Error) -> BagError {
    let path = path.to_path_buf();
    move |source| BagError::Sqlite { path, row_id, context, source }
}

/// `file:` URI for a path: `%`, `?` and `#` would otherwise be read as URI syntax.
fn file_uri(path: &Path, query: &str) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}

fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

impl SqliteFile {
    pub fn open(path: &Path) -> Result<Self> {
        let size = std::fs::metadata(path).map_err(io_error(path, "opening sqlite3 file"))?.len();
        // `immutable=1` keeps SQLite from creating -shm/-wal files beside a bag that is not
        // ours to touch. A non-empty -wal file means a writer is live or was killed: its
        // committed transactions are only visible through the WAL, so read it then.
        let wal_in_use = std::fs::metadata(wal_path(path)).is_ok_and(|m| m.len() > 0);
        let query = if wal_in_use { "mode=ro" } else { "mode=ro&immutable=1" };
        let connection = Connection::open_with_flags(
            file_uri(path, query),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite_error(path, None, "opening"))?;

        let tables =
            table_names(&connection).map_err(sqlite_error(path, None, "listing tables"))?;
        for required in ["messages", "topics"] {
            if !tables.contains(required) {
                return Err(BagError::SqliteSchema {
                    path: path.to_path_buf(),
                    message: format!("no {required} table"),
                });
            }
        }
        let definitions = if tables.contains("message_definitions") {
            read_definitions(&connection).map_err(sqlite_error(
                path,
                None,
                "reading message_definitions",
            ))?
        } else {
            HashMap::new()
        };
        let topics = read_topics(&connection, &definitions).map_err(sqlite_error(
            path,
            None,
            "reading topics",
        ))?;

        let mut topic_message_counts = BTreeMap::new();
        let mut time_range: Option<(i64, i64)> = None;
        let mut statement = connection
            .prepare(
                "SELECT topic_id, COUNT(*), MIN(timestamp), MAX(timestamp) FROM messages \
                 GROUP BY topic_id",
            )
            .map_err(sqlite_error(path, None, "counting messages"))?;
        let mut rows =
            statement.query([]).map_err(sqlite_error(path, None, "counting messages"))?;
        while let Some(row) = rows.next().map_err(sqlite_error(path, None, "counting messages"))? {
            let read = || -> rusqlite::Result<(i64, i64, i64, i64)> {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            };
            let (topic_id, count, first, last) =
                read().map_err(sqlite_error(path, None, "counting messages"))?;
            topic_message_counts.insert(topic_id, count.max(0) as u64);
            time_range = Some(match time_range {
                Some((start, end)) => (start.min(first), end.max(last)),
                None => (first, last),
            });
        }
        drop(rows);
        drop(statement);

        let summary = FileSummary {
            path: path.to_path_buf(),
            size_bytes: size,
            message_count: topic_message_counts.values().sum(),
            start_ns: time_range.map(|(start, _)| start),
            end_ns: time_range.map(|(_, end)| end),
            compression: Compression::None,
            unreadable_tail_bytes: 0,
            indexed: true,
        };
        Ok(SqliteFile {
            path: path.to_path_buf(),
            connection,
            topics,
            topic_message_counts,
            summary,
        })
    }

    /// The next rows in (timestamp, id) order after `after`, up to `stop_ns` inclusive.
    pub fn fetch_after(
        &self,
        after: (i64, i64),
        stop_ns: i64,
        topic_ids: Option<&[i64]>,
    ) -> Result<VecDeque<SqliteRow>> {
        let topic_clause = match topic_ids {
            Some(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("AND topic_id IN ({})", list.join(","))
            }
            None => String::new(),
        };
        // The timestamp range lets SQLite walk timestamp_idx, whose entries tie-break on rowid,
        // which is exactly rosbag2's order within a file.
        let sql = format!(
            "SELECT id, topic_id, timestamp, data FROM messages \
             WHERE timestamp >= ?1 AND timestamp <= ?3 AND (timestamp > ?1 OR id > ?2) \
             {topic_clause} ORDER BY timestamp, id LIMIT ?4"
        );
        let error = |row_id| sqlite_error(&self.path, row_id, "reading messages");
        let mut statement = self.connection.prepare_cached(&sql).map_err(error(None))?;
        let mut rows =
            statement.query((after.0, after.1, stop_ns, READ_BATCH_ROWS)).map_err(error(None))?;
        let mut batch = VecDeque::new();
        while let Some(row) = rows.next().map_err(error(None))? {
            let id: i64 = row.get(0).map_err(error(None))?;
            let read = || -> rusqlite::Result<SqliteRow> {
                Ok(SqliteRow {
                    id,
                    topic_id: row.get(1)?,
                    timestamp: row.get(2)?,
                    data: row.get(3)?,
                })
            };
            batch.push_back(read().map_err(error(Some(id)))?);
        }
        Ok(batch)
    }
}

fn table_names(connection: &Connection) -> rusqlite::Result<HashSet<String>> {
    let mut statement = connection.prepare("SELECT name FROM sqlite_master WHERE type='table'")?;
    let names = statement.query_map([], |row| row.get(0))?;
    names.collect()
}

fn column_names(connection: &Connection, table: &str) -> rusqlite::Result<HashSet<String>> {
    let mut statement = connection.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = statement.query_map([], |row| row.get(1))?;
    names.collect()
}

fn read_definitions(
    connection: &Connection,
) -> rusqlite::Result<HashMap<String, MessageDefinition>> {
    let mut statement = connection.prepare(
        "SELECT topic_type, encoding, encoded_message_definition FROM message_definitions \
         ORDER BY id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            MessageDefinition { encoding: row.get(1)?, text: row.get(2)? },
        ))
    })?;
    let mut definitions = HashMap::new();
    for row in rows {
        let (type_name, definition) = row?;
        definitions.entry(type_name).or_insert(definition);
    }
    Ok(definitions)
}

/// Service event topics ("pkg/srv/Name_Event") are stored with the .srv text under the
/// service type ("pkg/srv/Name").
fn definition_for(
    definitions: &HashMap<String, MessageDefinition>,
    type_name: &str,
) -> MessageDefinition {
    definitions
        .get(type_name)
        .or_else(|| {
            let service = type_name.strip_suffix("_Event")?;
            service.contains("/srv/").then(|| definitions.get(service))?
        })
        .cloned()
        .unwrap_or_default()
}

fn read_topics(
    connection: &Connection,
    definitions: &HashMap<String, MessageDefinition>,
) -> rusqlite::Result<BTreeMap<i64, Arc<TopicInfo>>> {
    let columns = column_names(connection, "topics")?;
    let optional = |name: &str| {
        if columns.contains(name) {
            name.to_string()
        } else {
            "''".to_string()
        }
    };
    let sql = format!(
        "SELECT id, name, type, serialization_format, {}, {} FROM topics ORDER BY id",
        optional("offered_qos_profiles"),
        optional("type_description_hash")
    );
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map([], |row| {
        let type_name: String = row.get(2)?;
        let topic = TopicInfo {
            name: row.get(1)?,
            message_definition: definition_for(definitions, &type_name),
            type_name,
            serialization_format: row.get(3)?,
            offered_qos_profiles: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
            type_description_hash: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
        };
        Ok((row.get::<_, i64>(0)?, Arc::new(topic)))
    })?;
    rows.collect()
}

/// One `.db3` being written: WAL journal, messages committed in batches.
pub(crate) struct SqliteFileWriter {
    path: PathBuf,
    connection: Connection,
    topic_ids: HashMap<String, i64>,
    definition_types: HashSet<String>,
    pending_messages: usize,
    pending_bytes: u64,
    last_commit: Instant,
    committed_size: u64,
}

impl SqliteFileWriter {
    pub fn create(path: &Path) -> Result<Self> {
        let error = |context| sqlite_error(path, None, context);
        let connection = Connection::open(path).map_err(error("creating"))?;
        // WAL with synchronous=NORMAL: a commit survives a killed process without an fsync
        // per transaction.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(error("setting journal_mode"))?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(error("setting synchronous"))?;
        connection.execute_batch(SCHEMA_SQL).map_err(error("creating tables"))?;
        connection
            .execute(
                "INSERT INTO schema(schema_version, ros_distro) VALUES (?1, ?2)",
                (SCHEMA_VERSION, ROS_DISTRO),
            )
            .map_err(error("writing schema version"))?;
        connection.execute_batch("BEGIN").map_err(error("starting a transaction"))?;
        Ok(SqliteFileWriter {
            path: path.to_path_buf(),
            connection,
            topic_ids: HashMap::new(),
            definition_types: HashSet::new(),
            pending_messages: 0,
            pending_bytes: 0,
            last_commit: Instant::now(),
            committed_size: 0,
        })
    }

    fn error(&self, context: &'static str) -> impl FnOnce(rusqlite::Error) -> BagError {
        sqlite_error(&self.path, None, context)
    }

    pub fn add_topic(&mut self, topic: &TopicInfo) -> Result<()> {
        if self.topic_ids.contains_key(&topic.name) {
            return Ok(());
        }
        self.connection
            .execute(
                "INSERT INTO topics(name, type, serialization_format, offered_qos_profiles, \
                 type_description_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                (
                    &topic.name,
                    &topic.type_name,
                    &topic.serialization_format,
                    &topic.offered_qos_profiles,
                    &topic.type_description_hash,
                ),
            )
            .map_err(self.error("adding a topic"))?;
        let id = self.connection.last_insert_rowid();
        self.topic_ids.insert(topic.name.clone(), id);
        if self.definition_types.insert(topic.type_name.clone()) {
            let definition = &topic.message_definition;
            self.connection
                .execute(
                    "INSERT INTO message_definitions(topic_type, encoding, \
                     encoded_message_definition, type_description_hash) VALUES (?1, ?2, ?3, ?4)",
                    (
                        &topic.type_name,
                        &definition.encoding,
                        &definition.text,
                        &topic.type_description_hash,
                    ),
                )
                .map_err(self.error("adding a message definition"))?;
        }
        Ok(())
    }

    pub fn write(&mut self, topic: &str, log_time_ns: i64, data: &[u8]) -> Result<()> {
        let Some(&topic_id) = self.topic_ids.get(topic) else {
            return Err(BagError::UnknownTopic {
                bag: self.path.clone(),
                topic: topic.to_string(),
            });
        };
        let mut statement = self
            .connection
            .prepare_cached("INSERT INTO messages(topic_id, timestamp, data) VALUES (?1, ?2, ?3)")
            .map_err(sqlite_error(&self.path, None, "writing a message"))?;
        statement.execute((topic_id, log_time_ns, data)).map_err(sqlite_error(
            &self.path,
            None,
            "writing a message",
        ))?;
        drop(statement);
        self.pending_messages += 1;
        self.pending_bytes += data.len() as u64;
        if self.pending_messages >= COMMIT_MESSAGES
            || self.pending_bytes >= COMMIT_BYTES
            || self.last_commit.elapsed() >= COMMIT_INTERVAL
        {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.connection
            .execute_batch("COMMIT; BEGIN")
            .map_err(self.error("committing messages"))?;
        self.pending_messages = 0;
        self.pending_bytes = 0;
        self.last_commit = Instant::now();
        let file_size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
        self.committed_size = file_size(&self.path) + file_size(&wal_path(&self.path));
        Ok(())
    }

    /// Database plus WAL size after the last commit, plus the payload since.
    pub fn size(&self) -> u64 {
        self.committed_size + self.pending_bytes
    }

    /// Commits, stores the bag metadata in the `metadata` table as rosbag2 does, and folds the
    /// WAL back into the database so the file stands alone.
    pub fn finish(self, metadata_version: u32, serialized_metadata: &str) -> Result<()> {
        self.connection
            .execute(
                "INSERT INTO metadata(metadata_version, metadata) VALUES (?1, ?2)",
                (metadata_version, serialized_metadata),
            )
            .map_err(self.error("writing the metadata table"))?;
        self.connection.execute_batch("COMMIT").map_err(self.error("committing messages"))?;
        let mode: String = self
            .connection
            .query_row("PRAGMA journal_mode=DELETE", [], |row| row.get(0))
            .optional()
            .map_err(self.error("checkpointing the WAL"))?
            .unwrap_or_default();
        if !mode.eq_ignore_ascii_case("delete") {
            tracing::warn!(
                "{}: could not leave WAL mode (journal_mode is {mode:?})",
                self.path.display()
            );
        }
        self.connection
            .close()
            .map_err(|(_, source)| sqlite_error(&self.path, None, "closing")(source))
    }
}
