//! A converted KITTI bag read back frame by frame: the sensor messages and the labels that
//! share one receive time, as `bag convert kitti` writes them.

use crate::topics;
use anyhow::{bail, Context, Result};
use edgefusion_bag::{BagReader, ReadOptions};
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2};
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_msgs::Message;

/// The messages of one receive time. Any may be missing, e.g. a frame without a label file.
#[derive(Debug, Default)]
pub struct Frame {
    pub stamp_ns: i64,
    pub camera_info: Option<CameraInfo>,
    pub image: Option<Image>,
    pub cloud: Option<PointCloud2>,
    pub ground_truth: Option<DetectedObjectArray>,
}

/// Refuses a bag that cannot be evaluated, naming the bag and the missing topic.
pub fn check_topics(reader: &BagReader) -> Result<()> {
    let path = reader.path().display();
    for (topic, what) in [
        (topics::GROUND_TRUTH, "ground truth (labels)"),
        (topics::CAMERA_IMAGE, "camera images"),
        (topics::CAMERA_INFO, "camera calibration"),
        (topics::LIDAR_POINTS, "lidar point clouds"),
        (topics::TF_STATIC, "static transforms"),
    ] {
        let count = reader.summary().topic_message_count(topic).unwrap_or(0);
        if reader.topic(topic).is_none() || count == 0 {
            bail!(
                "bag {path} has no {what} on {topic}: evaluation needs a bag made by \
                 `edgefusion bag convert kitti` from frames with image_2, calib and label_2"
            );
        }
    }
    Ok(())
}

/// All `/tf_static` messages of the bag (latched: usually one, at the start).
pub fn static_transforms(reader: &BagReader) -> Result<Vec<TFMessage>> {
    let read = ReadOptions { topics: Some(vec![topics::TF_STATIC.into()]), ..Default::default() };
    reader.messages(read).map(|m| decode(&m?)).collect()
}

/// The bag's frames in time order; an error names the topic and time of an undecodable message.
pub fn frames(reader: &BagReader) -> impl Iterator<Item = Result<Frame>> + '_ {
    let topics =
        [topics::CAMERA_INFO, topics::CAMERA_IMAGE, topics::LIDAR_POINTS, topics::GROUND_TRUTH];
    let read = ReadOptions {
        topics: Some(topics.iter().map(|t| t.to_string()).collect()),
        ..Default::default()
    };
    let mut messages = reader.messages(read).peekable();
    std::iter::from_fn(move || {
        let first = messages.next()?;
        let mut frame = Frame::default();
        let read_frame = || -> Result<()> {
            let first = first?;
            let stamp = first.log_time_ns;
            add(&mut frame, first)?;
            // A read error ends this frame; the next call returns it.
            while let Some(Ok(next)) =
                messages.next_if(|m| m.as_ref().is_ok_and(|m| m.log_time_ns == stamp))
            {
                add(&mut frame, next)?;
            }
            Ok(())
        };
        Some(read_frame().map(|()| frame))
    })
}

fn add(frame: &mut Frame, message: edgefusion_bag::BagMessage) -> Result<()> {
    frame.stamp_ns = message.log_time_ns;
    match message.topic.name.as_str() {
        topics::CAMERA_INFO => frame.camera_info = Some(decode(&message)?),
        topics::CAMERA_IMAGE => frame.image = Some(decode(&message)?),
        topics::LIDAR_POINTS => frame.cloud = Some(decode(&message)?),
        _ => frame.ground_truth = Some(decode(&message)?),
    }
    Ok(())
}

fn decode<M: Message>(message: &edgefusion_bag::BagMessage) -> Result<M> {
    if message.topic.type_name != M::TYPE_NAME {
        bail!(
            "{} carries {}, expected {}",
            message.topic.name,
            message.topic.type_name,
            M::TYPE_NAME
        );
    }
    M::decode(&message.data).with_context(|| {
        format!("decoding {} at {} ns as {}", message.topic.name, message.log_time_ns, M::TYPE_NAME)
    })
}
