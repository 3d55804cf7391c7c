//! Prints what a bag holds: `cargo run -p edgefusion-bag --example bag_info -- <bag>`.
use edgefusion_bag::BagReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: bag_info <bag directory or file>")?;
    let reader = BagReader::open(&path)?;
    let summary = reader.summary();
    println!("storage: {}", summary.storage.as_str());
    println!("messages: {}", summary.message_count);
    println!(
        "start: {:?}  end: {:?}  duration: {} ns",
        summary.start_ns, summary.end_ns, summary.duration_ns
    );
    println!("size: {} bytes, compression {:?}", summary.size_bytes, summary.compression);
    for file in &summary.files {
        println!(
            "file {} ({} messages, indexed {}, unreadable tail {} B)",
            file.path.display(),
            file.message_count,
            file.indexed,
            file.unreadable_tail_bytes
        );
    }
    for topic in reader.topics() {
        let count = summary.topic_message_count(&topic.name).unwrap_or(0);
        println!(
            "topic {} [{}] {count} msgs, definition {} ({} chars)",
            topic.name,
            topic.type_name,
            topic.message_definition.encoding,
            topic.message_definition.text.len()
        );
    }
    Ok(())
}
