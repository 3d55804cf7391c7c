//! The node's parameters, from a ROS 2 parameters file (the same file serves both transports):
//!
//! ```yaml
//! lidar:                        # the node's name; `/lidar` and the wildcard `/**` work too
//!   ros__parameters:
//!     output_frame: base_link
//!     crop:                     # nested names are ROS 2's dotted names: crop.min_x, ...
//!       min_x: -40.0
//!       ...
//! ```
//! Files are read as ROS 2 reads them (`edgefusion_node::params`): sections in file order
//! (`/**`, `lidar`, `/lidar`, patterns), later values win; nested mappings and dotted names
//! (`crop.min_x: -40.0`) are the same parameter. Unknown names are logged and ignored.
//! calib/params/lidar.yaml documents every parameter.

pub use edgefusion_node::ParamsError;
use edgefusion_node::{NodeParams, Origins, ParamReader, Params};

/// Range of `cluster.tolerance` (m): below a voxel's size nothing links, above a lane's width
/// everything does.
const MIN_TOLERANCE: f32 = 0.05;
const MAX_TOLERANCE: f32 = 5.0;
/// Largest `cluster.min_points` / `cluster.max_points`.
const MAX_CLUSTER_POINTS: usize = 10_000_000;

/// An axis-aligned box in the output frame (metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Box3 {
    pub min: [f32; 3],
    pub max: [f32; 3],
}

impl Box3 {
    #[inline]
    pub fn contains(&self, p: [f32; 3]) -> bool {
        (0..3).all(|i| p[i] >= self.min[i] && p[i] <= self.max[i])
    }
}

/// Ground segmentation (see `ground.rs` for the method).
#[derive(Debug, Clone, PartialEq)]
pub struct GroundParams {
    /// Angular sectors around the sensor (360 / count degrees each).
    pub sector_count: usize,
    /// Radial bin length along each sector (m).
    pub bin_length: f32,
    /// Largest ground slope followed along a sector (rise per metre; 0.2 = 11°).
    pub max_slope: f32,
    /// A bin's lowest point continues the ground line if it is within this height of the
    /// line's prediction (m) ...
    pub max_deviation: f32,
    /// ... plus this much per metre of gap since the last ground bin (slope changes over gaps).
    pub max_slope_change: f32,
    /// A point is ground when it is at most this high above the local ground line (m).
    pub height_threshold: f32,
    /// Range band (m from the sensor) whose bin minima give the ground height at the vehicle,
    /// where each sector's line starts.
    pub seed_min_range: f32,
    pub seed_max_range: f32,
}

/// The BEV occupancy grid, in the output frame.
#[derive(Debug, Clone, PartialEq)]
pub struct GridParams {
    /// Cell edge (m).
    pub resolution: f32,
    /// Cells along x (rows of the message are along y, columns along x, as nav_msgs says).
    pub width: u32,
    pub height: u32,
    /// Output-frame position of cell (0, 0)'s corner.
    pub origin_x: f32,
    pub origin_y: f32,
    /// Non-ground points higher than this above the local ground (branches, bridges, signs
    /// over the road) do not occupy a cell (m).
    pub max_obstacle_height: f32,
}

/// Clustering of the non-ground points into objects (see `cluster.rs` for the method).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterParams {
    /// Off: no clustering, nothing published on the objects topic (an empty array would say
    /// "no obstacles").
    pub enabled: bool,
    /// Two points closer than this in bird's eye view (x, y) are in one cluster (m).
    pub tolerance: f32,
    /// Clusters with fewer points are dropped as noise (points after the voxel grid).
    pub min_points: usize,
    /// Clusters with more points are dropped (bounds the box fit's work; a large object this
    /// dense is a wall or a building, which `max_size` usually drops first).
    pub max_points: usize,
    /// Clusters whose box is longer than this are dropped as walls, buildings, hedges (m).
    pub max_size: f32,
}

impl Default for ClusterParams {
    fn default() -> Self {
        Self { enabled: true, tolerance: 0.5, min_points: 10, max_points: 20_000, max_size: 12.0 }
    }
}

/// Typed parameters of the lidar node.
#[derive(Debug, Clone, PartialEq)]
pub struct LidarParams {
    /// Frame of both outputs (needs a static transform to the cloud's frame).
    pub output_frame: String,
    /// Points outside this box (output frame) are dropped.
    pub crop: Box3,
    /// Points inside this box are the vehicle itself and dropped. A box with min > max on any
    /// axis is empty (disabled).
    pub ego_box: Box3,
    /// Voxel edge for downsampling (m); 0 disables it (every point kept).
    pub voxel_size: f32,
    pub ground: GroundParams,
    pub grid: GridParams,
    pub cluster: ClusterParams,
    /// Worker threads of the node's own rayon pool (voxel sort, ground fit, ray casting),
    /// 1..=64. The node runs its stages on this pool whatever thread calls it.
    pub threads: usize,
}

impl Default for LidarParams {
    fn default() -> Self {
        Self {
            output_frame: "base_link".to_string(),
            crop: Box3 { min: [-50.0, -50.0, -3.0], max: [50.0, 50.0, 3.0] },
            ego_box: Box3 { min: [-1.5, -1.0, -2.5], max: [2.5, 1.0, 1.0] },
            voxel_size: 0.1,
            ground: GroundParams {
                sector_count: 180,
                bin_length: 0.5,
                max_slope: 0.2,
                max_deviation: 0.15,
                max_slope_change: 0.05,
                height_threshold: 0.15,
                seed_min_range: 2.0,
                seed_max_range: 15.0,
            },
            grid: GridParams {
                resolution: 0.2,
                width: 400,
                height: 400,
                origin_x: -40.0,
                origin_y: -40.0,
                max_obstacle_height: 2.5,
            },
            cluster: ClusterParams::default(),
            threads: 2,
        }
    }
}

impl NodeParams for LidarParams {
    /// The node's parameters from whatever set them (files, `-p`, a launch file, rcl); names
    /// it does not know are logged.
    fn from_params(params: &Params, node_name: &str) -> Result<Self, ParamsError> {
        let r = params.reader(node_name);
        let p = Self::read(&r)?;
        r.finish();
        Ok(p)
    }
}

impl LidarParams {
    /// Reads and checks every lidar parameter through `r`, unset ones at their defaults.
    pub fn read(r: &ParamReader) -> Result<Self, ParamsError> {
        let d = Self::default();
        // Lengths are f32 in the pipeline; the reader refuses NaN and infinities.
        let number = |name: &str, default: f32| r.f64(name, default.into()).map(|v| v as f32);
        let corner =
            |prefix: &str, default: [f32; 3], end: &str| -> Result<[f32; 3], ParamsError> {
                Ok([
                    number(&format!("{prefix}.{end}_x"), default[0])?,
                    number(&format!("{prefix}.{end}_y"), default[1])?,
                    number(&format!("{prefix}.{end}_z"), default[2])?,
                ])
            };
        let boxed = |prefix: &str, default: Box3| -> Result<Box3, ParamsError> {
            Ok(Box3 {
                min: corner(prefix, default.min, "min")?,
                max: corner(prefix, default.max, "max")?,
            })
        };
        let cells = |name: &str, default: u32| r.int_in(name, default.into(), 1..=10_000);
        let (g, grid, cluster) = (&d.ground, &d.grid, &d.cluster);
        let count = |name: &str, default: usize| {
            r.int_in(name, default as i64, 1..=MAX_CLUSTER_POINTS as i64).map(|v| v as usize)
        };
        let p = Self {
            output_frame: r.string("output_frame", &d.output_frame)?,
            crop: boxed("crop", d.crop)?,
            ego_box: boxed("ego_box", d.ego_box)?,
            voxel_size: number("voxel_size", d.voxel_size)?,
            ground: GroundParams {
                sector_count: r.int_in("ground.sector_count", g.sector_count as i64, 1..=3600)?
                    as usize,
                bin_length: number("ground.bin_length", g.bin_length)?,
                max_slope: number("ground.max_slope", g.max_slope)?,
                max_deviation: number("ground.max_deviation", g.max_deviation)?,
                max_slope_change: number("ground.max_slope_change", g.max_slope_change)?,
                height_threshold: number("ground.height_threshold", g.height_threshold)?,
                seed_min_range: number("ground.seed_min_range", g.seed_min_range)?,
                seed_max_range: number("ground.seed_max_range", g.seed_max_range)?,
            },
            grid: GridParams {
                resolution: number("grid.resolution", grid.resolution)?,
                width: cells("grid.width", grid.width)? as u32,
                height: cells("grid.height", grid.height)? as u32,
                origin_x: number("grid.origin_x", grid.origin_x)?,
                origin_y: number("grid.origin_y", grid.origin_y)?,
                max_obstacle_height: number("grid.max_obstacle_height", grid.max_obstacle_height)?,
            },
            cluster: ClusterParams {
                enabled: r.bool("cluster.enabled", cluster.enabled)?,
                tolerance: number("cluster.tolerance", cluster.tolerance)?,
                min_points: count("cluster.min_points", cluster.min_points)?,
                max_points: count("cluster.max_points", cluster.max_points)?,
                max_size: number("cluster.max_size", cluster.max_size)?,
            },
            threads: r.int_in("threads", d.threads as i64, 1..=64)? as usize,
        };
        p.check(&Origins::Reader(r))?;
        Ok(p)
    }

    /// Range checks for parameters built in code; `origin` names them in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ParamsError> {
        self.check(&Origins::Fixed(origin))
    }

    /// The checks of every value and of values together; `at` says where a name was set.
    fn check(&self, at: &Origins) -> Result<(), ParamsError> {
        let bad =
            |name: &str, value: String, allowed: &str| Err(at.out_of_range(name, value, allowed));
        if self.output_frame.trim().is_empty() {
            return bad("output_frame", "''".into(), "a frame name");
        }
        for (i, axis) in ["x", "y", "z"].iter().enumerate() {
            let (lo, hi) = (self.crop.min[i], self.crop.max[i]);
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return bad(
                    &format!("crop.min_{axis}"),
                    format!("{lo} (max {hi})"),
                    "finite, < max",
                );
            }
            if !(self.ego_box.min[i].is_finite() && self.ego_box.max[i].is_finite()) {
                return bad(&format!("ego_box.min_{axis}"), "non-finite".into(), "finite");
            }
        }
        let v = self.voxel_size;
        if !(v.is_finite() && v >= 0.0) {
            return bad("voxel_size", v.to_string(), ">= 0 (0 disables)");
        }
        if v > 0.0 {
            // Voxel keys pack each axis index into 21 bits (voxel.rs).
            let cells =
                (0..3).map(|i| (self.crop.max[i] - self.crop.min[i]) / v).fold(0.0, f32::max);
            if cells >= (1 << 21) as f32 {
                return bad("voxel_size", v.to_string(), "crop extent / voxel_size < 2^21");
            }
        }
        let g = &self.ground;
        if !(1..=3600).contains(&g.sector_count) {
            return bad("ground.sector_count", g.sector_count.to_string(), "1..=3600");
        }
        let positive = [
            ("ground.bin_length", g.bin_length),
            ("grid.resolution", self.grid.resolution),
            ("grid.max_obstacle_height", self.grid.max_obstacle_height),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return bad(name, value.to_string(), "> 0");
            }
        }
        let non_negative = [
            ("ground.max_slope", g.max_slope),
            ("ground.max_deviation", g.max_deviation),
            ("ground.max_slope_change", g.max_slope_change),
            ("ground.height_threshold", g.height_threshold),
            ("ground.seed_min_range", g.seed_min_range),
        ];
        for (name, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return bad(name, value.to_string(), ">= 0");
            }
        }
        if !(g.seed_max_range.is_finite() && g.seed_max_range > g.seed_min_range) {
            return bad(
                "ground.seed_max_range",
                g.seed_max_range.to_string(),
                "> ground.seed_min_range",
            );
        }
        // Bins per sector cover the crop box's farthest corner.
        if self.bins_per_sector() > 100_000 {
            return bad("ground.bin_length", g.bin_length.to_string(), "crop range / bin < 1e5");
        }
        let grid = &self.grid;
        for (name, cells) in [("grid.width", grid.width), ("grid.height", grid.height)] {
            if !(1..=10_000).contains(&cells) {
                return bad(name, cells.to_string(), "1..=10000");
            }
        }
        if !(grid.origin_x.is_finite() && grid.origin_y.is_finite()) {
            return bad("grid.origin_x", format!("{}, {}", grid.origin_x, grid.origin_y), "finite");
        }
        let c = &self.cluster;
        if !(MIN_TOLERANCE..=MAX_TOLERANCE).contains(&c.tolerance) {
            return bad("cluster.tolerance", c.tolerance.to_string(), "0.05..=5");
        }
        // Cluster cells (tolerance/√2) are indexed by i32 over the crop box.
        let extent =
            (0..2).map(|i| self.crop.min[i].abs().max(self.crop.max[i].abs())).fold(0.0, f32::max);
        if extent / c.tolerance > 1e9 {
            return bad(
                "cluster.tolerance",
                c.tolerance.to_string(),
                "crop extent / tolerance < 1e9",
            );
        }
        for (name, n) in
            [("cluster.min_points", c.min_points), ("cluster.max_points", c.max_points)]
        {
            if !(1..=MAX_CLUSTER_POINTS).contains(&n) {
                return bad(name, n.to_string(), "1..=10000000");
            }
        }
        if c.max_points < c.min_points {
            return bad("cluster.max_points", c.max_points.to_string(), ">= cluster.min_points");
        }
        if !(c.max_size.is_finite() && c.max_size > 0.0) {
            return bad("cluster.max_size", c.max_size.to_string(), "> 0");
        }
        if !(1..=64).contains(&self.threads) {
            return bad("threads", self.threads.to_string(), "1..=64");
        }
        Ok(())
    }

    /// Radial bins per ground sector: enough for the crop box's farthest corner from any
    /// sensor position inside it.
    pub fn bins_per_sector(&self) -> usize {
        let dx = self.crop.max[0] - self.crop.min[0];
        let dy = self.crop.max[1] - self.crop.min[1];
        ((dx.hypot(dy) / self.ground.bin_length).ceil() as usize).max(1) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LidarParams, ParamsError> {
        LidarParams::from_yaml_str(text, "lidar", "test.yaml")
    }

    #[test]
    fn nested_and_dotted_names_are_the_same_parameter() {
        let p = parse(
            "/**:\n  ros__parameters:\n    voxel_size: 0.3\nlidar:\n  ros__parameters:\n    \
             crop:\n      min_x: -10\n    crop.max_x: 20.5\n    ground:\n      sector_count: 90\n    \
             grid.width: 100\n    threads: 4\n    use_sim_time: true\n",
        )
        .unwrap();
        assert_eq!((p.crop.min[0], p.crop.max[0]), (-10.0, 20.5));
        assert_eq!((p.voxel_size, p.ground.sector_count, p.grid.width), (0.3, 90, 100));
        assert_eq!(p.grid.height, LidarParams::default().grid.height);
        assert_eq!(p.threads, 4);
    }

    #[test]
    fn the_shipped_file_parses_and_is_not_all_defaults() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../calib/params/lidar.yaml");
        let p = LidarParams::from_yaml_file(path, "lidar").unwrap();
        assert_eq!(p.output_frame, "base_link");
        assert!(p.grid.width > 0 && p.voxel_size > 0.0);
    }

    #[test]
    fn command_line_values_override_the_file() {
        let mut params = Params::new();
        let file = "lidar:\n  ros__parameters:\n    threads: 2\n    voxel_size: 0.2\n";
        params.load_str(file, "/lidar", "lidar.yaml").unwrap();
        params.set_from_text("threads", "1", "-p").unwrap();
        let p = LidarParams::from_params(&params, "lidar").unwrap();
        assert_eq!((p.threads, p.voxel_size), (1, 0.2));
        params.set_from_text("threads", "0", "-p").unwrap();
        let e = LidarParams::from_params(&params, "lidar").unwrap_err();
        assert_eq!(e.to_string(), "parameter 'threads' (-p) = 0 is out of range (1..=64)");
    }

    /// Every error names the parameter and where it was set (file and section).
    #[test]
    fn wrong_values_name_the_parameter_and_file() {
        let origin = "(test.yaml, section 'lidar')";
        let e = parse("lidar:\n  ros__parameters:\n    voxel_size: -1\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "voxel_size"));
        assert!(e.to_string().starts_with(&format!("parameter 'voxel_size' {origin}")), "{e}");
        let e = parse("lidar:\n  ros__parameters:\n    crop: {min_z: 5, max_z: 1}\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "crop.min_z"), "{e}");
        assert!(e.to_string().starts_with(&format!("parameter 'crop.min_z' {origin}")), "{e}");
        let e = parse("lidar:\n  ros__parameters:\n    grid.width: wide\n").unwrap_err();
        assert!(matches!(&e, ParamsError::WrongType { name, .. } if name == "grid.width"), "{e}");
        assert_eq!(
            e.to_string(),
            format!("parameter 'grid.width' {origin} must be an integer, got string 'wide'")
        );
        let e = parse("lidar:\n  ros__parameters:\n    ground.sector_count: 0\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::OutOfRange { name, .. } if name == "ground.sector_count")
        );
        let e = parse("lidar:\n  ros__parameters:\n    threads: 65\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "threads"), "{e}");
        let e = parse("/**:\n  ros__parameters:\n    voxel_size: 0.000001\n").unwrap_err();
        assert!(e.to_string().contains("2^21"), "{e}");
        assert!(e.to_string().contains("(test.yaml, section '/**')"), "{e}");
        let e = parse("lidar:\n  ros__parameters: 3\n").unwrap_err();
        assert!(matches!(e, ParamsError::Structure { .. }));
        assert!(matches!(parse("lidar: [\n").unwrap_err(), ParamsError::Yaml { .. }));
        let e = LidarParams::from_yaml_file("/nonexistent/lidar.yaml", "lidar").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/lidar.yaml"), "{e}");
    }

    #[test]
    fn parameters_built_in_code_are_checked_too() {
        let p = LidarParams { threads: 0, ..Default::default() };
        let e = p.validate("code").unwrap_err();
        assert_eq!(e.to_string(), "parameter 'threads' (code) = 0 is out of range (1..=64)");
        assert!(LidarParams::default().validate("code").is_ok());
    }
}
