import { BlockList, isIP } from "node:net";
import type { Context } from "hono";

/**
 * Parses `ROSTER_TRUSTED_PROXIES` (comma-separated addresses and CIDR ranges) into Node's
 * `net.BlockList`, which matches IPv4 and IPv6 subnets. Throws on an entry it cannot read.
 */
export function trustedProxies(list: readonly string[]): BlockList {
  const blocks = new BlockList();
  for (const raw of list) {
    const entry = raw.trim();
    if (!entry) continue;
    const [address = "", bits] = entry.split("/");
    const family = isIP(address);
    if (family === 0) throw new Error(`ROSTER_TRUSTED_PROXIES: "${entry}" is not an IP address`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) {
      blocks.addAddress(address, type);
      continue;
    }
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new Error(`ROSTER_TRUSTED_PROXIES: "${entry}" has an invalid prefix length`);
    }
    blocks.addSubnet(address, prefix, type);
  }
  return blocks;
}

const isTrusted = (proxies: BlockList, address: string) => {
  const family = isIP(address);
  return family !== 0 && proxies.check(address, family === 6 ? "ipv6" : "ipv4");
};

/**
 * The peer's address from Bun's server (`requestIP`, as hono/bun's getConnInfo reads it;
 * the Workers entry hands over CF-Connecting-IP in the same shape), or null outside a real
 * server. Read here rather than through hono/bun, whose module needs Bun at load.
 */
function peerAddress(c: Context): string | null {
  const server = c.env as
    | { requestIP?: (request: Request) => { address?: string } | null }
    | undefined;
  try {
    return server?.requestIP?.(c.req.raw)?.address ?? null;
  } catch {
    return null; // `app.request()` without a server, e.g. in-process tests
  }
}

/**
 * The client's address. `X-Forwarded-For` is read only when the peer is a trusted proxy,
 * and then from the right: each trusted proxy appends the address it saw, so the first
 * untrusted entry from the right is the client and anything left of it may be forged
 * (the algorithm of nginx's `real_ip_recursive` and Express's `trust proxy`).
 */
export function clientAddress(c: Context, proxies: BlockList): string {
  const peer = peerAddress(c);
  if (!peer) return "unknown";
  if (!isTrusted(proxies, peer)) return peer;
  const hops = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    const hop = hops[index] as string;
    if (isIP(hop) === 0) return peer; // a garbled chain: fall back to what we can verify
    if (!isTrusted(proxies, hop)) return hop;
  }
  return hops[0] ?? peer;
}
