/**
 * Stored (uncompressed) zip archives whose file data starts on a fixed byte boundary, as USDZ requires (Pixar's USDZ
 * spec: no compression, no encryption, each file's data 64-byte aligned so a reader can map it in place; the padding
 * goes into the local header's extra field). `readZip` parses such an archive back for checks: it reads the central
 * directory, verifies each local header against it and the CRC-32 of each file's data.
 */

/** One file of an archive. */
export interface ZipFile {
  name: string;
  data: Uint8Array;
}

/** One file as `readZip` found it. */
export interface ZipEntry {
  name: string;
  /** 0: stored, 8: deflate … */
  method: number;
  /** Offset of the file's data in the archive. */
  dataOffset: number;
  data: Uint8Array;
  /** The CRC-32 recorded matches the data. */
  crcOk: boolean;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A fixed date (1980-01-01 00:00, the DOS epoch): the same files give the same bytes. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
/** Extra field id of the padding (unassigned in the zip spec's registry; readers skip unknown ids). */
const PAD_ID = 0x1986;

/** Writes `files` (in order) as a stored zip, each file's data starting at a multiple of `align` bytes. */
export function storedZip(files: ZipFile[], align = 64): Uint8Array {
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const f of files) {
    const name = enc.encode(f.name);
    const crc = crc32(f.data);
    const headerEnd = offset + 30 + name.length;
    // The extra field holds at least its own 4-byte header; pad so the data starts on the boundary.
    const pad = (align - ((headerEnd + 4) % align)) % align;
    const extraLength = 4 + pad;
    const h = new Uint8Array(30 + name.length + extraLength);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 10, true); // version needed: 1.0
    v.setUint16(6, 0, true); // flags
    v.setUint16(8, 0, true); // stored
    v.setUint16(10, DOS_TIME, true);
    v.setUint16(12, DOS_DATE, true);
    v.setUint32(14, crc, true);
    v.setUint32(18, f.data.length, true);
    v.setUint32(22, f.data.length, true);
    v.setUint16(26, name.length, true);
    v.setUint16(28, extraLength, true);
    h.set(name, 30);
    v.setUint16(30 + name.length, PAD_ID, true);
    v.setUint16(32 + name.length, pad, true);
    local.push(h, f.data);
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 10, true); // made by
    cv.setUint16(6, 10, true);
    cv.setUint16(8, 0, true);
    cv.setUint16(10, 0, true);
    cv.setUint16(12, DOS_TIME, true);
    cv.setUint16(14, DOS_DATE, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, f.data.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    c.set(name, 46);
    central.push(c);
    offset += h.length + f.data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let at = 0;
  for (const part of [...local, ...central, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Parses a zip (no zip64, no multi-disk) and checks it; throws with the reason when it is not a well-formed archive. */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip: no end-of-central-directory record');
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const dec = new TextDecoder();
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (v.getUint32(p, true) !== 0x02014b50) throw new Error(`central directory entry ${i}: bad signature`);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    const size = v.getUint32(p + 20, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    const localOffset = v.getUint32(p + 42, true);
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    if (v.getUint32(localOffset, true) !== 0x04034b50) throw new Error(`${name}: bad local header signature`);
    const localName = dec.decode(bytes.subarray(localOffset + 30, localOffset + 30 + v.getUint16(localOffset + 26, true)));
    if (localName !== name) throw new Error(`${name}: the local header names ${localName}`);
    const dataOffset = localOffset + 30 + v.getUint16(localOffset + 26, true) + v.getUint16(localOffset + 28, true);
    const data = bytes.subarray(dataOffset, dataOffset + size);
    if (data.length !== size) throw new Error(`${name}: truncated`);
    entries.push({ name, method, dataOffset, data, crcOk: method === 0 ? crc32(data) === crc : true });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
