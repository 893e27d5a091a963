import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * What processes listen on, read from Linux's /proc: the TCP sockets in LISTEN state that `pid`
 * and every process below it hold, as "127.0.0.1:8288", "[::]:3000"… (IPv6 in full, eight groups).
 * For tests of what `npm run dev` exposes to the network.
 */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set(processTree(pid).flatMap(socketInodes));
  return ["tcp", "tcp6"].flatMap((table) =>
    readFileSync(`/proc/net/${table}`, "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === "0A" && inodes.has(fields[9]!))
      .map((fields) => {
        const [address, port] = fields[1]!.split(":");
        return `${decode(address!, table === "tcp6")}:${parseInt(port!, 16)}`;
      }),
  );
}

/** 127.x.x.x or ::1: reachable from this machine only. */
export const isLoopback = (address: string) =>
  /^(127\.\d+\.\d+\.\d+|\[0000:0000:0000:0000:0000:0000:0000:0001\]):\d+$/.test(address);

/** `pid` and its descendants, from each process's parent in /proc/<pid>/stat. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: fields start after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), parent);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        return inode ? [inode] : [];
      } catch {
        return []; // closed meanwhile
      }
    });
  } catch {
    return []; // gone, or not ours to read
  }
}

/** /proc/net's hex address: IPv4 as one little-endian word, IPv6 as four. */
function decode(hex: string, v6: boolean) {
  const bytes = Buffer.from(hex, "hex");
  if (!v6) return [...bytes].reverse().join(".");
  const words: string[] = [];
  for (let i = 0; i < 16; i += 4)
    words.push(
      bytes
        .subarray(i, i + 4)
        .reverse()
        .toString("hex"),
    );
  return `[${words.join("").replace(/(.{4})(?!$)/g, "$1:")}]`;
}
