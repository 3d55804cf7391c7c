//! Box overlap and distance: axis-aligned image boxes (2D IoU) and oriented bird's-eye-view
//! boxes (BEV IoU, centre error).
//!
//! Oriented-box intersection uses the `geo` crate's `BooleanOps` (polygon clipping by
//! `i_overlay`, maintained by the georust project): it handles every relative pose of two
//! rectangles, touching edges and identical boxes included, where a hand-written clipper is
//! exactly the kind of code whose degenerate cases go untested. Its default features (mesh
//! triangulation, multithreading) are not needed and stay off. `i_overlay` clips on an integer
//! grid scaled to the inputs, so results are exact to about 1e-9 relative, far below what
//! a 3D box evaluation resolves.

use geo::{Area, BooleanOps, LineString, Polygon};

/// An image box in pixels, `[x_min, y_min, x_max, y_max]` (KITTI's and the model's layout).
pub type ImageBox = [f32; 4];

/// 2D intersection over union of two image boxes, in continuous pixel coordinates (no +1, as
/// KITTI's evaluation); 0 when either box is empty.
pub fn image_iou(a: &ImageBox, b: &ImageBox) -> f64 {
    let area = |r: &ImageBox| {
        (f64::from(r[2]) - f64::from(r[0])).max(0.0) * (f64::from(r[3]) - f64::from(r[1])).max(0.0)
    };
    let w = (f64::from(a[2].min(b[2])) - f64::from(a[0].max(b[0]))).max(0.0);
    let h = (f64::from(a[3].min(b[3])) - f64::from(a[1].max(b[1]))).max(0.0);
    let intersection = w * h;
    let union = area(a) + area(b) - intersection;
    if union > 0.0 {
        intersection / union
    } else {
        0.0
    }
}

/// A box seen from above: centre (m), length along `yaw`, width across it, yaw about z (rad).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BevBox {
    pub x: f64,
    pub y: f64,
    pub length: f64,
    pub width: f64,
    pub yaw: f64,
}

impl BevBox {
    /// The four corners, counter-clockwise.
    pub fn corners(&self) -> [(f64, f64); 4] {
        let (sin, cos) = self.yaw.sin_cos();
        let (hl, hw) = (self.length / 2.0, self.width / 2.0);
        [(hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw)]
            .map(|(u, v)| (self.x + u * cos - v * sin, self.y + u * sin + v * cos))
    }

    fn polygon(&self) -> Polygon<f64> {
        Polygon::new(LineString::from(self.corners().to_vec()), vec![])
    }

    pub fn area(&self) -> f64 {
        self.length.max(0.0) * self.width.max(0.0)
    }
}

/// Intersection over union of two oriented BEV boxes; 0 when either has no area.
pub fn bev_iou(a: &BevBox, b: &BevBox) -> f64 {
    if a.area() <= 0.0 || b.area() <= 0.0 {
        return 0.0;
    }
    let intersection = a.polygon().intersection(&b.polygon()).unsigned_area();
    let union = a.area() + b.area() - intersection;
    if union > 0.0 {
        (intersection / union).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Distance between the two box centres on the ground plane (m).
pub fn bev_centre_error(a: &BevBox, b: &BevBox) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

    fn square(x: f64, y: f64, yaw: f64) -> BevBox {
        BevBox { x, y, length: 1.0, width: 1.0, yaw }
    }

    #[test]
    fn unit_squares_offset_by_half_overlap_by_a_third() {
        // Intersection 0.5, union 1.5.
        let iou = bev_iou(&square(0.0, 0.0, 0.0), &square(0.5, 0.0, 0.0));
        assert!((iou - 1.0 / 3.0).abs() < 1e-6, "{iou}");
    }

    #[test]
    fn a_square_turned_a_quarter_is_itself() {
        let iou = bev_iou(&square(3.0, -2.0, 0.3), &square(3.0, -2.0, 0.3 + FRAC_PI_2));
        assert!((iou - 1.0).abs() < 1e-6, "{iou}");
    }

    #[test]
    fn a_rectangle_turned_a_quarter_overlaps_in_its_width_square() {
        // 2 x 1 crossed with 1 x 2: intersection 1, union 2 + 2 - 1.
        let a = BevBox { x: 1.0, y: 1.0, length: 2.0, width: 1.0, yaw: 0.0 };
        let iou = bev_iou(&a, &BevBox { yaw: FRAC_PI_2, ..a });
        assert!((iou - 1.0 / 3.0).abs() < 1e-6, "{iou}");
    }

    #[test]
    fn a_square_turned_an_eighth_overlaps_in_a_regular_octagon() {
        // The octagon with inradius 1/2 has area 8 tan(π/8) / 4 = 2(√2 - 1).
        let octagon = 2.0 * (2f64.sqrt() - 1.0);
        let iou = bev_iou(&square(0.0, 0.0, 0.0), &square(0.0, 0.0, FRAC_PI_4));
        assert!((iou - octagon / (2.0 - octagon)).abs() < 1e-6, "{iou}");
    }

    #[test]
    fn disjoint_touching_and_empty_boxes_have_no_overlap() {
        assert_eq!(bev_iou(&square(0.0, 0.0, 0.0), &square(5.0, 0.0, 0.0)), 0.0);
        assert!(bev_iou(&square(0.0, 0.0, 0.0), &square(1.0, 0.0, 0.0)) < 1e-12);
        let flat = BevBox { width: 0.0, ..square(0.0, 0.0, 0.0) };
        assert_eq!(bev_iou(&flat, &square(0.0, 0.0, 0.0)), 0.0);
    }

    #[test]
    fn image_boxes_overlapping_in_a_corner() {
        // [0,2]² and [1,3]²: intersection 1, union 4 + 4 - 1.
        let iou = image_iou(&[0.0, 0.0, 2.0, 2.0], &[1.0, 1.0, 3.0, 3.0]);
        assert!((iou - 1.0 / 7.0).abs() < 1e-9, "{iou}");
        assert_eq!(image_iou(&[0.0, 0.0, 1.0, 1.0], &[2.0, 2.0, 3.0, 3.0]), 0.0);
        assert_eq!(image_iou(&[0.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 0.0, 0.0]), 0.0);
    }

    #[test]
    fn centre_error_is_the_ground_plane_distance() {
        assert_eq!(bev_centre_error(&square(0.0, 0.0, 0.0), &square(3.0, 4.0, 1.0)), 5.0);
    }
}
