//! Receiving OBU datagrams: binds `udp_bind` and hands each datagram out as a `V2xPacket`
//! (encoding = the configured `udp_payload`, stamp = receive time, source = `udp://peer`), so
//! UDP input and the `/v2x/packets` topic share [`crate::V2xNode::on_packet`].
//! Not an adapter: no thread, the caller polls.

use crate::decode::Input;
use crate::params::V2xParams;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::V2xPacket;
use edgefusion_msgs::std_msgs::Header;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// Larger than any V2X frame (an 802.11p/C-V2X MSDU is at most ~2.3 kB).
const MAX_DATAGRAM: usize = 65_535;

pub struct UdpReceiver {
    socket: UdpSocket,
    payload: Input,
    buffer: Vec<u8>,
}

impl UdpReceiver {
    /// Binds `address`. `timeout`: how long [`Self::recv`] waits; None = never waits.
    pub fn bind(address: &str, payload: Input, timeout: Option<Duration>) -> io::Result<Self> {
        let socket = UdpSocket::bind(address)
            .map_err(|e| io::Error::new(e.kind(), format!("udp_bind {address}: {e}")))?;
        match timeout {
            Some(t) => socket.set_read_timeout(Some(t.max(Duration::from_micros(1))))?,
            None => socket.set_nonblocking(true)?,
        }
        Ok(Self { socket, payload, buffer: vec![0; MAX_DATAGRAM] })
    }

    /// The receiver the parameters ask for; None when `udp_bind` is empty.
    pub fn from_params(params: &V2xParams, timeout: Option<Duration>) -> io::Result<Option<Self>> {
        if params.udp_bind.is_empty() {
            return Ok(None);
        }
        Self::bind(&params.udp_bind, params.udp_payload, timeout).map(Some)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The next datagram stamped `now`; None when none arrived (within the timeout).
    pub fn recv(&mut self, now: Time) -> io::Result<Option<V2xPacket>> {
        match self.socket.recv_from(&mut self.buffer) {
            Ok((n, peer)) => Ok(Some(V2xPacket {
                header: Header { stamp: now, frame_id: String::new() },
                encoding: self.payload.encoding(),
                source: format!("udp://{peer}"),
                data: self.buffer.get(..n).unwrap_or_default().to_vec(),
            })),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
