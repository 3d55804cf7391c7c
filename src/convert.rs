//! `edgefusion bag convert kitti`: a KITTI frame directory (or sequence) into a rosbag2 bag.

use crate::progress;
use crate::topics;
use anyhow::{Context, Result};
use edgefusion_bag::{BagWriter, WriterOptions};
use edgefusion_kitti::{KittiSequence, SequenceOptions};
use edgefusion_msgs::Message;
use std::collections::HashSet;
use std::path::Path;

/// What a conversion wrote, per topic, in the order topics first appeared.
#[derive(Debug, Default)]
pub struct ConvertReport {
    pub frames: usize,
    pub messages: Vec<(String, u64)>,
}

/// Writes every frame of the KITTI data at `input` into a new bag at `output`.
pub fn kitti_to_bag(
    input: &Path,
    output: &Path,
    sequence: SequenceOptions,
    writer: WriterOptions,
) -> Result<ConvertReport> {
    let kitti = KittiSequence::open(input, sequence)
        .with_context(|| format!("reading KITTI data in {}", input.display()))?;
    let mut bag = BagTopics {
        writer: BagWriter::create(output, writer)
            .with_context(|| format!("creating bag {}", output.display()))?,
        declared: HashSet::new(),
        report: ConvertReport::default(),
    };
    let bar = progress::bar(kitti.len() as u64, "converting KITTI frames");
    let mut static_tf_written = false;
    for frame in kitti.frames() {
        let frame = frame?;
        let t = frame.stamp_ns;
        // /tf_static is latched: one message at the start, like a static_transform_publisher.
        if let Some(tf) = frame.static_tf.as_ref().filter(|_| !static_tf_written) {
            bag.write(topics::TF_STATIC, t, tf)?;
            static_tf_written = true;
        }
        if let Some(info) = &frame.camera_info {
            bag.write(topics::CAMERA_INFO, t, info)?;
        }
        if let Some(image) = &frame.image {
            bag.write(topics::CAMERA_IMAGE, t, image)?;
        }
        if let Some(cloud) = &frame.cloud {
            bag.write(topics::LIDAR_POINTS, t, cloud)?;
        }
        if let Some(truth) = &frame.ground_truth {
            bag.write(topics::GROUND_TRUTH, t, truth)?;
        }
        bag.report.frames += 1;
        bar.inc(1);
    }
    bar.finish_and_clear();
    bag.writer.finish().with_context(|| format!("finishing bag {}", output.display()))?;
    Ok(bag.report)
}

/// A bag writer that declares each topic (type, QoS, schema) the first time it is written.
struct BagTopics {
    writer: BagWriter,
    declared: HashSet<&'static str>,
    report: ConvertReport,
}

impl BagTopics {
    fn write<M: Message>(&mut self, topic: &'static str, stamp_ns: i64, msg: &M) -> Result<()> {
        if self.declared.insert(topic) {
            self.writer.add_topic(topics::bag_topic(topic, M::TYPE_NAME))?;
            self.report.messages.push((topic.to_string(), 0));
        }
        let bytes =
            msg.encode().with_context(|| format!("encoding {} for {topic}", M::TYPE_NAME))?;
        self.writer.write(topic, stamp_ns, stamp_ns, &bytes)?;
        if let Some(entry) = self.report.messages.iter_mut().find(|(name, _)| name == topic) {
            entry.1 += 1;
        }
        Ok(())
    }
}
