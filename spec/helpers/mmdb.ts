/**
 * A MaxMind DB (MMDB) writer for tests: an IPv4 search tree (24-bit records) over the given
 * networks, each with its own record in the data section, and the metadata readers check. Just
 * enough of the format (maxmind.github.io/MaxMind-DB) to build small country databases in the
 * shape of DB-IP Lite Country and GeoLite2 Country (`{ country: { iso_code } }`).
 *
 * ```ts
 * writeFileSync(path, buildMmdb([['203.0.113.0/24', { country: { iso_code: 'RU' } }]]));
 * ```
 */
type Value = string | number | boolean | { readonly u16: number } | { readonly u32: number } | { readonly u64: number } | readonly Value[] | { readonly [key: string]: Value };

export function buildMmdb(networks: readonly (readonly [string, Record<string, Value>])[], databaseType = 'DBIP-Country-Lite'): Buffer {
  interface Node { children: [Node | number | null, Node | number | null] }
  const root: Node = { children: [null, null] };
  const data: Buffer[] = [];
  let dataLength = 0;
  for (const [cidr, record] of networks) {
    const [address, bitsText] = cidr.split('/') as [string, string];
    const bits = Number(bitsText);
    const value = address.split('.').reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
    const offset = dataLength;
    const encoded = encode(record);
    data.push(encoded);
    dataLength += encoded.length;
    let node = root;
    for (let i = 0; i < bits; i++) {
      const bit = (value >>> (31 - i)) & 1;
      if (i === bits - 1) {
        node.children[bit] = offset;
        break;
      }
      let next = node.children[bit];
      if (next === null) node.children[bit] = next = { children: [null, null] };
      if (typeof next === 'number') throw new Error(`${cidr} is inside another network`);
      node = next;
    }
  }
  const nodes: Node[] = [];
  const number = new Map<Node, number>();
  const visit = (node: Node) => {
    number.set(node, nodes.length);
    nodes.push(node);
    for (const child of node.children) if (child !== null && typeof child === 'object') visit(child);
  };
  visit(root);
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  nodes.forEach((node, i) => node.children.forEach((child, side) => {
    const record = child === null ? count : typeof child === 'number' ? count + 16 + child : number.get(child)!;
    tree.writeUIntBE(record, i * 6 + side * 3, 3);
  }));
  const metadata = encode({
    node_count: { u32: count }, record_size: { u16: 24 }, ip_version: { u16: 4 }, database_type: databaseType,
    languages: ['en'], binary_format_major_version: { u16: 2 }, binary_format_minor_version: { u16: 0 },
    build_epoch: { u64: 1_764_000_000 }, description: { en: 'lip test database' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), metadata]);
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(14, value ? 1 : 0);
  if (typeof value === 'number') return encode({ u32: value });
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const o = value as Record<string, Value>;
  if ('u16' in o && typeof o.u16 === 'number') return unsigned(5, o.u16);
  if ('u32' in o && typeof o.u32 === 'number') return unsigned(6, o.u32);
  if ('u64' in o && typeof o.u64 === 'number') return unsigned(9, o.u64);
  const entries = Object.entries(o);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

function unsigned(type: number, n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

/** A control byte (and the extended type byte, and the size's extra bytes). */
function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) { sizeBits = 29; extra.push(size - 29); }
  else { sizeBits = 30; const s = size - 285; extra.push(s >> 8, s & 0xff); }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...extra]);
}
