//! `edgefusion bag echo`: a bag's messages decoded by our CDR codec, one JSON line each (like
//! `ros2 topic echo` on a bag), for reading a recording and for checking that our decoder reads
//! what other ROS 2 programs wrote.

use anyhow::{Context, Result};
use edgefusion_bag::{BagReader, ReadOptions};
use edgefusion_msgs::registry;
use std::io::Write;

/// Writes one line per message: `{"topic", "type", "log_time_ns", "message"}`. A message of a
/// type the stack has no codec for, or that does not decode, is an error naming the topic,
/// the message's time and the CDR offset.
pub fn echo(
    reader: &BagReader,
    topics: Option<Vec<String>>,
    limit: Option<usize>,
    out: &mut dyn Write,
) -> Result<usize> {
    let read = ReadOptions { topics, ..Default::default() };
    let mut written = 0;
    for message in reader.messages(read).take(limit.unwrap_or(usize::MAX)) {
        let message = message?;
        let topic = &message.topic;
        let entry = registry::by_name(&topic.type_name).with_context(|| {
            format!("{}: no codec for message type {}", topic.name, topic.type_name)
        })?;
        let decoded = (entry.decode)(&message.data).with_context(|| {
            format!(
                "{} at {} ns: {} does not decode",
                topic.name, message.log_time_ns, topic.type_name
            )
        })?;
        let json = (entry.to_json)(decoded.as_ref()).context("encoding JSON")?;
        let line = serde_json::json!({
            "topic": topic.name,
            "type": topic.type_name,
            "log_time_ns": message.log_time_ns,
            "message": json,
        });
        writeln!(out, "{line}")?;
        written += 1;
    }
    Ok(written)
}
