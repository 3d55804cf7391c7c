//! CPM: ETSI TR 103 562 v2.1.1 (protocolVersion 1, "CPM v1") and TS 103 324 v2.1.1
//! (protocolVersion 2), with `c-its-parser`'s rasn types.
//!
//! Frames of the object offsets: TS 103 324 states x east / y north for every sender. TR 103 562
//! uses the sender vehicle's ISO 8855 frame (x along its heading, y left, speeds relative to
//! the sender) when an originating vehicle container is present, and east/north for an
//! originating road-side unit.

use super::common::{reference_position_v1, reference_position_v2};
use super::{unsupported_version, uper, DecodeError};
use crate::message::{Cpm, CpmFrame, ItsHeader, PerceivedObject, WithConfidence};
use c_its_parser::standards::cdd_2_2_1::etsi_its_cdd as cdd2;
use c_its_parser::standards::cpm_1::cpm_pdu_descriptions as v1;
use c_its_parser::standards::cpm_2_1_1::{
    cpm_originating_station_containers as v2_origin, cpm_pdu_descriptions as v2,
    cpm_perceived_object_container as v2_objects,
};

pub const STANDARD_V1: &str = "TR 103 562 v2.1.1";
pub const STANDARD_V2: &str = "TS 103 324 v2.1.1";

/// TS 103 324 `CpmContainerId`s.
const CONTAINER_ORIGINATING_VEHICLE: u8 = 1;
const CONTAINER_ORIGINATING_RSU: u8 = 2;
const CONTAINER_PERCEIVED_OBJECTS: u8 = 5;

pub fn decode(data: &[u8], header: ItsHeader) -> Result<Cpm, DecodeError> {
    match header.protocol_version {
        0 | 1 => {
            let pdu: v1::CPM = uper(data, "CPM (TR 103 562)")?;
            Ok(summarize_v1(&pdu, header))
        }
        2 => {
            let pdu: v2::CollectivePerceptionMessage = uper(data, "CPM (TS 103 324)")?;
            summarize_v2(&pdu, header)
        }
        other => Err(unsupported_version("CPM", other)),
    }
}

fn summarize_v1(pdu: &v1::CPM, header: ItsHeader) -> Cpm {
    let params = &pdu.cpm.cpm_parameters;
    let management = &params.management_container;
    let (object_frame, sender_heading, sender_speed) = match &params.station_data_container {
        Some(v1::StationDataContainer::originatingVehicleContainer(vehicle)) => (
            CpmFrame::SenderVehicle,
            Some(WithConfidence {
                value: vehicle.heading.heading_value.0,
                confidence: vehicle.heading.heading_confidence.0.into(),
            }),
            Some(WithConfidence {
                value: vehicle.speed.speed_value.0,
                confidence: vehicle.speed.speed_confidence.0.into(),
            }),
        ),
        Some(v1::StationDataContainer::originatingRSUContainer(_)) => {
            (CpmFrame::EastNorth, None, None)
        }
        // StationType 15 is a road-side unit (TS 102 894-2).
        None if management.station_type.0 == 15 => (CpmFrame::EastNorth, None, None),
        None | Some(_) => (CpmFrame::Unknown, None, None),
    };
    let objects = params
        .perceived_object_container
        .as_ref()
        .map(|c| c.0.iter().map(object_v1).collect())
        .unwrap_or_default();
    Cpm {
        standard: STANDARD_V1,
        header,
        generation_delta_time: Some(pdu.cpm.generation_delta_time.0),
        reference_time: None,
        station_type: Some(management.station_type.0),
        reference_position: reference_position_v1(&management.reference_position),
        object_frame,
        sender_heading,
        sender_speed,
        number_of_perceived_objects: params.number_of_perceived_objects.0,
        objects,
    }
}

fn object_v1(o: &v1::PerceivedObject) -> PerceivedObject {
    let distance = |d: &v1::ObjectDistanceWithConfidence| WithConfidence {
        value: d.value.0,
        confidence: d.confidence.0.into(),
    };
    let speed = |s: &v1::SpeedExtended| WithConfidence {
        value: i32::from(s.value.0),
        confidence: s.confidence.0.into(),
    };
    PerceivedObject {
        object_id: Some(o.object_id.0.into()),
        time_of_measurement: o.time_of_measurement.0,
        object_age: o.object_age.as_ref().map(|a| a.0),
        object_confidence: Some(o.object_confidence.0),
        x_distance: distance(&o.x_distance),
        y_distance: distance(&o.y_distance),
        z_distance: o.z_distance.as_ref().map(distance),
        x_speed: Some(speed(&o.x_speed)),
        y_speed: Some(speed(&o.y_speed)),
        yaw_angle: o
            .yaw_angle
            .as_ref()
            .map(|a| WithConfidence { value: a.value.0, confidence: a.confidence.0.into() }),
        dimension_x: o.planar_object_dimension1.as_ref().map(|d| d.value.0),
        dimension_y: o.planar_object_dimension2.as_ref().map(|d| d.value.0),
        dimension_z: o.vertical_object_dimension.as_ref().map(|d| d.value.0),
    }
}

fn summarize_v2(
    pdu: &v2::CollectivePerceptionMessage,
    header: ItsHeader,
) -> Result<Cpm, DecodeError> {
    let management = &pdu.payload.management_container;
    let mut out = Cpm {
        standard: STANDARD_V2,
        header,
        generation_delta_time: None,
        reference_time: Some(management.reference_time.0),
        station_type: None,
        reference_position: reference_position_v2(&management.reference_position),
        object_frame: CpmFrame::EastNorth,
        sender_heading: None,
        sender_speed: None,
        number_of_perceived_objects: 0,
        objects: Vec::new(),
    };
    for (index, wrapped) in pdu.payload.cpm_containers.0 .0.iter().enumerate() {
        let layer = "CPM (TS 103 324) container";
        let bytes = wrapped.container_data.as_bytes();
        let context = |e: DecodeError| match e {
            DecodeError::Malformed { offset, detail, .. }
            | DecodeError::Truncated { offset, detail, .. } => DecodeError::Malformed {
                layer,
                offset,
                detail: format!("container #{index} (id {}): {detail}", wrapped.container_id.0),
            },
            other => other,
        };
        match wrapped.container_id.0 {
            CONTAINER_ORIGINATING_VEHICLE => {
                let vehicle: v2_origin::OriginatingVehicleContainer =
                    uper(bytes, layer).map_err(context)?;
                out.sender_heading = Some(WithConfidence {
                    value: vehicle.orientation_angle.value.0,
                    confidence: vehicle.orientation_angle.confidence.0.into(),
                });
            }
            CONTAINER_ORIGINATING_RSU => {}
            CONTAINER_PERCEIVED_OBJECTS => {
                let objects: v2_objects::PerceivedObjectContainer =
                    uper(bytes, layer).map_err(context)?;
                out.number_of_perceived_objects = objects.number_of_perceived_objects.0;
                out.objects.extend(objects.perceived_objects.0.iter().map(object_v2));
            }
            // Sensor information and perception regions are not used by the node.
            _ => {}
        }
    }
    Ok(out)
}

fn object_v2(o: &cdd2::PerceivedObject) -> PerceivedObject {
    let coordinate = |c: &cdd2::CartesianCoordinateWithConfidence| WithConfidence {
        value: c.value.0,
        confidence: c.confidence.0,
    };
    let (x_speed, y_speed) = match &o.velocity {
        Some(cdd2::Velocity3dWithConfidence::cartesianVelocity(v)) => (
            Some(WithConfidence {
                value: i32::from(v.x_velocity.value.0),
                confidence: v.x_velocity.confidence.0.into(),
            }),
            Some(WithConfidence {
                value: i32::from(v.y_velocity.value.0),
                confidence: v.y_velocity.confidence.0.into(),
            }),
        ),
        Some(cdd2::Velocity3dWithConfidence::polarVelocity(v)) => {
            // Magnitude (0.01 m/s) along a direction counted from x (0.1 degree); the
            // components get the magnitude's confidence.
            let magnitude = f64::from(v.velocity_magnitude.speed_value.0);
            let direction = f64::from(v.velocity_direction.value.0).to_radians() / 10.0;
            let confidence = v.velocity_magnitude.speed_confidence.0.into();
            (
                Some(WithConfidence {
                    value: (magnitude * direction.cos()).round() as i32,
                    confidence,
                }),
                Some(WithConfidence {
                    value: (magnitude * direction.sin()).round() as i32,
                    confidence,
                }),
            )
        }
        None => (None, None),
    };
    PerceivedObject {
        object_id: o.object_id.as_ref().map(|id| id.0),
        time_of_measurement: o.measurement_delta_time.0,
        object_age: o.object_age.as_ref().map(|a| a.0.max(0) as u16),
        object_confidence: o.object_perception_quality.as_ref().map(|q| q.0),
        x_distance: coordinate(&o.position.x_coordinate),
        y_distance: coordinate(&o.position.y_coordinate),
        z_distance: o.position.z_coordinate.as_ref().map(coordinate),
        x_speed,
        y_speed,
        yaw_angle: o.angles.as_ref().map(|a| WithConfidence {
            value: a.z_angle.value.0,
            confidence: a.z_angle.confidence.0.into(),
        }),
        dimension_x: o.object_dimension_x.as_ref().map(|d| d.value.0),
        dimension_y: o.object_dimension_y.as_ref().map(|d| d.value.0),
        dimension_z: o.object_dimension_z.as_ref().map(|d| d.value.0),
    }
}
