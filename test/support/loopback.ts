/**
 * Whether a server is reachable from the network: the machine's non-loopback addresses to dial,
 * and the kernel's socket tables (Linux) to read what a port listens on. The local cloud's servers
 * check no credentials or signatures, so each must listen on loopback only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { endianness, networkInterfaces } from 'node:os';

/** Every address of this machine that is not loopback, as `net.connect` wants it. */
export function nonLoopbackAddresses(): { family: 'IPv4' | 'IPv6'; host: string }[] {
  return Object.entries(networkInterfaces()).flatMap(([name, infos]) =>
    (infos ?? [])
      .filter((info) => !info.internal && !info.address.startsWith('127.') && info.address !== '::1')
      .map((info) => ({
        family: info.family,
        // A link-local IPv6 address means nothing without its interface.
        host:
          info.family === 'IPv6' && info.address.startsWith('fe80:')
            ? `${info.address}%${name}`
            : info.address,
      })),
  );
}

/** What a TCP connection attempt to host:port comes to. */
export function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** /proc/net/tcp{,6} hold addresses as hex 32-bit words in host byte order. */
export function decodeProcAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => {
    const wordBytes = (word.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16));
    return endianness() === 'LE' ? wordBytes.reverse() : wordBytes;
  });
  if (bytes.length === 4) return bytes.join('.');
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** Local addresses of the sockets listening on `port`, from the kernel's socket tables (Linux). */
export function listeningAddresses(port: number): string[] {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .filter((file) => existsSync(file))
    .flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/))
    .filter(([, local, , state]) => state === '0A' && local?.endsWith(`:${portHex}`))
    .map(([, local]) => decodeProcAddress((local ?? '').split(':')[0] ?? ''));
}

export const isLoopback = (address: string) =>
  address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '0:0:0:0:0:0:0:1';

export const canReadSocketTable = existsSync('/proc/net/tcp');
