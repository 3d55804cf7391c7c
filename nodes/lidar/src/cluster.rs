//! Stage 6: obstacles without a camera. Euclidean clustering of the non-ground points in bird's
//! eye view, one upright box per cluster (what Autoware's euclidean_cluster and shape
//! estimation do), published as objects of unknown class.
//!
//! Why BEV (x, y only): an obstacle is a column of returns standing on the ground; in 3D the
//! gaps between a car's body and its roof rack, or between a pedestrian's legs and torso across
//! the vertical ring spacing (0.4° on an HDL-64, 0.2 m at 30 m), split one object into several.
//! Overhangs that BEV would join to what stands under them (branches, signs over the road) are
//! left out beforehand: only points up to `grid.max_obstacle_height` above the ground are
//! clustered, the same rule that decides what occupies the grid.
//!
//! Neighbour search: a grid of cells `tolerance / √2` wide. Two points in one cell are always
//! within `tolerance`, so a cell is connected by construction and union-find runs over cells,
//! not points; two cells up to two apart are joined when any pair of their points is within
//! `tolerance` (the pair scan stops at the first such pair, is skipped when the cells are
//! already joined, and only looks at points near the other cell's bounding rectangle). Cells
//! are sorted by key and neighbours found by cursors that walk that order once (no hashing).
//! O(n log n) for the sort, then near-linear; no O(n²) over the cloud. Written here rather
//! than taken from a crate: the union-find is fifteen lines (petgraph's `UnionFind` is the
//! same thing behind a large dependency), and a k-d tree (kiddo) would answer per-point radius
//! queries that the cell trick makes unnecessary.
//!
//! Box: the minimum-area rectangle of the cluster's BEV convex hull (Andrew's monotone chain
//! after Akl-Toussaint pruning; the rectangle has a side on a hull edge, so each edge is
//! tried). Deterministic: the hull
//! does not depend on point order, ties keep the first edge. Length is the longer side and yaw
//! its direction, in (-π/2, π/2] (a cluster has no heading). The box reaches from the ground
//! under the cluster (lowest local ground height of its points) to its highest point, so a car
//! whose lowest returns were classed as ground still gets a box standing on the road.

use crate::params::ClusterParams;
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Vector3};
use edgefusion_msgs::std_msgs::Header;
use rayon::prelude::*;

/// Smallest box side (m): a cluster of returns on a line still has some extent.
pub const MIN_EXTENT: f32 = 0.1;
/// Velocity is not measured: σ 10 m/s per axis, wider than any urban relative speed.
pub const VELOCITY_VARIANCE: f64 = 100.0;
/// Yaw σ of a minimum-area rectangle: a partial view can turn it by up to 90°.
pub const YAW_SIGMA: f64 = std::f64::consts::FRAC_PI_4;
/// Roll and pitch σ: boxes are upright by construction (as the fusion node publishes).
pub const TILT_SIGMA: f64 = 0.02;

/// One clustered obstacle: an upright box in the output frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cluster {
    /// Box centre (m).
    pub centre: [f32; 3],
    /// Length (the longer BEV side, along `yaw`), width, height (m), each >= [`MIN_EXTENT`].
    pub size: [f32; 3],
    /// Direction of the length side from the x axis, in (-π/2, π/2].
    pub yaw: f32,
    pub num_points: usize,
}

/// The clusters kept, nearest the sensor first, and how many were dropped and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clustering {
    pub clusters: Vec<Cluster>,
    /// Fewer than `min_points` points (stray returns, noise).
    pub too_few_points: usize,
    /// More than `max_points` points.
    pub too_many_points: usize,
    /// Longer than `max_size` (walls, buildings, hedges, rows of parked cars joined).
    pub too_long: usize,
}

/// Clusters of `points` (x, y, z in the output frame, finite) whose ground height under each
/// point is `ground_z` (same length; a missing entry counts as the point's own z), sorted by
/// BEV distance from `sensor_xy` (then x, then y).
pub fn cluster(
    points: &[[f32; 3]],
    ground_z: &[f32],
    sensor_xy: [f32; 2],
    params: &ClusterParams,
) -> Clustering {
    let groups = connected_groups(points, params.tolerance);
    let mut result = Clustering::default();
    let mut sized = Vec::with_capacity(groups.len());
    for group in groups {
        if group.len() < params.min_points {
            result.too_few_points += 1;
        } else if group.len() > params.max_points {
            result.too_many_points += 1;
        } else {
            sized.push(group);
        }
    }
    let boxes: Vec<Cluster> =
        sized.par_iter().map(|group| fit_box(points, ground_z, group)).collect();
    for b in boxes {
        if b.size[0] > params.max_size {
            result.too_long += 1;
        } else {
            result.clusters.push(b);
        }
    }
    let range = |c: &Cluster| (c.centre[0] - sensor_xy[0]).hypot(c.centre[1] - sensor_xy[1]);
    result.clusters.sort_by(|a, b| {
        range(a)
            .total_cmp(&range(b))
            .then(a.centre[0].total_cmp(&b.centre[0]))
            .then(a.centre[1].total_cmp(&b.centre[1]))
    });
    result
}

/// Indices of the points of each connected group (BEV distance <= `tolerance` links two
/// points), each group in ascending index order, groups by their smallest index.
pub fn connected_groups(points: &[[f32; 3]], tolerance: f32) -> Vec<Vec<u32>> {
    let cell = tolerance / std::f32::consts::SQRT_2;
    // Points ordered by cell (then index), each cell a run of `order`; their x, y copied in
    // that order so the pair scans read memory in sequence.
    let mut order: Vec<(i32, i32, u32)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| ((p[0] / cell).floor() as i32, (p[1] / cell).floor() as i32, i as u32))
        .collect();
    order.par_sort_unstable(); // keys are unique (index last): same order on any pool
    let xy: Vec<[f32; 2]> = order
        .iter()
        .map(|&(_, _, i)| {
            let p = points[i as usize];
            [p[0], p[1]]
        })
        .collect();
    // (cell key, start, end) of each cell's run, sorted by key.
    let mut runs: Vec<((i32, i32), usize, usize)> = Vec::new();
    for (i, &(kx, ky, _)) in order.iter().enumerate() {
        match runs.last_mut() {
            Some((key, _, end)) if *key == (kx, ky) => *end = i + 1,
            _ => runs.push(((kx, ky), i, i + 1)),
        }
    }
    // Each cell's bounding rectangle: a pair of cells is only scanned when the rectangles are
    // within tolerance, and then only points within tolerance of the other's rectangle.
    let bounds: Vec<[f32; 4]> = runs
        .iter()
        .map(|&(_, start, end)| {
            xy[start..end].iter().fold(
                [f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY],
                |b, p| [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])],
            )
        })
        .collect();
    let squared_tolerance = tolerance * tolerance;
    let squared_gap = |p: [f32; 2], b: [f32; 4]| {
        let dx = (b[0] - p[0]).max(p[0] - b[2]).max(0.0);
        let dy = (b[1] - p[1]).max(p[1] - b[3]).max(0.0);
        dx * dx + dy * dy
    };
    let linked = |a: usize, b: usize| {
        let (box_a, box_b) = (bounds[a], bounds[b]);
        let near_b = |p: &&[f32; 2]| squared_gap(**p, box_b) <= squared_tolerance;
        let near_a = |q: &&[f32; 2]| squared_gap(**q, box_a) <= squared_tolerance;
        let cell_b = &xy[runs[b].1..runs[b].2];
        xy[runs[a].1..runs[a].2].iter().filter(near_b).any(|p| {
            cell_b
                .iter()
                .filter(near_a)
                .any(|q| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) <= squared_tolerance)
        })
    };
    let mut sets = UnionFind::new(runs.len());
    // Cells come in key order, so each neighbour offset's key grows with them: one cursor per
    // offset walks `runs` once (no hashing, no binary search).
    let mut cursors = [0usize; NEIGHBOURS.len()];
    for (a, &((kx, ky), _, _)) in runs.iter().enumerate() {
        for ((dx, dy), cursor) in NEIGHBOURS.iter().zip(&mut cursors) {
            let key = (kx + dx, ky + dy);
            while runs.get(*cursor).is_some_and(|run| run.0 < key) {
                *cursor += 1;
            }
            let b = *cursor;
            if runs.get(b).is_some_and(|run| run.0 == key)
                && sets.find(a) != sets.find(b)
                && linked(a, b)
            {
                sets.union(a, b);
            }
        }
    }
    // Groups in order of their smallest point index: deterministic whatever the union order.
    let mut root_of_point = vec![0usize; points.len()];
    for (c, &(_, start, end)) in runs.iter().enumerate() {
        let root = sets.find(c);
        for &(_, _, i) in &order[start..end] {
            root_of_point[i as usize] = root;
        }
    }
    let mut group_of_root = vec![usize::MAX; runs.len()];
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for (i, root) in root_of_point.into_iter().enumerate() {
        if group_of_root[root] == usize::MAX {
            group_of_root[root] = groups.len();
            groups.push(Vec::new());
        }
        groups[group_of_root[root]].push(i as u32);
    }
    groups
}

/// Cell offsets that can hold a point within `tolerance` of a point in cell (0, 0), one of each
/// ± pair (the other is seen from the other cell). Cells are tolerance/√2 wide: two cells apart
/// on one axis can still be linked, two apart on both (a gap of √2 cells) cannot.
const NEIGHBOURS: [(i32, i32); 10] =
    [(1, 0), (2, 0), (-2, 1), (-1, 1), (0, 1), (1, 1), (2, 1), (-1, 2), (0, 2), (1, 2)];

/// Disjoint sets over 0..n: union by size, path halving.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self { parent: (0..n).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a] >= self.size[b] { (a, b) } else { (b, a) };
        self.parent[small] = big;
        self.size[big] += self.size[small];
    }
}

/// The upright box of one group (see the module doc).
pub fn fit_box(points: &[[f32; 3]], ground_z: &[f32], group: &[u32]) -> Cluster {
    let mut top = f32::NEG_INFINITY;
    let mut lowest = f32::INFINITY;
    let mut ground = f32::INFINITY;
    let mut bev = Vec::with_capacity(group.len());
    for &i in group {
        let p = points[i as usize];
        top = top.max(p[2]);
        lowest = lowest.min(p[2]);
        ground = ground.min(ground_z.get(i as usize).copied().unwrap_or(p[2]));
        bev.push([f64::from(p[0]), f64::from(p[1])]);
    }
    let bottom = ground.min(lowest);
    let rect = min_area_rectangle(&convex_hull(bev));
    let height = (top - bottom).max(MIN_EXTENT);
    Cluster {
        centre: [rect.centre[0] as f32, rect.centre[1] as f32, bottom + height / 2.0],
        size: [(rect.length as f32).max(MIN_EXTENT), (rect.width as f32).max(MIN_EXTENT), height],
        yaw: rect.yaw as f32,
        num_points: group.len(),
    }
}

/// A rectangle in the plane: centre, sides (length >= width) and the length side's direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rectangle {
    pub centre: [f64; 2],
    pub length: f64,
    pub width: f64,
    /// In (-π/2, π/2].
    pub yaw: f64,
}

/// Convex hull, counter-clockwise, without collinear points (Andrew's monotone chain). Fewer
/// than three points (or all on a line) give the distinct extreme points.
pub fn convex_hull(mut points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    // Akl-Toussaint: the extreme points in eight directions, counter-clockwise, span an
    // octagon inside the hull; points strictly inside it cannot be hull vertices, and dropping
    // them (most of a dense cluster) before the sort is O(n). Ties keep points (cross = 0).
    if points.len() > 16 {
        let directions = [(-1.0, 0.0), (-1.0, -1.0), (0.0, -1.0), (1.0, -1.0)];
        let directions = directions.into_iter().chain(directions.map(|(x, y)| (-x, -y)));
        let mut octagon: Vec<[f64; 2]> =
            directions
                .map(|(dx, dy)| {
                    let dot = |p: &[f64; 2]| p[0] * dx + p[1] * dy;
                    points.iter().copied().fold(points[0], |best, p| {
                        if dot(&p) > dot(&best) {
                            p
                        } else {
                            best
                        }
                    })
                })
                .collect();
        // One point can be extreme in several directions: a zero-length edge would keep all.
        octagon.dedup();
        while octagon.len() > 1 && octagon.first() == octagon.last() {
            octagon.pop();
        }
        let n = octagon.len();
        let strictly_inside =
            |p: &[f64; 2]| (0..n).all(|i| cross(octagon[i], octagon[(i + 1) % n], *p) > 0.0);
        if n >= 3 {
            points.retain(|p| !strictly_inside(p));
        }
    }
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    // Lower chain left to right, upper chain right to left; each drops its last point, which
    // starts the other.
    let chain = |points: &mut dyn Iterator<Item = [f64; 2]>| {
        let mut chain: Vec<[f64; 2]> = Vec::new();
        for p in points {
            while let [.., a, b] = chain[..] {
                if cross(a, b, p) > 0.0 {
                    break;
                }
                chain.pop();
            }
            chain.push(p);
        }
        chain.pop();
        chain
    };
    let mut hull = chain(&mut points.iter().copied());
    hull.extend(chain(&mut points.iter().rev().copied()));
    hull
}

/// The minimum-area rectangle around a convex polygon (counter-clockwise, as
/// [`convex_hull`] gives): one side lies on a hull edge, so each edge direction is tried.
pub fn min_area_rectangle(hull: &[[f64; 2]]) -> Rectangle {
    let directions: Vec<[f64; 2]> = match hull.len() {
        0 => return Rectangle { centre: [0.0; 2], length: 0.0, width: 0.0, yaw: 0.0 },
        1 => vec![[1.0, 0.0]],
        n => (0..n)
            .map(|i| {
                let (a, b) = (hull[i], hull[(i + 1) % n]);
                let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                let norm = dx.hypot(dy);
                [dx / norm, dy / norm]
            })
            .collect(),
    };
    let mut best: Option<(f64, Rectangle)> = None;
    for u in directions {
        let v = [-u[1], u[0]];
        let (mut lo_u, mut hi_u, mut lo_v, mut hi_v) =
            (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for p in hull {
            let (a, b) = (p[0] * u[0] + p[1] * u[1], p[0] * v[0] + p[1] * v[1]);
            (lo_u, hi_u, lo_v, hi_v) = (lo_u.min(a), hi_u.max(a), lo_v.min(b), hi_v.max(b));
        }
        let (along, across) = (hi_u - lo_u, hi_v - lo_v);
        let area = along * across;
        // Ties (within rounding) keep the earlier edge: the result does not flicker.
        if best.as_ref().is_some_and(|(a, _)| area >= a - 1e-9) {
            continue;
        }
        let (mid_u, mid_v) = ((lo_u + hi_u) / 2.0, (lo_v + hi_v) / 2.0);
        let centre = [mid_u * u[0] + mid_v * v[0], mid_u * u[1] + mid_v * v[1]];
        let (length, width, dir) =
            if along >= across { (along, across, u) } else { (across, along, v) };
        let rect = Rectangle { centre, length, width, yaw: half_turn(dir[1].atan2(dir[0])) };
        best = Some((area, rect));
    }
    best.map(|(_, r)| r).unwrap_or(Rectangle { centre: hull[0], length: 0.0, width: 0.0, yaw: 0.0 })
}

/// An axis direction (`angle` and `angle + π` are the same axis) in (-π/2, π/2].
fn half_turn(angle: f64) -> f64 {
    use std::f64::consts::{FRAC_PI_2, PI};
    let a = angle.rem_euclid(PI); // 0 ..< π
    if a > FRAC_PI_2 {
        a - PI
    } else {
        a
    }
}

/// The clusters as objects of unknown class, stamped `header`.
///
/// `score` = n / (n + `min_points`) for a cluster of n points: 0.5 at the smallest cluster
/// kept, towards 1 for well-sampled ones (a count, not a probability of being an obstacle).
/// `pose_covariance` (x, y, z, roll, pitch, yaw; diagonal): σ of the centre along x and y is
/// half the box's extent along that axis, σ z half its height (floor [`MIN_EXTENT`]): the
/// lidar sees the near faces only, so the true centre can be anywhere in the box; yaw σ
/// [`YAW_SIGMA`], roll and pitch [`TILT_SIGMA`]. Velocity is unknown: zero with variance
/// [`VELOCITY_VARIANCE`].
pub fn objects_message(
    clusters: &[Cluster],
    min_points: usize,
    header: Header,
) -> DetectedObjectArray {
    let objects = clusters
        .iter()
        .map(|c| {
            let [length, width, height] = c.size.map(f64::from);
            let (sin, cos) = f64::from(c.yaw).sin_cos();
            // Axis-aligned extent of the rotated box.
            let extent_x = length * cos.abs() + width * sin.abs();
            let extent_y = length * sin.abs() + width * cos.abs();
            let sigma = |extent: f64| (extent / 2.0).max(f64::from(MIN_EXTENT));
            let mut covariance = [0.0; 36];
            for (i, s) in
                [sigma(extent_x), sigma(extent_y), sigma(height), TILT_SIGMA, TILT_SIGMA, YAW_SIGMA]
                    .into_iter()
                    .enumerate()
            {
                covariance[7 * i] = s * s;
            }
            let n = c.num_points;
            DetectedObject {
                center: Point {
                    x: c.centre[0].into(),
                    y: c.centre[1].into(),
                    z: c.centre[2].into(),
                },
                size: Vector3 { x: length, y: width, z: height },
                yaw: c.yaw.into(),
                classification: DetectedObject::CLASS_UNKNOWN,
                label: String::new(),
                score: n as f32 / (n + min_points) as f32,
                velocity: Vector3::default(),
                pose_covariance: Covariance(covariance),
                velocity_covariance: [
                    VELOCITY_VARIANCE,
                    0.0,
                    0.0,
                    0.0,
                    VELOCITY_VARIANCE,
                    0.0,
                    0.0,
                    0.0,
                    VELOCITY_VARIANCE,
                ],
                track_id: 0,
                modalities: DetectedObject::MODALITY_LIDAR,
                num_points: u32::try_from(n).unwrap_or(u32::MAX),
                has_image_box: false,
                image_box: [0.0; 4],
            }
        })
        .collect();
    DetectedObjectArray { header, objects }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::FRAC_PI_2;

    fn params() -> ClusterParams {
        ClusterParams { min_points: 1, ..ClusterParams::default() }
    }

    /// A filled rectangle of points, `step` apart, length along `yaw`, centred at `c`.
    fn block(c: [f32; 2], length: f32, width: f32, yaw: f32, step: f32) -> Vec<[f32; 3]> {
        let (sin, cos) = yaw.sin_cos();
        let (nl, nw) = ((length / step).round() as i32, (width / step).round() as i32);
        let mut out = Vec::new();
        for i in 0..=nl {
            for j in 0..=nw {
                let (a, b) = (i as f32 * step - length / 2.0, j as f32 * step - width / 2.0);
                for z in [0.5, 1.0] {
                    out.push([c[0] + cos * a - sin * b, c[1] + sin * a + cos * b, z]);
                }
            }
        }
        out
    }

    #[test]
    fn rotated_block_gives_its_box() {
        for yaw in [0.0f32, 0.3, -1.2, 1.5] {
            let pts = block([10.0, -4.0], 4.0, 1.8, yaw, 0.1);
            let ground = vec![0.0; pts.len()];
            let r = cluster(&pts, &ground, [0.0, 0.0], &params());
            assert_eq!(r.clusters.len(), 1, "yaw {yaw}");
            let c = r.clusters[0];
            assert!((c.centre[0] - 10.0).abs() < 1e-3 && (c.centre[1] + 4.0).abs() < 1e-3, "{c:?}");
            assert!((c.size[0] - 4.0).abs() < 1e-3 && (c.size[1] - 1.8).abs() < 1e-3, "{c:?}");
            // Ground 0 to top 1.0.
            assert!((c.size[2] - 1.0).abs() < 1e-6 && (c.centre[2] - 0.5).abs() < 1e-6, "{c:?}");
            assert!((c.yaw - yaw).abs() < 1e-3, "yaw {yaw}: {c:?}");
            assert_eq!(c.num_points, pts.len());
        }
    }

    /// The hull (with the octagon pruning) holds every point, its vertices are input points,
    /// it turns left at every vertex, and it has the vertices a brute-force test finds.
    #[test]
    fn hull_is_convex_and_holds_every_point() {
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64) * 4.0 - 2.0
        };
        for n in [3, 17, 200, 2000] {
            let points: Vec<[f64; 2]> = (0..n).map(|_| [next(), next() * 0.5]).collect();
            let hull = convex_hull(points.clone());
            let m = hull.len();
            let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
                (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
            };
            for i in 0..m {
                let (a, b, c) = (hull[i], hull[(i + 1) % m], hull[(i + 2) % m]);
                assert!(cross(a, b, c) > 0.0, "n {n}: not convex at {i}");
                assert!(points.contains(&a));
                assert!(points.iter().all(|p| cross(a, b, *p) >= -1e-12), "n {n}: edge {i}");
            }
            // Brute force: a point is a vertex when no other three points' triangle holds it;
            // cheaper equivalent here: the extreme point in each of 64 directions is a vertex.
            for k in 0..64 {
                let (s, c) = (k as f64 * std::f64::consts::TAU / 64.0).sin_cos();
                let dot = |p: &[f64; 2]| p[0] * c + p[1] * s;
                let best = points.iter().map(dot).fold(f64::NEG_INFINITY, f64::max);
                assert!(hull.iter().any(|p| dot(p) == best), "n {n}: direction {k}");
            }
        }
    }

    #[test]
    fn yaw_is_an_axis_in_the_half_turn() {
        assert!((half_turn(FRAC_PI_2 + 0.1) - (0.1 - FRAC_PI_2)).abs() < 1e-12);
        assert!((half_turn(-FRAC_PI_2) - FRAC_PI_2).abs() < 1e-12);
        assert!((half_turn(std::f64::consts::PI + 0.2) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn degenerate_clusters_have_a_small_box() {
        let one = cluster(&[[1.0, 2.0, 0.3]], &[0.0], [0.0, 0.0], &params());
        let c = one.clusters[0];
        assert_eq!((c.centre[0], c.centre[1]), (1.0, 2.0));
        assert_eq!((c.size[0], c.size[1]), (MIN_EXTENT, MIN_EXTENT));
        let line: Vec<[f32; 3]> = (0..5).map(|i| [i as f32 * 0.2, i as f32 * 0.2, 0.5]).collect();
        let c = cluster(&line, &[0.0; 5], [0.0, 0.0], &params()).clusters[0];
        assert!((c.size[0] - 0.8f32.hypot(0.8)).abs() < 1e-4 && c.size[1] == MIN_EXTENT, "{c:?}");
        assert!((c.yaw - std::f32::consts::FRAC_PI_4).abs() < 1e-4);
        assert!(cluster(&[], &[], [0.0, 0.0], &params()).clusters.is_empty());
    }

    /// Points in a long chain, each within tolerance of the next only, are one cluster, however
    /// the chain crosses cells; the same chain with one gap of 1.5 tolerances is two.
    #[test]
    fn chains_link_through_cells() {
        let tol = 0.5;
        let chain: Vec<[f32; 3]> = (0..200)
            .map(|i| [0.13 + i as f32 * 0.49 * 0.8, 0.07 + i as f32 * 0.49 * 0.6, 0.5])
            .collect();
        let p = ClusterParams { tolerance: tol, max_size: 1000.0, ..params() };
        assert_eq!(connected_groups(&chain, tol).len(), 1);
        let mut gapped = chain.clone();
        for q in &mut gapped[100..] {
            q[0] += 0.75 * 0.8 - 0.49 * 0.8;
            q[1] += 0.75 * 0.6 - 0.49 * 0.6;
        }
        let groups = connected_groups(&gapped, tol);
        assert_eq!(groups.len(), 2);
        assert_eq!((groups[0].len(), groups[1].len()), (100, 100));
        assert_eq!(cluster(&chain, &[0.0; 200], [0.0, 0.0], &p).clusters.len(), 1);
    }

    #[test]
    fn message_fields() {
        let c =
            Cluster { centre: [5.0, 0.0, 0.8], size: [4.0, 2.0, 1.6], yaw: 0.0, num_points: 30 };
        let m = objects_message(&[c], 10, Header::new(Default::default(), "base_link"));
        let o = &m.objects[0];
        assert_eq!((o.classification, o.modalities, o.num_points), (0, 2, 30));
        assert_eq!(o.score, 0.75);
        assert_eq!(o.pose_covariance.0[0], 4.0); // σx = 4 / 2
        assert_eq!(o.pose_covariance.0[7], 1.0); // σy = 2 / 2
        assert!((o.pose_covariance.0[14] - 0.64).abs() < 1e-6);
        assert_eq!(o.velocity_covariance[4], VELOCITY_VARIANCE);
        assert!(!o.has_image_box && o.track_id == 0);
    }
}
