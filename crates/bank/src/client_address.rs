//! Who is calling, for the per-IP limits: the peer address, or behind the bank's own proxies
//! (`trusted_proxies`, CIDR networks) the right-most address in `X-Forwarded-For` that is not
//! one of them. A header from anyone else is ignored, so it cannot be forged. IPv6 callers are
//! counted per /64, the block one subscriber usually gets, so an attacker's many addresses in
//! one block count as one.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

/// The caller's address, from the peer and the `X-Forwarded-For` values (in header order).
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    // From the right: each entry was appended by the hop before; the first one not ours is the
    // client. A malformed entry ends the walk, and the last trusted hop is the caller then.
    let mut caller = peer;
    for value in forwarded_for.rev() {
        for entry in value.rsplit(',') {
            let Ok(ip) = entry.trim().parse::<IpAddr>().map(canonical) else {
                return caller;
            };
            if !is_trusted(ip, trusted) {
                return ip;
            }
            caller = ip;
        }
    }
    caller
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// What a per-IP limit counts: an IPv4 address, or an IPv6 address's /64 (its first address).
pub fn limit_address(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// [`limit_address`] written out: `198.51.100.7`, `2001:db8:1:2::/64`.
pub fn limit_key(ip: IpAddr) -> String {
    match limit_address(ip) {
        IpAddr::V6(block) => format!("{block}/64"),
        v4 => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = client_address(ip("198.51.100.9"), ["203.0.113.7"].into_iter(), &trusted);
        assert_eq!(got, ip("198.51.100.9"));
        assert_eq!(
            client_address(ip("198.51.100.9"), ["203.0.113.7"].into_iter(), &[]),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.10/32"]);
        let lb = ip("10.1.2.3");
        // The client forged a first entry; our proxies appended the rest.
        let header = ["1.2.3.4, 203.0.113.7, 192.0.2.10"];
        assert_eq!(
            client_address(lb, header.into_iter(), &trusted),
            ip("203.0.113.7")
        );
        // Several header lines count as one list, in order.
        let lines = ["1.2.3.4", "203.0.113.8", "10.9.9.9"];
        assert_eq!(
            client_address(lb, lines.into_iter(), &trusted),
            ip("203.0.113.8")
        );
        // No header: the proxy itself is the caller.
        assert_eq!(client_address(lb, std::iter::empty(), &trusted), lb);
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            client_address(
                lb,
                ["203.0.113.7, not-an-ip, 10.0.0.5"].into_iter(),
                &trusted
            ),
            ip("10.0.0.5")
        );
        // Only trusted hops: the left-most of them.
        assert_eq!(
            client_address(lb, ["10.0.0.7, 10.0.0.5"].into_iter(), &trusted),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:ffff:1:2:3"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(limit_key(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(limit_key(ip("203.0.113.7")), "203.0.113.7");
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(ip("::ffff:10.0.0.1"), ["203.0.113.7"].into_iter(), &trusted),
            ip("203.0.113.7")
        );
    }
}
