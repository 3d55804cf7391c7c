//! `edgefusion bag info`: what `ros2 bag info` prints, computed from the storage files.

use anyhow::{Context, Result};
use edgefusion_bag::{BagReader, BagSummary, Compression};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct BagInfo {
    pub path: String,
    pub storage: String,
    pub files: Vec<String>,
    pub size_bytes: u64,
    pub compression: String,
    pub ros_distro: String,
    pub message_count: u64,
    pub duration_ns: i64,
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
    pub topics: Vec<TopicLine>,
    /// Bytes at the end of storage files that could not be read (a recorder that was killed
    /// leaves its last, unfinished chunk): (file, bytes).
    pub unreadable_tails: Vec<(String, u64)>,
}

#[derive(Debug, Serialize)]
pub struct TopicLine {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub count: u64,
    pub serialization_format: String,
}

pub fn read(path: &Path) -> Result<BagInfo> {
    let reader =
        BagReader::open(path).with_context(|| format!("opening bag {}", path.display()))?;
    let summary: &BagSummary = reader.summary();
    let topics = reader
        .topics()
        .iter()
        .map(|t| TopicLine {
            name: t.name.clone(),
            type_name: t.type_name.clone(),
            count: summary.topic_message_count(&t.name).unwrap_or(0),
            serialization_format: t.serialization_format.clone(),
        })
        .collect();
    Ok(BagInfo {
        path: path.display().to_string(),
        storage: summary.storage.as_str().to_string(),
        files: summary
            .files
            .iter()
            .map(|f| {
                f.path.file_name().unwrap_or(f.path.as_os_str()).to_string_lossy().into_owned()
            })
            .collect(),
        size_bytes: summary.size_bytes,
        compression: match summary.compression {
            Compression::None => String::new(),
            other => other.mcap_name().to_string(),
        },
        ros_distro: reader.metadata().ros_distro.clone(),
        message_count: summary.message_count,
        duration_ns: summary.duration_ns,
        start_ns: summary.start_ns,
        end_ns: summary.end_ns,
        topics,
        unreadable_tails: summary
            .files
            .iter()
            .filter(|f| f.unreadable_tail_bytes > 0)
            .map(|f| (f.path.display().to_string(), f.unreadable_tail_bytes))
            .collect(),
    })
}

/// The human-readable table, laid out like `ros2 bag info`.
pub fn render(info: &BagInfo) -> String {
    let mut out = String::new();
    let mut line =
        |key: &str, value: String| out.push_str(&format!("{:<19}{value}\n", format!("{key}:")));
    line("Files", info.files.join("\n                   "));
    line("Bag size", human_size(info.size_bytes));
    line("Storage id", info.storage.clone());
    if !info.compression.is_empty() {
        line("Compression", format!("{} (MCAP chunks)", info.compression));
    }
    if !info.ros_distro.is_empty() {
        line("ROS Distro", info.ros_distro.clone());
    }
    line("Duration", format!("{}s", seconds(info.duration_ns)));
    if let (Some(start), Some(end)) = (info.start_ns, info.end_ns) {
        line("Start", format!("{} ({})", utc(start), seconds(start)));
        line("End", format!("{} ({})", utc(end), seconds(end)));
    }
    line("Messages", info.message_count.to_string());
    let name_width = info.topics.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let type_width = info.topics.iter().map(|t| t.type_name.len()).max().unwrap_or(0);
    let topics: Vec<String> = info
        .topics
        .iter()
        .map(|t| {
            format!(
                "Topic: {:<name_width$} | Type: {:<type_width$} | Count: {} | Serialization Format: {}",
                t.name, t.type_name, t.count, t.serialization_format
            )
        })
        .collect();
    line("Topic information", topics.join("\n                   "));
    for (file, bytes) in &info.unreadable_tails {
        out.push_str(&format!(
            "Warning: the last {bytes} bytes of {file} are not readable (recording interrupted?); \
             everything before them is listed above\n"
        ));
    }
    out
}

fn seconds(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    format!("{sign}{}.{:09}", (ns / 1_000_000_000).abs(), (ns % 1_000_000_000).abs())
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn UTC` (civil-from-days, H. Hinnant's algorithm).
fn utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{nanos:09} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_like_ros2_bag_info() {
        // rosbag2's cdr_test end-to-end test: Start 1586406456.763032325.
        assert_eq!(seconds(1_586_406_456_763_032_325), "1586406456.763032325");
        assert_eq!(utc(1_586_406_456_763_032_325), "2020-04-09 04:27:36.763032325 UTC");
        assert_eq!(utc(0), "1970-01-01 00:00:00.000000000 UTC");
        assert_eq!(human_size(2_800), "2.7 KiB");
    }
}
