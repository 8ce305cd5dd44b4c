// Requests written byte for byte on a TCP socket, for what fetch will not send: bad request lines, invalid
// Host headers, broken chunked framing, raw non-UTF-8 bytes.
import { connect } from 'node:net';

export interface RawAnswer {
  /** The status code of the first response, or null when the server closed (or kept silent) without one. */
  status: number | null;
  /** The start of the response: status line, headers and what came of the body with them. */
  head: string;
}

/** Send `bytes`, resolve with the first response's status as soon as its header block has arrived. */
export function rawRequest(port: number, bytes: string | Uint8Array, timeoutMs = 2000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve({ status: m ? Number(m[1]) : null, head: got.slice(0, 2000) });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (c) => {
      got += c.toString('latin1');
      if (got.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', done);
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** The body of a raw answer (as far as it came with the header block). */
export const rawBody = (a: RawAnswer) => a.head.slice(a.head.indexOf('\r\n\r\n') + 4);
