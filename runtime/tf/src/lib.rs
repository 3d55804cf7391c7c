//! A buffer of static transforms, as published on `/tf_static`, and lookups between any two
//! frames of its tree.
//!
//! Each `TransformStamped` says where its child frame is in its parent frame (tf2's convention):
//! a point `p_child` is `transform * p_child` in the parent. [`TransformBuffer::lookup`]`(target,
//! source)` composes the edges on the path between the two frames and returns the transform that
//! maps source coordinates into target coordinates, like tf2's `lookupTransform(target, source)`.
//!
//! Static only: stamps are ignored, a frame has one parent, and a later transform for the same
//! child replaces the earlier one (as a latched `/tf_static` republished with a fix does).
//! Frame names are compared without a leading `/` (tf2 strips it too).

use edgefusion_msgs::geometry_msgs::TransformStamped;
use edgefusion_msgs::tf2_msgs::TFMessage;
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};
use std::collections::HashMap;

/// Why a transform cannot be stored or looked up; each names the frames involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TfError {
    #[error("transform {parent} -> {child} is invalid: {reason}")]
    InvalidTransform { parent: String, child: String, reason: String },
    #[error(
        "transform {parent} -> {child} would close a loop ({child} is an ancestor of {parent})"
    )]
    Cycle { parent: String, child: String },
    #[error("unknown frame '{frame}' (known frames: {known})")]
    UnknownFrame { frame: String, known: String },
    #[error(
        "frames '{target}' and '{source_frame}' are not connected (their trees have roots \
         '{target_root}' and '{source_root}')"
    )]
    NotConnected { target: String, source_frame: String, target_root: String, source_root: String },
}

#[derive(Debug, Clone)]
struct Edge {
    parent: String,
    /// Pose of the child in the parent: p_parent = pose * p_child.
    pose: Isometry3<f64>,
}

/// Static transform tree. Cheap to clone (a few frames).
#[derive(Debug, Clone, Default)]
pub struct TransformBuffer {
    /// child -> its parent edge.
    edges: HashMap<String, Edge>,
}

fn frame_name(name: &str) -> &str {
    name.strip_prefix('/').unwrap_or(name)
}

impl TransformBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores every transform of a `/tf_static` message. All or nothing: if one is invalid,
    /// none is stored and the error names it. Returns how many transforms were stored.
    pub fn add_message(&mut self, message: &TFMessage) -> Result<usize, TfError> {
        let mut updated = self.clone();
        for transform in &message.transforms {
            updated.set_transform(transform)?;
        }
        *self = updated;
        Ok(message.transforms.len())
    }

    /// Stores one transform (pose of `child_frame_id` in `header.frame_id`).
    pub fn set_transform(&mut self, transform: &TransformStamped) -> Result<(), TfError> {
        let parent = frame_name(&transform.header.frame_id);
        let child = frame_name(&transform.child_frame_id);
        let invalid = |reason: &str| TfError::InvalidTransform {
            parent: parent.to_string(),
            child: child.to_string(),
            reason: reason.to_string(),
        };
        if parent.is_empty() || child.is_empty() {
            return Err(invalid("empty frame name"));
        }
        if parent == child {
            return Err(invalid("parent and child are the same frame"));
        }
        let t = &transform.transform.translation;
        let r = &transform.transform.rotation;
        if ![t.x, t.y, t.z, r.x, r.y, r.z, r.w].iter().all(|v| v.is_finite()) {
            return Err(invalid("non-finite translation or rotation"));
        }
        let q = Quaternion::new(r.w, r.x, r.y, r.z);
        if q.norm() < 1e-6 {
            return Err(invalid("zero rotation quaternion"));
        }
        if self.ancestors(parent).any(|frame| frame == child) {
            return Err(TfError::Cycle { parent: parent.to_string(), child: child.to_string() });
        }
        let pose = Isometry3::from_parts(
            Translation3::new(t.x, t.y, t.z),
            UnitQuaternion::from_quaternion(q),
        );
        self.edges.insert(child.to_string(), Edge { parent: parent.to_string(), pose });
        Ok(())
    }

    /// The transform taking coordinates in `source` to coordinates in `target`
    /// (`p_target = lookup(target, source) * p_source`). Identity when the frames are equal.
    pub fn lookup(&self, target: &str, source: &str) -> Result<Isometry3<f64>, TfError> {
        let (target, source) = (frame_name(target), frame_name(source));
        if target == source {
            return Ok(Isometry3::identity());
        }
        for frame in [target, source] {
            if !self.knows(frame) {
                return Err(TfError::UnknownFrame {
                    frame: frame.to_string(),
                    known: self.frames().join(", "),
                });
            }
        }
        // Pose of `source` in each of its ancestors (itself first).
        let mut source_chain = vec![(source, Isometry3::identity())];
        let mut frame = source;
        while let Some(edge) = self.edges.get(frame) {
            let in_child = source_chain.last().expect("non-empty").1;
            source_chain.push((edge.parent.as_str(), edge.pose * in_child));
            frame = &edge.parent;
        }
        // Walk up from `target` to the first common ancestor.
        let mut target_in_ancestor = Isometry3::identity();
        let mut frame = target;
        loop {
            if let Some((_, source_in_ancestor)) = source_chain.iter().find(|(f, _)| *f == frame) {
                return Ok(target_in_ancestor.inverse() * source_in_ancestor);
            }
            match self.edges.get(frame) {
                Some(edge) => {
                    target_in_ancestor = edge.pose * target_in_ancestor;
                    frame = &edge.parent;
                }
                None => {
                    return Err(TfError::NotConnected {
                        target: target.to_string(),
                        source_frame: source.to_string(),
                        target_root: frame.to_string(),
                        source_root: source_chain.last().expect("non-empty").0.to_string(),
                    })
                }
            }
        }
    }

    /// Whether `frame` appears in any stored transform.
    pub fn knows(&self, frame: &str) -> bool {
        let frame = frame_name(frame);
        self.edges.contains_key(frame) || self.edges.values().any(|e| e.parent == frame)
    }

    /// All frames, sorted.
    pub fn frames(&self) -> Vec<String> {
        let mut frames: Vec<String> = self
            .edges
            .iter()
            .flat_map(|(child, edge)| [child.clone(), edge.parent.clone()])
            .collect();
        frames.sort();
        frames.dedup();
        frames
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// `frame`, its parent, its parent's parent, ... up to its root. Finite because
    /// [`Self::set_transform`] refuses loops.
    fn ancestors<'a>(&'a self, frame: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        std::iter::successors(Some(frame), |f| self.edges.get(*f).map(|e| e.parent.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgefusion_msgs::geometry_msgs::{Quaternion as MsgQuaternion, Transform, Vector3};
    use edgefusion_msgs::std_msgs::Header;
    use nalgebra::{Point3, Vector3 as NVector3};
    use std::f64::consts::FRAC_PI_2;

    fn stamped(parent: &str, child: &str, xyz: [f64; 3], q: [f64; 4]) -> TransformStamped {
        TransformStamped {
            header: Header::new(Default::default(), parent),
            child_frame_id: child.to_string(),
            transform: Transform {
                translation: Vector3 { x: xyz[0], y: xyz[1], z: xyz[2] },
                rotation: MsgQuaternion { x: q[0], y: q[1], z: q[2], w: q[3] },
            },
        }
    }

    /// Rotation by +90° about z as (x, y, z, w).
    fn yaw90() -> [f64; 4] {
        let s = (FRAC_PI_2 / 2.0).sin();
        [0.0, 0.0, s, (FRAC_PI_2 / 2.0).cos()]
    }

    /// base_link -> lidar (1 m forward, 2 m up, rotated +90° about z) -> camera (0.5 m along
    /// lidar x, no rotation); a separate tree odom -> map.
    fn buffer() -> TransformBuffer {
        let mut tf = TransformBuffer::new();
        let msg = TFMessage {
            transforms: vec![
                stamped("base_link", "lidar", [1.0, 0.0, 2.0], yaw90()),
                stamped("/lidar", "camera", [0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]),
                stamped("map", "odom", [10.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]),
            ],
        };
        assert_eq!(tf.add_message(&msg).unwrap(), 3);
        tf
    }

    fn assert_close(a: Point3<f64>, b: [f64; 3]) {
        assert!((a.coords - NVector3::from(b)).norm() < 1e-12, "{a} vs {b:?}");
    }

    #[test]
    fn chain_composes_as_computed_by_hand() {
        let tf = buffer();
        // The camera origin: 0.5 m along lidar x, which points along base y; lidar at (1, 0, 2).
        let t = tf.lookup("base_link", "camera").unwrap();
        assert_close(t * Point3::origin(), [1.0, 0.5, 2.0]);
        // A point 1 m along camera y (= lidar y = base -x).
        assert_close(t * Point3::new(0.0, 1.0, 0.0), [0.0, 0.5, 2.0]);
    }

    #[test]
    fn inverse_direction_and_sibling_paths() {
        let tf = buffer();
        let t = tf.lookup("camera", "base_link").unwrap();
        assert_close(t * Point3::new(1.0, 0.5, 2.0), [0.0, 0.0, 0.0]);
        assert_close(t * Point3::new(0.0, 0.5, 2.0), [0.0, 1.0, 0.0]);
        let round = tf.lookup("lidar", "camera").unwrap() * tf.lookup("camera", "lidar").unwrap();
        assert!((round.to_homogeneous() - nalgebra::Matrix4::identity()).abs().max() < 1e-12);
        assert_eq!(tf.lookup("/camera", "camera").unwrap(), Isometry3::identity());
    }

    #[test]
    fn unknown_and_unconnected_frames_are_named() {
        let tf = buffer();
        let e = tf.lookup("base_link", "radar").unwrap_err();
        assert!(matches!(&e, TfError::UnknownFrame { frame, .. } if frame == "radar"));
        assert!(e.to_string().contains("'radar'") && e.to_string().contains("camera"), "{e}");
        let e = tf.lookup("map", "camera").unwrap_err();
        assert_eq!(
            e,
            TfError::NotConnected {
                target: "map".into(),
                source_frame: "camera".into(),
                target_root: "map".into(),
                source_root: "base_link".into()
            }
        );
    }

    #[test]
    fn invalid_transforms_are_refused_whole() {
        let mut tf = buffer();
        let e = tf
            .add_message(&TFMessage {
                transforms: vec![
                    stamped("camera", "extra", [0.0; 3], [0.0, 0.0, 0.0, 1.0]),
                    stamped("camera", "base_link", [0.0; 3], [0.0, 0.0, 0.0, 1.0]),
                ],
            })
            .unwrap_err();
        assert!(matches!(e, TfError::Cycle { .. }), "{e}");
        assert!(!tf.knows("extra"), "a refused message stores nothing");
        let zero_q = stamped("a", "b", [0.0; 3], [0.0; 4]);
        assert!(matches!(tf.set_transform(&zero_q), Err(TfError::InvalidTransform { .. })));
        let nan = stamped("a", "b", [f64::NAN, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]);
        assert!(matches!(tf.set_transform(&nan), Err(TfError::InvalidTransform { .. })));
        let own = stamped("a", "a", [0.0; 3], [0.0, 0.0, 0.0, 1.0]);
        assert!(matches!(tf.set_transform(&own), Err(TfError::InvalidTransform { .. })));
    }
}
