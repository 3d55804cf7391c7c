//! Errors of the KITTI reader. Every variant names the file it is about, and text-file
//! errors also give the 1-based line, so a user can open the file and see what is wrong.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum KittiError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A line of a text file (calib or label) that does not parse.
    #[error("{}:{line}: {message}", path.display())]
    Syntax { path: PathBuf, line: usize, message: String },

    /// A calibration file without one of the matrices we need.
    #[error("{}: no `{key}:` line (a KITTI object calib has P0..P3, R0_rect, Tr_velo_to_cam)", path.display())]
    MissingCalibEntry { path: PathBuf, key: &'static str },

    #[error(
        "{}: size {len} bytes is not a multiple of 16 (KITTI velodyne points are 4 float32: x, y, z, reflectance)",
        path.display()
    )]
    LidarSize { path: PathBuf, len: u64 },

    #[error("{}: PNG decoding failed: {source}", path.display())]
    Png {
        path: PathBuf,
        #[source]
        source: png::DecodingError,
    },

    #[error("{}: unsupported PNG: {message}", path.display())]
    UnsupportedPng { path: PathBuf, message: String },

    #[error(
        "{}: not KITTI data: expected a frame folder (lidar.bin, image.png, calib.txt, label.txt), \
         a folder of frame folders, a KITTI split folder (velodyne/, image_2/, calib/, label_2/) \
         or a folder of NNNNNN.bin files",
        path.display()
    )]
    NotKittiData { path: PathBuf },

    #[error("invalid sequence options: {0}")]
    InvalidOptions(String),
}

impl KittiError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    pub(crate) fn syntax(
        path: impl Into<PathBuf>,
        line: usize,
        message: impl Into<String>,
    ) -> Self {
        Self::Syntax { path: path.into(), line, message: message.into() }
    }
}

/// A file a frame would need is absent; the rest of the frame is still converted
/// (see [`crate::KittiFrame::warnings`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingFile {
    pub path: PathBuf,
    /// What the frame lacks because of it.
    pub consequence: &'static str,
}

impl std::fmt::Display for MissingFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: missing, so {}", self.path.display(), self.consequence)
    }
}
