//! The V2X node: decodes ETSI ITS messages (CAM, CPM, DENM; in GeoNetworking + BTP frames,
//! BTP, or bare UPER) and SAE J2735 BSMs, and turns the road users they describe into
//! `V2xObjectArray`s in the ego frame.
//!
//! - [`decode`]: bytes -> [`message::Decoded`] (one module per layer and message);
//! - [`node`]: [`V2xNode`], the transport-free node core ([`params::V2xParams`], [`stats`]);
//! - [`inspect`]: the `edgefusion v2x decode` command's work; [`udp`]: OBU datagrams;
//! - [`geo`], [`its_time`]: WGS84 -> map -> base_link, and ITS time stamps.

pub mod decode;
pub mod geo;
pub mod inspect;
pub mod its_time;
pub mod message;
pub mod node;
pub mod params;
pub mod ports;
pub mod samples;
pub mod stats;
pub mod udp;

pub use decode::{decode_frame, DecodeError, Input, PayloadKind};
pub use message::{Decoded, Message};
pub use node::{V2xError, V2xNode};
pub use params::{ParamsError, V2xParams};
pub use ports::V2xNodeCore;
