//! Stage 5: the BEV occupancy grid by ray casting from the sensor.
//!
//! A cell holding a non-ground point (at most `max_obstacle_height` above the local ground) is
//! occupied (100). Every cell a ray from the sensor's cell crosses on its way to a cell with a
//! return is free (0): the beam passed there. A cell with a ground return is free too. All
//! other cells are unknown (-1): in particular the shadow behind an obstacle stays unknown
//! unless some ray (to a farther ground or obstacle return, e.g. over a low object) crossed
//! it. Occupied wins over free, so a ray passing a cell that also holds an obstacle return (a
//! taller object behind a low one) does not clear it.
//!
//! Rays are 2-D Bresenham lines between cell centres, one per distinct return cell, cast
//! farthest first within angular wedges, the wedges in parallel (rayon) into "seen" masks that
//! are OR-ed at the end; a return cell that a farther ray already crossed casts no ray.

use crate::params::GridParams;
use crate::points::Point;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::geometry_msgs::{Point as MsgPoint, Pose, Quaternion};
use edgefusion_msgs::nav_msgs::{MapMetaData, OccupancyGrid};
use edgefusion_msgs::std_msgs::Header;
use rayon::prelude::*;

pub const FREE: i8 = 0;
pub const OCCUPIED: i8 = 100;
pub const UNKNOWN: i8 = -1;

/// Angular wedges of ray targets (units of parallel work).
const WEDGES: usize = 16;

const NO_RETURN: u8 = 0;
const GROUND_RETURN: u8 = 1;
const OBSTACLE_RETURN: u8 = 2;

/// The cell (column, row) of an output-frame position; may lie outside the grid.
pub fn cell_of(params: &GridParams, x: f32, y: f32) -> (i64, i64) {
    let col = ((x - params.origin_x) / params.resolution).floor();
    let row = ((y - params.origin_y) / params.resolution).floor();
    // Saturating float-to-int casts: far-off positions stay far off, never wrap.
    (col as i64, row as i64)
}

fn index(params: &GridParams, (col, row): (i64, i64)) -> Option<usize> {
    let (w, h) = (i64::from(params.width), i64::from(params.height));
    ((0..w).contains(&col) && (0..h).contains(&row)).then(|| (row * w + col) as usize)
}

/// The grid's cells (row-major, nav_msgs order) from the points, their heights above ground
/// and the sensor's position.
pub fn occupancy(
    points: &[Point],
    heights: &[f32],
    ground_threshold: f32,
    sensor_xy: [f32; 2],
    params: &GridParams,
) -> Vec<i8> {
    let cells = params.width as usize * params.height as usize;
    let mut returns = vec![NO_RETURN; cells];
    for (p, &h) in points.iter().zip(heights) {
        let Some(i) = index(params, cell_of(params, p[0], p[1])) else { continue };
        if h <= ground_threshold {
            if returns[i] == NO_RETURN {
                returns[i] = GROUND_RETURN;
            }
        } else if h <= params.max_obstacle_height {
            returns[i] = OBSTACLE_RETURN;
        }
    }
    let width = params.width as usize;
    let sensor = cell_of(params, sensor_xy[0], sensor_xy[1]);
    let cell_xy = |i: usize| ((i % width) as i64, (i / width) as i64);
    let squared_range = |i: usize| {
        let (x, y) = cell_xy(i);
        (x - sensor.0).pow(2) + (y - sensor.1).pow(2)
    };
    // Targets in angular wedges, farthest first within each: a nearer return whose cell a
    // farther ray of its wedge already crossed needs no ray of its own (the two rays differ by
    // less than a cell there), which saves most rays. Wedges are fixed by the data alone, not
    // by the threads, so the grid is the same on any pool.
    let azimuth_key = |i: usize| {
        let (x, y) = cell_xy(i);
        let a = ((y - sensor.1) as f64).atan2((x - sensor.0) as f64) + std::f64::consts::PI;
        (a * 4096.0 / std::f64::consts::TAU) as u32
    };
    let mut keyed: Vec<(u32, std::cmp::Reverse<i64>, usize)> = (0..cells)
        .into_par_iter()
        .filter(|&i| returns[i] != NO_RETURN)
        .map(|i| (azimuth_key(i), std::cmp::Reverse(squared_range(i)), i))
        .collect();
    keyed.par_sort_unstable();
    let targets: Vec<usize> = keyed.into_iter().map(|(_, _, i)| i).collect();
    let wedge = targets.len().div_ceil(WEDGES).max(1);
    let seen = targets
        .par_chunks(wedge)
        .map(|chunk| {
            let mut seen = vec![false; cells];
            for &target in chunk {
                if !seen[target] {
                    trace(sensor, cell_xy(target), |cell| {
                        if let Some(i) = index(params, cell) {
                            seen[i] = true;
                        }
                    });
                }
            }
            seen
        })
        .reduce(
            || vec![false; cells],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(a, b)| *a |= b);
                a
            },
        );
    returns
        .iter()
        .zip(&seen)
        .map(|(&r, &seen)| match r {
            OBSTACLE_RETURN => OCCUPIED,
            GROUND_RETURN => FREE,
            _ if seen => FREE,
            _ => UNKNOWN,
        })
        .collect()
}

/// Calls `visit` for each cell of the Bresenham line from `start` up to, not including, `end`.
fn trace(start: (i64, i64), end: (i64, i64), mut visit: impl FnMut((i64, i64))) {
    let (mut x, mut y) = start;
    let (dx, dy) = ((end.0 - x).abs(), -(end.1 - y).abs());
    let (sx, sy) = (if x < end.0 { 1 } else { -1 }, if y < end.1 { 1 } else { -1 });
    let mut err = dx + dy;
    while (x, y) != end {
        visit((x, y));
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

/// The nav_msgs message of `data`, cell (0, 0)'s corner at the origin parameters.
pub fn message(data: Vec<i8>, params: &GridParams, frame: &str, stamp: Time) -> OccupancyGrid {
    OccupancyGrid {
        header: Header::new(stamp, frame),
        info: MapMetaData {
            map_load_time: stamp,
            resolution: params.resolution,
            width: params.width,
            height: params.height,
            origin: Pose {
                position: MsgPoint {
                    x: f64::from(params.origin_x),
                    y: f64::from(params.origin_y),
                    z: 0.0,
                },
                orientation: Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 1.0 },
            },
        },
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> GridParams {
        GridParams {
            resolution: 1.0,
            width: 10,
            height: 3,
            origin_x: 0.0,
            origin_y: 0.0,
            max_obstacle_height: 2.0,
        }
    }

    fn row(grid: &[i8], r: usize) -> &[i8] {
        &grid[r * 10..(r + 1) * 10]
    }

    /// Sensor in cell (0, 1); along row 1 a ground return at x = 3.5, an obstacle at 6.5,
    /// nothing beyond: 0..=3 free, 4..=5 free (crossed on the way to the obstacle), 6
    /// occupied, 7.. unknown (shadow). A return above max_obstacle_height occupies nothing.
    #[test]
    fn a_ray_frees_up_to_the_obstacle_and_leaves_its_shadow_unknown() {
        let pts = [[3.5, 1.5, 0.0, 0.0], [6.5, 1.5, 1.0, 0.0], [8.5, 1.5, 5.0, 0.0]];
        let heights = [0.0, 1.0, 5.0];
        let grid = occupancy(&pts, &heights, 0.2, [0.5, 1.5], &params());
        assert_eq!(row(&grid, 1), &[0, 0, 0, 0, 0, 0, 100, -1, -1, -1]);
        assert!(row(&grid, 0).iter().all(|&c| c == UNKNOWN), "{grid:?}");
    }

    /// A ground return behind the obstacle frees the cells behind it (seen over a low object),
    /// but the obstacle's cell stays occupied.
    #[test]
    fn a_farther_return_clears_the_shadow_but_not_the_obstacle() {
        let pts = [[6.5, 1.5, 0.5, 0.0], [9.5, 1.5, 0.0, 0.0]];
        let grid = occupancy(&pts, &[0.5, 0.0], 0.2, [0.5, 1.5], &params());
        assert_eq!(row(&grid, 1), &[0, 0, 0, 0, 0, 0, 100, 0, 0, 0]);
    }

    #[test]
    fn sensor_outside_the_grid_and_lines_in_all_octants() {
        let pts = [[9.5, 2.5, 0.0, 0.0]];
        let grid = occupancy(&pts, &[0.0], 0.2, [-5.0, -5.0], &params());
        assert_eq!(grid[2 * 10 + 9], FREE);
        for end in [(5, 2), (-5, 2), (2, -5), (-3, -7), (0, 0)] {
            let mut cells = Vec::new();
            trace((0, 0), end, |c| cells.push(c));
            let steps = end.0.abs().max(end.1.abs()) as usize;
            assert_eq!(cells.len(), steps, "{end:?}");
            assert_eq!(cells.first().copied(), (steps > 0).then_some((0, 0)));
        }
    }
}
