//! The node's parameters, from a ROS 2 parameters file (the same file serves both transports):
//!
//! ```yaml
//! v2x:
//!   ros__parameters:
//!     origin_latitude_deg: 49.0110     # geodetic origin of the map frame (required)
//!     origin_longitude_deg: 8.4237
//!     origin_altitude_m: 0.0
//!     map_frame: map
//!     output_frame: base_link
//!     max_age_s: 1.0
//!     max_future_s: 0.2
//!     max_speed_mps: 70.0
//!     max_position_jump_m: 10.0
//!     max_range_m: 500.0
//!     station_timeout_s: 10.0
//!     unavailable_position_sigma_m: 10.0
//!     udp_bind: ""                     # "" = off, e.g. "0.0.0.0:4401"
//!     udp_payload: gn                  # what a datagram holds: gn | btp | cam | cpm | denm | bsm
//! ```
//! Files are read as ROS 2 reads them (`edgefusion_node::params`); unknown names are logged.

use crate::decode::Input;
use crate::geo::Geodetic;
pub use edgefusion_node::ParamsError;
use edgefusion_node::{NodeParams, Origins, Params};

/// Typed parameters of the V2X node.
#[derive(Debug, Clone, PartialEq)]
pub struct V2xParams {
    /// Geodetic origin of the `map` frame (ENU tangent plane); must be set.
    pub origin: Geodetic,
    /// Frame of the odometry's pose (`header.frame_id` of /localization/odometry).
    pub map_frame: String,
    /// Frame of the published objects (the odometry's child frame).
    pub output_frame: String,
    /// Messages (and CPM objects) generated longer ago than this are dropped as stale.
    pub max_age_s: f64,
    /// Messages generated further in the future than this (clock offsets) are dropped.
    pub max_future_s: f64,
    /// Reported or implied speeds above this are implausible.
    pub max_speed_mps: f64,
    /// A station may move `max_speed_mps * dt + max_position_jump_m` between two messages;
    /// more is a position jump (spoofing or a broken sender).
    pub max_position_jump_m: f64,
    /// Objects further from the ego vehicle than this are dropped.
    pub max_range_m: f64,
    /// A station's history (for replay and jump checks) is forgotten after this silence.
    pub station_timeout_s: f64,
    /// One-sigma position error assumed when a message says its accuracy is unavailable.
    pub unavailable_position_sigma_m: f64,
    /// UDP address to receive OBU datagrams on; empty = no UDP input.
    pub udp_bind: String,
    /// What each datagram holds.
    pub udp_payload: Input,
}

impl Default for V2xParams {
    fn default() -> Self {
        Self {
            origin: Geodetic { latitude_deg: f64::NAN, longitude_deg: f64::NAN, altitude_m: 0.0 },
            map_frame: "map".into(),
            output_frame: "base_link".into(),
            max_age_s: 1.0,
            max_future_s: 0.2,
            max_speed_mps: 70.0,
            max_position_jump_m: 10.0,
            max_range_m: 500.0,
            station_timeout_s: 10.0,
            unavailable_position_sigma_m: 10.0,
            udp_bind: String::new(),
            udp_payload: Input::GeoNetworking,
        }
    }
}

/// A parameters file that cannot be used; each names the file and the parameter.
impl NodeParams for V2xParams {
    /// The node's parameters from whatever set them (files, `-p`, a launch file, rcl).
    fn from_params(params: &Params, node_name: &str) -> Result<Self, ParamsError> {
        let d = Self::default();
        let r = params.reader(node_name);
        let udp_payload = r.string("udp_payload", "gn")?;
        let p = Self {
            origin: Geodetic {
                // No default: NaN until set, refused by `check` as missing.
                latitude_deg: r.f64("origin_latitude_deg", d.origin.latitude_deg)?,
                longitude_deg: r.f64("origin_longitude_deg", d.origin.longitude_deg)?,
                altitude_m: r.f64("origin_altitude_m", d.origin.altitude_m)?,
            },
            map_frame: r.string("map_frame", &d.map_frame)?,
            output_frame: r.string("output_frame", &d.output_frame)?,
            max_age_s: r.f64("max_age_s", d.max_age_s)?,
            max_future_s: r.f64("max_future_s", d.max_future_s)?,
            max_speed_mps: r.f64("max_speed_mps", d.max_speed_mps)?,
            max_position_jump_m: r.f64("max_position_jump_m", d.max_position_jump_m)?,
            max_range_m: r.f64("max_range_m", d.max_range_m)?,
            station_timeout_s: r.f64("station_timeout_s", d.station_timeout_s)?,
            unavailable_position_sigma_m: r
                .f64("unavailable_position_sigma_m", d.unavailable_position_sigma_m)?,
            udp_bind: r.string("udp_bind", &d.udp_bind)?,
            udp_payload: Input::from_name(&udp_payload).ok_or_else(|| {
                r.out_of_range("udp_payload", udp_payload, "gn | btp | cam | cpm | denm | bsm")
            })?,
        };
        p.check(&Origins::Reader(&r))?;
        r.finish();
        Ok(p)
    }
}

impl V2xParams {
    /// Checks ranges of parameters built in code; `origin` names them in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ParamsError> {
        self.check(&Origins::Fixed(origin))
    }

    /// Checks ranges; every error names the parameter and where it came from.
    fn check(&self, at: &Origins) -> Result<(), ParamsError> {
        let why = "the geodetic origin of the map frame";
        if self.origin.latitude_deg.is_nan() {
            return Err(ParamsError::Missing {
                name: "origin_latitude_deg".into(),
                why: why.into(),
            });
        }
        if self.origin.longitude_deg.is_nan() {
            return Err(ParamsError::Missing {
                name: "origin_longitude_deg".into(),
                why: why.into(),
            });
        }
        if !(-90.0..=90.0).contains(&self.origin.latitude_deg) {
            return Err(at.out_of_range(
                "origin_latitude_deg",
                self.origin.latitude_deg,
                "-90..90",
            ));
        }
        if !(-180.0..=180.0).contains(&self.origin.longitude_deg) {
            return Err(at.out_of_range(
                "origin_longitude_deg",
                self.origin.longitude_deg,
                "-180..180",
            ));
        }
        if !self.origin.altitude_m.is_finite() {
            return Err(at.out_of_range("origin_altitude_m", self.origin.altitude_m, "finite"));
        }
        let positive = [
            ("max_age_s", self.max_age_s),
            ("max_speed_mps", self.max_speed_mps),
            ("max_range_m", self.max_range_m),
            ("station_timeout_s", self.station_timeout_s),
            ("unavailable_position_sigma_m", self.unavailable_position_sigma_m),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(at.out_of_range(name, value, "> 0"));
            }
        }
        for (name, value) in
            [("max_future_s", self.max_future_s), ("max_position_jump_m", self.max_position_jump_m)]
        {
            if !(value.is_finite() && value >= 0.0) {
                return Err(at.out_of_range(name, value, ">= 0"));
            }
        }
        if !self.udp_bind.is_empty() && self.udp_bind.parse::<std::net::SocketAddr>().is_err() {
            let allowed = "empty (off) or ip:port, e.g. 0.0.0.0:4401";
            return Err(at.out_of_range("udp_bind", &self.udp_bind, allowed));
        }
        for (name, frame) in [("map_frame", &self.map_frame), ("output_frame", &self.output_frame)]
        {
            if frame.is_empty() {
                return Err(at.out_of_range(name, "\"\"", "a frame name"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "v2x:\n  ros__parameters:\n    origin_latitude_deg: 49.011\n    origin_longitude_deg: 8.4237\n";

    #[test]
    fn reads_the_node_section_and_defaults() {
        let p = V2xParams::from_yaml_str(FILE, "v2x", "test").unwrap();
        assert_eq!(p.origin.latitude_deg, 49.011);
        assert_eq!(p.max_age_s, 1.0);
        assert_eq!(p.udp_bind, "");
        assert_eq!(p.udp_payload, Input::GeoNetworking);
    }

    #[test]
    fn the_shipped_file_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../calib/params/v2x.yaml");
        let p = V2xParams::from_yaml_file(path, "v2x").unwrap();
        assert_eq!(p.max_age_s, 1.0);
        assert_eq!(p.udp_bind, "");
    }

    #[test]
    fn errors_name_the_parameter() {
        let missing = V2xParams::from_yaml_str(
            "v2x:\n  ros__parameters:\n    max_age_s: 1.0\n",
            "v2x",
            "f.yaml",
        );
        assert!(missing.unwrap_err().to_string().contains("origin_latitude_deg"));
        let bad = format!("{FILE}    max_age_s: -1\n");
        let e = V2xParams::from_yaml_str(&bad, "v2x", "f.yaml").unwrap_err().to_string();
        assert!(e.contains("max_age_s") && e.contains("f.yaml"), "{e}");
        let bad = format!("{FILE}    udp_payload: xml\n");
        assert!(V2xParams::from_yaml_str(&bad, "v2x", "f")
            .unwrap_err()
            .to_string()
            .contains("udp_payload"));
        let bad = format!("{FILE}    udp_bind: nowhere\n");
        assert!(V2xParams::from_yaml_str(&bad, "v2x", "f")
            .unwrap_err()
            .to_string()
            .contains("udp_bind"));
        let bad = format!("{FILE}    max_range_m: far\n");
        assert!(V2xParams::from_yaml_str(&bad, "v2x", "f")
            .unwrap_err()
            .to_string()
            .contains("a number"));
    }
}
