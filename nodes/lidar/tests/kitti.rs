//! The node on real KITTI clouds. Ground truth for ground vs object: the labelled car boxes of
//! frame 000008 (label.txt through the KITTI converter into `lidar_top`) and the Velodyne's
//! mounting height, 1.73 m above the road (KITTI's setup, Geiger et al. IJRR 2013).

mod common;

use edgefusion_lidar::grid::{cell_of, FREE, OCCUPIED, UNKNOWN};
use edgefusion_lidar::{Counter, LidarNode, LidarOutput, LidarParams};
use edgefusion_msgs::edgefusion::DetectedObject;
use edgefusion_msgs::sensor_msgs::{PointCloud2, PointCloudReader};
use edgefusion_node::NodeParams;
use nalgebra::{Isometry3, Point3};

const LIDAR_HEIGHT: f32 = 1.73;

fn node(params: LidarParams) -> Option<LidarNode> {
    let mut node = LidarNode::new(params).unwrap();
    node.on_tf_static(&common::kitti_tf()?).unwrap();
    Some(node)
}

/// Every point of a cloud (x, y, z).
fn xyz(cloud: &PointCloud2) -> Vec<[f32; 3]> {
    PointCloudReader::new(cloud).unwrap().points().map(|[x, y, z, _]| [x, y, z]).collect()
}

/// Box coordinates of `p` (lidar frame): along the car, across it, above its bottom.
fn in_box(object: &DetectedObject, p: [f32; 3]) -> [f64; 3] {
    let (dx, dy) = (f64::from(p[0]) - object.center.x, f64::from(p[1]) - object.center.y);
    let (sin, cos) = object.yaw.sin_cos();
    let bottom = object.center.z - object.size.z / 2.0;
    [cos * dx + sin * dy, -sin * dx + cos * dy, f64::from(p[2]) - bottom]
}

fn inside(object: &DetectedObject, p: [f32; 3], grow: f64) -> bool {
    let [a, b, h] = in_box(object, p);
    a.abs() <= object.size.x / 2.0 + grow
        && b.abs() <= object.size.y / 2.0 + grow
        && (-grow..=object.size.z + grow).contains(&h)
}

/// Frame 000008, every point classified (no voxel grid): points inside the six labelled cars
/// more than `BOTTOM` above the box bottom must be non-ground (in the output cloud), and road
/// returns (within 10 cm of the road height under the sensor, 5..25 m away, 1 m clear of any
/// box) must be ground.
#[test]
fn labelled_cars_are_objects_and_the_road_is_ground() {
    const BOTTOM: f64 = 0.2;
    let Some(frame) = common::frame_000008() else { return };
    let params = LidarParams { voxel_size: 0.0, ..Default::default() };
    let mut node = node(params).unwrap();
    let cloud = frame.cloud.as_ref().unwrap();
    let output = node.on_cloud(cloud).unwrap();
    assert_eq!(output.cloud.header.stamp, cloud.header.stamp);
    assert_eq!(output.grid.header.stamp, cloud.header.stamp);
    assert_eq!(output.cloud.header.frame_id, "base_link");

    // The output (base_link) back in lidar_top, where the boxes are.
    let lidar_from_base = node.transforms().lookup("lidar_top", "base_link").unwrap();
    let to_lidar = |p: [f32; 3]| {
        let q = lidar_from_base.cast::<f32>() * Point3::from(p);
        [q.x, q.y, q.z]
    };
    let kept: Vec<[f32; 3]> = xyz(&output.cloud).into_iter().map(to_lidar).collect();
    let input = xyz(cloud);
    let boxes = &frame.ground_truth.as_ref().unwrap().objects;
    assert_eq!(boxes.len(), 6);

    let mut car_in = 0;
    let mut car_kept = 0;
    for (n, object) in boxes.iter().enumerate() {
        let above_bottom =
            |p: &&[f32; 3]| inside(object, **p, 0.0) && in_box(object, **p)[2] > BOTTOM;
        let total = input.iter().filter(above_bottom).count();
        let kept_here = kept.iter().filter(above_bottom).count();
        eprintln!(
            "car {n}: {kept_here} of {total} points above the bottom {BOTTOM} m are non-ground"
        );
        // Each car on its own (the far ones have 55 and 162 points).
        assert!(kept_here as f64 >= 0.9 * total as f64, "car {n}: {kept_here} of {total}");
        car_in += total;
        car_kept += kept_here;
    }
    let car_fraction = car_kept as f64 / car_in as f64;

    let road = |p: &&[f32; 3]| {
        let range = p[0].hypot(p[1]);
        (5.0..25.0).contains(&range)
            && (p[2] + LIDAR_HEIGHT).abs() <= 0.1
            && boxes.iter().all(|b| !inside(b, **p, 1.0))
    };
    let road_in = input.iter().filter(road).count();
    let road_kept = kept.iter().filter(road).count();
    let road_fraction = 1.0 - road_kept as f64 / road_in as f64;
    eprintln!(
        "000008: car points non-ground {car_kept}/{car_in} = {car_fraction:.4}; road points \
         ground {}/{road_in} = {road_fraction:.4}; summary {:?}",
        road_in - road_kept,
        output.summary
    );
    assert!(car_in > 4000, "the boxes hold the car returns ({car_in})");
    assert!(road_in > 1500, "the road band holds many returns ({road_in})");
    assert!(car_fraction >= 0.97, "car points non-ground: {car_fraction}");
    assert!(road_fraction >= 0.97, "road points ground: {road_fraction}");
}

/// With the shipped parameters (voxel grid on), the cars still come out as objects: most of
/// their voxels are in the cleaned cloud, and their cells are occupied in the grid.
#[test]
fn shipped_parameters_keep_the_cars_and_occupy_their_cells() {
    let Some(frame) = common::frame_000008() else { return };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../calib/params/lidar.yaml");
    let params = LidarParams::from_yaml_file(path, "lidar").unwrap();
    let mut node = node(params.clone()).unwrap();
    let output = node.on_cloud(frame.cloud.as_ref().unwrap()).unwrap();
    let base_from_lidar = node.transforms().lookup("base_link", "lidar_top").unwrap().cast::<f32>();
    let lidar_from_base = base_from_lidar.inverse();
    let kept: Vec<[f32; 3]> = xyz(&output.cloud)
        .into_iter()
        .map(|p| {
            let q = lidar_from_base * Point3::from(p);
            [q.x, q.y, q.z]
        })
        .collect();
    for (n, object) in frame.ground_truth.unwrap().objects.iter().enumerate() {
        let in_car = kept.iter().filter(|p| inside(object, **p, 0.05)).count();
        // Occupied cells: the box centre's cell or its 8 neighbours (the near face is seen).
        let occupied = cells_of_box(&output, object, &base_from_lidar)
            .iter()
            .filter(|&&v| v == OCCUPIED)
            .count();
        eprintln!("car {n}: {in_car} voxels in the cleaned cloud, {occupied} occupied cells");
        assert!(in_car >= 20, "car {n}: {in_car}");
        assert!(occupied >= 3, "car {n}: {occupied}");
    }
}

/// Grid values of the cells whose centres lie in the object's footprint.
fn cells_of_box(
    output: &LidarOutput,
    object: &DetectedObject,
    base_from_lidar: &Isometry3<f32>,
) -> Vec<i8> {
    let info = &output.grid.info;
    let lidar_from_base = base_from_lidar.inverse();
    let mut values = Vec::new();
    for row in 0..info.height {
        for col in 0..info.width {
            let x = info.origin.position.x as f32 + (col as f32 + 0.5) * info.resolution;
            let y = info.origin.position.y as f32 + (row as f32 + 0.5) * info.resolution;
            let p = lidar_from_base * Point3::new(x, y, 0.0);
            let [a, b, _] = in_box(object, [p.x, p.y, p.z]);
            if a.abs() <= object.size.x / 2.0 && b.abs() <= object.size.y / 2.0 {
                values.push(output.grid.data[(row * info.width + col) as usize]);
            }
        }
    }
    values
}

/// Structure of the grid on real clouds, checked against the returns themselves (not the
/// node's rays): the sensor's cell is free; a cell is occupied exactly when it holds a
/// cleaned-cloud point; a free cell either holds a ground return or has some return beyond it
/// in its direction (a beam passed over it); shadows behind obstacles stay unknown; and outside
/// the front-camera crop these clouds were cut to, nothing is known.
#[test]
fn occupancy_grid_is_consistent_with_the_returns() {
    for n in [0usize, 3, 8] {
        let Some(cloud) = common::lidar_only(n) else { return };
        let params = LidarParams {
            voxel_size: 0.0,
            grid: edgefusion_lidar::GridParams {
                // Every non-ground point occupies (no overhang rule) so "occupied iff a cleaned
                // point" is exact.
                max_obstacle_height: 100.0,
                ..LidarParams::default().grid
            },
            ..Default::default()
        };
        let g = params.grid.clone();
        let mut node = node(params).unwrap();
        let output = node.on_cloud(&cloud).unwrap();
        let grid = &output.grid.data;
        let sensor = node.transforms().lookup("base_link", "lidar_top").unwrap().translation.vector;
        let (sx, sy) = (sensor.x as f32, sensor.y as f32);
        let cell = |x: f32, y: f32| {
            let (c, r) = cell_of(&g, x, y);
            ((0..g.width as i64).contains(&c) && (0..g.height as i64).contains(&r))
                .then(|| (r * g.width as i64 + c) as usize)
        };
        assert_eq!(grid[cell(sx, sy).unwrap()], FREE, "frame {n}: sensor cell");

        let mut has_obstacle = vec![false; grid.len()];
        for p in xyz(&output.cloud) {
            if let Some(i) = cell(p[0], p[1]) {
                has_obstacle[i] = true;
            }
        }
        for (i, (&v, &o)) in grid.iter().zip(&has_obstacle).enumerate() {
            assert_eq!(v == OCCUPIED, o, "frame {n}: cell {i} value {v}");
        }

        // Returns (base_link, inside the crop) by azimuth, for the free-cell check.
        let base_from_lidar =
            node.transforms().lookup("base_link", "lidar_top").unwrap().cast::<f32>();
        let returns: Vec<(f32, f32)> = xyz(&cloud)
            .into_iter()
            .map(|p| base_from_lidar * Point3::from(p))
            .filter(|p| node.params().crop.contains([p.x, p.y, p.z]))
            .map(|p| ((p.y - sy).atan2(p.x - sx), (p.x - sx).hypot(p.y - sy)))
            .collect();
        let (mut free, mut shadows, mut behind_obstacle) = (0, 0, 0);
        for row in 0..g.height {
            for col in 0..g.width {
                let i = (row * g.width + col) as usize;
                let x = g.origin_x + (col as f32 + 0.5) * g.resolution;
                let y = g.origin_y + (row as f32 + 0.5) * g.resolution;
                let (azimuth, range) = ((y - sy).atan2(x - sx), (x - sx).hypot(y - sy));
                if grid[i] == FREE {
                    free += 1;
                    // Rays run between cell centres: the sensor and the return are up to half a
                    // cell diagonal from those, the line's cells half a cell from the line.
                    let half = (1.5 * g.resolution / range.max(g.resolution)).min(0.5);
                    let seen = returns.iter().any(|&(a, r)| {
                        r >= range - g.resolution && angle_between(a, azimuth) <= half
                    });
                    assert!(
                        seen,
                        "frame {n}: free cell ({x:.1}, {y:.1}) without a return beyond it"
                    );
                }
                if grid[i] == OCCUPIED {
                    // The cell one step further out along the ray from the sensor.
                    let step = g.resolution * 1.5;
                    let (bx, by) = (x + step * azimuth.cos(), y + step * azimuth.sin());
                    if let Some(j) = cell(bx, by) {
                        behind_obstacle += 1;
                        if grid[j] == UNKNOWN {
                            shadows += 1;
                        }
                    }
                }
                // Beyond the crop the clouds were cut to (front camera, about ±41°).
                if azimuth.abs() > 60f32.to_radians() && range > 3.0 {
                    assert_eq!(
                        grid[i], UNKNOWN,
                        "frame {n}: cell ({x:.1}, {y:.1}) outside the field of view"
                    );
                }
            }
        }
        eprintln!(
            "frame {n}: {free} free cells, {behind_obstacle} occupied cells, {shadows} with an \
             unknown cell right behind; summary {:?}",
            output.summary
        );
        assert!(free > 5000, "frame {n}: {free}");
        // Free cells behind obstacles were checked above (a return beyond each); here: the
        // shadows exist, i.e. rays do not clear everything behind what they hit.
        assert!(shadows >= 50, "frame {n}: shadows {shadows} of {behind_obstacle}");
    }
}

/// |a - b| as angles, in 0..=π.
fn angle_between(a: f32, b: f32) -> f32 {
    use std::f32::consts::{PI, TAU};
    ((a - b + PI).rem_euclid(TAU) - PI).abs()
}

/// The full-circle path: a 360° cloud (six real front crops turned by 60° steps) gives ground
/// and free space all around the vehicle, and obstacles in every quadrant's cloud.
#[test]
fn full_circle_cloud_has_ground_and_free_space_all_around() {
    let Some(cloud) = common::full_circle(120_000) else { return };
    let mut node = node(LidarParams::default()).unwrap();
    let output = node.on_cloud(&cloud).unwrap();
    let s = output.summary;
    eprintln!("360° cloud: {s:?}");
    assert_eq!(s.points_in, 120_000);
    let ground_fraction = s.ground as f64 / s.voxels as f64;
    assert!((0.3..0.9).contains(&ground_fraction), "ground fraction {ground_fraction}");
    let g = &node.params().grid;
    let sensor = node.transforms().lookup("base_link", "lidar_top").unwrap().translation.vector;
    let mut free_by_octant = [0usize; 8];
    for row in 0..g.height {
        for col in 0..g.width {
            if output.grid.data[(row * g.width + col) as usize] != FREE {
                continue;
            }
            let x = g.origin_x + (col as f32 + 0.5) * g.resolution - sensor.x as f32;
            let y = g.origin_y + (row as f32 + 0.5) * g.resolution - sensor.y as f32;
            let octant =
                ((y.atan2(x) + std::f32::consts::PI) / std::f32::consts::FRAC_PI_4) as usize;
            free_by_octant[octant.min(7)] += 1;
        }
    }
    eprintln!("free cells by octant: {free_by_octant:?}");
    assert!(free_by_octant.iter().all(|&n| n > 500), "{free_by_octant:?}");
    assert_eq!(node.stats().get(Counter::Outputs), 1);
}

/// The same cloud gives the same output on one thread and on two (replay determinism).
#[test]
fn output_does_not_depend_on_the_thread_count() {
    let Some(cloud) = common::full_circle(60_000) else { return };
    let run = |threads| {
        let mut node = node(LidarParams { threads, ..Default::default() }).unwrap();
        node.on_cloud(&cloud).unwrap()
    };
    let (one, two) = (run(1), run(2));
    assert!(one.summary.obstacles > 1000);
    assert_eq!(one, two);
}
