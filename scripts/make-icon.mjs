import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
const N = 128;
const px = Buffer.alloc(N * N * 4);
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (b) => {
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function set(x, y, [r, g, b, a]) {
  const i = (y * N + x) * 4;
  px[i] = r;
  px[i + 1] = g;
  px[i + 2] = b;
  px[i + 3] = a;
}
const inRound = (x, y, x0, y0, x1, y1, r) => {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r),
    cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= x0 && x <= x1 && y >= y0 && y <= y1;
};
const BG = [30, 58, 95, 255],
  BOX = [240, 244, 248, 255],
  LID = [126, 200, 227, 255],
  SLOT = [30, 58, 95, 255];
for (let y = 0; y < N; y++)
  for (let x = 0; x < N; x++) {
    const [fx, fy] = [x + 0.5, y + 0.5];
    let c = [0, 0, 0, 0];
    if (inRound(fx, fy, 4, 4, 124, 124, 22)) c = BG;
    if (inRound(fx, fy, 24, 30, 104, 50, 5)) c = LID; // lid
    if (inRound(fx, fy, 30, 52, 98, 100, 5)) c = BOX; // box
    if (inRound(fx, fy, 50, 62, 78, 70, 3)) c = SLOT; // handle slot
    // a clock-like arc: the schedule
    const d = Math.hypot(fx - 64, fy - 84);
    if (d > 9 && d < 12.5 && !(fx > 64 && fy < 84)) c = SLOT;
    if (Math.abs(fx - 64) < 1.6 && fy > 77 && fy < 85) c = SLOT;
    if (Math.abs(fy - 84) < 1.6 && fx > 63 && fx < 70) c = SLOT;
    set(x, y, c);
  }
const raw = Buffer.alloc((N * 4 + 1) * N);
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0;
  px.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4);
}
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8;
ihdr[9] = 6;
ihdr[10] = 0;
ihdr[11] = 0;
ihdr[12] = 0;
writeFileSync(
  process.argv[2],
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]),
);
