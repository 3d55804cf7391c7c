//! Finding the frames of a KITTI directory, in order, and giving them stamps.

use crate::error::KittiError;
use crate::frame::{FrameFiles, KittiFrame};
use std::path::{Path, PathBuf};

/// Stamp of the first frame when none is given: 1 s after the epoch. KITTI object frames carry
/// no time, so any fixed value keeps conversions reproducible; it is not 0 because a zero stamp
/// means "latest" to tf2 lookups and "unset" to many tools.
pub const DEFAULT_START_NS: i64 = 1_000_000_000;

/// The four files of a single-frame folder (the layout of `fixtures/kitti/NNNNNN/`).
const FRAME_FOLDER_FILES: [&str; 4] = ["lidar.bin", "image.png", "calib.txt", "label.txt"];

#[derive(Clone, Debug, PartialEq)]
pub struct SequenceOptions {
    /// Frames per second of the generated stamps (KITTI's Velodyne runs at 10 Hz).
    pub rate_hz: f64,
    /// Stamp of the first frame (after filtering), nanoseconds.
    pub start_ns: i64,
    /// Keep only frames whose numeric id is >= this. With either bound set, frames whose id is not
    /// a number are dropped.
    pub first_id: Option<u64>,
    /// Keep only frames whose numeric id is <= this.
    pub last_id: Option<u64>,
}

impl Default for SequenceOptions {
    fn default() -> Self {
        Self { rate_hz: 10.0, start_ns: DEFAULT_START_NS, first_id: None, last_id: None }
    }
}

/// How the frames are laid out on disk (detected by [`KittiSequence::open`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One folder with lidar.bin, image.png, calib.txt, label.txt (any may be missing).
    FrameFolder,
    /// A folder of such frame folders, in name order.
    FrameFolders,
    /// KITTI as shipped (e.g. `training/`): velodyne/ (or velodyne_reduced/), image_2/, calib/,
    /// label_2/ with NNNNNN.{bin,png,txt}; frames are the union of ids over these folders.
    KittiSplit,
    /// A folder of NNNNNN.bin Velodyne files only.
    LidarFolder,
}

/// The frames of a KITTI directory, converted one at a time by [`KittiSequence::frames`].
#[derive(Clone, Debug)]
pub struct KittiSequence {
    root: PathBuf,
    layout: Layout,
    frames: Vec<FrameFiles>,
    options: SequenceOptions,
}

impl KittiSequence {
    /// Detects the layout of `path` and lists its frames (no data is read yet).
    pub fn open(path: impl AsRef<Path>, options: SequenceOptions) -> Result<Self, KittiError> {
        let root = path.as_ref().to_path_buf();
        if !(options.rate_hz.is_finite() && options.rate_hz > 0.0) {
            return Err(KittiError::InvalidOptions(format!(
                "rate_hz must be positive, got {}",
                options.rate_hz
            )));
        }
        let listing = Listing::read(&root)?;
        let (layout, mut frames) = if let Some(frames) = split_frames(&root, &listing)? {
            (Layout::KittiSplit, frames)
        } else if FRAME_FOLDER_FILES.iter().any(|f| listing.files.iter().any(|n| n == f)) {
            (Layout::FrameFolder, vec![frame_folder(&root, folder_id(&root))])
        } else if listing.files.iter().any(|n| n.ends_with(".bin")) {
            (Layout::LidarFolder, lidar_frames(&root, &listing))
        } else {
            let folders = frame_folders(&root, &listing);
            if folders.is_empty() {
                return Err(KittiError::NotKittiData { path: root });
            }
            (Layout::FrameFolders, folders)
        };
        if options.first_id.is_some() || options.last_id.is_some() {
            let first = options.first_id.unwrap_or(0);
            let last = options.last_id.unwrap_or(u64::MAX);
            frames.retain(|f| f.id.parse::<u64>().is_ok_and(|n| (first..=last).contains(&n)));
        }
        tracing::info!("{}: {layout:?} with {} frames", root.display(), frames.len());
        Ok(Self { root, layout, frames, options })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The frames' files, in sequence order.
    pub fn frame_files(&self) -> &[FrameFiles] {
        &self.frames
    }

    /// Stamp of the `index`-th frame: `start_ns + index * 1e9 / rate_hz`, rounded to the nanosecond.
    pub fn stamp_ns(&self, index: usize) -> i64 {
        self.options.start_ns + (index as f64 * 1e9 / self.options.rate_hz).round() as i64
    }

    /// Loads and converts the `index`-th frame. Panics if `index >= len()`.
    pub fn frame(&self, index: usize) -> Result<KittiFrame, KittiError> {
        self.frames[index].load(self.stamp_ns(index))
    }

    /// Loads and converts each frame in order. A bad frame yields an error and the iteration
    /// goes on with the next one; the caller chooses to stop or skip.
    pub fn frames(&self) -> impl Iterator<Item = Result<KittiFrame, KittiError>> + '_ {
        (0..self.frames.len()).map(|i| self.frame(i))
    }
}

/// Names of the files and folders directly in a directory, each sorted.
struct Listing {
    files: Vec<String>,
    dirs: Vec<String>,
}

impl Listing {
    fn read(dir: &Path) -> Result<Self, KittiError> {
        let mut listing = Self { files: Vec::new(), dirs: Vec::new() };
        for entry in std::fs::read_dir(dir).map_err(|e| KittiError::io(dir, e))? {
            let entry = entry.map_err(|e| KittiError::io(dir, e))?;
            // Non-UTF-8 names cannot be KITTI names; skip them.
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // `Path::is_dir`/`is_file` follow symlinks, so linked frames and folders count.
            let path = entry.path();
            if path.is_dir() {
                listing.dirs.push(name);
            } else if path.is_file() {
                listing.files.push(name);
            }
        }
        listing.files.sort();
        listing.dirs.sort();
        Ok(listing)
    }
}

fn folder_id(dir: &Path) -> String {
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    // `.` or `..` have no file name; the canonical path does.
    named(dir)
        .or_else(|| dir.canonicalize().ok().and_then(|p| named(&p)))
        .unwrap_or_else(|| "frame".to_string())
}

fn frame_folder(dir: &Path, id: String) -> FrameFiles {
    let file = |name: &str| Some(dir.join(name));
    FrameFiles {
        id,
        lidar: file("lidar.bin"),
        image: file("image.png"),
        calib: file("calib.txt"),
        label: file("label.txt"),
    }
}

fn frame_folders(root: &Path, listing: &Listing) -> Vec<FrameFiles> {
    let mut frames = Vec::new();
    for name in &listing.dirs {
        let dir = root.join(name);
        if FRAME_FOLDER_FILES.iter().any(|f| dir.join(f).is_file()) {
            frames.push(frame_folder(&dir, name.clone()));
        } else {
            tracing::debug!("{}: not a frame folder, skipped", dir.display());
        }
    }
    frames
}

fn lidar_frames(root: &Path, listing: &Listing) -> Vec<FrameFiles> {
    listing
        .files
        .iter()
        .filter_map(|name| name.strip_suffix(".bin"))
        .map(|id| FrameFiles {
            id: id.to_string(),
            lidar: Some(root.join(format!("{id}.bin"))),
            ..Default::default()
        })
        .collect()
}

/// Frames of a KITTI split folder, or `None` if `root` has none of its subfolders.
fn split_frames(root: &Path, listing: &Listing) -> Result<Option<Vec<FrameFiles>>, KittiError> {
    let has = |name: &str| listing.dirs.iter().any(|d| d == name);
    // velodyne_reduced/ (mmdet3d's field-of-view crop) stands in when velodyne/ is absent.
    let velodyne = ["velodyne", "velodyne_reduced"].into_iter().find(|d| has(d));
    let parts = [
        (velodyne, "bin"),
        (has("image_2").then_some("image_2"), "png"),
        (has("calib").then_some("calib"), "txt"),
        (has("label_2").then_some("label_2"), "txt"),
    ];
    if parts.iter().all(|(dir, _)| dir.is_none()) {
        return Ok(None);
    }
    let mut ids = Vec::new();
    for (dir, ext) in parts.iter().filter_map(|(d, e)| d.map(|d| (d, e))) {
        let listing = Listing::read(&root.join(dir))?;
        let suffix = format!(".{ext}");
        ids.extend(
            listing.files.iter().filter_map(|n| n.strip_suffix(&suffix)).map(str::to_string),
        );
    }
    ids.sort();
    ids.dedup();
    let in_dir = |dir: Option<&str>, id: &str, ext: &str| {
        dir.map(|d| root.join(d).join(format!("{id}.{ext}")))
    };
    let frames = ids
        .into_iter()
        .map(|id| FrameFiles {
            lidar: in_dir(parts[0].0, &id, "bin"),
            image: in_dir(parts[1].0, &id, "png"),
            // Always a place for calibration: its absence matters when there are images or labels.
            calib: in_dir(Some("calib"), &id, "txt"),
            label: in_dir(parts[3].0, &id, "txt"),
            id,
        })
        .collect();
    Ok(Some(frames))
}
