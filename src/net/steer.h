/*
 * steer.h — keep every socket of one client on one worker.
 *
 * Each worker binds its own SO_REUSEPORT listener per address and port; by
 * default the kernel hashes a datagram's or SYN's 4-tuple to pick one of
 * the group's sockets, so a client's second socket (another source port:
 * the RTCP allocation of a RESERVATION-TOKEN pair, RFC 8656 §7.2, or a
 * browser's several allocations) may reach a worker that does not hold its
 * state. A classic BPF program attached to the group instead picks the
 * socket by the client's source ADDRESS alone:
 *
 *   IPv4 header (RFC 791)             IPv6 header (RFC 8200)
 *   net+0  ver/ihl tos  total len     net+0   ver tc  flow label
 *   net+4  id           frag off      net+4   payload len nxt hop
 *   net+8  ttl proto    checksum      net+8   source address word 0
 *   net+12 source address  <- A       net+12  source address word 1
 *   net+16 destination address        net+16  source address word 2
 *                                     net+20  source address word 3
 *
 *   index = A mod n                   index = (w0 ^ w1 ^ w2 ^ w3) mod n
 *
 * "net+k" is read as SKF_NET_OFF + k (negative offsets address the network
 * header wherever the skb's data points: the UDP payload for a datagram,
 * the TCP header for a SYN). The index selects among the group's sockets
 * in the order they joined it (bind for UDP, listen for TCP), so the
 * caller must bind the group's sockets in worker order 0..n-1 and keep
 * them all open; the kernel falls back to its hash for an index past the
 * group's end.
 */
#ifndef TERN_NET_STEER_H
#define TERN_NET_STEER_H

/*
 * Attach the program for a group of n sockets (n >= 1) to the reuseport
 * group of fd, a bound (UDP) or listening (TCP) SO_REUSEPORT socket of
 * `family` (AF_INET, AF_INET6; IPV6_V6ONLY, so no IPv4 reaches it).
 * Attaching to one socket sets it for the whole group, including sockets
 * that join later. Returns 0, EINVAL, or the errno of setsockopt
 * (ENOPROTOOPT on a kernel before 4.5: the kernel's hash stays).
 */
int net_steer_attach(int fd, int family, unsigned n);

#endif
