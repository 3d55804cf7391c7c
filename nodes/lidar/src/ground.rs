//! Stage 4: ground segmentation by line fitting along angular sectors (after Himmelsbach et
//! al., "Fast segmentation of 3D point clouds for ground vehicles", IV 2010).
//!
//! Why this method: along one azimuth from the sensor the ground is a 1-D profile, and a
//! piecewise line that follows the lowest return of each radial bin tracks slopes, crests and
//! dips (a sloped road, a ramp) that a single plane cannot, and does it in one pass over the
//! points (O(N), no random sampling, so the same cloud always gives the same labels). A
//! RANSAC plane per region is the alternative; it needs a region size that is both large enough
//! for a stable fit and small enough to be planar, and near a car a region's plane can lock
//! onto the car's side. The line here only extends where the next bin's lowest return continues
//! it within a tolerance, so a car (whose lowest return sits well above the extrapolated road)
//! never becomes ground.
//!
//! Steps: (1) each point gets a sector (azimuth around the sensor) and a radial bin; (2) each
//! bin keeps its lowest z; (3) the ground height at the vehicle is the mode of the bin minima
//! within `seed_min_range..seed_max_range` (most near bins see road), so no sensor height
//! parameter is needed; (4) per sector, walking outwards from that seed, a bin's minimum joins
//! the ground line when it is within `max_deviation + max_slope_change * gap` of the line's
//! prediction (slope: least squares over the last measured anchors, clamped to `max_slope`;
//! the seed only sets the level the first bins must match); (5) each
//! point's height above the line interpolated at its range; ground when at most
//! `height_threshold`.

use crate::params::GroundParams;
use crate::points::Point;
use rayon::prelude::*;

/// Anchors used for the slope of the line's prediction.
const SLOPE_WINDOW: usize = 6;

/// Each point's height above the local ground (m; negative below it).
pub fn heights_above_ground(
    points: &[Point],
    sensor_xy: [f32; 2],
    params: &GroundParams,
    bins: usize,
) -> Vec<f32> {
    let sectors = params.sector_count;
    let sector_width = std::f32::consts::TAU / sectors as f32;
    let polar = |p: &Point| {
        let (dx, dy) = (p[0] - sensor_xy[0], p[1] - sensor_xy[1]);
        let r = dx.hypot(dy);
        let azimuth = dy.atan2(dx) + std::f32::consts::PI; // 0 ..= 2π
        let sector = ((azimuth / sector_width) as usize).min(sectors - 1);
        (sector, r)
    };
    let bin_of = |r: f32| ((r / params.bin_length) as usize).min(bins - 1);
    let polars: Vec<(usize, f32)> = points.par_iter().map(polar).collect();

    let mut lowest = vec![f32::INFINITY; sectors * bins];
    for (p, &(sector, r)) in points.iter().zip(&polars) {
        let cell = &mut lowest[sector * bins + bin_of(r)];
        *cell = cell.min(p[2]);
    }
    let seed = seed_height(&lowest, bins, params);

    let mut ground = vec![0.0f32; sectors * bins];
    ground.par_chunks_mut(bins).zip(lowest.par_chunks(bins)).for_each(|(row, minima)| {
        fit_sector(minima, seed, params, row);
    });

    points
        .par_iter()
        .zip(&polars)
        .map(|(p, &(sector, r))| {
            let row = &ground[sector * bins..(sector + 1) * bins];
            p[2] - interpolate(row, r / params.bin_length - 0.5)
        })
        .collect()
}

/// Ground height at the vehicle: the most common bin minimum (10 cm buckets) in the seed
/// range band, refined to the median of the minima within 15 cm of it. Falls back to the
/// lowest minimum anywhere (and 0 for an empty cloud).
fn seed_height(lowest: &[f32], bins: usize, params: &GroundParams) -> f32 {
    let bin_range = |b: usize| (b as f32 + 0.5) * params.bin_length;
    let band: Vec<f32> = lowest
        .chunks(bins)
        .flat_map(|row| row.iter().enumerate())
        .filter(|(b, z)| {
            z.is_finite()
                && (params.seed_min_range..=params.seed_max_range).contains(&bin_range(*b))
        })
        .map(|(_, z)| *z)
        .collect();
    if band.is_empty() {
        let min = lowest.iter().copied().fold(f32::INFINITY, f32::min);
        return if min.is_finite() { min } else { 0.0 };
    }
    let bucket = |z: f32| (z / 0.1).floor() as i64;
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    for z in &band {
        *counts.entry(bucket(*z)).or_default() += 1;
    }
    // Ties go to the lower bucket (the road is below what stands on it).
    let (mode, _) =
        counts.iter().fold((0i64, 0usize), |best, (&b, &n)| if n > best.1 { (b, n) } else { best });
    let centre = (mode as f32 + 0.5) * 0.1;
    let mut near: Vec<f32> = band.into_iter().filter(|z| (z - centre).abs() <= 0.15).collect();
    near.sort_by(f32::total_cmp);
    near.get(near.len() / 2).copied().unwrap_or(centre)
}

/// Fills `row` (ground height at each bin centre) for one sector from its bin minima.
fn fit_sector(minima: &[f32], seed: f32, params: &GroundParams, row: &mut [f32]) {
    let centre = |b: usize| (b as f32 + 0.5) * params.bin_length;
    let mut anchors: Vec<(f32, f32)> = vec![(0.0, seed)];
    for (b, &z) in minima.iter().enumerate() {
        if !z.is_finite() {
            continue;
        }
        let r = centre(b);
        let (last_r, last_z) = *anchors.last().unwrap_or(&(0.0, seed));
        let slope = recent_slope(&anchors[1..], params.max_slope);
        let gap = r - last_r;
        let predicted = last_z + slope * gap;
        // The first bin must match the seed level itself: the seed is the ground at this
        // range band already, and a sector whose nearest return is a car's lower edge (20-30 cm
        // up) must not start its line there.
        let growth = if anchors.len() > 1 { params.max_slope_change * gap } else { 0.0 };
        if (z - predicted).abs() <= params.max_deviation + growth {
            anchors.push((r, z));
        }
    }
    // Heights at bin centres: linear between anchors, the last slope beyond the last anchor.
    let final_slope = recent_slope(&anchors[1..], params.max_slope);
    let mut next = 0; // first anchor with r > bin centre
    for (b, out) in row.iter_mut().enumerate() {
        let r = centre(b);
        while next < anchors.len() && anchors[next].0 <= r {
            next += 1;
        }
        *out = match (next.checked_sub(1).and_then(|i| anchors.get(i)), anchors.get(next)) {
            (Some(&(r0, z0)), Some(&(r1, z1))) => z0 + (z1 - z0) * (r - r0) / (r1 - r0),
            (Some(&(r0, z0)), None) => z0 + final_slope * (r - r0),
            (None, _) => seed,
        };
    }
}

/// Least-squares slope of the last anchors, clamped to ±max_slope (0 with one anchor). The
/// callers leave the seed out: it is a whole-cloud estimate, and on a slope a line through it
/// and the first measured bin would point the wrong way.
fn recent_slope(anchors: &[(f32, f32)], max_slope: f32) -> f32 {
    let window = &anchors[anchors.len().saturating_sub(SLOPE_WINDOW)..];
    if window.len() < 2 {
        return 0.0;
    }
    let n = window.len() as f32;
    let (mr, mz) = window.iter().fold((0.0, 0.0), |(a, b), (r, z)| (a + r / n, b + z / n));
    let (mut srr, mut srz) = (0.0f32, 0.0f32);
    for (r, z) in window {
        srr += (r - mr) * (r - mr);
        srz += (r - mr) * (z - mz);
    }
    if srr <= f32::EPSILON {
        return 0.0;
    }
    (srz / srr).clamp(-max_slope, max_slope)
}

/// `row` (values at integer positions) linearly interpolated at `position`, clamped to its ends.
fn interpolate(row: &[f32], position: f32) -> f32 {
    let last = row.len().saturating_sub(1);
    if position.is_nan() || position <= 0.0 {
        return row.first().copied().unwrap_or(0.0);
    }
    let i = (position as usize).min(last);
    let t = position - i as f32;
    match (row.get(i), row.get(i + 1)) {
        (Some(a), Some(b)) => a + (b - a) * t,
        (Some(a), None) => *a,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::LidarParams;

    /// A road rising at 8 % along +x from z = -1.7 at the sensor, sampled like a scan (every
    /// 0.5 degrees, every 0.25 m), with a 1.5 m tall object standing on it at x 12..14 m: the
    /// road is ground all along, the object is not, although a single level plane through the
    /// near road would call the far road (2 m higher at 25 m) an obstacle.
    #[test]
    fn a_sloped_road_is_followed_and_an_object_on_it_is_not_ground() {
        let params = LidarParams::default();
        let road = |x: f32| -1.7 + 0.08 * x;
        let mut points = Vec::new();
        let mut is_object = Vec::new();
        for a in 0..161 {
            let azimuth = (-40.0 + a as f32 * 0.5).to_radians();
            for k in 0..150 {
                let r = 3.0 + k as f32 * 0.25;
                let (x, y) = (r * azimuth.cos(), r * azimuth.sin());
                let noise = 0.01 * ((a + k) % 3) as f32;
                if (12.0..14.0).contains(&x) && y.abs() <= 1.0 {
                    for level in 0..7 {
                        points.push([x, y, road(x) + 0.3 + level as f32 * 0.2 + noise, 0.0]);
                        is_object.push(true);
                    }
                } else {
                    points.push([x, y, road(x) + noise, 0.0]);
                    is_object.push(false);
                }
            }
        }
        let h = heights_above_ground(&points, [0.0, 0.0], &params.ground, params.bins_per_sector());
        for ((p, h), object) in points.iter().zip(&h).zip(&is_object) {
            let ground = *h <= params.ground.height_threshold;
            assert_eq!(ground, !object, "point {p:?} height {h}");
        }
    }

    #[test]
    fn empty_input_and_interpolation_edges() {
        let params = LidarParams::default();
        assert!(heights_above_ground(&[], [0.0; 2], &params.ground, 10).is_empty());
        assert_eq!(interpolate(&[1.0, 3.0], 0.5), 2.0);
        assert_eq!(interpolate(&[1.0, 3.0], -4.0), 1.0);
        assert_eq!(interpolate(&[1.0, 3.0], 9.0), 3.0);
        assert_eq!(interpolate(&[1.0, 3.0], f32::NAN), 1.0);
    }
}
