//! Who the client is, network-wise: the socket peer, unless the peer is one of
//! `ACCESS_MCP_TRUSTED_PROXIES` (CIDRs), in which case `X-Forwarded-For` is
//! read from the right, skipping trusted proxies, and the first address that
//! is not one is the client. `X-Forwarded-Proto` is believed only from a
//! trusted peer. Headers from anyone else are ignored, so a client cannot
//! choose the address its failures are counted under or that the audit
//! records.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

#[derive(Debug, thiserror::Error)]
#[error("ACCESS_MCP_TRUSTED_PROXIES: `{0}` is not an IP address or CIDR block")]
pub struct ProxySpecError(pub String);

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parse a comma list of CIDR blocks or single addresses.
    pub fn parse(spec: &str) -> Result<Self, ProxySpecError> {
        let mut nets = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = match part.parse::<IpNet>() {
                Ok(n) => n,
                Err(_) => part
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| ProxySpecError(part.to_string()))?,
            };
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a request that came from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        // Every X-Forwarded-For header, in order, as one list; read from the right.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // A hop a trusted proxy wrote but that is no address: stop at
                // the last address known good.
                None => break,
            }
        }
        client
    }

    /// `X-Forwarded-Proto` (first value), when `peer` is a trusted proxy.
    pub fn forwarded_proto<'a>(&self, peer: IpAddr, headers: &'a HeaderMap) -> Option<&'a str> {
        if !self.trusts(peer) {
            return None;
        }
        headers
            .get("x-forwarded-proto")?
            .to_str()
            .ok()?
            .split(',')
            .next()
            .map(str::trim)
            .filter(|p| matches!(*p, "http" | "https"))
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    let inner = hop.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<IpAddr>().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let none = TrustedProxies::default();
        let h = headers(&["9.9.9.9"]);
        assert_eq!(none.client(ip("203.0.113.5"), &h), ip("203.0.113.5"));
        assert_eq!(none.forwarded_proto(ip("203.0.113.5"), &h), None);
        let lb = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(lb.client(ip("203.0.113.5"), &h), ip("203.0.113.5"));
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let lb = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").unwrap();
        // The client forged the left-most entry; the proxies appended the rest.
        let h = headers(&["6.6.6.6, 198.51.100.4", "10.1.2.3"]);
        assert_eq!(lb.client(ip("10.0.0.1"), &h), ip("198.51.100.4"));
        assert_eq!(lb.forwarded_proto(ip("10.0.0.1"), &h), Some("https"));
        // Only proxies: the left-most of them.
        assert_eq!(
            lb.client(ip("192.168.1.7"), &headers(&["10.9.9.9"])),
            ip("10.9.9.9")
        );
        // Garbage from a trusted proxy stops the walk.
        assert_eq!(
            lb.client(ip("10.0.0.1"), &headers(&["1.1.1.1, junk"])),
            ip("10.0.0.1")
        );
        // Ports and IPv4-mapped peers.
        assert_eq!(
            lb.client(ip("::ffff:10.0.0.1"), &headers(&["[2001:db8::1]:443"])),
            ip("2001:db8::1")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("nope").is_err());
    }
}
