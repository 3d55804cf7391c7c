//! KITTI object labels (`label_2/NNNNNN.txt`, `label.txt`): one object per line,
//! `type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y [score]`, in the rectified
//! camera-0 frame (x right, y down, z forward), location = centre of the box's bottom face.

use crate::error::KittiError;
use std::path::Path;

/// One line of a label file.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// `Car`, `Van`, `Truck`, `Pedestrian`, `Person_sitting`, `Cyclist`, `Tram`, `Misc` or `DontCare`.
    pub kind: String,
    /// 0 (fully visible) .. 1 (leaving the image); -1 for DontCare.
    pub truncated: f64,
    /// 0 fully visible, 1 partly occluded, 2 largely occluded, 3 unknown; -1 for DontCare.
    pub occluded: i32,
    /// Observation angle, radians.
    pub alpha: f64,
    /// 2D box in image_2 pixels: x_min, y_min, x_max, y_max.
    pub bbox: [f64; 4],
    /// Height, width, length in metres.
    pub dimensions_hwl: [f64; 3],
    /// Bottom-face centre in the rectified camera-0 frame, metres.
    pub location: [f64; 3],
    /// Rotation about the camera y axis, radians (0 = facing camera x).
    pub rotation_y: f64,
    /// Detection score, present in result files (16th column), absent in ground truth.
    pub score: Option<f64>,
}

impl Label {
    /// `DontCare` regions mark unlabelled objects; they are not objects to output.
    pub fn is_dont_care(&self) -> bool {
        self.kind == "DontCare"
    }
}

/// Reads and parses a label file.
pub fn parse_labels(path: &Path) -> Result<Vec<Label>, KittiError> {
    let text = std::fs::read_to_string(path).map_err(|e| KittiError::io(path, e))?;
    parse_labels_str(&text, path)
}

/// Parses label text; `path` is only used in error messages.
pub fn parse_labels_str(text: &str, path: &Path) -> Result<Vec<Label>, KittiError> {
    const NAMES: [&str; 16] = [
        "type",
        "truncated",
        "occluded",
        "alpha",
        "x1",
        "y1",
        "x2",
        "y2",
        "h",
        "w",
        "l",
        "x",
        "y",
        "z",
        "rotation_y",
        "score",
    ];
    let mut labels = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if words.len() != 15 && words.len() != 16 {
            return Err(KittiError::syntax(
                path,
                line_no,
                format!(
                    "{} columns, expected 15 (type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y) \
                     or 16 (with score)",
                    words.len()
                ),
            ));
        }
        let number = |i: usize| -> Result<f64, KittiError> {
            words[i].parse::<f64>().map_err(|_| {
                KittiError::syntax(
                    path,
                    line_no,
                    format!("column {} ({}) is {:?}, not a number", i + 1, NAMES[i], words[i]),
                )
            })
        };
        // Occlusion is an integer in KITTI; accept "1.0" too since some tools write floats.
        let occluded = number(2)?;
        labels.push(Label {
            kind: words[0].to_string(),
            truncated: number(1)?,
            occluded: occluded as i32,
            alpha: number(3)?,
            bbox: [number(4)?, number(5)?, number(6)?, number(7)?],
            dimensions_hwl: [number(8)?, number(9)?, number(10)?],
            location: [number(11)?, number(12)?, number(13)?],
            rotation_y: number(14)?,
            score: if words.len() == 16 { Some(number(15)?) } else { None },
        });
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Label>, KittiError> {
        parse_labels_str(text, Path::new("label.txt"))
    }

    #[test]
    fn score_column_is_optional() {
        let labels = parse("Car 0 1 0.5 1 2 3 4 1.5 1.6 3.9 1 2 10 0.1 0.87\n\nPedestrian 0 0 0 1 2 3 4 1 1 1 0 0 5 0\n")
            .unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].score, Some(0.87));
        assert_eq!(labels[0].dimensions_hwl, [1.5, 1.6, 3.9]);
        assert_eq!(labels[1].score, None);
        assert_eq!(labels[1].kind, "Pedestrian");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let err = parse("Car 0 1 0.5 1 2 3 4\n").unwrap_err().to_string();
        assert!(err.starts_with("label.txt:1: 8 columns, expected 15"), "{err}");
        let err = parse("\nCar 0 1 0.5 1 2 3 4 1.5 1.6 abc 1 2 10 0.1\n").unwrap_err().to_string();
        assert_eq!(err, "label.txt:2: column 11 (l) is \"abc\", not a number");
    }
}
