/**
 * Rows in PostgreSQL's binary COPY format (COPY … FROM STDIN WITH (FORMAT binary)), for the span rows of a batch:
 * no text parsing on the server and no escaping here. Layout: the 19-byte header, then per row an int16 field count
 * and per field an int32 length (-1 = NULL) and the value in the type's binary send format, then an int16 -1 trailer.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export type CopyField =
  | { int8: bigint }
  /** 8 big-endian bytes taken as an int8 (e.g. a 16-hex span id). */
  | { int8bytes: Buffer }
  | { bool: boolean }
  | { bytea: Uint8Array }
  | { text: string }
  | { int4: number }
  | { float8: number }
  | null;

export class BinaryCopyWriter {
  private readonly parts: Buffer[] = [];
  private cur: Buffer;
  private pos = 0;

  constructor() {
    this.cur = Buffer.allocUnsafe(64 * 1024);
    this.raw(SIGNATURE);
    this.int32(0); // flags
    this.int32(0); // header extension length
  }

  /** One row; fields in the column order of the COPY statement. */
  row(fields: readonly CopyField[]): void {
    this.room(2);
    this.pos = this.cur.writeInt16BE(fields.length, this.pos);
    for (const f of fields) {
      if (f === null) {
        this.int32(-1);
      } else if ('int8' in f) {
        this.int32(8);
        this.room(8);
        this.pos = this.cur.writeBigInt64BE(f.int8, this.pos);
      } else if ('int8bytes' in f) {
        if (f.int8bytes.length !== 8) throw new Error('int8bytes: need 8 bytes');
        this.int32(8);
        this.raw(f.int8bytes);
      } else if ('bool' in f) {
        this.int32(1);
        this.room(1);
        this.cur[this.pos++] = f.bool ? 1 : 0;
      } else if ('int4' in f) {
        this.int32(4);
        this.int32(f.int4);
      } else if ('float8' in f) {
        this.int32(8);
        this.room(8);
        this.pos = this.cur.writeDoubleBE(f.float8, this.pos);
      } else if ('text' in f) {
        const b = Buffer.from(f.text, 'utf8');
        this.int32(b.length);
        this.raw(b);
      } else {
        this.int32(f.bytea.length);
        this.raw(f.bytea);
      }
    }
  }

  /** The whole COPY stream, trailer included. */
  finish(): Buffer {
    this.room(2);
    this.pos = this.cur.writeInt16BE(-1, this.pos);
    this.parts.push(this.cur.subarray(0, this.pos));
    return Buffer.concat(this.parts);
  }

  private int32(n: number): void {
    this.room(4);
    this.pos = this.cur.writeInt32BE(n, this.pos);
  }

  private raw(b: Uint8Array): void {
    if (b.length > this.cur.length - this.pos) {
      this.parts.push(this.cur.subarray(0, this.pos));
      this.cur = Buffer.allocUnsafe(Math.max(64 * 1024, b.length));
      this.pos = 0;
    }
    this.cur.set(b, this.pos);
    this.pos += b.length;
  }

  private room(n: number): void {
    if (this.cur.length - this.pos >= n) return;
    this.parts.push(this.cur.subarray(0, this.pos));
    this.cur = Buffer.allocUnsafe(64 * 1024);
    this.pos = 0;
  }
}
