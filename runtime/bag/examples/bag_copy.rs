//! Copies a bag into a new bag with chosen storage:
//! `cargo run -p edgefusion-bag --example bag_copy -- <source> <target dir> [mcap|sqlite3] [none|zstd|lz4]`.
use edgefusion_bag::{
    BagReader, BagWriter, Compression, ReadOptions, StorageId, TopicInfo, WriterOptions,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, target, rest @ ..] = args.as_slice() else {
        return Err("usage: bag_copy <source> <target dir> [mcap|sqlite3] [none|zstd|lz4]".into());
    };
    let storage = match rest.first().map(String::as_str) {
        Some("sqlite3") => StorageId::Sqlite3,
        _ => StorageId::Mcap,
    };
    let compression = match rest.get(1).map(String::as_str) {
        Some("zstd") => Compression::Zstd,
        Some("lz4") => Compression::Lz4,
        _ => Compression::None,
    };
    let reader = BagReader::open(source)?;
    let options = WriterOptions { storage, compression, ..WriterOptions::default() };
    let mut writer = BagWriter::create(target, options)?;
    for topic in reader.topics() {
        writer.add_topic(TopicInfo::clone(topic))?;
    }
    for message in reader.messages(ReadOptions::default()) {
        let message = message?;
        writer.write(
            &message.topic.name,
            message.log_time_ns,
            message.publish_time_ns,
            &message.data,
        )?;
    }
    let metadata = writer.finish()?;
    println!("{} messages in {:?}", metadata.message_count, metadata.relative_file_paths);
    Ok(())
}
